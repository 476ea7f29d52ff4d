"""File plumbing shared by every module that writes: atomic writes, folder locks and file-system-safe names.

Nothing here knows about audio, spectrograms or models, and this module imports only
:mod:`genmusic.errors`, so any module (the config included) can use it without an import circle.

* :func:`atomic_path` -- a context manager that hands out a temporary path beside the target and renames
  it onto the target when the block succeeds: it serves writers that want a path (``keras.Model.save``,
  ``Figure.savefig``). A failed block leaves nothing behind; the file gets the mode the umask gives new
  files; a failure of the disk or the folder (full, read-only) becomes an :class:`OutputError`.
* :func:`atomic_write` -- the same for writers that want an open binary handle (``np.save``, ``sf.write``);
  :func:`atomic_write_text`, :func:`atomic_write_json`, :func:`atomic_save_npy`,
  :func:`atomic_save_npy_blocks` (an array written block by block), :func:`atomic_save_npz` build on it.
* :func:`remove_leftovers` -- delete the temporary files a killed run left in a folder.
* :func:`make_folder` -- create an output folder, or say clearly why it cannot be.
* :func:`folder_lock` -- one writer per output folder: a lock file holding the owner's pid, released by
  the system when the owner dies (so a stale lock never blocks), refused with the owner named when held.
* :func:`json_float` -- a number as JSON can hold it (None for NaN and inf).
* :func:`safe_name`, :func:`unique_safe_names` -- names that are safe as file names.

Readers see the old file or the whole new one, never a part: a killed run leaves no half-written file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import os
import re
import socket
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional

import numpy as np

from .errors import FolderLockedError, OutputError

__all__ = ["atomic_path", "atomic_write", "atomic_write_text", "atomic_write_json", "atomic_save_npy",
           "atomic_save_npy_blocks", "atomic_save_npz", "remove_leftovers", "make_folder", "output_failure", "OUTPUT_ERRNOS", "folder_lock", "json_float",
           "safe_name", "unique_safe_names", "TEMPORARY_GLOB", "LOCK_FILE"]

logger = logging.getLogger("genmusic")

#: Name of the lock file :func:`folder_lock` keeps in a folder while a run writes there.
LOCK_FILE = ".genmusic.lock"

#: Pattern of the temporary names :func:`atomic_path` hands out (hidden, with ``.tmp`` before the suffix).
TEMPORARY_GLOB = ".*.tmp*"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends without error.

    The temporary name keeps the target's suffix (``.keras``, ``.png``), so writers that pick a format by
    the suffix work unchanged. The parent folder is created. On any error (or interruption) the temporary
    file is removed and the target is left as it was.

    Examples
    --------
    >>> with atomic_path("saved_models/vae/model.keras") as tmp:   # doctest: +SKIP
    ...     model.save(tmp, overwrite=True)
    """
    path = Path(path)
    make_folder(path.parent)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise output_failure(path, exc) from exc
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _new_file_mode())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise output_failure(path, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: errno values that say the output side failed (full, read-only, over quota, file too large), whatever wrote.
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG})


def output_failure(path: str | os.PathLike, exc: OSError) -> OutputError:
    """An :class:`OutputError` that names ``path`` and the system's reason (disk full, read-only, ...)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return OutputError(f"cannot write {path}: {reason}; free space or choose a writable output folder "
                       "(the inputs are fine)")


def make_folder(folder: str | os.PathLike) -> Path:
    """Create ``folder`` (and its parents) if needed; an :class:`OutputError` names it when that fails."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError(f"{folder} exists and is not a folder; choose another output folder") from exc
    except OSError as exc:
        raise output_failure(folder, exc) from exc
    return folder


def _new_file_mode() -> int:
    """The mode ``open()`` gives a new file under this process's umask (``mkstemp`` would give 0600)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    umask = os.umask(0o022)  # no /proc: read the umask by setting it (and put it back at once)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, write: Callable) -> Path:
    """Call ``write(binary_handle)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            write(handle)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write_json(path: str | os.PathLike, data) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def atomic_save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """``np.save`` to ``path`` atomically (never pickles)."""
    return atomic_write(path, lambda handle: np.save(handle, np.asarray(array), allow_pickle=False))


def atomic_save_npy_blocks(path: str | os.PathLike, shape: tuple, dtype, blocks: Iterable[np.ndarray]) -> Path:
    """Write a ``.npy`` of ``shape`` and ``dtype`` atomically from consecutive blocks along its first axis,
    so that an array larger than memory can be written (never pickles).

    Raises
    ------
    ValueError
        The blocks do not add up to ``shape``.
    """
    dtype = np.dtype(dtype)
    shape = tuple(int(v) for v in shape)

    def write(handle) -> None:
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(handle, header)
        rows = 0
        for block in blocks:
            block = np.ascontiguousarray(block, dtype=dtype)
            if block.shape[1:] != shape[1:]:
                raise ValueError(f"block of shape {block.shape} does not fit an array of shape {shape}")
            rows += block.shape[0]
            handle.write(block.tobytes())
        if rows != shape[0]:
            raise ValueError(f"blocks hold {rows} rows, the array needs {shape[0]}")

    return atomic_write(path, write)


def atomic_save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """``np.savez`` to ``path`` atomically.

    Raises
    ------
    ValueError
        An array has dtype object (it would need pickle to be read back).
    """
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    for name, value in arrays.items():
        if value.dtype == object:
            raise ValueError(f"array {name!r} has dtype object, which would need pickle")
    return atomic_write(path, lambda handle: np.savez(handle, **arrays))


def remove_leftovers(folder: str | os.PathLike) -> None:
    """Delete the temporary files of :func:`atomic_path` that a killed run left in ``folder``."""
    for tmp in Path(folder).glob(TEMPORARY_GLOB):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, *, purpose: str) -> Iterator[Path]:
    """Hold ``folder``'s lock file for the duration of the block: one genmusic run writes there at a time.

    The lock file (:data:`LOCK_FILE`) holds the owner's pid, host, purpose and start time, and is locked
    with ``flock``: the system releases it when the owner exits or is killed, so a lock left by a dead
    run is stale, taken over (with a log line) and never blocks. The folder is created if needed.

    Parameters
    ----------
    folder : path-like
    purpose : str
        What the owner does there (``"preprocessing"``, ``"training"``, ``"generation"``), for the message
        another run gets.

    Raises
    ------
    FolderLockedError
        Another live process holds the lock; the message names the lock file and that process.
    OutputError
        The folder or the lock file cannot be created.

    Examples
    --------
    >>> with folder_lock("spectrograms", purpose="preprocessing"):   # doctest: +SKIP
    ...     write_everything()
    """
    folder = make_folder(folder)
    path = folder / LOCK_FILE
    fd = _acquire_lock(path, folder, purpose)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                path.unlink()
        os.close(fd)


def _acquire_lock(path: Path, folder: Path, purpose: str) -> int:
    try:
        import fcntl
    except ImportError:  # not POSIX: an exclusive create, with the pid to tell a stale lock
        fcntl = None
    for _ in range(20):
        try:
            flags = os.O_RDWR | os.O_CREAT | (0 if fcntl else os.O_EXCL)
            fd = os.open(path, flags, _new_file_mode())
        except FileExistsError:
            owner = _lock_owner_from(path)
            if owner.get("pid") and _pid_alive(owner["pid"]):
                raise FolderLockedError(_locked_message(folder, path, owner)) from None
            path.unlink(missing_ok=True)
            continue
        except OSError as exc:
            raise output_failure(path, exc) from exc
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                owner = _lock_owner(fd)
                os.close(fd)
                raise FolderLockedError(_locked_message(folder, path, owner)) from None
            try:  # the file may have been released and removed between our open and our flock
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
        previous = _lock_owner(fd)
        if previous.get("pid") and previous.get("pid") != os.getpid():
            logger.info("%s: took over a stale lock left by pid %s (%s, %s), which no longer runs", folder,
                        previous.get("pid"), previous.get("purpose", "?"), previous.get("started", "?"))
        mine = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "purpose": purpose,
                           "started": time.strftime("%Y-%m-%d %H:%M:%S")}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, mine, 0)
        return fd
    raise OutputError(f"cannot take the lock file {path}: it keeps changing; is another genmusic run starting "
                      f"in {folder}?")


def _lock_owner(fd: int) -> dict:
    try:
        owner = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
    except ValueError:
        return {}
    return owner if isinstance(owner, dict) else {}


def _lock_owner_from(path: Path) -> dict:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return {}
    try:
        return _lock_owner(fd)
    finally:
        os.close(fd)


def _pid_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError, TypeError):
        return True  # another user's process, or cannot tell: assume it runs
    return True


def _locked_message(folder: Path, path: Path, owner: dict) -> str:
    who = (f"{owner.get('purpose', 'a run')}, pid {owner.get('pid', '?')} on {owner.get('host', '?')}, "
           f"since {owner.get('started', '?')}") if owner else "a run"
    return (f"{folder} is in use by another genmusic run ({who}): it holds the lock file {path}. Wait for that run "
            f"to finish or choose another folder (a lock whose owner has died is taken over by itself)")


def json_float(value) -> Optional[float]:
    """``float(value)``, or None for None, NaN and inf (JSON has no non-finite numbers)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def safe_name(raw: str, *, fallback: str) -> str:
    """``raw`` with every run of characters other than letters, digits, ``.``, ``_`` and ``-`` turned into
    ``_``, stripped of leading and trailing ``.`` and ``_``; ``fallback`` when nothing is left."""
    return _UNSAFE.sub("_", raw).strip("._") or fallback


def unique_safe_names(raw_names: Iterable[str], *, fallback: str) -> List[str]:
    """:func:`safe_name` of each name, made unique in order with ``_2``, ``_3`` ... suffixes.

    Examples
    --------
    >>> unique_safe_names(["a b", "a b", "", "x/y"], fallback="song")
    ['a_b', 'a_b_2', 'song', 'x_y']
    """
    names: List[str] = []
    seen: set = set()
    for raw in raw_names:
        base = safe_name(raw, fallback=fallback)
        name, k = base, 1
        while name in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name)
        names.append(name)
    return names
