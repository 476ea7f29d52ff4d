"""A decoded signal and its length: :class:`AudioSignal` (the spooling buffer), :class:`Padder`,
:func:`pad_to_segments`.

:class:`AudioSignal` holds a mono float32 signal in memory when it is short and in an unnamed temporary file
when it is long, and reads any range of it. :class:`Padder` fixes a length, and :func:`pad_to_segments` pads
a song to a whole number of segments so that consecutive segments cover every sample.
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import List, Optional

import numpy as np

from .._checks import valid_audio
from .._io import output_failure
from ..config import SpectrogramConfig
from ..errors import ParameterError

__all__ = ["AudioSignal", "Padder", "n_segments_for", "pad_to_segments", "IN_MEMORY_SAMPLES"]

#: A decoded signal longer than this many samples (190 s at 22050 Hz, 16 MiB of float32) is spooled to an
#: unnamed temporary file instead of being held in memory.
IN_MEMORY_SAMPLES = 1 << 22


class AudioSignal:
    """A mono float32 signal read in blocks: held in memory when short, else in an unnamed temporary file.

    What :meth:`Loader.open` returns, and what the block-wise analysis reads (:meth:`read` gives any range,
    zeros outside the signal, as the centred STFT pads). The temporary file has no name (``O_TMPFILE``
    where the system has it): it vanishes when the signal is closed or the process dies, so a killed run
    leaves nothing behind.

    Parameters
    ----------
    sample_rate : int
    name : str
        Where the signal came from (a file), for messages.
    spool_dir : path-like, optional
        Where a long signal is spooled (default: the system's temporary folder). Give the output folder,
        so that a full disk there is reported as an output failure.

    Attributes
    ----------
    n_samples : int
    peak : float
        Largest absolute sample.
    notes : list of str
        What the decoder found worth saying (a truncated file, ...), for warnings.
    """

    def __init__(self, sample_rate: int, name: str = "signal", *, spool_dir: Optional[os.PathLike] = None) -> None:
        self.sample_rate = int(sample_rate)
        self.name = name
        self.spool_dir = spool_dir
        self.n_samples = 0
        self.peak = 0.0
        self.notes: List[str] = []
        self._blocks: List[np.ndarray] = []
        self._array: Optional[np.ndarray] = None
        self._file = None

    @classmethod
    def from_array(cls, y: np.ndarray, sample_rate: int, name: str = "signal") -> "AudioSignal":
        """A signal over an array already in memory (checked: mono, finite)."""
        signal = cls(sample_rate, name)
        y = valid_audio(y, name=name)
        signal._array = y
        signal.n_samples = int(y.shape[0])
        signal.peak = float(np.max(np.abs(y)))
        return signal

    # ---- writing (the decoder)
    def append(self, block: np.ndarray) -> None:
        """Add samples at the end (spooling everything to the temporary file once it grows long)."""
        block = np.ascontiguousarray(block, dtype=np.float32)
        if block.size == 0:
            return
        self.peak = max(self.peak, float(np.max(np.abs(block))))
        self.n_samples += int(block.shape[0])
        if self._file is None and self.n_samples <= IN_MEMORY_SAMPLES:
            self._blocks.append(block)
            return
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix=".genmusic-signal.", suffix=".tmp",
                                                    dir=self.spool_dir)
                for held in self._blocks:
                    self._file.write(held.tobytes())
                self._blocks = []
            self._file.write(block.tobytes())
        except OSError as exc:
            self.close()
            raise output_failure(self.spool_dir or tempfile.gettempdir(), exc) from exc

    def finish(self) -> "AudioSignal":
        """Done appending: join what is held in memory, flush the temporary file."""
        if self._file is None:
            self._array = (np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32))
            self._blocks = []
        else:
            self._file.flush()
        return self

    # ---- reading
    @property
    def in_memory(self) -> bool:
        return self._file is None

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)``, zeros where the range lies outside ``[0, n_samples)``.

        Returns
        -------
        np.ndarray [shape=(stop - start,)], float32
        """
        out = np.zeros(max(0, stop - start), dtype=np.float32)
        lo, hi = max(start, 0), min(stop, self.n_samples)
        if hi > lo:
            if self._file is None:
                out[lo - start:hi - start] = self._array[lo:hi]
            else:
                raw = os.pread(self._file.fileno(), 4 * (hi - lo), 4 * lo)
                out[lo - start:hi - start] = np.frombuffer(raw, dtype=np.float32)
        return out

    def to_array(self) -> np.ndarray:
        """The whole signal [shape=(n_samples,)] (in memory: use :meth:`read` for long signals)."""
        return self._array if self._file is None else self.read(0, self.n_samples)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._array = np.zeros(0, np.float32)
            self.n_samples = 0

    def __enter__(self) -> "AudioSignal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self.n_samples


class Padder:
    """Pad (with zeros, or another ``numpy.pad`` mode) or trim a signal to an exact length.

    Parameters
    ----------
    mode : str
        ``numpy.pad`` mode used when the signal is too short.
    """

    def __init__(self, mode: str = "constant") -> None:
        self.mode = mode

    def fix_length(self, y: np.ndarray, length: int) -> np.ndarray:
        """Return ``y`` padded at the end or trimmed to ``length`` samples along the last axis.

        Parameters
        ----------
        y : np.ndarray [shape=(..., n)]
        length : int >= 0

        Returns
        -------
        np.ndarray [shape=(..., length)]
        """
        if length < 0:
            raise ParameterError(f"length must be >= 0, got {length}")
        n = y.shape[-1]
        if n >= length:
            return y[..., :length]
        width = [(0, 0)] * (y.ndim - 1) + [(0, length - n)]
        return np.pad(y, width, mode=self.mode)

    def left_pad(self, y: np.ndarray, n_missing: int) -> np.ndarray:
        """Prepend ``n_missing`` samples (the tutorial's Padder API)."""
        return np.pad(y, [(0, 0)] * (y.ndim - 1) + [(n_missing, 0)], mode=self.mode)

    def right_pad(self, y: np.ndarray, n_missing: int) -> np.ndarray:
        """Append ``n_missing`` samples (the tutorial's Padder API)."""
        return np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n_missing)], mode=self.mode)


def n_segments_for(n_samples: int, config: SpectrogramConfig) -> int:
    """Number of consecutive segments that cover ``n_samples`` samples (at least one)."""
    return max(1, math.ceil(n_samples / config.segment_samples))


def pad_to_segments(y: np.ndarray, config: SpectrogramConfig, padder: Optional[Padder] = None) -> np.ndarray:
    """Zero-pad ``y`` to a whole number of segments (a signal shorter than one segment gets one).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    config : SpectrogramConfig

    Returns
    -------
    np.ndarray [shape=(n_segments * config.segment_samples,)]
    """
    padder = padder or Padder()
    return padder.fix_length(y, n_segments_for(y.shape[-1], config) * config.segment_samples)
