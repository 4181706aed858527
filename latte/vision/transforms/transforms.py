"""Image transforms as classes, as ``torchvision.transforms``: compose them, pass them to a
data set, pickle them into worker processes.

Random transforms draw from Latte's default generator at call time, so ``latte.manual_seed``
makes an augmentation pipeline repeat exactly (DataLoader workers reseed it per worker).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from latte.random import _rng
from latte.vision.transforms import functional as F
from latte.vision.transforms.functional import InterpolationMode

__all__ = [
    "Compose", "ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype", "Normalize",
    "Resize", "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
    "RandomVerticalFlip", "RandomRotation", "RandomAffine", "ColorJitter", "Grayscale",
    "RandomGrayscale", "GaussianBlur", "RandomErasing", "Lambda", "RandomApply",
    "RandomChoice", "RandomOrder",
]


def _uniform(low: float, high: float) -> float:
    return float(_rng(None).uniform(low, high))


def _randint(low: int, high: int) -> int:
    """An int in ``[low, high)``, as ``torch.randint(low, high, (1,))``."""
    return int(_rng(None).integers(low, high))


def _size_pair(size: Any, name: str = "size") -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise ValueError(f"{name} must be an int or a sequence of one or two ints, got {size!r}")


def _range(value: Any, name: str, center: float = 0.0) -> tuple[float, float]:
    """A number ``d`` means ``(center - d, center + d)``; a pair is taken as it is."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non-negative.")
        return center - float(value), center + float(value)
    if len(value) != 2:
        raise ValueError(f"{name} must be a number or a sequence of two numbers, got {value}")
    return float(value[0]), float(value[1])


class Compose:
    """Apply transforms one after the other.

    Example::

        >>> t = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
    """

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """PIL image or ``(H, W, C)`` uint8 array -> ``(C, H, W)`` float32 tensor in ``[0, 1]``."""

    def __call__(self, pic: Any) -> Any:
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """PIL image -> ``(C, H, W)`` uint8 tensor, values unchanged."""

    def __call__(self, pic: Any) -> Any:
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToPILImage:
    """``(C, H, W)`` tensor or ``(H, W, C)`` array -> PIL image (floats scaled by 255)."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any) -> Any:
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()" if self.mode is None else \
            f"{type(self).__name__}(mode={self.mode})"


class ConvertImageDtype:
    """Convert a tensor image to ``dtype``, rescaling between integer and float ranges."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def __call__(self, image: Any) -> Any:
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float tensor image ``(..., C, H, W)``.

    Example::

        >>> Normalize((0.1307,), (0.3081,))(ToTensor()(img))  # doctest: +SKIP
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace
        self._cache: dict = {}  # dtype -> (mean, std) arrays shaped (C, 1, 1)

    def __call__(self, tensor: Any) -> Any:
        arr, kind = F._unwrap(tensor)
        cached = self._cache.get(arr.dtype)
        if cached is None:
            if arr.dtype.kind != "f":
                raise TypeError(f"Normalize expects a floating tensor, got {arr.dtype}; "
                                "apply ToTensor first")
            std = np.asarray(self.std, dtype=arr.dtype).reshape(-1, 1, 1)
            if (std == 0).any():
                raise ValueError(f"std evaluated to zero after conversion to {arr.dtype}, "
                                 "leading to division by zero")
            cached = self._cache[arr.dtype] = (
                np.asarray(self.mean, dtype=arr.dtype).reshape(-1, 1, 1), std)
        return F._normalize_arrays(tensor, arr, kind, cached[0], cached[1], self.inplace)

    def __getstate__(self) -> dict:
        return {"mean": self.mean, "std": self.std, "inplace": self.inplace}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Resize:
    """Resize to ``(h, w)``, or so the shorter side is ``size`` when it is one int."""

    def __init__(self, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool = True) -> None:
        if not isinstance(size, (numbers.Number, Sequence)) or \
                (isinstance(size, Sequence) and len(size) not in (1, 2)):
            raise TypeError(f"size should be an int or a sequence of one or two ints, got {size}")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = F._interp(interpolation)

    def __call__(self, img: Any) -> Any:
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop:
    """Crop the centre ``size`` (``int`` for a square); smaller images are zero-padded."""

    def __init__(self, size: Any) -> None:
        self.size = _size_pair(size)

    def __call__(self, img: Any) -> Any:
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    """Pad the borders (see ``functional.pad`` for the modes)."""

    def __init__(self, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> None:
        F._padding4(padding)  # validate now rather than at the first image
        if padding_mode not in F._PAD_MODES:
            raise ValueError(f"padding_mode must be constant, edge, reflect or symmetric, "
                             f"got {padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img: Any) -> Any:
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class RandomCrop:
    """Crop a random ``size`` region, after optional ``padding`` (see ``Pad``).

    ``pad_if_needed`` pads images smaller than ``size`` instead of raising. Example::

        >>> # the CIFAR augmentation
        >>> RandomCrop(32, padding=4, padding_mode="reflect")  # doctest: +SKIP
    """

    def __init__(self, size: Any, padding: Any = None, pad_if_needed: bool = False,
                 fill: Any = 0, padding_mode: str = "constant") -> None:
        self.size = _size_pair(size)
        if padding_mode not in F._PAD_MODES:
            raise ValueError(f"padding_mode must be constant, edge, reflect or symmetric, "
                             f"got {padding_mode!r}")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """``(top, left, height, width)`` of a random crop of ``output_size``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if (h, w) == (th, tw):
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def __call__(self, img: Any) -> Any:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = F.get_dimensions(img)
        if self.pad_if_needed and w < self.size[1]:
            img = F.pad(img, [self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = F.pad(img, [0, self.size[0] - h], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop:
    """Crop a random area (``scale`` of the image) and aspect ratio, then resize to ``size``."""

    def __init__(self, size: Any, scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = InterpolationMode.BILINEAR, antialias: bool = True) -> None:
        self.size = _size_pair(size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"scale and ratio should be of kind (min, max), got {scale}, {ratio}")
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation, self.antialias = F._interp(interpolation), antialias

    @staticmethod
    def get_params(img: Any, scale: Sequence[float],
                   ratio: Sequence[float]) -> tuple[int, int, int, int]:
        """``(top, left, height, width)``: 10 random tries, then a central crop."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img: Any) -> Any:
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        return F.hflip(img) if _rng(None).random() < self.p else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``."""

    def __call__(self, img: Any) -> Any:
        return F.vflip(img) if _rng(None).random() < self.p else img


class RandomRotation:
    """Rotate by an angle drawn from ``degrees`` (``d`` means ``(-d, d)``), counter-clockwise."""

    def __init__(self, degrees: Any, interpolation: Any = InterpolationMode.NEAREST,
                 expand: bool = False, center: Sequence[float] | None = None,
                 fill: Any = 0) -> None:
        self.degrees = _range(degrees, "degrees")
        self.interpolation = F._interp(interpolation)
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        return _uniform(degrees[0], degrees[1])

    def __call__(self, img: Any) -> Any:
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def __repr__(self) -> str:
        center = "" if self.center is None else f", center={self.center}"
        return (f"{type(self).__name__}(degrees={list(self.degrees)}, interpolation="
                f"{self.interpolation.value}, expand={self.expand}{center}, fill={self.fill})")


class RandomAffine:
    """Random rotation, translation, scale and shear, keeping the image size.

    ``degrees``: ``d`` or ``(min, max)``; ``translate``: maximal fractions ``(a, b)`` of the
    width and height; ``scale``: ``(min, max)``; ``shear``: ``s`` (x in ``(-s, s)``), an x
    range, or x and y ranges ``(xmin, xmax, ymin, ymax)``, in degrees.
    """

    def __init__(self, degrees: Any, translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: Any = None,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Sequence[float] | None = None) -> None:
        self.degrees = _range(degrees, "degrees")
        if translate is not None and not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError(f"translation values should be between 0 and 1, got {translate}")
        if scale is not None and any(s <= 0 for s in scale):
            raise ValueError(f"scale values should be positive, got {scale}")
        if shear is not None and not isinstance(shear, numbers.Number) and \
                len(shear) not in (2, 4):
            raise ValueError(f"shear should be a number or a sequence of 2 or 4 numbers, "
                             f"got {shear}")
        self.translate, self.scale = translate, scale
        self.shear = None if shear is None else (
            _range(shear, "shear") if isinstance(shear, numbers.Number) else
            tuple(float(s) for s in shear))
        self.interpolation, self.fill, self.center = F._interp(interpolation), fill, center

    @staticmethod
    def get_params(degrees: Sequence[float], translate: Sequence[float] | None,
                   scale_ranges: Sequence[float] | None, shears: Sequence[float] | None,
                   img_size: Sequence[int]) -> tuple:
        """``(angle, (tx, ty), scale, (shear_x, shear_y))``; ``img_size`` is ``[w, h]``."""
        angle = _uniform(degrees[0], degrees[1])
        tx = ty = 0
        if translate is not None:
            max_dx, max_dy = translate[0] * img_size[0], translate[1] * img_size[1]
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, (tx, ty), scale, (shear_x, shear_y)

    def __call__(self, img: Any) -> Any:
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                                 F.get_image_size(img))
        return F.affine(img, *params, interpolation=self.interpolation, fill=self.fill,
                        center=self.center)

    def __repr__(self) -> str:
        parts = [f"degrees={list(self.degrees)}"]
        for name in ("translate", "scale", "shear"):
            if getattr(self, name) is not None:
                parts.append(f"{name}={getattr(self, name)}")
        if self.interpolation is not InterpolationMode.NEAREST:
            parts.append(f"interpolation={self.interpolation.value}")
        if self.fill != 0:
            parts.append(f"fill={self.fill}")
        return f"{type(self).__name__}({', '.join(parts)})"


class ColorJitter:
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    ``brightness``/``contrast``/``saturation``: ``b`` means a factor in ``[max(0, 1-b), 1+b]``
    (or a ``(min, max)`` pair); ``hue``: ``h`` in ``[0, 0.5]`` means a shift in ``[-h, h]``.
    """

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0,
                 hue: Any = 0) -> None:
        self.brightness = self._check(brightness, "brightness")
        self.contrast = self._check(contrast, "contrast")
        self.saturation = self._check(saturation, "saturation")
        self.hue = self._check(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first=False)

    @staticmethod
    def _check(value: Any, name: str, center: float = 1.0,
               bound: tuple[float, float] = (0.0, float("inf")),
               clip_first: bool = True) -> tuple[float, float] | None:
        low, high = _range(value, name, center)
        if clip_first and isinstance(value, numbers.Number):
            low = max(low, 0.0)
        if not bound[0] <= low <= high <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, got {(low, high)}")
        return None if low == high == center else (low, high)

    @staticmethod
    def get_params(brightness: Any, contrast: Any, saturation: Any, hue: Any) -> tuple:
        """``(order, b, c, s, h)``: a permutation of the four operations and their factors."""
        order = _rng(None).permutation(4)
        factors = [None if r is None else _uniform(r[0], r[1])
                   for r in (brightness, contrast, saturation, hue)]
        return (order, *factors)

    def __call__(self, img: Any) -> Any:
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation,
                                            self.hue)
        ops = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        factors = (b, c, s, h)
        for k in order:
            if factors[k] is not None:
                img = ops[k](img, factors[k])
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale:
    """Convert to grey, with 1 or 3 output channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any) -> Any:
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale:
    """Convert to grey with probability ``p``, keeping the number of channels."""

    def __init__(self, p: float = 0.1) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        if _rng(None).random() < self.p:
            return F.rgb_to_grayscale(img, F.get_image_num_channels(img))
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class GaussianBlur:
    """Blur with a Gaussian of ``sigma`` drawn uniformly from ``sigma`` (min, max).

    ``kernel_size`` is an odd int or ``(kx, ky)`` (width, then height, as torchvision).
    """

    def __init__(self, kernel_size: Any, sigma: Any = (0.1, 2.0)) -> None:
        self.kernel_size = _size_pair(kernel_size, "kernel_size")
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (float(sigma), float(sigma))
        elif not 0.0 < sigma[0] <= sigma[1]:
            raise ValueError("sigma values should be positive and of the form (min, max).")
        self.sigma = tuple(sigma)

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return _uniform(sigma_min, sigma_max)

    def __call__(self, img: Any) -> Any:
        sigma = self.get_params(*self.sigma)
        return F.gaussian_blur(img, list(self.kernel_size), [sigma, sigma])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing:
    """Erase a random rectangle of a tensor image with probability ``p`` (Zhong et al. 2017).

    ``value``: a number, one per channel, or ``"random"`` (standard normal noise).
    """

    def __init__(self, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                 ratio: tuple[float, float] = (0.3, 3.3), value: Any = 0,
                 inplace: bool = False) -> None:
        if not 0 <= p <= 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"If value is a str, it should be 'random', got {value!r}")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float],
                   value: Any = None) -> tuple:
        """``(i, j, h, w, v)``; ``value=None`` draws normal noise. Gives up after 10 tries."""
        arr, _ = F._unwrap(img)
        c, h_img, w_img = arr.shape[-3], arr.shape[-2], arr.shape[-1]
        area = h_img * w_img
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect = math.exp(_uniform(*log_ratio))
            h = int(round(math.sqrt(erase_area * aspect)))
            w = int(round(math.sqrt(erase_area / aspect)))
            if not (h < h_img and w < w_img):
                continue
            if value is None:
                v = _rng(None).standard_normal((c, h, w)).astype(np.float32)
            else:
                v = np.asarray(value, dtype=np.float32).reshape(-1, 1, 1)
            return _randint(0, h_img - h + 1), _randint(0, w_img - w + 1), h, w, v
        return 0, 0, h_img, w_img, arr

    def __call__(self, img: Any) -> Any:
        if _rng(None).random() >= self.p:
            return img
        value = None if self.value == "random" else self.value
        if value is not None and not isinstance(value, numbers.Number):
            channels = F._unwrap(img)[0].shape[-3]
            if len(value) not in (1, channels):
                raise ValueError(f"If value is a sequence, it should have either a single value "
                                 f"or {channels} (number of input channels)")
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        return F.erase(img, i, j, h, w, v, self.inplace)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class Lambda:
    """Wrap a function as a transform (a module-level function pickles; a lambda does not)."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomApply:
    """Apply the list of ``transforms`` (all of them) with probability ``p``."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        self.transforms, self.p = list(transforms), p

    def __call__(self, img: Any) -> Any:
        if self.p < _rng(None).random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}(\n    p={self.p}{body}\n)"


class RandomChoice:
    """Apply one transform picked at random (weights ``p``, uniform by default)."""

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None) -> None:
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        self.transforms = list(transforms)
        self.p = None if p is None else [float(x) / sum(p) for x in p]

    def __call__(self, img: Any) -> Any:
        k = int(_rng(None).choice(len(self.transforms), p=self.p))
        return self.transforms[k](img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(transforms={self.transforms}, p={self.p})"


class RandomOrder:
    """Apply every transform, in a random order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for k in _rng(None).permutation(len(self.transforms)):
            img = self.transforms[k](img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"

