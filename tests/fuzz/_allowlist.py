"""Mismatch classes the op fuzzer found that are not fixed yet: op name -> {mutation: reason}.

A mismatch of a listed op under a listed mutation is tolerated; every other example of the op
is still checked. Fixing a class means deleting its line (the fuzz then guards it)."""

ALLOWLIST: dict[str, dict[str, str]] = {
    'addbmm': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'index': "integer/bool result dtype differs from PyTorch's promotion",
        'layout': "integer/bool result dtype differs from PyTorch's promotion",
        'shape': 'PyTorch validates this input; Latte computes a result',
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'addcdiv': {
        'dtype': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
        'index': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
        'layout': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
        'shape': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
        'special': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
    },
    'addcmul': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'index': "integer/bool result dtype differs from PyTorch's promotion",
        'layout': "integer/bool result dtype differs from PyTorch's promotion",
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'addmm': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'shape': "integer/bool result dtype differs from PyTorch's promotion",
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'addmm_method': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'index': "integer/bool result dtype differs from PyTorch's promotion",
        'layout': "integer/bool result dtype differs from PyTorch's promotion",
        'shape': 'PyTorch refuses an input of more dims than the result; Latte computes one',
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'addmv': {
        'index': "integer/bool result dtype differs from PyTorch's promotion",
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'addr': {
        'dtype': 'a float alpha/beta on integer tensors: PyTorch refuses, Latte computes',
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'baddbmm': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'index': "integer/bool result dtype differs from PyTorch's promotion",
        'shape': "integer/bool result dtype differs from PyTorch's promotion",
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'broadcast_tensors': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'cartesian_prod': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'cdist': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'cdist_same_point': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'cholesky_method': {
        'special': 'PyTorch validates this input; Latte computes a result',
    },
    'chunk': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'cosh': {
        'dtype': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'index': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'layout': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'shape': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'special': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
    },
    'cross': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'cumprod': {
        'index': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'diag_embed': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'dot': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'layout': "integer/bool result dtype differs from PyTorch's promotion",
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'einsum': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'fliplr_flipud': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'index_add': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'layout': "integer/bool result dtype differs from PyTorch's promotion",
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'index_copy': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'index_put': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'index_select': {
        'index': "an out-of-range index: NumPy's IndexError, PyTorch's RuntimeError",
    },
    'kthvalue': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'linalg_cholesky': {
        'special': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
    },
    'linalg_cond': {
        'shape': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'linalg_cross': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'linalg_lstsq': {
        'dtype': 'PyTorch validates this input; Latte computes a result',
        'index': 'PyTorch validates this input; Latte computes a result',
        'layout': 'PyTorch validates this input; Latte computes a result',
        'special': 'PyTorch validates this input; Latte computes a result',
    },
    'linalg_matrix_exp': {
        'special': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'linalg_matrix_power': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'index': "integer/bool result dtype differs from PyTorch's promotion",
        'layout': "integer/bool result dtype differs from PyTorch's promotion",
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'linalg_pinv': {
        'dtype': 'PyTorch validates this input; Latte computes a result',
        'index': 'PyTorch validates this input; Latte computes a result',
        'layout': 'PyTorch validates this input; Latte computes a result',
        'shape': 'PyTorch validates this input; Latte computes a result',
        'special': 'PyTorch validates this input; Latte computes a result',
    },
    'linalg_solve_triangular': {
        'special': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'linalg_svd': {
        'shape': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'special': 'Latte raises a different exception family than PyTorch',
    },
    'linalg_svdvals': {
        'special': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'linalg_vander': {
        'dtype': 'PyTorch validates this input; Latte computes a result',
        'index': 'PyTorch validates this input; Latte computes a result',
        'layout': 'PyTorch validates this input; Latte computes a result',
        'shape': 'output shape differs',
        'special': 'PyTorch validates this input; Latte computes a result',
    },
    'mT': {
        'shape': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'masked_fill': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'max_dim': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'meshgrid': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'mv': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'nanmean': {
        'dtype': 'PyTorch validates this input; Latte computes a result',
        'index': 'PyTorch validates this input; Latte computes a result',
        'layout': 'PyTorch validates this input; Latte computes a result',
        'shape': 'Latte raises a different exception family than PyTorch',
        'special': 'PyTorch validates this input; Latte computes a result',
    },
    'nansum': {
        'dtype': "integer/bool result dtype differs from PyTorch's promotion",
        'index': "integer/bool result dtype differs from PyTorch's promotion",
        'layout': "integer/bool result dtype differs from PyTorch's promotion",
        'special': "integer/bool result dtype differs from PyTorch's promotion",
    },
    'narrow': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'outer': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'pad': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'pow_method': {
        'dtype': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'index': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'layout': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'special': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'pow_tensor': {
        'index': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'layout': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'shape': 'Latte refuses ints to negative int powers (NumPy); PyTorch computes them',
    },
    'put': {
        'index': 'PyTorch validates this input; Latte computes a result',
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'relu': {
        'layout': 'PyTorch validates this input; Latte computes a result',
        'special': 'PyTorch validates this input; Latte computes a result',
    },
    'rot90': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'sinh': {
        'dtype': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'index': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
        'layout': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'softmax': {
        'shape': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'special_i0e_i1e': {
        'special': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
    },
    'squeeze': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'std': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'std_constant_row': {
        'shape': 'Latte raises a different exception family than PyTorch',
        'special': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
    },
    'std_mean': {
        'special': 'values differ from PyTorch on NaN/inf/extreme or float16 inputs',
    },
    'take_along_dim': {
        'index': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'tensor_split': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'tensordot': {
        'shape': 'Latte rejects an input PyTorch accepts (0-size, 0-d or integer edge case)',
    },
    'topk': {
        'special': 'PyTorch validates this input; Latte computes a result',
    },
    'transpose': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'triu': {
        'shape': 'Latte raises a different exception family than PyTorch',
    },
    'unflatten': {
        'shape': 'PyTorch validates this input; Latte computes a result',
    },
    'xlogy_zeros': {
        'shape': 'values differ from PyTorch on integer inputs of a mutated shape',
    },
}
