"""
Running a PyTorch script with ``latte run``
===========================================

``latte run script.py [args...]`` runs a script written for PyTorch, unchanged: an import hook
makes ``import torch`` (and ``torchvision``) give Latte's modules, so ``torch.nn.Linear`` is
``latte.nn.Linear`` and ``torch.Tensor`` is ``latte.Tensor``. Names PyTorch has and Latte does
not fail with an error that says so; ``latte run --check`` lists them without running the
script. :doc:`../coming_from_pytorch` lists what is mapped.

The script here, ``examples/pytorch/fit_sine.py``, imports ``torch`` only:
"""
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

import latte

# the checkout: run from anywhere inside it (sphinx-gallery runs in examples/tutorials)
repo = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "pyproject.toml").exists()
            or p == p.parent)
script = repo / "examples" / "pytorch" / "fit_sine.py"
print(script.read_text())


def latte_cli(*args: str) -> str:
    """Run ``latte ARGS...`` as a shell would (``python -m latte.cli`` is the command)."""
    print("$ latte", " ".join(args))
    done = subprocess.run([sys.executable, "-m", "latte.cli", *args], capture_output=True,
                          text=True, check=False, cwd=script.parent)
    print(done.stdout + done.stderr)
    done.check_returncode()
    return done.stdout


# %%
# Check first
# -----------
# ``--check`` parses the script and looks up every ``torch`` name it uses through the hook:
latte_cli("run", "--check", script.name)

# %%
# Run it
# ------
# The script's own arguments follow its name. It saves its weights with ``torch.save``, in
# PyTorch's format: PyTorch's ``torch.load`` reads the file, and so does Latte's.
weights = Path(tempfile.mkdtemp()) / "sine.pt"
latte_cli("run", script.name, "--epochs", "20", "--save", str(weights))

# %%
# The weights back in Latte
# -------------------------
# ``latte.load`` reads the checkpoint the script wrote; the same architecture written with
# ``latte.nn`` takes the state dict, key for key.
nn = latte.nn
model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
model.load_state_dict(latte.load(weights))
x = latte.linspace(-3.2, 3.2, 200).unsqueeze(1)
with latte.no_grad():
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(x.squeeze(1).numpy(), x.sin().squeeze(1).numpy(), label="sin(x)")
    ax.plot(x.squeeze(1).numpy(), model(x).squeeze(1).numpy(), "--", label="the script's model")
    ax.legend()
    fig.tight_layout()

# %%
# In a notebook
# -------------
# ``import latte.compat; latte.compat.install()`` puts the same hook in place, after which
# ``import torch`` gives Latte; ``latte.compat.uninstall()`` removes it.
