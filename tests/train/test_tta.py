"""Test-time augmentation: the views, the averages, and a flip-invariant model unchanged."""
import numpy as np
import pytest

import latte
from latte import nn
from latte.train import TestTimeAugmentation, evaluate
from latte.utils.data import DataLoader, TensorDataset
from latte.vision import transforms as T

X = latte.tensor(np.random.default_rng(0).standard_normal((5, 2, 6, 6)).astype(np.float32))


class Symmetric(nn.Module):
    """A model whose output is the same for an image and its mirror."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x):
        return self.fc((x + x.flip(-1)).flatten(1))


class Recorder(nn.Module):
    """Records its inputs; outputs one number per image that depends on every pixel."""

    def __init__(self):
        super().__init__()
        self.seen = []
        self.w = latte.tensor(np.random.default_rng(1).standard_normal(72).astype(np.float32))

    def forward(self, x):
        self.seen.append(x.numpy().copy())
        return (x.flatten(1) * self.w).sum(1, keepdim=True).repeat(1, 2)


@pytest.mark.parametrize("average", ["logits", "softmax"])
def test_flip_changes_nothing_for_a_flip_invariant_model(average):
    latte.manual_seed(0)
    model = Symmetric().eval()
    with latte.no_grad():
        plain = model(X)
        tta = TestTimeAugmentation(model, "flip", average=average)(X)
    expected = plain if average == "logits" else plain.log_softmax(1)
    np.testing.assert_allclose(tta.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    loader = DataLoader(TensorDataset(X, latte.tensor([0, 1, 2, 0, 1])), batch_size=2)
    a = evaluate(model, loader, nn.CrossEntropyLoss(), num_classes=3)
    b = evaluate(TestTimeAugmentation(model, "flip"), loader, nn.CrossEntropyLoss(),
                 num_classes=3)
    assert a.accuracy == b.accuracy and a.loss == pytest.approx(b.loss, rel=1e-5)


def test_flip_translate_averages_six_views():
    rec = Recorder()
    out = TestTimeAugmentation(rec, "flip-translate")(X)
    x = X.numpy()
    down = T.batch_translate(x, 1, 1, padding_mode="reflect")
    up = T.batch_translate(x, -1, -1, padding_mode="reflect")
    views = [x, down, up, x[..., ::-1], down[..., ::-1], up[..., ::-1]]
    assert len(rec.seen) == 6
    for seen, view in zip(rec.seen, views):
        np.testing.assert_array_equal(seen, view)
    w = rec.w.numpy()
    expected = np.mean([(v.reshape(5, -1) * w).sum(1) for v in views], axis=0)
    np.testing.assert_allclose(out.numpy()[:, 0], expected, rtol=1e-5, atol=1e-5)
    rec.seen.clear()
    TestTimeAugmentation(rec, "flip")(X)
    assert len(rec.seen) == 2


def test_tta_errors():
    with pytest.raises(ValueError, match="views must be one of flip, flip-translate"):
        TestTimeAugmentation(Symmetric(), "rotate")
    with pytest.raises(ValueError, match="average must be"):
        TestTimeAugmentation(Symmetric(), average="median")
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        TestTimeAugmentation(Symmetric())(latte.zeros(2, 72))
