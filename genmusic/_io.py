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
* :class:`Ledger` -- the record of the files genmusic wrote in one output folder: the only files it ever
  removes or replaces there (never a name pattern, never an id joined onto a path), and its scratch folder
  for temporary files.
* :func:`check_folder_kind`, :func:`folder_kinds` -- what an output folder is (a spectrogram store, a latent
  folder, a model, a report, generated sound), so that no command writes into another's folder.
* :func:`inner_folder` -- a folder inside an output folder, never through a symbolic link out of it.
* :func:`json_float` -- a number as JSON can hold it (None for NaN and inf).
* :func:`safe_name`, :func:`unique_safe_names` -- names that are safe as file names.
* :func:`shown` -- a path (or a message) for people: bytes of a file name that are not UTF-8 as ``\\xff``.

Readers see the old file or the whole new one, never a part: a killed run leaves no half-written file.

File names are kept as the file system has them: any byte string. Python holds a name that is not UTF-8
with its odd bytes as lone surrogates (``os.fsdecode``); text files written here keep those bytes as they
are (:func:`atomic_write_text`, ``errors="surrogateescape"``: a CSV holds the file's name byte for byte) and
JSON holds them as ``\\udcXX`` escapes (``json.loads`` gives the same string back), so no name is lost.
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
           "atomic_save_npy_blocks", "atomic_save_npz", "make_folder", "inner_folder", "output_failure",
           "OUTPUT_ERRNOS", "folder_lock", "json_float", "safe_name", "unique_safe_names", "shown", "read_text",
           "Ledger", "LEDGER_FILE", "SCRATCH_DIR", "FOLDER_KINDS", "folder_kinds", "check_folder_kind",
           "TEMPORARY_GLOB", "LOCK_FILE", "real_stderr", "set_real_stderr"]

logger = logging.getLogger("genmusic")

#: Name of the lock file :func:`folder_lock` keeps in a folder while a run writes there.
LOCK_FILE = ".genmusic.lock"

#: Pattern of the temporary names :func:`atomic_path` hands out (hidden, with ``.tmp`` before the suffix).
TEMPORARY_GLOB = ".*.tmp*"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


#: The file descriptor of this process's own standard error when a command passes file descriptor 2 through a
#: filter thread (:func:`genmusic.commands.hide_native_logs`); None otherwise.
_REAL_STDERR: list = [None]


def set_real_stderr(fd: Optional[int]) -> None:
    """Record where this process's standard error really goes (see :func:`real_stderr`)."""
    _REAL_STDERR[0] = fd


def real_stderr() -> int:
    """A file descriptor for messages that must reach the user even when no Python thread can run (a helper
    process writes there): this process's standard error, past any filter on file descriptor 2."""
    return _REAL_STDERR[0] if _REAL_STDERR[0] is not None else 2


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block ends without error.

    Inside an output folder that keeps a :class:`Ledger`, the temporary file goes to the folder's scratch
    folder (:data:`SCRATCH_DIR`) instead, so that what a killed run leaves is removed by the next run
    without guessing from names. The temporary name keeps the target's suffix (``.keras``, ``.png``), so writers that pick a format by
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
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}",
                                    dir=_scratch_for(path.parent) or path.parent)
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
    """Write ``text`` (UTF-8) to ``path`` atomically; the bytes of file names that are not UTF-8 (held as
    lone surrogates) are written as they are, so the names read back unchanged with :func:`read_text`."""
    return atomic_write(path, lambda handle: handle.write(_encode(text)))


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte (from JSON): written as an escape
        return text.encode("utf-8", "backslashreplace")


def read_text(path: str | os.PathLike) -> str:
    """A text file written by :func:`atomic_write_text`: UTF-8, bytes that are not (file names) as surrogates.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    return Path(path).read_bytes().decode("utf-8", "surrogateescape")


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
            handle.write(block.data)  # the array's own buffer: no copy of the block
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


def shown(value) -> str:
    """A path (or a message naming one) for people: the bytes of a file name that are not UTF-8 shown as
    ``\\xff`` escapes, so that printing never fails and the name can still be told apart.

    Examples
    --------
    >>> shown(os.fsdecode(b"\\xff\\xfe caf\\xe9.wav"))
    '\\\\xff\\\\xfe caf\\\\xe9.wav'
    """
    text = str(value)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --------------------------------------------------------------------------------------------------
# what an output folder holds: the ledger of genmusic's files, the folder's kind, folders inside it

#: The ledger of an output folder (:class:`Ledger`): JSON Lines, a header then one relative path per line.
LEDGER_FILE = ".genmusic-files.jsonl"
#: Version of the ledger's layout.
LEDGER_VERSION = 1
#: The scratch folder of an output folder that keeps a ledger: :func:`atomic_path`'s temporary files.
SCRATCH_DIR = ".genmusic-tmp"
#: Folders above a file that :func:`atomic_path` searches for a ledger (a report's clips lie three deep).
_SCRATCH_DEPTH = 4


def _scratch_for(folder: Path) -> Optional[Path]:
    """The scratch folder of the output folder that holds ``folder`` (itself or one of its parents), when it
    keeps a ledger and its scratch folder is a real folder on the same file system; else None."""
    for level, parent in enumerate((folder, *folder.parents)):
        if level >= _SCRATCH_DEPTH:
            break
        if os.path.lexists(parent / LEDGER_FILE):
            scratch = parent / SCRATCH_DIR
            try:
                info = os.lstat(scratch)
                import stat

                if stat.S_ISDIR(info.st_mode) and info.st_dev == os.stat(folder).st_dev:
                    return scratch
            except OSError:
                pass
            return None
    return None


def _json_line(line: bytes):
    try:
        return json.loads(line.decode("utf-8"))
    except ValueError:  # a line a killed run cut short, or not JSON at all
        return None


def _posix(path: Path) -> str:
    return "/".join(path.parts)


class Ledger:
    """The files genmusic wrote in one output folder: the only files it ever removes (or replaces) there.

    Every writer records a file here *before* it writes it (a killed run leaves nothing unrecorded), by its
    path inside the folder; removing means removing recorded files only, inside the folder, never through a
    symbolic link. Nothing is inferred from a file's name or from an id read back from a manifest. The
    ledger is the file :data:`LEDGER_FILE`: a JSON header (``{"genmusic_ledger": 1, "kind": ...}``) then
    one JSON string per line, appended (the parent process alone writes it: workers write only files
    recorded before they start).

    A folder written before genmusic kept ledgers has none (:attr:`found` is False): genmusic then proves
    nothing there is its own, removes nothing, and says so.

    Parameters
    ----------
    folder : path-like
        The output folder.
    kind : str
        One of :data:`FOLDER_KINDS`, recorded in the header.

    Examples
    --------
    >>> ledger = Ledger("spectrograms", "spectrograms")                # doctest: +SKIP
    >>> ledger.claim(Path("spectrograms/songs/a.npy"))                 # doctest: +SKIP
    >>> ledger.remove()                                                # doctest: +SKIP
    """

    def __init__(self, folder: str | os.PathLike, kind: str) -> None:
        self.folder = Path(folder)
        self.kind = kind
        self.path = self.folder / LEDGER_FILE
        self.entries: dict = {}
        #: Whether the folder had a ledger this genmusic reads when it was opened (False: a folder of an earlier
        #: genmusic, or a new one).
        self.found = False
        #: Whether the folder held files before its ledger was started (a folder of an earlier genmusic): what
        #: is not recorded there may be genmusic's, but it cannot prove it, so it is never removed either.
        self.legacy = False
        self._size = -1
        self._read()
        self._exists = self.found
        if not self.found:  # files that mark this kind of folder, written by a genmusic without ledgers
            self.legacy = any(os.path.lexists(self.folder / name) for name in FOLDER_KINDS[kind][3])

    def _read(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise OutputError(f"cannot read {shown(self.path)}: {exc.strerror or exc}") from exc
        lines = data.split(b"\n")
        header = _json_line(lines[0])
        if not (isinstance(header, dict) and header.get("genmusic_ledger") == LEDGER_VERSION):
            logger.warning("%s is not a ledger this genmusic reads: nothing it lists is taken as genmusic's",
                           shown(self.path))
            return
        self.found = True
        self._size = len(data)
        self.legacy = bool(header.get("legacy"))
        for line in lines[1:]:
            item = _json_line(line)
            if isinstance(item, str) and self._valid(item):
                self.entries[item] = None

    @staticmethod
    def _valid(rel: str) -> bool:
        parts = rel.rstrip("/").split("/")
        return bool(rel) and not rel.startswith("/") and all(p not in ("", ".", "..") for p in parts)

    def relative(self, path: str | os.PathLike) -> str:
        """``path`` (a path inside the folder: ``folder / ...``) as the ledger writes it, relative to the folder.

        Raises
        ------
        ValueError
            ``path`` is not inside the folder.
        """
        text = os.path.relpath(os.fspath(path), os.fspath(self.folder)).replace(os.sep, "/")
        if os.fspath(path).endswith(("/", os.sep)):
            text += "/"
        if not self._valid(text):
            raise ValueError(f"{shown(path)} is not a path inside {shown(self.folder)}")
        return text

    def claim(self, *paths: str | os.PathLike) -> None:
        """Record ``paths`` as genmusic's, before they are written."""
        new = [rel for rel in dict.fromkeys(self.relative(p) for p in paths) if rel not in self.entries]
        if not new and self._exists:
            return
        self.entries.update(dict.fromkeys(new))
        if not self._exists:
            self._rewrite()
            return
        lines = "".join(json.dumps(rel) + "\n" for rel in new).encode("ascii")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, lines)
            finally:
                os.close(fd)
        except OSError as exc:
            raise output_failure(self.path, exc) from exc

    def _rewrite(self) -> None:
        header = json.dumps({"genmusic_ledger": LEDGER_VERSION, "kind": self.kind, "legacy": self.legacy,
                             "about": "files genmusic wrote here; it removes or replaces no other file"})
        atomic_write_text(self.path, "".join([header + "\n", *(json.dumps(rel) + "\n" for rel in self.entries)]))
        self._exists = True

    def owns(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` is recorded here (and lies inside the folder without a symbolic link on the way)."""
        try:
            rel = self.relative(path)
        except ValueError:
            return False
        if rel not in self.entries:
            self._refresh()
        return rel in self.entries and self._inside(rel)

    def _refresh(self) -> None:
        """Read what other processes (workers) recorded since (only when the file has grown)."""
        try:
            size = os.stat(self.path).st_size
        except OSError:
            return
        if size != self._size:
            self._read()

    def owned(self) -> List[Path]:
        """The recorded files that exist (folders and links on the way excluded)."""
        return [self.folder / rel for rel in self.entries
                if not rel.endswith("/") and self._inside(rel) and os.path.lexists(self.folder / rel)]

    def _inside(self, rel: str) -> bool:
        """No folder between the output folder and ``rel`` is a symbolic link or missing."""
        import stat

        current = self.folder
        for part in rel.rstrip("/").split("/")[:-1]:
            current = current / part
            try:
                if not stat.S_ISDIR(os.lstat(current).st_mode):
                    return False
            except OSError:
                return False
        return True

    def remove(self, paths: Optional[Iterable[str | os.PathLike]] = None, *, prune: bool = True) -> List[str]:
        """Remove recorded files (all of them, or those of ``paths`` that are recorded), and forget them.

        A recorded path that is now a symbolic link loses the link, not what it points to; a folder on the
        way that became a link is not entered. With ``prune``, folders left empty by the removal go too.

        Returns
        -------
        list of str
            The removed paths, relative to the folder.
        """
        import stat

        self._refresh()
        if paths is None:
            chosen = [rel for rel in self.entries if not rel.endswith("/")]
        else:
            chosen = [rel for rel in (self.relative(p) for p in paths) if rel in self.entries]
        removed = []
        for rel in chosen:
            target = self.folder / rel
            if self._inside(rel):
                try:
                    if not stat.S_ISDIR(os.lstat(target).st_mode):
                        os.unlink(target)
                        removed.append(rel)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise output_failure(target, exc) from exc
            self.entries.pop(rel, None)
        if prune:
            parents = sorted({p for rel in removed for p in Path(rel).parents if p.parts}, key=lambda p: -len(p.parts))
            for parent in parents:
                if _posix(parent) + "/" not in self.entries and self._inside(_posix(parent) + "/x"):
                    with contextlib.suppress(OSError):
                        (self.folder / parent).rmdir()
        if chosen:
            self._rewrite()
        return removed

    def forget(self, *paths: str | os.PathLike) -> None:
        """Stop recording ``paths`` (files genmusic has given up, e.g. moved away)."""
        self._refresh()
        rels = [self.relative(p) for p in paths]
        if any(rel in self.entries for rel in rels):
            for rel in rels:
                self.entries.pop(rel, None)
            self._rewrite()

    def unrecorded(self, folder: str | os.PathLike = ".") -> List[Path]:
        """Files (and links) under ``folder`` (relative to the output folder) that this ledger does not record:
        what genmusic keeps and names. The ledger, the lock file and the scratch folder are left out."""
        base = self.folder / folder
        if not base.is_dir() or base.is_symlink():
            return []
        out = []
        for root, dirs, files in os.walk(base):
            rel_root = Path(root).relative_to(self.folder)
            if rel_root == Path("."):
                dirs[:] = [d for d in dirs if d != SCRATCH_DIR]
            for name in dirs:
                if os.path.islink(os.path.join(root, name)):
                    out.append(Path(root) / name)
            for name in files:
                rel = _posix(rel_root / name)
                if rel not in self.entries and rel not in (LEDGER_FILE, LOCK_FILE):
                    out.append(Path(root) / name)
        return sorted(out)

    def scratch(self) -> Optional[Path]:
        """The scratch folder of :func:`atomic_path`, made and recorded here, emptied of what a killed run
        left (it holds nothing else: genmusic made it). None when a folder of that name was there before and
        is not recorded (it is then left alone, and temporary files go beside their targets)."""
        import stat

        scratch = self.folder / SCRATCH_DIR
        rel = SCRATCH_DIR + "/"
        if rel not in self.entries:
            if os.path.lexists(scratch):
                return None
            self.claim(str(scratch) + "/")
            try:
                scratch.mkdir()
            except FileExistsError:
                return None
            except OSError as exc:
                raise output_failure(scratch, exc) from exc
            return scratch
        try:
            if not stat.S_ISDIR(os.lstat(scratch).st_mode):
                return None
        except FileNotFoundError:
            make_folder(scratch)
            return scratch
        for entry in os.scandir(scratch):
            if not entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
        return scratch


    def close(self) -> None:
        """The run is over: what its workers left half-written in the scratch folder (a worker, or a cluster
        node, killed while it wrote; its file was done again elsewhere) is removed, then the folder. A run that
        is itself killed leaves them for the next run (:meth:`scratch`)."""
        if SCRATCH_DIR + "/" not in self.entries or os.path.islink(self.folder / SCRATCH_DIR):
            return
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder / SCRATCH_DIR):
                if not entry.is_dir(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
            (self.folder / SCRATCH_DIR).rmdir()


#: The kinds of output folder: what each is called, the command that writes it, and the files that mark it.
#: The last item: the files a genmusic without ledgers left there (a folder holding one is *legacy*).
FOLDER_KINDS = {
    "spectrograms": ("a spectrogram store", "preprocess", ("manifest.csv", "stats.json"),
                     ("manifest.csv", "stats.json", "config.json")),
    "latents": ("a latent folder", "encode", ("latents.json", "index.csv"), ("latents.json", "index.csv")),
    "model": ("a model folder", "train-vae / train-autoencoder", ("genmusic.json",), ("genmusic.json",)),
    "report": ("an analysis report", "analyze", ("report.html", "results.json"),
               ("report.html", "results.json", "report.md")),
    "generated": ("a folder of generated sound", "generate", (), ()),
}


def folder_kinds(folder: str | os.PathLike) -> List[tuple]:
    """What ``folder`` is: ``[(kind, evidence)]``, from the files that mark each kind and from its ledger."""
    folder = Path(folder)
    found = []
    for kind, (_, _, markers, _) in FOLDER_KINDS.items():
        present = [name for name in markers if os.path.lexists(folder / name)]
        if present:
            found.append((kind, present[0]))
    try:
        with open(folder / LEDGER_FILE, "rb") as handle:
            header = _json_line(handle.readline())
    except OSError:
        header = None
    if isinstance(header, dict) and header.get("kind") in FOLDER_KINDS and \
            header["kind"] not in [kind for kind, _ in found]:
        found.append((header["kind"], LEDGER_FILE))
    return found


def check_folder_kind(folder: str | os.PathLike, kind: str, *, option: str = "output_dir") -> None:
    """Refuse to write ``kind`` into a folder of another kind (a latent folder into a spectrogram store, a
    report into a model folder, ...): each would take the other's files for its own.

    Raises
    ------
    ParameterError
        Naming the folder, what it is, the file that shows it, and ``option``.
    """
    from .errors import ParameterError

    folder = Path(folder)
    if not folder.is_dir():
        return
    for other, evidence in folder_kinds(folder):
        if other != kind:
            what, command, _, _ = FOLDER_KINDS[other]
            wanted = FOLDER_KINDS[kind][0]
            raise ParameterError(f"{shown(folder)} is {what} (it holds {evidence}, written by genmusic {command}), "
                                 f"not {wanted}: writing there would mix the two and could replace its files; "
                                 f"choose another {option}")


def inner_folder(root: str | os.PathLike, *parts: str) -> Path:
    """``root/parts...``, made if needed, where no folder below ``root`` is a symbolic link: genmusic writes
    inside its output folder only, never through a link out of it.

    Raises
    ------
    OutputError
        A folder on the way is a link (the message names it and where it points) or a file.
    """
    import stat

    current = Path(root)
    make_folder(current)
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            try:
                current.mkdir()
            except FileExistsError:
                mode = os.lstat(current).st_mode
            except OSError as exc:
                raise output_failure(current, exc) from exc
            else:
                continue
        if stat.S_ISLNK(mode):
            raise OutputError(f"{shown(current)} is a symbolic link (to {shown(os.readlink(current))}): genmusic writes "
                              f"only inside {shown(root)}, never through a link out of it; remove the link (what it "
                              f"points to is not touched), or choose another output folder")
        if not stat.S_ISDIR(mode):
            raise OutputError(f"{shown(current)} exists and is not a folder; move it away, or choose another output "
                              f"folder")
    return current
