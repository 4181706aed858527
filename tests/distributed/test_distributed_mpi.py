"""latte.distributed, DistributedDataParallel and SyncBatchNorm under real ``mpiexec`` jobs."""
import subprocess
import sys

import pytest
from _mpi_harness import check, mpiexec, mpirun

import latte.distributed as dist


@pytest.mark.parametrize("nproc", [2, 3])
def test_collectives_and_sampler_shares(nproc):
    check(mpirun(nproc, "collectives"), nproc)


def test_ddp_matches_one_process_on_the_concatenated_batch():
    # SGD and Adam, float64 and float32, no_sync accumulation, bucket counts, SyncBatchNorm
    check(mpirun(2, "ddp"), 2)


@pytest.mark.parametrize("mode, message", [
    ("raise", "rank 1 failed; aborting all 2 processes"),
    ("stall", "did not complete within 1 s"),
])
def test_a_failing_rank_ends_the_whole_job(mode, message):
    # the stalled rank sleeps 60 s: only an abort from rank 0's timeout ends the job in time
    result = mpirun(2, "failure", mode, timeout=30)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in output, output
    assert "passed a collective" not in output


def test_launch_run_starts_n_processes_with_their_share_of_threads(tmp_path):
    mpiexec()
    from latte.distributed import launch
    script = tmp_path / "job.py"
    script.write_text("import os, sys\n"
                      "from mpi4py import MPI\n"
                      "assert MPI.COMM_WORLD.Get_size() == 2\n"
                      "assert os.environ['OMP_NUM_THREADS'].isdigit()\n"
                      "sys.exit(int(sys.argv[1]) * MPI.COMM_WORLD.Get_rank())\n")
    assert launch.run(2, [str(script), "0"], timeout=60) == 0
    assert launch.run(2, [str(script), "3"], timeout=60) != 0
    with pytest.raises(ValueError, match="nproc"):
        launch.run(0, [str(script)])


def test_calls_before_init_say_what_to_do():
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.all_reduce(None)
    from latte import nn
    from latte.nn.parallel import DistributedDataParallel
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedDataParallel(nn.Linear(2, 2))


def test_without_mpi4py_the_module_imports_and_names_the_extra(monkeypatch):
    from latte.distributed import _mpi
    monkeypatch.setitem(__import__("sys").modules, "mpi4py", None)
    monkeypatch.setattr(_mpi, "_MPI", None)
    assert not dist.is_available()
    with pytest.raises(RuntimeError, match=r"pip install latte\[distributed\]"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_an_unknown_backend_is_refused_before_mpi_starts():
    with pytest.raises(ValueError, match="unknown backend 'fancy'"):
        dist.init_process_group("fancy")
    with pytest.raises(ValueError, match="init_method='zmq://x' is not supported"):
        dist.init_process_group("gloo", init_method="zmq://x")
    assert not dist.is_initialized()


def test_one_process_runs_without_mpiexec():
    # MPI's singleton start: a script written for mpiexec also runs as plain `python script.py`
    pytest.importorskip("mpi4py")
    code = ("import latte, latte.distributed as dist\n"
            "from latte.nn.parallel import DistributedDataParallel\n"
            "dist.init_process_group()\n"
            "assert (dist.get_rank(), dist.get_world_size()) == (0, 1)\n"
            "model = DistributedDataParallel(latte.nn.Linear(3, 2))\n"
            "model(latte.ones(4, 3)).sum().backward()\n"
            "assert model.module.weight.grad.tolist() == [[4.0] * 3] * 2\n"
            "t = latte.ones(2)\n"
            "dist.all_reduce(t, op=dist.ReduceOp.AVG)\n"
            "assert t.tolist() == [1.0, 1.0]\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
