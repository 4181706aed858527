"""Image operations behind ``latte.vision.transforms``, as ``torchvision.transforms.functional``.

Every function accepts a PIL image, a latte ``Tensor`` or a NumPy array and returns the same
kind. Tensors and arrays are ``(..., C, H, W)``, either uint8 in ``[0, 255]`` or floating in
``[0, 1]``. PIL images go through the same array code (so both agree exactly), except
``resize`` which uses pillow's own resampling, as torchvision does.

The functions live by concern: ``_image`` (the accepted kinds, sizes), ``_tensor`` (conversions,
dtype, normalize, erase), ``_geometry`` (resize, crop, pad, flips, affine, rotate) and
``_color`` (grayscale, adjustments, blur).
"""
from latte.vision.transforms.functional._color import (adjust_brightness, adjust_contrast,
                                                       adjust_hue, adjust_saturation,
                                                       gaussian_blur, rgb_to_grayscale,
                                                       to_grayscale)
from latte.vision.transforms.functional._geometry import (affine, center_crop, crop, hflip, pad,
                                                          resize, resized_crop, rotate, vflip)
from latte.vision.transforms.functional._image import (InterpolationMode, get_dimensions,
                                                       get_image_num_channels, get_image_size)
from latte.vision.transforms.functional._tensor import (convert_image_dtype, erase, normalize,
                                                        pil_to_tensor, to_pil_image, to_tensor)

# helpers that latte.vision.transforms (and its tests) reach through this module
from latte.vision.transforms.functional._color import _gaussian_kernel1d
from latte.vision.transforms.functional._geometry import (_PAD_MODES, _inverse_affine_matrix,
                                                          _padding4)
from latte.vision.transforms.functional._image import _interp, _unwrap
from latte.vision.transforms.functional._tensor import _normalize_arrays

__all__ = [
    "InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
    "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize", "resize",
    "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip", "affine", "rotate",
    "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
    "rgb_to_grayscale", "to_grayscale", "gaussian_blur", "erase",
]

# everything was defined in this module before it became a package: pickles (an
# InterpolationMode inside a pickled Resize, say) keep naming it, and old pickles resolve here
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
