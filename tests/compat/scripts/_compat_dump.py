"""Options shared by the corpus scripts so the harness can compare Latte with PyTorch.

``--save-init`` writes the model's initial state_dict, ``--init`` loads one, ``--dump`` writes
the losses and a checksum of every final tensor as JSON; ``--no-shuffle``/``--no-dropout``
remove the two sources of randomness that differ between the frameworks.
"""
import json

import numpy as np
import torch
import torch.nn as nn


def add_args(parser):
    parser.add_argument("--init", default=None, help="initial state_dict to load")
    parser.add_argument("--save-init", default=None, help="write the initial state_dict here")
    parser.add_argument("--dump", default=None, help="write losses and checksums as JSON")
    parser.add_argument("--max-batches", type=int, default=None)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--no-dropout", action="store_true")


def init_model(model, args):
    if args.no_dropout:
        for m in model.modules():
            if isinstance(m, (nn.Dropout, nn.Dropout2d)):
                m.p = 0.0
    if args.save_init:
        torch.save(model.state_dict(), args.save_init)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu", weights_only=True))


def dump(args, model=None, **series):
    if not args.dump:
        return
    out = {k: [float(x) for x in v] for k, v in series.items()}
    if model is not None:
        out["params"] = {k: [float(v.double().sum()), float(v.double().abs().sum())]
                         for k, v in model.state_dict().items()}
    with open(args.dump, "w") as fh:
        json.dump(out, fh)


def fixed_randn(*shape, seed=0):
    """Normal samples that are the same under every framework (drawn with NumPy)."""
    return torch.from_numpy(np.random.RandomState(seed).standard_normal(shape).astype(np.float32))
