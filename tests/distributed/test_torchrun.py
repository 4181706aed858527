"""torch.distributed as torchrun users write it: launchers that set torchrun's variables, and
init_process_group("gloo"/"nccl", init_method="env://") on the MPI engine."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _mpi_harness import mpiexec

from latte.distributed.launch import torchrun_environment

REPO = Path(__file__).resolve().parents[2]
DDP_SCRIPT = REPO / "tests" / "compat" / "scripts" / "ddp_torchrun.py"
VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
             "MASTER_PORT")
# Each rank writes its own file: ranks share one stdout, where mpiexec may interleave them.
SHOW_ENV = ("import json, os, torch, torch.distributed as dist\n"
            "dist.init_process_group('nccl')\n"
            "seen = [dist.get_rank(), dist.get_backend(), "
            f"*[os.environ[v] for v in {VARIABLES!r}]]\n"
            "with open(f'env.{dist.get_rank()}.json', 'w') as file:\n"
            "    json.dump(seen, file)\n"
            "dist.destroy_process_group()\n")


def _run(command, cwd, timeout=120, **env):
    environment = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{DDP_SCRIPT.parent}",
                       OMP_NUM_THREADS="1", **env)
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=timeout)


def test_torchrun_environment_comes_from_mpich_or_open_mpi_variables():
    assert torchrun_environment({}) == {}
    env = torchrun_environment({"PMI_RANK": "1", "PMI_SIZE": "2", "MPI_LOCALRANKID": "1",
                                "MPI_LOCALNRANKS": "2", "MASTER_PORT": "1234"})
    assert env == {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2",
                   "GROUP_RANK": "0", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1234"}
    env = torchrun_environment({"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4",
                                "OMPI_COMM_WORLD_LOCAL_RANK": "1",
                                "OMPI_COMM_WORLD_LOCAL_SIZE": "2"})
    assert (env["RANK"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"]) == ("3", "1", "2")


@pytest.mark.parametrize("launcher", ["latte run --nproc", "latte.distributed.run",
                                      "mpiexec latte run"])
def test_every_launcher_sets_what_torchrun_sets(launcher, tmp_path):
    mpi = mpiexec()
    script = tmp_path / "show_env.py"
    script.write_text(SHOW_ENV)
    command = {
        "latte run --nproc": [sys.executable, "-m", "latte.cli", "run", "--nproc", "2",
                              str(script)],
        "latte.distributed.run": [sys.executable, "-m", "latte.distributed.run",
                                  "--nproc_per_node=2", "--nnodes", "1", "--standalone",
                                  str(script)],
        "mpiexec latte run": [mpi, "-n", "2", sys.executable, "-m", "latte.cli", "run",
                              str(script)],
    }[launcher]
    result = _run(command, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [json.loads(path.read_text()) for path in sorted(tmp_path.glob("env.*.json"))]
    assert [line[:2] for line in lines] == [[0, "nccl"], [1, "nccl"]], \
        f"stdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    for rank, line in enumerate(lines):
        values = dict(zip(VARIABLES, line[2:]))
        assert values["RANK"] == values["LOCAL_RANK"] == str(rank)
        assert values["WORLD_SIZE"] == values["LOCAL_WORLD_SIZE"] == "2"
        assert values["MASTER_ADDR"] == "127.0.0.1" and values["MASTER_PORT"].isdigit()
    # the notice that gloo/nccl run on MPI, once per job
    assert result.stderr.count("runs on MPI") == 1, result.stderr


def test_torchrun_options_latte_cannot_honour_are_refused_clearly(tmp_path):
    result = _run([sys.executable, "-m", "latte.distributed.run", "--nnodes", "2",
                   "--nproc-per-node", "2", "x.py"], tmp_path)
    assert result.returncode == 2 and "one node only" in result.stderr


def test_ddp_script_for_torchrun_on_two_processes_matches_one_on_the_concatenated_batch(
        tmp_path):
    mpiexec()
    common = [str(DDP_SCRIPT), "--no-shuffle", "--checkpoint", str(tmp_path / "ck.pt")]
    two = _run([sys.executable, "-m", "latte.cli", "run", "--nproc", "2", *common,
                "--batch-size", "4", "--dump", str(tmp_path / "two.json")], tmp_path)
    assert two.returncode == 0, two.stdout + two.stderr
    one = _run([sys.executable, "-m", "latte.compat", *common, "--batch-size", "8",
                "--dump", str(tmp_path / "one.json")], tmp_path)
    assert one.returncode == 0, one.stdout + one.stderr
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("two", "one"))
    assert a["losses"] == pytest.approx(b["losses"], rel=1e-5, abs=1e-6)
    for name, sums in b["params"].items():
        assert a["params"][name] == pytest.approx(sums, rel=1e-5, abs=1e-6), name
    assert (tmp_path / "ck.pt").exists()


def test_env_rendezvous_that_disagrees_with_mpi_says_how_to_launch(tmp_path):
    pytest.importorskip("mpi4py")
    script = tmp_path / "alone.py"
    script.write_text("import torch.distributed as dist\n"
                      "dist.init_process_group('gloo', init_method='env://')\n")
    result = _run([sys.executable, "-m", "latte.compat", str(script)], tmp_path,
                  RANK="1", WORLD_SIZE="2")
    assert result.returncode != 0
    assert "the environment has WORLD_SIZE=2 but MPI gives this process a world of 1" in \
        result.stderr and "latte run --nproc N" in result.stderr, result.stderr
