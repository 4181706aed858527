"""The ``latte`` command line: train, eval, sweep and plot on tiny runs, help and errors."""
import json
import subprocess
import sys

import pytest

from latte.cli.main import main

pytest.importorskip("latte.vision.models")

CIRCLE = ["--dataset", "circle", "--hidden", "8", "--epochs", "1", "--no-progress",
          "--batch-size", "100", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9"]


def _cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "latte.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize("command", [[], ["train"], ["eval"], ["sweep"], ["plot"]])
def test_help_everywhere(command):
    proc = _cli(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "usage: latte" in proc.stdout
    if command == ["train"]:
        for option in ("--model", "--val-split", "--resume", "--config", "--limit-batches"):
            assert option in proc.stdout


def test_unknown_option_is_an_error():
    proc = _cli("train", "--learning-rate", "0.1")
    assert proc.returncode == 2 and "unrecognized arguments: --learning-rate" in proc.stderr


def test_train_circle_writes_run_folder(tmp_path, capsys):
    assert main(["train", *CIRCLE, "--out", str(tmp_path), "--name", "c"]) == 0
    out = capsys.readouterr().out
    run = tmp_path / "c"
    results = json.loads((run / "results.json").read_text())
    assert results["epochs"] == 1 and 0 <= results["test_acc"] <= 1
    assert "test accuracy" in out and str(run) in out
    assert {"history.csv", "history.json", "last.pt", "best.pt", "confusion.csv"} <= {
        p.name for p in run.iterdir()}
    if results.get("plots"):
        assert (run / "plots" / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_mnist_falls_back_to_the_sample_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LATTE_DATA", str(tmp_path / "empty"))
    assert main(["train", "--epochs", "1", "--limit-batches", "2", "--no-progress", "--no-plots",
                 "--out", str(tmp_path), "--name", "m"]) == 0
    out = capsys.readouterr().out
    assert "using the MNIST sample" in out and "--data-dir" in out
    assert "4,000 train / 1,000 test" in out


def test_missing_dataset_says_how_to_get_it(tmp_path, capsys):
    code = main(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path), "--out",
                 str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "cifar10 data set is not on disk" in err
    assert "--data-dir" in err and "LATTE_DATA" in err and "download=True" in err


def test_eval_plot_and_mismatched_checkpoint(tmp_path, capsys):
    main(["train", *CIRCLE, "--out", str(tmp_path), "--name", "c", "--no-plots"])
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "c" / "best.pt"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    saved = json.loads((tmp_path / "c" / "results.json").read_text())
    assert result["test_acc"] == pytest.approx(saved["test_acc"])
    assert result["examples"] == 1000

    assert main(["plot", str(tmp_path / "c")]) == 0
    assert "loss.png" in capsys.readouterr().out

    import latte
    ckpt = latte.load(tmp_path / "c" / "best.pt")
    ckpt["config"]["hidden"] = "16"
    latte.save(ckpt, tmp_path / "other.pt")
    assert main(["eval", str(tmp_path / "other.pt")]) == 2
    assert "does not match the model mlp" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "missing.pt")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err


def test_resume_continues_the_history(tmp_path, capsys):
    main(["train", *CIRCLE, "--out", str(tmp_path), "--name", "r", "--no-plots"])
    assert main(["train", "--resume", str(tmp_path / "r"), "--epochs", "2"]) == 0
    assert "Resuming" in capsys.readouterr().out
    rows = json.loads((tmp_path / "r" / "history.json").read_text())
    assert [r["epoch"] for r in rows] == [1, 2]


def test_config_file_and_command_line_precedence(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('dataset = "circle"\nhidden = "8"\nepochs = 2\nlr = 1\n'
                      'optimizer = "sgd"\nplots = false\nprogress = false\n')
    assert main(["train", "--config", str(config), "--epochs", "1", "--out", str(tmp_path),
                 "--name", "t"]) == 0
    saved = latte_config(tmp_path / "t")
    assert saved["epochs"] == 1 and saved["lr"] == 1.0 and saved["dataset"] == "circle"
    config.write_text("learning_rate = 0.1\n")
    capsys.readouterr()
    assert main(["train", "--config", str(config)]) == 2
    assert "unknown option(s) learning_rate" in capsys.readouterr().err


def latte_config(run_dir):
    from latte.train import load_checkpoint
    return load_checkpoint(run_dir)["config"]


def test_sweep_tables_and_resume(tmp_path, capsys):
    args = ["sweep", "--grid", "lr=0.1,0.01", *CIRCLE, "--no-plots", "--out", str(tmp_path),
            "--name", "s"]
    assert main(args) == 0
    table = (tmp_path / "s" / "results.md").read_text().splitlines()
    assert table[0].startswith("| lr | test_acc") and len(table) == 4
    csv_rows = (tmp_path / "s" / "results.csv").read_text().splitlines()
    assert csv_rows[0].startswith("lr,test_acc") and len(csv_rows) == 3
    capsys.readouterr()
    assert main(args) == 0
    assert capsys.readouterr().out.count("finished before, skipped") == 2
    assert main(["sweep", "--grid", "lr", "--out", str(tmp_path)]) == 2
    assert main(["sweep", "--grid", "speed=1,2", "--out", str(tmp_path)]) == 2
    assert "unknown option" in capsys.readouterr().err


def test_ctrl_c_saves_and_exits_cleanly(tmp_path):
    import os
    import signal
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = ["train", "--dataset", "circle", "--hidden", "8", "--epochs", "100000",
            "--batch-size", "10", "--no-progress", "--no-plots", "--out", str(tmp_path),
            "--name", "i"]
    proc = subprocess.Popen([sys.executable, "-m", "latte.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    try:
        for line in proc.stdout:  # wait until two epochs have been completed and saved
            if line.split()[:2] == ["epoch", "2"]:
                proc.send_signal(signal.SIGINT)
                break
        out = proc.stdout.read()
        assert proc.wait(timeout=60) == 0, out
    finally:
        proc.kill()
    assert "continue with: latte train --resume" in out
    from latte.train import load_checkpoint
    assert load_checkpoint(tmp_path / "i")["epoch"] >= 2


def test_run_executes_a_pytorch_script_on_latte(tmp_path):
    # in a subprocess: the import hook must not meet a real torch already imported by the suite
    script = tmp_path / "script.py"
    script.write_text(
        "import sys\nimport torch\nimport torch.nn as nn\n"
        "y = nn.Linear(3, 2)(torch.ones(4, 3))\n"
        "print('args', sys.argv[1:], type(y).__module__, tuple(y.shape))\n")
    done = subprocess.run([sys.executable, "-m", "latte.cli", "run", str(script), "--epochs", "1",
                           "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "args ['--epochs', '1', '--help'] latte.tensor (4, 2)" in done.stdout
