"""Data-parallel speed: the MNIST ResNet training step on 1 process against 2 processes, and
all-reduce bandwidth for 1-64 MB, Latte (MPI) and PyTorch (gloo) measured in the same run.

Every job runs under ``mpiexec`` with one BLAS thread per process (``OMP_NUM_THREADS=1``), the
frameworks and process counts interleaved round by round; the script prints medians of
``--rounds`` rounds. Training is weak scaling: each process takes ``--batch`` images per step,
so 2 processes train on twice the images per step. Images per second count all processes.

    python benchmarks/bench_distributed.py                  # 5 rounds
    python benchmarks/bench_distributed.py --rounds 7 --steps 20
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

SIZES_MB = (1, 4, 16, 64)


def resnet(lib: Any) -> Any:
    """The MNIST ResNet: conv3x3 16 + BN + ReLU, basic blocks 2x16, 2x32 /2, 2x64 /2, global
    average pool, FC 64 -> 10 (about 175k parameters)."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                              nn.BatchNorm2d(cout))

        def forward(self, x: Any) -> Any:
            out = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(out)) + self.shortcut(x)).relu()

    layers = [nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def _setup(lib_name: str, port: int) -> tuple[Any, Any, int, int]:
    """Import the framework and join the process group (gloo over loopback for PyTorch)."""
    if lib_name == "latte":
        import latte as lib
        import latte.distributed as dist
        import latte.nn.parallel  # noqa: F401
        dist.init_process_group("mpi")
    else:
        import torch as lib
        import torch.distributed as dist
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                                rank=comm.Get_rank(), world_size=comm.Get_size())
    return lib, dist, dist.get_rank(), dist.get_world_size()


def worker_train(lib_name: str, batch: int, steps: int, port: int) -> dict:
    lib, dist, rank, world = _setup(lib_name, port)
    lib.manual_seed(0)
    model = resnet(lib)
    if world > 1:
        model = lib.nn.parallel.DistributedDataParallel(model)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    x = lib.tensor(rng.standard_normal((batch, 1, 28, 28), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    times = []
    for step in range(steps + 2):  # two warm-up steps
        dist.barrier()
        start = time.perf_counter()
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        dist.barrier()
        if step >= 2:
            times.append(time.perf_counter() - start)
    dist.destroy_process_group()
    return {"images_per_s": batch * world / statistics.median(times)}


def worker_allreduce(lib_name: str, port: int) -> dict:
    lib, dist, rank, world = _setup(lib_name, port)
    result = {}
    for mb in SIZES_MB:
        t = lib.ones(mb * 2**20 // 4, dtype=lib.float32)
        times = []
        for _ in range(5):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - start)
        # bus bandwidth (nccl-tests' convention): each byte crosses 2 (n - 1) / n links
        result[mb] = mb / 1024 * 2 * (world - 1) / world / statistics.median(times)
    dist.destroy_process_group()
    return result


def worker_overlap(rounds: int, steps: int) -> dict:
    """Backward of an MLP with 8 MB of float32 weights on 2 processes: buckets at the end of
    backward against 1 MB buckets during it, with and without a request test per gradient."""
    import latte
    import latte.distributed as dist
    from latte.nn.parallel import DistributedDataParallel
    dist.init_process_group("mpi")
    latte.manual_seed(0)
    net = latte.nn.Sequential(*[latte.nn.Linear(512, 512) for _ in range(8)])
    x = latte.randn(64, 512)
    configs = {"one bucket at the end": (64.0, True), "1 MB buckets, no polling": (1.0, False),
               "1 MB buckets, polling": (1.0, True)}
    models = {name: DistributedDataParallel(net, bucket_cap_mb=cap)
              for name, (cap, _) in configs.items()}
    for m in models.values():  # each wrapper hooks the same parameters: only one at a time
        m._armed = False
    real_test = dist.Work.is_completed
    times: dict = {name: [] for name in configs}
    for _ in range(rounds):
        for name, (_, polling) in configs.items():
            dist.Work.is_completed = real_test if polling else (lambda self: False)
            model = models[name]
            run = []
            for _ in range(steps):
                net.zero_grad()
                dist.barrier()
                start = time.perf_counter()
                model(x).square().mean().backward()
                run.append(time.perf_counter() - start)
            times[name].append(statistics.median(run))
    dist.Work.is_completed = real_test
    dist.destroy_process_group()
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(nproc: int, *args: str) -> dict:
    from latte.distributed.launch import find_mpiexec
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [find_mpiexec(), "-n", str(nproc), sys.executable, __file__, "--worker", *args,
               "--port", str(_free_port())]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32, help="images per process per step")
    parser.add_argument("--worker", nargs="*")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.worker is not None:
        kind, lib_name = args.worker
        if kind == "train":
            result = worker_train(lib_name, args.batch, args.steps, args.port)
        elif kind == "overlap":
            result = worker_overlap(args.rounds, args.steps)
        else:
            result = worker_allreduce(lib_name, args.port)
        rank = int(os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0")))
        if rank == 0:
            print(json.dumps(result), flush=True)
        return

    libs = ["latte"]
    try:
        import torch  # noqa: F401
        libs.append("torch")
    except ImportError:
        print("torch not installed: Latte only")
    train: dict = {(lib, n): [] for lib in libs for n in (1, 2)}
    bandwidth: dict = {lib: {mb: [] for mb in SIZES_MB} for lib in libs}
    for _ in range(args.rounds):
        for lib in libs:
            for n in (1, 2):
                train[lib, n].append(_launch(n, "train", lib, "--batch", str(args.batch),
                                             "--steps", str(args.steps))["images_per_s"])
            for mb, gbs in _launch(2, "allreduce", lib).items():
                bandwidth[lib][int(mb)].append(gbs)
    med = {key: statistics.median(v) for key, v in train.items()}
    print(f"MNIST ResNet training step, {args.batch} images per process, 1 BLAS thread each, "
          f"median of {args.rounds} rounds (shared CPUs: rough figures)")
    print(f"{'':8}{'1 proc img/s':>14}{'2 procs img/s':>15}{'speed-up':>10}")
    for lib in libs:
        print(f"{lib:8}{med[lib, 1]:14.1f}{med[lib, 2]:15.1f}{med[lib, 2] / med[lib, 1]:10.2f}")
    if "torch" in libs:
        print(f"latte / torch images per second: 1 proc {med['latte', 1] / med['torch', 1]:.2f}, "
              f"2 procs {med['latte', 2] / med['torch', 2]:.2f}")
    print("\nall_reduce of float32 on 2 processes, bus bandwidth GB/s (median of rounds)")
    print(f"{'MB':>4}" + "".join(f"{lib:>10}" for lib in libs)
          + ("  latte/torch" if "torch" in libs else ""))
    for mb in SIZES_MB:
        values = [statistics.median(bandwidth[lib][mb]) for lib in libs]
        ratio = f"{values[0] / values[1]:13.2f}" if len(values) > 1 else ""
        print(f"{mb:4d}" + "".join(f"{v:10.2f}" for v in values) + ratio)
    overlap = _launch(2, "overlap", "latte", "--rounds", str(args.rounds), "--steps",
                      str(args.steps))
    print("\nLatte DDP forward + backward, MLP 8 x 512x512 float32 (8 MB), 64 rows per process, "
          "2 processes, ms")
    base = overlap["one bucket at the end"]
    for name, ms in overlap.items():
        print(f"{name:28}{ms:8.1f}{ms / base:8.2f}")


if __name__ == "__main__":
    main()
