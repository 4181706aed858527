"""
A ResNet with ``latte train``
=============================

``latte train`` is the command line that trains a model of the zoo on a data set, keeps the
best checkpoint, and draws its plots. Here it trains ``mnist_resnet`` (a small residual network
with batch norm for 28x28 digits) on the MNIST sample shipped with Latte, kept tiny so the
documentation builds in seconds: two epochs of six batches of 32 images each. With the full
data (``--data-dir ../shared/data``) and its default five epochs it is a real run.

The command is run as a subprocess, exactly as typed in a shell; the Python equivalent is
``latte.cli.main.main([...])``.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

out = Path(tempfile.mkdtemp(prefix="latte-tutorial-"))
command = ["latte", "train", "--model", "mnist_resnet", "--dataset", "mnist-sample",
           "--epochs", "2", "--limit-batches", "6", "--batch-size", "32", "--lr", "0.003",
           "--out", str(out), "--name", "resnet", "--no-progress"]
print("$", " ".join(command[:-6] + ["--out", "RUNS"] + command[-4:]))
# `python -m latte.cli` is the `latte` command, run by the interpreter building these docs
done = subprocess.run([sys.executable, "-m", "latte.cli", *command[1:]],
                      capture_output=True, text=True, check=False)
print(done.stdout.replace(str(out), "RUNS"))
done.check_returncode()

# %%
# The run folder
# --------------
# Checkpoints (``best.pt``, ``last.pt``, PyTorch's format), the history of every metric per
# epoch, the test results and the plots:
run = out / "resnet"
print(sorted(p.name for p in run.iterdir()))
results = json.loads((run / "results.json").read_text())
print({k: results[k] for k in ("test_acc", "test_loss", "test_top5", "epochs")})

# %%
# The plots
# ---------
# ``latte plot RUN_DIR`` draws them again from the saved history and checkpoint.
for names in (("loss", "accuracy"), ("confusion_matrix", "misclassified"),
              ("conv_filters", "feature_maps")):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, name in zip(axes, names):
        ax.imshow(mpimg.imread(run / "plots" / f"{name}.png"))
        ax.set_axis_off()
    fig.tight_layout()

# %%
# Resuming and evaluating
# -----------------------
# ``latte train --resume RUNS/resnet --epochs 4`` continues from the last completed epoch;
# ``latte eval RUNS/resnet/best.pt`` scores the best checkpoint on the test set, and
# ``latte export RUNS/resnet --onnx resnet.onnx`` writes it for ONNX Runtime.
