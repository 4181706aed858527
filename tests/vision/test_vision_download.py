"""Downloads against local HTTP servers: mirrors, checksums, interruptions, extraction."""
from __future__ import annotations

import io
import socket
import tarfile

import numpy as np
import pytest

from conftest import cifar_batch, idx_gz, make_mnist_arrays, md5
from latte.vision.datasets import CIFAR10, MNIST
from latte.vision.datasets import utils as dutils


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_url_verifies_md5_and_leaves_no_part(http_servers, tmp_path):
    server = http_servers()
    data = bytes(range(256)) * 1000
    url = server.serve("blob.bin", data)
    path = dutils.download_url(url, tmp_path, md5=md5(data), progress=False)
    assert path.read_bytes() == data
    assert _leftovers(tmp_path) == ["blob.bin"]
    # a second call with a verified file present does not download again
    dutils.download_url(url, tmp_path, md5=md5(data), progress=False)
    assert server.requests == ["/blob.bin"]


def test_checksum_mismatch_names_expected_and_actual(http_servers, tmp_path):
    server = http_servers()
    data = b"not what you wanted" * 100
    url = server.serve("file.gz", data)
    wrong = "0" * 32
    with pytest.raises(dutils.ChecksumError) as err:
        dutils.download_url(url, tmp_path, md5=wrong, progress=False)
    assert wrong in str(err.value) and md5(data) in str(err.value)
    assert _leftovers(tmp_path) == []


def test_mirror_fallback_after_dropped_connection(http_servers, tmp_path):
    first, second = http_servers(), http_servers()
    data = np.random.default_rng(0).bytes(300_000)
    first.serve("data.gz", data, drop=True)
    second.serve("data.gz", data)
    path = dutils.download_from_mirrors([first.url, second.url], "data.gz", tmp_path,
                                        md5(data), progress=False)
    assert first.requests == ["/data.gz"] and second.requests == ["/data.gz"]
    assert path.read_bytes() == data
    assert _leftovers(tmp_path) == ["data.gz"]


def test_interrupted_transfer_leaves_nothing_that_looks_complete(http_servers, tmp_path):
    server = http_servers()
    data = np.random.default_rng(1).bytes(200_000)
    server.serve("data.gz", data, drop=True)
    with pytest.raises(dutils.DownloadError) as err:
        dutils.download_from_mirrors([server.url], "data.gz", tmp_path, md5(data),
                                     progress=False)
    assert "closed after" in str(err.value)
    assert _leftovers(tmp_path) == []


def test_keyboard_interrupt_mid_stream_removes_part_file(http_servers, tmp_path, monkeypatch):
    server = http_servers()
    url = server.serve("big.bin", b"x" * 100_000)

    class Interrupting:
        def update(self, n):
            raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr(dutils, "_progress_bar", lambda *a: Interrupting())
    with pytest.raises(KeyboardInterrupt):
        dutils.download_url(url, tmp_path, md5=md5(b"x" * 100_000))
    assert _leftovers(tmp_path) == []


def test_stale_truncated_file_is_replaced(http_servers, tmp_path):
    server = http_servers()
    data = b"0123456789" * 5000
    url = server.serve("f.bin", data)
    (tmp_path / "f.bin").write_bytes(data[:100])  # e.g. left by another tool
    dutils.download_url(url, tmp_path, md5=md5(data), progress=False)
    assert (tmp_path / "f.bin").read_bytes() == data


def test_no_network_lists_urls_and_where_to_put_the_file(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more: connection refused
    mirrors = [f"http://127.0.0.1:{port}/a/", f"http://127.0.0.1:{port}/b/"]
    with pytest.raises(dutils.DownloadError) as err:
        dutils.download_from_mirrors(mirrors, "t10k-labels-idx1-ubyte.gz", tmp_path / "raw",
                                     "ec29112dd5afa0611ce80d1b7f02629c", progress=False,
                                     timeout=5)
    msg = str(err.value)
    assert f"http://127.0.0.1:{port}/a/t10k-labels-idx1-ubyte.gz" in msg
    assert f"http://127.0.0.1:{port}/b/t10k-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "raw" / "t10k-labels-idx1-ubyte.gz") in msg
    assert "ec29112dd5afa0611ce80d1b7f02629c" in msg


def test_mnist_download_from_local_mirrors(http_servers, tmp_path, monkeypatch):
    first, second = http_servers(), http_servers()
    resources = []
    for prefix, n in (("train", 30), ("t10k", 10)):
        images, labels = make_mnist_arrays(n, seed=n)
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte.gz"
            blob = idx_gz(arr)
            first.serve(name, blob, drop=True)
            second.serve(name, blob)
            resources.append((name, md5(blob)))
    monkeypatch.setattr(MNIST, "mirrors", [first.url, second.url])
    monkeypatch.setattr(MNIST, "resources", resources)
    monkeypatch.setattr(MNIST, "content_md5s", {})
    monkeypatch.delenv("LATTE_DATA", raising=False)
    with pytest.raises(RuntimeError, match="download=True"):
        MNIST(tmp_path)
    ds = MNIST(tmp_path, train=False, download=True)
    assert len(ds) == 10 and ds.data.shape == (10, 28, 28)
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(r[0] for r in resources)
    assert len(first.requests) == 4 and len(second.requests) == 4
    MNIST(tmp_path, train=True, download=True)  # already there: no new request
    assert len(second.requests) == 4


def test_cifar_download_and_safe_extraction(http_servers, tmp_path, monkeypatch):
    server = http_servers()
    buf = io.BytesIO()
    blob, data, labels = cifar_batch(12, seed=3)
    meta = __import__("pickle").dumps({"label_names": [f"c{i}" for i in range(10)]}, protocol=2)
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, payload in (("test_batch", blob), ("batches.meta", meta)):
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    archive = buf.getvalue()
    monkeypatch.setattr(CIFAR10, "url", server.serve("cifar-10-python.tar.gz", archive))
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5(archive))
    ds = CIFAR10(tmp_path, train=False, download=True)
    assert ds.classes[3] == "c3" and len(ds) == 12
    np.testing.assert_array_equal(ds.data[0].transpose(2, 0, 1).reshape(-1), data[0])


def test_extract_refuses_members_outside_the_target(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(buf.getvalue())
    with pytest.raises(RuntimeError, match="escapes"):
        dutils.extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_extract_corrupt_archive_names_its_path(tmp_path):
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(RuntimeError, match="broken.tar.gz"):
        dutils.extract_archive(archive, tmp_path / "out")


def test_extract_single_gz(tmp_path):
    import gzip
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"hello"))
    dutils.extract_archive(tmp_path / "a.txt.gz")
    assert (tmp_path / "a.txt").read_bytes() == b"hello"
