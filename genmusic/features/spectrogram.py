"""Log-magnitude spectrograms and their normalisation.

:class:`LogSpectrogramExtractor` computes ``|STFT|`` in dB (Nyquist bin dropped, see
:class:`~genmusic.config.SpectrogramConfig`) and cuts a song into consecutive segments;
:class:`SongFrames` gives a song's normalised frames and segments block by block, so that memory does not
grow with the length of the song;
:func:`db_to_magnitude` undoes the dB step for phase reconstruction. :class:`MinMaxNormaliser` maps
dB values to [0, 1] and back, scikit-learn style.
"""

from __future__ import annotations

import functools
from typing import Iterator, Optional, Tuple

import numpy as np

from .._checks import check_config
from ..config import SpectrogramConfig
from ..errors import ParameterError

__all__ = ["LogSpectrogramExtractor", "SongFrames", "MinMaxNormaliser", "db_to_magnitude", "magnitude_to_db",
           "ANALYSIS_BLOCK_FRAMES", "KEEP_FRAMES"]

#: Frames the block-wise analysis computes at a time (23.8 s at 22050 Hz, hop 256; whole segments).
ANALYSIS_BLOCK_FRAMES = 2048
#: A song of at most this many frames (190 s at 22050 Hz, hop 256; 32 MiB of float32) keeps its dB frames
#: from the first pass; a longer one is analysed again, block by block, for each range it is asked for.
KEEP_FRAMES = 16384


def magnitude_to_db(magnitude: np.ndarray, *, amin: float = 1e-5, top_db: Optional[float] = 80.0) -> np.ndarray:
    """``20 log10(max(amin, |S|))``, clipped to ``top_db`` below its own peak.

    Parameters
    ----------
    magnitude : np.ndarray [shape=(..., n_freq, n_frames)]
    amin : float > 0
    top_db : float or None

    Returns
    -------
    np.ndarray, same shape, float32
    """
    db = 20.0 * np.log10(np.maximum(amin, np.abs(magnitude)), dtype=np.float32)
    if top_db is not None:
        db = np.maximum(db, db.max() - np.float32(top_db))
    return db.astype(np.float32, copy=False)


def db_to_magnitude(db: np.ndarray, *, restore_nyquist: bool = True) -> np.ndarray:
    """Magnitudes from dB; optionally append the dropped Nyquist bin (as zeros).

    Parameters
    ----------
    db : np.ndarray [shape=(..., n_fft // 2, n_frames)]
    restore_nyquist : bool
        Append one zero row so the result has ``n_fft // 2 + 1`` bins, ready for an inverse STFT
        with the forward transform's ``n_fft``.

    Returns
    -------
    np.ndarray [shape=(..., n_fft // 2 + 1, n_frames)], float32
    """
    mag = np.power(np.float32(10.0), np.asarray(db, dtype=np.float32) / np.float32(20.0))
    if restore_nyquist:
        pad = [(0, 0)] * (mag.ndim - 2) + [(0, 1), (0, 0)]
        mag = np.pad(mag, pad)
    return mag.astype(np.float32, copy=False)


#: Frames transformed at a time by the Hann STFT: a block's float64 temporaries stay small (2 MiB at n_fft 1024),
#: so the transform runs in cache and its memory does not grow with the audio's length.
_STFT_BLOCK_FRAMES = 256


@functools.lru_cache(maxsize=8)
def _periodic_hann(n: int) -> np.ndarray:
    """``scipy.signal.get_window("hann", n, fftbins=True)``, computed the same way (bit for bit); read-only."""
    fac = np.linspace(-np.pi, np.pi, n + 1, dtype=np.float64)
    w = np.zeros(n + 1, dtype=np.float64)
    for k, a in enumerate((0.5, 0.5)):
        w += a * np.cos(k * fac)
    w = w[:-1, None]
    w.setflags(write=False)
    return w


def _hann_blocks(y: np.ndarray, n_fft: int, hop_length: int, n_bins: int) -> Iterator[Tuple[slice, np.ndarray]]:
    """The first ``n_bins`` rows of the Hann-windowed STFT of ``y`` (frames from sample 0, no centring), a block
    of :data:`_STFT_BLOCK_FRAMES` frames at a time, as ``librosa.stft(center=False)`` computes them: the float32
    frames times the float64 window, ``scipy.fft.rfft``, rounded to complex64.

    Yields
    ------
    (slice of frames, np.ndarray [shape=(n_bins, frames in the block), dtype=complex64])
    """
    import scipy.fft

    window = _periodic_hann(n_fft)
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop_length].T
    n_frames = frames.shape[1]
    block = np.empty((n_bins, min(_STFT_BLOCK_FRAMES, n_frames)), dtype=np.complex64)
    for start in range(0, n_frames, _STFT_BLOCK_FRAMES):
        part = slice(start, min(start + _STFT_BLOCK_FRAMES, n_frames))
        out = block[:, : part.stop - start]
        out[...] = scipy.fft.rfft(window * frames[:, part], axis=0)[:n_bins]
        yield part, out


def _hann_stft(y: np.ndarray, n_fft: int, hop_length: int, n_bins: int) -> np.ndarray:
    """The first ``n_bins`` rows of ``librosa.stft(y, window="hann", center=True, pad_mode="constant")``.

    Bit for bit the same numbers (the same window, frames and ``scipy.fft.rfft``, tested against librosa),
    without importing librosa's signal stack (scipy.signal, numba): about 1.7 CPU seconds that every
    preprocessing and encoding worker would pay on its first file.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), dtype=float32]

    Returns
    -------
    np.ndarray [shape=(n_bins, 1 + n // hop_length), dtype=complex64]
    """
    y = np.pad(y, n_fft // 2)
    out = np.empty((n_bins, 1 + (len(y) - n_fft) // hop_length), dtype=np.complex64)
    for part, block in _hann_blocks(y, n_fft, hop_length, n_bins):
        out[:, part] = block
    return out


def _hann_db(y: np.ndarray, n_fft: int, hop_length: int, n_bins: int, amin: float) -> np.ndarray:
    """``magnitude_to_db(|_hann_blocks(y)|, amin=amin, top_db=None)`` bit for bit, computed in one float32 array
    (no temporaries the size of the song: freeing and faulting them in again cost more than the STFT).

    Returns
    -------
    np.ndarray [shape=(n_bins, 1 + (n - n_fft) // hop_length), dtype=float32]
    """
    out = np.empty((n_bins, 1 + (len(y) - n_fft) // hop_length), dtype=np.float32)
    for part, block in _hann_blocks(y, n_fft, hop_length, n_bins):
        np.abs(block, out=out[:, part])
    np.maximum(out, np.float32(amin), out=out)
    np.log10(out, out=out)
    out *= np.float32(20.0)
    return out


class LogSpectrogramExtractor:
    """``|STFT|`` in dB with the Nyquist bin dropped.

    Parameters
    ----------
    config : SpectrogramConfig
    """

    def __init__(self, config: Optional[SpectrogramConfig] = None) -> None:
        self.config = check_config(config, SpectrogramConfig, "LogSpectrogramExtractor",
                                   example="LogSpectrogramExtractor(SpectrogramConfig(n_fft=1024, hop_length=256))",
                                   tutorial="genmusic.tutorial.LogSpectrogramExtractor(frame_size, hop_length)")

    def stft_magnitude(self, y: np.ndarray) -> np.ndarray:
        """Magnitude STFT, centred frames, Nyquist bin dropped.

        Parameters
        ----------
        y : np.ndarray [shape=(n,)]

        Returns
        -------
        np.ndarray [shape=(n_fft // 2, 1 + n // hop_length)], float32
        """
        cfg = self.config
        y = np.asarray(y, dtype=np.float32)
        if cfg.window == "hann":
            stft = _hann_stft(y, cfg.n_fft, cfg.hop_length, cfg.n_freq_bins)
        else:
            import librosa

            stft = librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length, window=cfg.window, center=True,
                                pad_mode="constant")[: cfg.n_freq_bins]
        return np.abs(stft).astype(np.float32, copy=False)

    def extract(self, y: np.ndarray) -> np.ndarray:
        """Log spectrogram in dB, floored ``top_db`` below the signal's peak.

        Parameters
        ----------
        y : np.ndarray [shape=(n,)]

        Returns
        -------
        np.ndarray [shape=(n_fft // 2, 1 + n // hop_length)], float32
        """
        cfg = self.config
        return magnitude_to_db(self.stft_magnitude(y), amin=cfg.amin, top_db=cfg.top_db)

    def db_frames(self, signal, start: int, stop: int) -> np.ndarray:
        """dB (no floor) of frames ``[start, stop)`` of the centred STFT of ``signal``.

        Frame ``f`` is centred on sample ``f * hop_length``; samples outside the signal are zeros, so
        the frames equal those of :meth:`stft_magnitude` of the signal zero-padded to any length.

        Parameters
        ----------
        signal : AudioSignal or anything with ``read(start, stop) -> np.ndarray``
        start, stop : int

        Returns
        -------
        np.ndarray [shape=(n_fft // 2, stop - start)], float32
            ``20 log10(max(amin, |S|))``.
        """
        cfg = self.config
        half = cfg.n_fft // 2
        y = signal.read(start * cfg.hop_length - half, (stop - 1) * cfg.hop_length - half + cfg.n_fft)
        if cfg.window == "hann":  # librosa's numbers, without its imports or its temporaries
            return _hann_db(np.asarray(y, dtype=np.float32), cfg.n_fft, cfg.hop_length, cfg.n_freq_bins, cfg.amin)
        import librosa

        stft = librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length, window=cfg.window, center=False)
        return magnitude_to_db(np.abs(stft[: cfg.n_freq_bins]), amin=cfg.amin, top_db=None)

    def extract_segments(self, y: np.ndarray) -> np.ndarray:
        """Cut a padded song into consecutive segments of log spectrogram.

        The STFT runs over the whole song (so segments share context at their edges); segment ``i``
        holds frames ``[i * segment_frames, (i + 1) * segment_frames)``, i.e. the frames centred on
        samples ``i * segment_samples`` up to the next segment.

        Parameters
        ----------
        y : np.ndarray [shape=(n_segments * segment_samples,)]
            Use :func:`genmusic.audio.pad_to_segments` first.

        Returns
        -------
        np.ndarray [shape=(n_segments, n_fft // 2, segment_frames)], float32
        """
        cfg = self.config
        if y.shape[-1] % cfg.segment_samples or y.shape[-1] == 0:
            raise ParameterError(f"signal length {y.shape[-1]} is not a positive multiple of segment_samples "
                                 f"{cfg.segment_samples}; pad it with genmusic.audio.pad_to_segments first")
        n_seg = y.shape[-1] // cfg.segment_samples
        db = self.extract(y)[:, : n_seg * cfg.segment_frames]
        return np.ascontiguousarray(
            db.reshape(cfg.n_freq_bins, n_seg, cfg.segment_frames).transpose(1, 0, 2))


class SongFrames:
    """A song's normalised log spectrogram, computed block by block from its signal.

    The frames are those of :meth:`LogSpectrogramExtractor.extract` of the song zero-padded to whole
    segments (what preprocessing computes), floored ``top_db`` below the song's peak and min-max
    normalised with the song's own statistics; frames past the last segment (the zero-padded tail) are
    clipped to [0, 1]. One pass over the signal finds the statistics (:attr:`db_min`, :attr:`db_max`);
    :meth:`frames` and :meth:`segment_blocks` give any range. A song of up to :data:`KEEP_FRAMES` frames
    keeps its frames from that pass; a longer one is analysed again for each range, a block of
    :data:`ANALYSIS_BLOCK_FRAMES` frames at a time, so memory does not grow with its length.

    Parameters
    ----------
    extractor : LogSpectrogramExtractor
    signal : AudioSignal
        Anything with ``read(start, stop)`` and ``n_samples``.
    n_segments : int
        Segments covering the song (:func:`genmusic.audio.n_segments_for`).

    Attributes
    ----------
    db_min, db_max : float
        The statistics :class:`MinMaxNormaliser` finds on the song's segments.
    floor : float
        ``top_db`` below the song's peak: quieter bins are raised to it.
    """

    def __init__(self, extractor: LogSpectrogramExtractor, signal, n_segments: int) -> None:
        cfg = extractor.config
        self.extractor = extractor
        self.signal = signal
        self.n_segments = int(n_segments)
        self.segment_frames = cfg.segment_frames
        n = self.n_segments * cfg.segment_frames  # the segments' frames; frame n also sets the peak (as extract)
        self._kept = np.empty((cfg.n_freq_bins, n + 1), np.float32) if n + 1 <= KEEP_FRAMES else None
        peak, inside_peak, inside_low = np.float32(-np.inf), np.float32(-np.inf), np.float32(np.inf)
        for start in range(0, n + 1, _block_frames(cfg)):
            db = extractor.db_frames(signal, start, min(start + _block_frames(cfg), n + 1))
            if self._kept is not None:
                self._kept[:, start:start + db.shape[1]] = db
            inside = db[:, : max(0, n - start)]
            if inside.size:
                inside_peak, inside_low = max(inside_peak, inside.max()), min(inside_low, inside.min())
            peak = max(peak, db.max())
        self.floor = np.float32(peak - np.float32(cfg.top_db))
        self.db_max = float(max(inside_peak, self.floor))
        self.db_min = float(max(inside_low, self.floor))

    @property
    def normaliser(self) -> MinMaxNormaliser:
        return MinMaxNormaliser.from_stats(self.db_min, self.db_max)

    def frames(self, start: int, stop: int) -> np.ndarray:
        """Normalised frames ``[start, stop)`` (frames past the segments are the zero-padded tail).

        Returns
        -------
        np.ndarray [shape=(n_fft // 2, stop - start)], float32, values in [0, 1]
        """
        if self._kept is not None and stop <= self._kept.shape[1]:
            db = self._kept[:, start:stop]
        else:
            db = self.extractor.db_frames(self.signal, start, stop)
        normalised = self.normaliser.transform(np.maximum(db, self.floor))
        return np.clip(normalised, 0.0, 1.0).astype(np.float32, copy=False)

    def segment_blocks(self) -> Iterator[np.ndarray]:
        """The song's consecutive segments, a block of them at a time.

        Yields
        ------
        np.ndarray [shape=(k, n_fft // 2, segment_frames)], float32 in [0, 1]
        """
        cfg = self.extractor.config
        per_block = _block_frames(cfg) // cfg.segment_frames
        for first in range(0, self.n_segments, per_block):
            last = min(self.n_segments, first + per_block)
            frames = self.frames(first * cfg.segment_frames, last * cfg.segment_frames)
            yield np.ascontiguousarray(frames.reshape(cfg.n_freq_bins, last - first, cfg.segment_frames)
                                       .transpose(1, 0, 2))


def _block_frames(config: SpectrogramConfig) -> int:
    """:data:`ANALYSIS_BLOCK_FRAMES` rounded to whole segments (at least one)."""
    return max(1, ANALYSIS_BLOCK_FRAMES // config.segment_frames) * config.segment_frames


class MinMaxNormaliser:
    """Map values linearly from ``[data_min_, data_max_]`` to ``[min_val, max_val]`` and back.

    Learned state (``data_min_``, ``data_max_``) exists only after :meth:`fit` (or
    :meth:`from_stats`). A zero range (silence, a constant input) maps to ``min_val`` instead of
    dividing by zero, and the inverse gives the constant back.

    Parameters
    ----------
    min_val, max_val : float
        Output range.

    Examples
    --------
    >>> x = np.array([-80.0, -40.0, 0.0])
    >>> norm = MinMaxNormaliser().fit(x)
    >>> norm.transform(x)
    array([0. , 0.5, 1. ])
    """

    def __init__(self, min_val: float = 0.0, max_val: float = 1.0) -> None:
        if not max_val > min_val:
            raise ParameterError(f"max_val must be greater than min_val, got min_val={min_val}, max_val={max_val}")
        self.min_val = float(min_val)
        self.max_val = float(max_val)

    @classmethod
    def from_stats(cls, data_min: float, data_max: float, min_val: float = 0.0,
                   max_val: float = 1.0) -> "MinMaxNormaliser":
        """A normaliser with known statistics (e.g. read back from a spectrogram store)."""
        norm = cls(min_val, max_val)
        if not (np.isfinite(data_min) and np.isfinite(data_max)) or data_max < data_min:
            raise ParameterError(f"statistics must be finite with data_min <= data_max, got "
                                 f"data_min={data_min}, data_max={data_max}")
        norm.data_min_ = float(data_min)
        norm.data_max_ = float(data_max)
        return norm

    def fit(self, x: np.ndarray) -> "MinMaxNormaliser":
        """Learn ``data_min_`` and ``data_max_`` from ``x`` (any shape, finite values)."""
        x = np.asarray(x)
        if x.size == 0:
            raise ParameterError("cannot fit a MinMaxNormaliser on an empty array")
        if not np.all(np.isfinite(x)):
            raise ParameterError("cannot fit a MinMaxNormaliser on values holding NaN or inf")
        self.data_min_ = float(x.min())
        self.data_max_ = float(x.max())
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "data_min_"):
            raise ParameterError("this MinMaxNormaliser is not fitted yet: call fit(x) or use from_stats(min, max)")

    @property
    def data_range_(self) -> float:
        self._check_fitted()
        return self.data_max_ - self.data_min_

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Scale ``x`` to ``[min_val, max_val]`` (values outside the fitted range fall outside it)."""
        self._check_fitted()
        x = np.asarray(x)
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
        rng = self.data_range_
        if rng == 0.0:
            return np.full(x.shape, self.min_val, dtype=dtype)
        scale = (self.max_val - self.min_val) / rng
        return ((x - self.data_min_) * scale + self.min_val).astype(dtype, copy=False)

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)

    def inverse_transform(self, x: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`."""
        self._check_fitted()
        x = np.asarray(x)
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
        rng = self.data_range_
        scale = rng / (self.max_val - self.min_val)
        return ((x - self.min_val) * scale + self.data_min_).astype(dtype, copy=False)
