"""latte.multiprocessing: the stdlib API, tensors shared across processes, Hogwild, spawn."""
import multiprocessing
import os
import re

import pytest
from _mp_workers import (
    accuracy,
    add_index,
    exit_with,
    fill_from_queue,
    hogwild_worker,
    kill_self,
    make_model,
    raise_in_child,
    separable_data,
    train,
)

import latte
import latte.multiprocessing as mp

EPOCHS = 6


def test_the_standard_library_api_is_reexported():
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "Manager", "Event", "Lock",
                 "get_context", "set_start_method", "get_start_method", "cpu_count", "Pipe"):
        assert getattr(mp, name) is getattr(multiprocessing, name), name
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    assert issubclass(mp.ProcessRaisedException, mp.ProcessException)
    assert issubclass(mp.ProcessExitedException, mp.ProcessException)


def test_share_memory_keeps_the_tensor_and_is_idempotent():
    p = latte.nn.Parameter(latte.ones(2, 3))
    p.grad = latte.zeros(2, 3)
    with latte.no_grad():
        p.add_(1.0)
    version = p._version
    assert not p.is_shared()
    assert p.share_memory_() is p and p.is_shared()
    data = p._data
    p.share_memory_()
    assert p._data is data  # already shared: nothing moves
    assert p._version == version and p.requires_grad and p.grad is not None
    assert p.tolist() == [[2.0] * 3] * 2
    model = latte.nn.BatchNorm1d(3)
    model(latte.randn(4, 3)).sum().backward()
    model.share_memory()
    assert all(t.is_shared() for t in (*model.parameters(), *model.buffers()))
    assert all(t.grad.is_shared() for t in model.parameters())


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_tensor_on_a_queue_is_written_by_the_child_and_seen_by_the_parent(method):
    ctx = mp.get_context(method)
    queue, done = ctx.Queue(), ctx.Queue()
    t = latte.arange(4.0)
    child = ctx.Process(target=fill_from_queue, args=(queue, done))
    child.start()
    queue.put(t)
    from_child, child_saw_shared = done.get(timeout=60), done.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0
    assert t.tolist() == [1.0, 3.0, 5.0, 7.0] and t.is_shared() and child_saw_shared
    assert from_child.tolist() == [0.0, 1.0, 2.0] and from_child.is_shared()


def test_a_non_leaf_that_requires_grad_is_refused():
    x = latte.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf"):
        multiprocessing.reduction.ForkingPickler.dumps(x)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_hogwild_two_processes_reach_the_accuracy_of_one(method):
    x, y = separable_data()
    single = make_model()
    train(single, x, y, EPOCHS)
    model = make_model().share_memory()
    before = accuracy(model, x, y)
    mp.start_processes(hogwild_worker, args=(model, 2, EPOCHS), nprocs=2,
                       start_method=method)
    # each worker saw half the data: only their shared updates together train the model
    hogwild, one = accuracy(model, x, y), accuracy(single, x, y)
    assert before < 0.6 and one > 0.9
    assert hogwild >= one - 0.05, (hogwild, one)


def test_spawn_runs_fn_with_the_index_and_args():
    shared = latte.zeros(3).share_memory_()
    assert mp.spawn(add_index, args=(shared,), nprocs=3) is None
    assert shared.tolist() == [1.0, 2.0, 3.0]
    context = mp.spawn(add_index, args=(shared,), nprocs=2, join=False)
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 2
    while not context.join():
        pass
    assert shared.tolist() == [2.0, 4.0, 3.0]


def _spawn_error(spawn, *args, **kwargs):
    with pytest.raises(Exception) as info:
        spawn(*args, **kwargs)
    err = info.value
    return type(err).__name__, err


@pytest.mark.parametrize("case", ["raise", "signal", "exit"])
def test_spawn_errors_match_torch(case):
    torch_mp = pytest.importorskip("torch.multiprocessing")
    fn, args = {"raise": (raise_in_child, (1,)), "signal": (kill_self, ()),
                "exit": (exit_with, (3,))}[case]
    ours = _spawn_error(mp.spawn, fn, args=args, nprocs=2)
    theirs = _spawn_error(torch_mp.spawn, fn, args=args, nprocs=2)
    assert ours[0] == theirs[0]
    a, b = ours[1], theirs[1]
    assert (a.error_index, type(a).__mro__[1].__name__) == (b.error_index,
                                                           type(b).__mro__[1].__name__)
    if case == "raise":
        assert isinstance(a, mp.ProcessRaisedException)
        # the same header and the child's traceback, ending with the child's exception
        strip = re.compile(r'File ".*?", line \d+, in ')
        assert a.msg.startswith("\n\n-- Process 1 terminated with the following error:\n")
        assert a.msg.strip().splitlines()[-1] == b.msg.strip().splitlines()[-1] == \
            "ValueError: bad value in process 1"
        assert "raise_in_child" in strip.sub("", a.msg)
    else:
        assert isinstance(a, mp.ProcessExitedException)
        assert str(a) == str(b) and (a.exit_code, a.signal_name) == (b.exit_code, b.signal_name)


def test_no_shared_memory_is_left_in_dev_shm():
    # the shared pages come from anonymous files: nothing of ours is ever named in /dev/shm
    if os.path.isdir("/dev/shm"):
        assert not [f for f in os.listdir("/dev/shm") if "latte" in f]
