"""Batch augmentation on the stand-in GPU: results stay on the device and equal the CPU's for
the same seed (the offsets are drawn on the host)."""
from __future__ import annotations

import numpy as np

import latte
from latte.vision import transforms as T

CUDA0 = latte.device("cuda:0")


def test_batch_transforms_run_on_the_device(gpu):
    images = latte.tensor(np.random.default_rng(0).integers(0, 256, (8, 3, 6, 6), dtype=np.uint8))
    tf = T.Compose([T.BatchRandomCrop(6, padding=2, padding_mode="reflect"),
                    T.BatchRandomHorizontalFlip(), T.BatchRandomTranslate(1),
                    T.BatchNormalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
    latte.manual_seed(0)
    on_cpu = tf(images)
    latte.manual_seed(0)
    on_gpu = tf(images.to("cuda"))
    assert on_gpu.device == CUDA0 and on_gpu.dtype == latte.float32
    np.testing.assert_array_equal(on_gpu.cpu().numpy(), on_cpu.numpy())
    crop = T.batch_crop(images.to("cuda"), [0] * 8, [1] * 8, 4, padding=1, fill=(1, 2, 3))
    assert crop.device == CUDA0
    expected = T.batch_crop(images, [0] * 8, [1] * 8, 4, padding=1, fill=(1, 2, 3)).numpy()
    np.testing.assert_array_equal(crop.cpu().numpy(), expected)
    assert expected[0, 2, 0, 0] == 3  # the top row is the per-channel fill
    # offsets and masks may live on the device too
    on_device = latte.tensor([True, False] * 4).to("cuda")
    np.testing.assert_array_equal(
        T.batch_hflip(images.to("cuda"), on_device).cpu().numpy(),
        T.batch_hflip(images, np.array([True, False] * 4)).numpy())
    shift = latte.tensor([1, -1] * 4).to("cuda")
    np.testing.assert_array_equal(T.batch_translate(images.to("cuda"), shift, shift).cpu().numpy(),
                                  T.batch_translate(images, [1, -1] * 4, [1, -1] * 4).numpy())
