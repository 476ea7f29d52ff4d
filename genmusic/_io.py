"""File plumbing shared by every module that writes: atomic writes and file-system-safe names.

Nothing here knows about audio, spectrograms or models, and this module imports nothing else of genmusic,
so any module (the config included) can use it without an import circle.

* :func:`atomic_path` -- a context manager that hands out a temporary path beside the target and renames
  it onto the target when the block succeeds: it serves writers that want a path (``keras.Model.save``,
  ``Figure.savefig``). A failed block leaves nothing behind.
* :func:`atomic_write` -- the same for writers that want an open binary handle (``np.save``, ``sf.write``);
  :func:`atomic_write_text`, :func:`atomic_write_json`, :func:`atomic_save_npy`, :func:`atomic_save_npz`
  build on it.
* :func:`remove_leftovers` -- delete the temporary files a killed run left in a folder.
* :func:`json_float` -- a number as JSON can hold it (None for NaN and inf).
* :func:`safe_name`, :func:`unique_safe_names` -- names that are safe as file names.

Readers see the old file or the whole new one, never a part: a killed run leaves no half-written file.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional

import numpy as np

__all__ = ["atomic_path", "atomic_write", "atomic_write_text", "atomic_write_json", "atomic_save_npy",
           "atomic_save_npz", "remove_leftovers", "json_float", "safe_name", "unique_safe_names", "TEMPORARY_GLOB"]

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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
