"""DataLoader with worker processes: real processes, sampler order, seeding, worker_init_fn,
errors carried back with their traceback, dead workers, timeouts and shutdown.

Datasets live in ``_loader_datasets`` so that ``spawn`` workers can import them.
"""
import gc
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _loader_datasets import (
    DyingDataset,
    FailingDataset,
    InitMarkerDataset,
    KeyErrorDataset,
    PidDataset,
    SeedDataset,
    ShardedRange,
    SlowDataset,
    UnpicklableDataset,
    UnshardedRange,
    failing_init,
    mark_worker,
)

import latte
from latte.utils.data import DataLoader, TensorDataset


def run(dataset, **kwargs):
    return list(DataLoader(dataset, **kwargs))


@pytest.mark.parametrize("context", [None, "fork", "spawn"])
def test_batches_come_from_workers_in_sampler_order(context):
    ds = PidDataset(23)
    expected = run(ds, batch_size=3, shuffle=True, generator=latte.Generator().manual_seed(4))
    got = run(ds, batch_size=3, shuffle=True, generator=latte.Generator().manual_seed(4),
              num_workers=2, multiprocessing_context=context)
    assert len(got) == len(expected) == 8
    for (x0, i0, pid0), (x1, i1, _) in zip(expected, got):
        assert i0.tolist() == i1.tolist()
        np.testing.assert_array_equal(x0.numpy(), x1.numpy())
        assert set(pid0.tolist()) == {os.getpid()}
    pids = {p for _, _, pid in got for p in pid.tolist()}
    assert len(pids) == 2 and os.getpid() not in pids


def test_tensor_dataset_fast_path_in_workers():
    x, y = latte.randn(50, 4), latte.arange(50)
    ds = TensorDataset(x, y)
    got = run(ds, batch_size=8, num_workers=2, drop_last=True)
    assert len(got) == 6
    assert [b[1].tolist() for b in got] == [list(range(i, i + 8)) for i in range(0, 48, 8)]
    np.testing.assert_array_equal(got[5][0].numpy(), x.numpy()[40:48])


def test_worker_seeds_distinct_and_repeatable():
    latte.manual_seed(0)
    first = list(DataLoader(SeedDataset(4), batch_size=2, num_workers=2))
    latte.manual_seed(0)
    second = list(DataLoader(SeedDataset(4), batch_size=2, num_workers=2))
    latte.manual_seed(1)
    third = list(DataLoader(SeedDataset(4), batch_size=2, num_workers=2))
    # batch 0 is loaded by worker 0, batch 1 by worker 1
    assert [b["worker"].tolist() for b in first] == [[0, 0], [1, 1]]
    seeds = [b["seed"][0].item() for b in first]
    assert seeds[1] == seeds[0] + 1  # base seed + worker id
    for key in ("latte", "random", "numpy"):
        w0, w1 = (b[key].tolist() for b in first)
        assert w0 != w1  # workers do not share random streams
        assert [b[key].tolist() for b in second] == [w0, w1]  # repeatable after manual_seed
        assert [b[key].tolist() for b in third] != [w0, w1]
    g = latte.Generator().manual_seed(9)
    a = [b["seed"].tolist() for b in DataLoader(SeedDataset(4), batch_size=2, num_workers=2,
                                                generator=g)]
    g.manual_seed(9)
    b = [b["seed"].tolist() for b in DataLoader(SeedDataset(4), batch_size=2, num_workers=2,
                                                generator=g)]
    assert a == b


def test_worker_init_fn_runs_in_each_worker():
    got = run(InitMarkerDataset(4), batch_size=2, num_workers=2, worker_init_fn=mark_worker)
    assert [m.tolist() for _, m in got] == [[100, 100], [101, 101]]
    assert [m.tolist() for _, m in run(InitMarkerDataset(2), batch_size=2)] == [[-1, -1]]


@pytest.mark.parametrize("context", [None, "spawn"])
def test_worker_exception_reaches_caller_with_traceback(context):
    loader = DataLoader(FailingDataset(8, bad=5), batch_size=2, num_workers=2,
                        multiprocessing_context=context)
    it = iter(loader)
    assert next(it).tolist() == [0, 1]
    assert next(it).tolist() == [2, 3]
    with pytest.raises(ValueError) as info:
        next(it)
    message = str(info.value)
    assert "Caught ValueError in DataLoader worker process 0." in message
    assert "Original Traceback (most recent call last):" in message
    assert "_loader_datasets.py" in message and "in __getitem__" in message
    assert "sample 5 is broken on purpose" in message
    assert next(it).tolist() == [6, 7]  # the iterator goes on, as PyTorch's
    del it


def test_key_error_message_stays_readable():
    with pytest.raises(KeyError) as info:
        run(KeyErrorDataset(2, bad=0), batch_size=1, num_workers=1)
    assert "Caught KeyError in DataLoader worker process 0" in str(info.value)
    assert "\\n" not in str(info.value)  # not a repr() of the whole text


def test_worker_init_fn_error_reaches_caller():
    with pytest.raises(RuntimeError, match="(?s)Caught RuntimeError.*init of worker 0 failed"):
        run(PidDataset(4), batch_size=2, num_workers=1, worker_init_fn=failing_init)


def test_unpicklable_batch_is_an_error_not_a_hang():
    with pytest.raises(Exception, match="(?s)DataLoader worker process 0.*(pickle|Pickl)"):
        run(UnpicklableDataset(2, bad=-1), batch_size=None, num_workers=1, timeout=30)


def test_dead_worker_is_detected():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly \(exit code\(s\) 3\)"):
        run(DyingDataset(8, bad=3), batch_size=1, num_workers=2)
    assert time.monotonic() - start < 30


def test_timeout():
    it = iter(DataLoader(SlowDataset(1, delay=1.0), batch_size=1, num_workers=1, timeout=0.2))
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        next(it)
    it._shutdown_workers()


def test_workers_shut_down_on_exhaustion_and_on_del():
    loader = DataLoader(PidDataset(8), batch_size=2, num_workers=2)
    it = iter(loader)
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    assert len(list(it)) == 4
    assert not any(w.is_alive() for w in workers)

    it = iter(loader)
    next(it)  # stop half-way through the epoch
    workers = list(it._workers)
    del it
    gc.collect()
    for w in workers:
        w.join(timeout=10)
    assert not any(w.is_alive() for w in workers)


def test_persistent_workers_reused_across_epochs():
    loader = DataLoader(PidDataset(6), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [[(i.tolist(), frozenset(p.tolist())) for _, i, p in loader] for _ in range(2)]
    assert [e[0] for e in epochs[0]] == [[0, 1], [2, 3], [4, 5]] == [e[0] for e in epochs[1]]
    pids = [frozenset().union(*(p for _, p in e)) for e in epochs]
    assert pids[0] == pids[1] and len(pids[0]) == 2
    workers = list(loader._iterator._workers)
    assert all(w.is_alive() for w in workers)
    loader._iterator._shutdown_workers()
    assert not any(w.is_alive() for w in workers)


def test_persistent_workers_restart_iterable_datasets():
    loader = DataLoader(ShardedRange(7), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        assert sorted(i for b in loader for i in b.tolist()) == list(range(7))
    loader._iterator._shutdown_workers()


def test_iterable_dataset_each_worker_iterates_its_copy():
    sharded = run(ShardedRange(10), batch_size=2, num_workers=2)
    assert sorted(i for b in sharded for i in b.tolist()) == list(range(10))
    unsharded = run(UnshardedRange(5), batch_size=2, num_workers=2)
    values = sorted(i for b in unsharded for i in b.tolist())
    assert values == sorted(list(range(5)) * 2)


def test_out_of_order_delivery_still_delivers_everything():
    got = run(SlowDataset(6, delay=0.01), batch_size=1, num_workers=2, in_order=False)
    assert sorted(int(b) for b in got) == list(range(6))


def test_len_with_workers():
    loader = DataLoader(PidDataset(7), batch_size=2, num_workers=2, drop_last=True)
    assert len(loader) == 3 and len(list(loader)) == 3


def _exits(script: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from _loader_datasets import PidDataset
        from latte.utils.data import DataLoader
        it = iter(DataLoader(PidDataset(40), batch_size=2, num_workers=2))
        next(it)
        print(*(w.pid for w in it._workers), flush=True)
    """) + textwrap.dedent(script)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie has finished
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("ending", ["", "import os; os._exit(0)"])
def test_workers_end_with_the_main_process(ending):
    # a normal exit with a live iterator, and a main process that dies without cleaning up
    done = _exits(ending)
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 20
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(p) for p in pids)
