"""Fixtures for latte.vision tests: small IDX/CIFAR files and local HTTP servers (127.0.0.1)."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest

from latte.vision.datasets._idx import write_idx

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files[path]``; ``server.drop`` paths stop halfway through the body."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path in self.server.drop:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with a free port; ``url`` ends with a slash."""

    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.files, self.httpd.drop, self.httpd.requests = {}, set(), []
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def serve(self, name: str, data: bytes, drop: bool = False) -> str:
        self.httpd.files["/" + name] = data
        if drop:
            self.httpd.drop.add("/" + name)
        return self.url + name

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def http_servers():
    """A factory of local servers, all stopped when the test ends."""
    servers = []

    def make() -> LocalServer:
        server = LocalServer()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def idx_gz(array: np.ndarray) -> bytes:
    """An array as gzipped IDX bytes."""
    buf = io.BytesIO()
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    return buf.getvalue()


def make_mnist_arrays(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            (np.arange(n) % 10).astype(np.uint8))


def write_mnist_split(folder: Path, train: bool, images: np.ndarray, labels: np.ndarray,
                      compress: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    ext = ".gz" if compress else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)


def cifar_batch(n: int, seed: int = 0, num_classes: int = 10, label_key: str = "labels",
                bytes_keys: bool = False) -> tuple[bytes, np.ndarray, list]:
    """A pickled CIFAR-style batch (protocol 2, as the real files), its data and labels."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = [int(i % num_classes) for i in range(n)]
    entry = {"batch_label": "test", "data": data, label_key: labels}
    if bytes_keys:
        entry = {k.encode(): v for k, v in entry.items()}
    return pickle.dumps(entry, protocol=2), data, labels


@pytest.fixture
def mnist_root(tmp_path: Path) -> tuple[Path, dict]:
    """``root/MNIST/raw`` with 30 train and 20 test images; returns root and the arrays."""
    arrays = {True: make_mnist_arrays(30, 1), False: make_mnist_arrays(20, 2)}
    for train, (images, labels) in arrays.items():
        write_mnist_split(tmp_path / "MNIST" / "raw", train, images, labels)
    return tmp_path, arrays


@pytest.fixture
def no_known_md5(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our made-up files cannot match the real MNIST content MD5s: check headers only."""
    from latte.vision.datasets import MNIST
    monkeypatch.setattr(MNIST, "content_md5s", {})
    monkeypatch.delenv("LATTE_DATA", raising=False)
