"""Workers and ranks that die: a DataLoader worker SIGKILLed mid-epoch ends the epoch with an
error naming the worker (id, pid, signal) instead of a hang, and a fresh iterator works again;
workers whose main process is SIGKILLed exit instead of lingering as orphans; a rank SIGKILLed in
a DDP job ends the job, and the launcher names the rank."""
import os
import signal
import sys
import time

import pytest
from _datasets import KillsItself, Slow
from _reliability import HERE, mpiexec, run

from latte.utils.data import DataLoader

psutil = pytest.importorskip("psutil")

# deadlines for hangs only: a stuck iterator or job fails its test instead of stalling CI
pytestmark = pytest.mark.timeout(180)


def _indices(loader):
    return sorted(i for batch in loader for i in batch[0].tolist())



def _live_children() -> list:
    children = []
    for child in psutil.Process().children():
        try:
            if child.status() != "zombie":
                children.append(child)
        except psutil.NoSuchProcess:
            pass
    return children


@pytest.mark.parametrize("persistent", [False, True])
def test_a_worker_killed_mid_epoch_is_named_and_a_fresh_iterator_works(persistent):
    before = {child.pid for child in _live_children()}  # e.g. a resource tracker of other tests
    loader = DataLoader(Slow(64), batch_size=4, num_workers=2, persistent_workers=persistent)
    it = iter(loader)
    next(it)
    _, pids = next(it)  # batch 1 comes from worker 1
    victim = int(pids[0])
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=rf"worker 1 \(pid {victim}\) killed by signal "
                                           r"SIGKILL") as info:
        for _ in it:
            pass
    assert "exited unexpectedly" in str(info.value)
    assert not psutil.pid_exists(victim) or psutil.Process(victim).status() == "zombie"
    assert _indices(loader) == list(range(64))  # new workers, every sample once
    if not persistent:
        deadline = time.monotonic() + 30  # workers end on their own; a loaded machine is slow
        while (alive := [c for c in _live_children() if c.pid not in before]) and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive, f"worker processes left behind: {alive}"


@pytest.mark.parametrize("timeout", [0, 60])
def test_a_worker_that_kills_itself_is_named(tmp_path, timeout):
    dataset = KillsItself(32, victim=13, marker=str(tmp_path / "killed"))
    loader = DataLoader(dataset, batch_size=4, num_workers=2, timeout=timeout)
    # sample 13 is in batch 3, which worker 1 loads
    with pytest.raises(RuntimeError, match=r"worker 1 \(pid \d+\) killed by signal SIGKILL"):
        list(loader)
    assert sorted(i for batch in loader for i in batch.tolist()) == list(range(32))


def test_workers_of_a_killed_main_process_exit():
    # the main process dies while its workers' results fill the pipe: they must notice and
    # exit, not block for ever flushing to a reader that is gone
    script = ("import os, signal, sys, psutil\n"
              f"sys.path.insert(0, {str(HERE)!r})\n"
              "from _datasets import Big\n"
              "from latte.utils.data import DataLoader\n"
              "it = iter(DataLoader(Big(), batch_size=4, num_workers=2, prefetch_factor=4))\n"
              "next(it)\n"
              "print(*[p.pid for p in psutil.Process().children()], flush=True)\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = run([sys.executable, "-c", script], timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    workers = [psutil.Process(int(pid)) for pid in proc.stdout.split()
               if psutil.pid_exists(int(pid))]
    _, alive = psutil.wait_procs(workers, timeout=60)
    alive = [p for p in alive if p.status() != "zombie"]
    for p in alive:
        p.kill()
    assert not alive, "DataLoader workers outlived their killed main process"


@pytest.mark.parametrize("victim", [0, 1] if os.environ.get("LATTE_SOAK") else [1])
def test_a_rank_killed_in_a_ddp_job_ends_the_job_and_is_named(victim):
    mpiexec()
    launcher = ("import sys\nfrom latte.distributed import launch\n"
                f"sys.exit(launch.run(2, [{str(HERE / '_dying_rank.py')!r}, '{victim}']))\n")
    proc = run([sys.executable, "-c", launcher], timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "finished 1000 steps" not in output
    assert f"rank {victim} kills itself" in output
    assert f"rank {victim} (pid " in proc.stderr and "ended without a clean exit" in output, \
        output


