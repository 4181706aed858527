"""Downloading and unpacking data sets: mirrors, MD5 checks, atomic writes, safe extraction.

Downloads stream in chunks to ``<file>.part`` beside the target, are verified, and only then
renamed into place with ``os.replace``; any failure removes the ``.part`` file, so an
interrupted transfer never leaves a file that later passes for complete. Only ``urllib``.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["calculate_md5", "calculate_sha256", "check_md5", "check_integrity", "download_url",
           "download_from_urls", "download_from_mirrors", "extract_archive",
           "download_and_extract_archive", "DownloadError", "ChecksumError"]

_CHUNK = 1 << 20
_USER_AGENT = "latte-vision/0.1 (+urllib)"


class DownloadError(RuntimeError):
    """No mirror delivered the file; the message lists the URLs tried and the manual fix."""


class ChecksumError(RuntimeError):
    """A file's MD5 differs from the expected one; the message names both."""


def calculate_md5(path: str | os.PathLike, chunk_size: int = _CHUNK) -> str:
    """The hex MD5 of a file, read in chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def calculate_sha256(path: str | os.PathLike, chunk_size: int = _CHUNK) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_md5(path: str | os.PathLike, md5: str) -> bool:
    return calculate_md5(path) == md5


def check_integrity(path: str | os.PathLike, md5: str | None = None) -> bool:
    """True when ``path`` is a file and, if ``md5`` is given, has that MD5 (torchvision's)."""
    if not os.path.isfile(path):
        return False
    return md5 is None or check_md5(path, md5)


def _progress_bar(total: int | None, desc: str, enabled: bool):
    """A tqdm bar when tqdm is installed and wanted; otherwise an object that ignores updates."""
    if enabled:
        try:
            from tqdm.auto import tqdm
            return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc)
        except ImportError:
            pass
    return _NoBar()


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _stream_to(url: str, part: Path, timeout: float, progress: bool) -> None:
    """Copy ``url`` into ``part`` chunk by chunk; a short read raises (the caller cleans up)."""
    import http.client
    import urllib.request  # lazy: it pulls in http.client, ssl and email
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        _copy_response(urllib.request.urlopen(request, timeout=timeout), part, progress)
    except http.client.HTTPException as e:  # e.g. a chunked body cut short
        raise OSError(f"{type(e).__name__}: {e}") from None


def _copy_response(response: Any, part: Path, progress: bool) -> None:
    """Stream an open response into ``part`` with a progress bar; check the announced length."""
    with response:
        length = response.headers.get("Content-Length")
        total = int(length) if length is not None else None
        bar = _progress_bar(total, os.path.basename(part)[:-5], progress)
        received = 0
        try:
            with open(part, "wb") as f:
                while chunk := response.read(_CHUNK):
                    f.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        finally:
            bar.close()
    if total is not None and received != total:
        raise OSError(f"connection closed after {received} of {total} bytes")


def download_url(url: str, root: str | os.PathLike, filename: str | None = None,
                 md5: str | None = None, *, progress: bool = True,
                 timeout: float = 60.0, sha256: str | None = None) -> Path:
    """Download one URL to ``root/filename`` atomically and verify its MD5 (or that its SHA-256
    starts with ``sha256``, the prefix torchvision puts in its weights' file names).

    Raises ``ChecksumError`` (expected and actual sums) on a mismatch and lets network errors
    through; either way nothing is left under the final name. Example::

        download_url("https://example.org/x.gz", "data", md5="0123...")
    """
    root = Path(root).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    path = root / (filename or os.path.basename(url.split("?")[0]))
    if check_integrity(path, md5) and (sha256 is None or _sha256_ok(path, sha256)):
        return path  # complete: only a verified download gets the final name
    part = path.with_name(path.name + ".part")
    try:
        _stream_to(url, part, timeout, progress)
        if md5 is not None:
            actual = calculate_md5(part)
            if actual != md5:
                raise ChecksumError(f"MD5 mismatch for {url}: expected {md5}, got {actual}")
        if sha256 is not None and not _sha256_ok(part, sha256):
            raise ChecksumError(f"SHA-256 mismatch for {url}: expected a digest starting with "
                                f"{sha256}, got {calculate_sha256(part)}")
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return path


def _sha256_ok(path: Path, prefix: str) -> bool:
    return calculate_sha256(path).startswith(prefix.lower())


def download_from_urls(urls: Sequence[str], root: str | os.PathLike, filename: str,
                       md5: str | None = None, *, progress: bool = True,
                       timeout: float = 60.0, sha256: str | None = None) -> Path:
    """Try each full URL in order; return the first verified download of ``root/filename``.

    When every URL fails, raises ``DownloadError`` listing each URL with its error and where
    to put the file by hand.
    """
    failures = []
    for url in urls:
        try:
            return download_url(url, root, filename, md5, progress=progress, timeout=timeout,
                                sha256=sha256)
        except (OSError, ChecksumError, ValueError) as e:  # URLError is an OSError
            failures.append(f"  {url}: {e}")
    target = Path(root).expanduser() / filename
    md5_note = f" (MD5 {md5})" if md5 else (f" (SHA-256 {sha256}...)" if sha256 else "")
    raise DownloadError(f"could not download {filename}; tried:\n" + "\n".join(failures)
                        + f"\nDownload it by hand and put it at {target}{md5_note}.")


def download_from_mirrors(mirrors: Sequence[str], filename: str, root: str | os.PathLike,
                          md5: str | None = None, *, progress: bool = True,
                          timeout: float = 60.0) -> Path:
    """Try ``mirror/filename`` for each mirror base URL in order (see ``download_from_urls``).

    Example::

        download_from_mirrors(["https://a.org/mnist/", "https://b.org/mnist/"],
                              "t10k-labels-idx1-ubyte.gz", "data/MNIST/raw", md5="ec29...")
    """
    urls = [m.rstrip("/") + "/" + filename for m in mirrors]
    return download_from_urls(urls, root, filename, md5, progress=progress, timeout=timeout)


def _safe_members(tar: Any, dest: Path) -> list:
    """The archive's members, refusing absolute paths, ``..``, links and devices."""
    dest = dest.resolve()
    members = []
    for member in tar.getmembers():
        target = (dest / member.name).resolve()
        if target != dest and dest not in target.parents:
            raise RuntimeError(f"refusing to extract {member.name!r}: it escapes {dest}")
        if member.issym() or member.islnk() or member.isdev():
            raise RuntimeError(f"refusing to extract {member.name!r}: links and devices "
                               "are not allowed in data archives")
        members.append(member)
    return members


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None,
                    remove_finished: bool = False) -> Path:
    """Extract a ``.tar``, ``.tar.gz``/``.tgz``, ``.zip`` or single ``.gz`` file into ``to_path``.

    Members that would land outside ``to_path`` are refused. A corrupt archive raises an
    error naming its path.
    """
    import tarfile
    import zipfile
    from_path = Path(from_path)
    to_path = Path(to_path) if to_path is not None else from_path.parent
    to_path.mkdir(parents=True, exist_ok=True)
    name = from_path.name
    try:
        if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
            with tarfile.open(from_path) as tar:
                members = _safe_members(tar, to_path)
                tar.extractall(to_path, members=members)
        elif name.endswith(".zip"):
            with zipfile.ZipFile(from_path) as zf:
                for member in zf.namelist():
                    target = (to_path / member).resolve()
                    if to_path.resolve() not in target.parents:
                        raise RuntimeError(f"refusing to extract {member!r}: it escapes {to_path}")
                zf.extractall(to_path)
        elif name.endswith(".gz"):
            out = to_path / name[:-3]
            part = out.with_name(out.name + ".part")
            try:
                with gzip.open(from_path, "rb") as src, open(part, "wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
                os.replace(part, out)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
        else:
            raise ValueError(f"do not know how to extract {from_path}")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, gzip.BadGzipFile) as e:
        raise RuntimeError(f"{from_path} is a corrupt or truncated archive ({e}); "
                           "delete it and download it again") from None
    if remove_finished:
        from_path.unlink()
    return to_path


def download_and_extract_archive(urls: str | Sequence[str], download_root: str | os.PathLike,
                                 extract_root: str | os.PathLike | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False, progress: bool = True) -> Path:
    """Download an archive from the first working URL (verified by MD5), then extract it."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    filename = filename or os.path.basename(urls[0].split("?")[0])
    archive = download_from_urls(urls, download_root, filename, md5, progress=progress)
    return extract_archive(archive, extract_root or download_root, remove_finished)
