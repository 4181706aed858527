"""Modules split into packages keep their import paths, and pickles keep naming them."""
import importlib
import pickle
import pickletools

import pytest

import latte
from latte.vision import transforms

# module -> names importable from it before it was split (public ones and the private ones that
# other modules and the tests use)
OLD_PATHS = {
    "latte.optim.lr_scheduler": [
        "LRScheduler", "_LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
        "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "SequentialLR",
        "ChainedScheduler", "ReduceLROnPlateau"],
    "latte.vision.transforms.functional": [
        "InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
        "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
        "resize", "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip", "affine",
        "rotate", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
        "rgb_to_grayscale", "to_grayscale", "gaussian_blur", "erase", "_unwrap",
        "_normalize_arrays", "_interp", "_padding4", "_PAD_MODES", "_gaussian_kernel1d",
        "_inverse_affine_matrix"],
    "latte.nn.modules.module": [
        "Module", "RemovableHandle", "place", "_addindent", "_IncompatibleKeys", "_as_array",
        "_insert", "_BackwardHookState", "_HookInputs", "_HookOutputs"],
    "latte.serialization": ["save", "load", "FileLike", "MapLocation", "_write_archive"],
}


@pytest.mark.parametrize("module", sorted(OLD_PATHS))
def test_old_names_importable(module):
    mod = importlib.import_module(module)
    missing = [name for name in OLD_PATHS[module] if not hasattr(mod, name)]
    assert not missing
    if hasattr(mod, "__all__"):
        assert all(hasattr(mod, name) for name in mod.__all__)


@pytest.mark.parametrize("module", ["latte.optim.lr_scheduler",
                                    "latte.vision.transforms.functional"])
def test_public_names_keep_their_module(module):
    mod = importlib.import_module(module)
    assert {getattr(mod, name).__module__ for name in mod.__all__} == {module}


def test_pickles_name_the_old_modules():
    opt = latte.optim.SGD([latte.nn.Parameter(latte.ones(2))], lr=0.1)
    data = pickle.dumps((latte.optim.lr_scheduler.StepLR(opt, 2), transforms.Resize(4)),
                        protocol=2)
    names = {arg for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"}
    assert {"latte.optim.lr_scheduler StepLR",
            "latte.vision.transforms.functional InterpolationMode"} <= names
    sched, resize = pickle.loads(data)
    assert type(sched) is latte.optim.lr_scheduler.StepLR
    assert resize.interpolation is transforms.InterpolationMode.BILINEAR
