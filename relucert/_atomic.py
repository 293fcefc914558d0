"""Atomic file output: every file relucert writes goes through this module.

A file is written to a temporary file in the same folder, flushed, ``fsync``-ed and
moved over the target with ``os.replace`` (atomic on POSIX and Windows). So a failed
or interrupted write (full disk, Ctrl-C, a crash) leaves the earlier file at that path
intact and no partial file behind; the temporary file is removed on any error.

:func:`check_writable` tests, before long work, that a file can be created at a path.
The module imports only the standard library (the independent certificate checker's
file module uses it).
"""
from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_open", "write_text", "check_writable", "check_writable_dir"]


def _file_mode(path: str) -> int:
    """The permission bits the written file gets: the existing file's, else the
    default of a newly created file (0o666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _fsync_dir(folder: str) -> None:
    """Make the rename durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path, mode: str = "w", *, encoding: str | None = "utf-8"):
    """Open a temporary file next to ``path`` for writing; on a clean exit of the
    ``with`` block it is flushed, fsync-ed and renamed over ``path``. On any exception
    (including KeyboardInterrupt) the temporary file is removed and ``path`` is left as
    it was. ``mode`` is ``"w"`` (text) or ``"wb"`` (binary). Creates the folder."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb'; got {mode!r}")
    path = os.fspath(path)
    if os.path.islink(path):
        path = os.path.realpath(path)  # write through a symbolic link: replace its target, not the link
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a folder")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding, "newline": ""})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def _existing_ancestor(folder: str) -> str:
    while not os.path.exists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def _probe(folder: str, what: str, path: str) -> None:
    """Create and remove a file in ``folder`` (``os.access`` is no test for root)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".relucert-probe.", suffix=".tmp")
    except OSError as exc:
        raise ValueError(f"{what} {path!r} cannot be written: folder {folder!r}: "
                         f"{exc.strerror or exc}") from None
    try:
        os.close(fd)
    finally:
        os.unlink(tmp)  # also on Ctrl-C: the probe leaves nothing behind


def check_writable(path, what: str = "output file") -> str:
    """Raise ``ValueError`` naming ``what`` and ``path`` unless a file can be written
    at ``path``: it is not a folder nor a read-only file, and its folder exists and
    accepts a new file, or can be created (its nearest existing ancestor is a folder
    that accepts one). Nothing is left behind. Returns ``path``."""
    path = os.fspath(path)
    if not path:
        raise ValueError(f"{what}: the path is empty")
    if os.path.isdir(path):
        raise ValueError(f"{what} {path!r} is a folder; give a file name")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ValueError(f"{what} {path!r} exists and is read-only; it is not replaced")
    folder = os.path.dirname(os.path.abspath(path))
    base = _existing_ancestor(folder)
    if not os.path.isdir(base):
        raise ValueError(f"{what} {path!r} cannot be written: {base!r} is not a folder")
    _probe(base, what, path)
    return path


def check_writable_dir(folder, what: str = "output folder") -> str:
    """Like :func:`check_writable` for a folder that files will be written into."""
    folder = os.fspath(folder)
    if not folder:
        raise ValueError(f"{what}: the path is empty")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"{what} {folder!r} exists and is not a folder")
    base = _existing_ancestor(os.path.abspath(folder))
    if not os.path.isdir(base):
        raise ValueError(f"{what} {folder!r} cannot be created: {base!r} is not a folder")
    _probe(base, what, folder)
    return folder
