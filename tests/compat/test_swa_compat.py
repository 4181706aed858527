"""``torch.optim.swa_utils`` under ``latte run``: the import hook gives Latte's module."""
import latte
import latte.optim.swa_utils as swa


def test_swa_utils_imports_map_to_latte(torch_on_latte):
    torch = torch_on_latte
    from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn
    assert AveragedModel is swa.AveragedModel and SWALR is swa.SWALR
    assert update_bn is swa.update_bn and get_ema_multi_avg_fn is swa.get_ema_multi_avg_fn
    assert torch.optim.swa_utils.get_swa_avg_fn is swa.get_swa_avg_fn  # attribute chain
    model = torch.nn.Linear(3, 2)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    ema.update_parameters(model)
    assert isinstance(ema, latte.nn.Module) and ema.n_averaged.item() == 1
