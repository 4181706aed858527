"""L-BFGS: a quasi-Newton method that re-evaluates the loss through a closure."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from latte import backend
from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["LBFGS"]


def _cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                       bounds: tuple[float, float] | None = None) -> float:
    """The minimiser of the cubic through two points with values and slopes, clipped to
    ``bounds`` (default: the interval between the points); the midpoint if it has none."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square ** 0.5
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


def _float(a: Any) -> float:
    # the line search and the stopping tests branch on these numbers, so for GPU parameters
    # each is one device-to-host copy (PyTorch's LBFGS syncs at the same places)
    return float(a) if type(a) is not np.ndarray else float(a[()])


def _strong_wolfe(obj_func: Callable, t: float, d: Any, f: float, g: Any, gtd: float,
                  c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                  max_ls: int = 25) -> tuple[float, Any, float, int]:
    """A line search along ``d`` for a step ``t`` meeting the strong Wolfe conditions
    (sufficient decrease ``c1``, curvature ``c2``): bracket, then zoom by cubic interpolation.

    ``obj_func(t)`` returns the loss and flat gradient at ``x + t d``. Returns the loss, the
    gradient and the step found, and the number of evaluations.
    """
    d_norm = _float(abs(d).max())
    f_new, g_new = obj_func(t)
    evals = 1
    gtd_new = _float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], \
                [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bf, bg, bgtd = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bf, bg, bgtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], \
                [gtd_prev, gtd_new]
            break
        # extrapolate: a step between 1.01 t and 10 t from the cubic through the last two
        t_next = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                    bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = _float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bf, bg, bgtd = [0.0, t], [f, f_new], [g, g_new], [gtd, gtd_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low, high = (0, 1) if bf[0] <= bf[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bf[0], bgtd[0], bracket[1], bf[1], bgtd[1])
        top, bottom = max(bracket), min(bracket)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            # too close to an end: after a second such try (or outside), move 10% inside
            if insuf_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = _float(g_new.dot(d))
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bf[low]:
            bracket[high], bf[high], bg[high], bgtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bf[0] <= bf[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bf[high], bg[high], bgtd[high] = \
                    bracket[low], bf[low], bg[low], bgtd[low]
            bracket[low], bf[low], bg[low], bgtd[low] = t, f_new, g_new, gtd_new
    return bf[low], bg[low], bracket[low], evals


class LBFGS(Optimizer):
    r"""L-BFGS (Liu and Nocedal, 1989), as ``torch.optim.LBFGS``.

    Each ``step(closure)`` runs up to ``max_iter`` iterations: the direction is
    :math:`d = -H g`, with the inverse Hessian :math:`H` approximated from the last
    ``history_size`` pairs :math:`s = x_{k+1} - x_k`, :math:`y = g_{k+1} - g_k` (two-loop
    recursion, initial scale :math:`s^T y / y^T y`); the step is ``lr`` (the first ever is
    ``min(1, 1 / |g|_1) * lr``), or found by a strong-Wolfe line search with
    ``line_search_fn='strong_wolfe'``. It stops early when ``max |g| <= tolerance_grad``, when
    the step or the loss change falls below ``tolerance_change``, or after ``max_eval``
    evaluations (default ``max_iter * 5 // 4``).

    ``closure`` must clear the gradients, compute the loss, call ``backward`` and return it;
    ``step`` returns the first loss. There is one param group only. The state (kept under the
    first parameter, as in PyTorch) holds ``func_evals``, ``n_iter``, ``d``, ``t``,
    ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``.

    Example::

        >>> model, x = latte.nn.Linear(4, 2), latte.randn(8, 4)
        >>> opt = latte.optim.LBFGS(model.parameters(), lr=0.8)
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = model(x).pow(2).mean()
        ...     loss.backward()
        ...     return loss
        >>> first = opt.step(closure)
        >>> bool(closure() < first)
        True
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if isinstance(lr, Tensor):
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
            lr = lr.item()
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    @staticmethod
    def _cast_state(param: Tensor, key: str, value: Any, pid: Any) -> Any:
        """A loaded state entry on the first parameter's device and dtype; the flat vectors
        (and lists of them) are not shaped like that parameter, so no shape check."""
        if isinstance(value, list):
            return [LBFGS._cast_state(param, key, v, pid) for v in value]
        if not isinstance(value, Tensor):
            return value
        array = backend.to_device(value._data, backend.device_of(param._data))
        dtype = param._data.dtype if array.dtype.kind == "f" else array.dtype
        return Tensor(backend.run_on(array, array.astype, dtype, copy=True))

    # --- the parameters as one flat vector -----------------------------------------------
    def _gather_flat_grad(self) -> Any:
        """All gradients concatenated into a new flat array (zeros where a grad is None)."""
        p0 = self._params[0]._data
        xp = backend.get_array_module(p0)
        parts = [xp.zeros(p.numel(), dtype=p._data.dtype) if p.grad is None
                 else p.grad._data.reshape(-1) for p in self._params]
        return xp.concatenate(parts)

    def _add_grad(self, step: Any, update: Any) -> None:
        """Move the parameters in place: ``x += step * update``."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += step * update[offset:offset + n].reshape(p._data.shape)
            p._vc[0] += 1
            offset += n

    def _directional_evaluate(self, closure: Callable, x: list, t: float, *, d: Any
                              ) -> tuple[float, Any]:
        """Loss and flat gradient at ``x + t d``; the parameters are back at ``x`` after."""
        self._add_grad(t, d)
        loss = float(self._eval_closure(closure))
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x):
            p._data[...] = saved
            p._vc[0] += 1
        return loss, flat_grad

    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss ``closure`` gave first."""
        first = self._params[0]._data
        if type(first) is np.ndarray:
            return self._step(closure)
        with backend.device_guard(backend.device_of(first)):  # CuPy works on the current GPU
            return self._step(closure)

    def _step(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        if line_search_fn not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")

        # LBFGS has only global state: PyTorch keeps it under the first parameter
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._eval_closure(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if _float(abs(flat_grad).max()) <= tolerance_grad:
            return orig_loss

        raw = {k: (v._data if isinstance(v, Tensor) else v) for k, v in state.items()}
        d, t, H_diag = raw.get("d"), raw.get("t"), raw.get("H_diag")
        old_dirs = [_raw(v) for v in raw.get("old_dirs") or []]
        old_stps = [_raw(v) for v in raw.get("old_stps") or []]
        ro = [_raw(v) for v in raw.get("ro") or []]
        prev_flat_grad, prev_loss = raw.get("prev_flat_grad"), raw.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # --- direction ---------------------------------------------------------------
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if _float(ys) > 1e-10:
                    if len(old_dirs) == history_size:  # keep the last history_size pairs
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                # two-loop recursion: d = -H g
                al = [None] * len(old_dirs)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
                state["al"] = [_box(a) for a in al] + [None] * (history_size - len(al))
            prev_flat_grad = flat_grad  # a fresh array: nothing writes into it
            prev_loss = loss

            # --- step length -------------------------------------------------------------
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / _float(abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = _float(flat_grad.dot(d))
            if gtd > -tolerance_change:  # not a descent direction any more
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = [p._data.copy() for p in self._params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    functools.partial(self._directional_evaluate, closure, x_init, d=d),
                    t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = _float(abs(flat_grad).max()) <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # the last iteration's loss is not needed (the next step computes it)
                    loss = float(self._eval_closure(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = _float(abs(flat_grad).max()) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # --- stopping tests ----------------------------------------------------------
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if _float(abs(d * t).max()) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = Tensor(d)
        state["t"] = t
        state["old_dirs"] = [Tensor(v) for v in old_dirs]
        state["old_stps"] = [Tensor(v) for v in old_stps]
        state["ro"] = [_box(v) for v in ro]
        state["H_diag"] = H_diag if type(H_diag) is float else _box(H_diag)
        state["prev_flat_grad"] = Tensor(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss


def _raw(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else v


def _box(v: Any) -> Tensor:
    # NumPy's dot gives a float64 scalar, which Tensor() would take as a float32 number
    return Tensor(np.asarray(v) if isinstance(v, np.generic) else v)
