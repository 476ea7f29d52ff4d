"""Spectrogram inversion: genmusic spectrograms back to audio of an exact length.

The one path from a spectrogram to sound, used by generation, evaluation, analysis and the benchmarks::

    normalised frames in [0, 1] --MinMaxNormaliser.inverse_transform--> dB
        --db_to_magnitude (Nyquist bin restored)--> |STFT| --fit_frames--> 1 + length // hop_length frames
        --griffinlim(length=length)--> exactly ``length`` samples

* :func:`fit_frames` -- trim a spectrogram, or extend it by repeating its last frame, to the frame count
  a signal of ``length`` samples has (centred frames: ``1 + length // hop_length``).
* :func:`db_to_audio` -- dB frames -> audio of ``length`` samples.
* :func:`frames_to_audio` -- normalised frames -> audio of ``length`` samples (denormalise, then
  :func:`db_to_audio`).
* :func:`frames_to_audio_blocks` -- the same, a block of :data:`GL_BLOCK_FRAMES` frames at a time, for
  spectrograms computed on demand: memory does not grow with the length of a song.
* :func:`resynthesize` -- signal -> genmusic log spectrogram -> signal, with no model in between: the
  ceiling of the representation.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional

import numpy as np

from .._checks import check_integer, valid_array
from ..config import SpectrogramConfig
from .griffinlim import griffinlim
from .spectrogram import LogSpectrogramExtractor, MinMaxNormaliser, db_to_magnitude

__all__ = ["fit_frames", "db_to_audio", "frames_to_audio", "frames_to_audio_blocks", "resynthesize",
           "GL_BLOCK_FRAMES"]


def fit_frames(frames: np.ndarray, n_frames: int) -> np.ndarray:
    """Trim a spectrogram to ``n_frames`` frames, or extend it by repeating its last frame.

    Griffin-Lim for a signal of exactly ``length`` samples needs ``1 + length // hop_length`` centred
    frames; a song cut into whole segments has ``n_segments * segment_frames`` of them, at most one
    fewer.

    Parameters
    ----------
    frames : np.ndarray [shape=(..., n_freq, n)]
    n_frames : int >= 1

    Returns
    -------
    np.ndarray [shape=(..., n_freq, n_frames)]
    """
    n = frames.shape[-1]
    if n >= n_frames:
        return frames[..., :n_frames]
    pad = [(0, 0)] * (frames.ndim - 1) + [(0, n_frames - n)]
    return np.pad(frames, pad, mode="edge")


def db_to_audio(db: np.ndarray, config: SpectrogramConfig, length: int, *, n_iter: int = 32,
                method: str = "librosa", seed: Optional[int] = 0) -> np.ndarray:
    """Turn a log spectrogram (dB, Nyquist bin dropped) into exactly ``length`` samples with Griffin-Lim.

    Parameters
    ----------
    db : np.ndarray [shape=(n_fft // 2, n_frames)] or [shape=(batch, n_fft // 2, n_frames)]
        Fitted to ``1 + length // hop_length`` frames by :func:`fit_frames`.
    config : SpectrogramConfig
        ``n_fft``, ``hop_length`` and ``window`` of the inverse.
    length : int >= 1
        Samples in the output.
    n_iter, method, seed
        As in :func:`genmusic.features.griffinlim.griffinlim`. With ``method="keras"`` a batch runs as one call;
        with ``"librosa"`` item by item.

    Returns
    -------
    np.ndarray [shape=(length,)] or [shape=(batch, length)], float32
    """
    length = check_integer(length, "length", minimum=1, what="a positive number of samples")
    db = fit_frames(np.asarray(db, dtype=np.float32), 1 + length // config.hop_length)
    magnitude = db_to_magnitude(db, restore_nyquist=True)
    options = dict(n_fft=config.n_fft, hop_length=config.hop_length, n_iter=n_iter, length=length,
                   window=config.window, seed=seed)
    if magnitude.ndim == 3 and method != "keras":
        return np.stack([griffinlim(m, method=method, **options) for m in magnitude]).astype(np.float32)
    return griffinlim(magnitude, method=method, **options).astype(np.float32, copy=False)


#: Frames Griffin-Lim rebuilds in one pass (47.6 s at 22050 Hz, hop 256). A longer spectrogram is rebuilt
#: block by block (:func:`frames_to_audio_blocks`), so memory does not grow with the length of a song.
GL_BLOCK_FRAMES = 4096
#: Frames of context a block's Griffin-Lim also sees on each side (its edges are less certain).
GL_CONTEXT_FRAMES = 64
#: Frames over which two neighbouring blocks are crossfaded (inside the context).
GL_CROSSFADE_FRAMES = 32

FrameSource = Callable[[int, int], np.ndarray]


def frames_to_audio_blocks(frames: FrameSource, n_frames: int, normaliser: MinMaxNormaliser,
                           config: SpectrogramConfig, length: int, *, n_iter: int = 32, method: str = "librosa",
                           seed: Optional[int] = 0, block_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    """Turn a normalised log spectrogram into exactly ``length`` samples, block by block.

    The spectrogram is read through ``frames(start, stop)`` only as far as each block needs it, so a
    spectrogram computed on demand (decoded windows, a long song's analysis) is never held whole. Up to
    ``block_frames`` frames are rebuilt by one Griffin-Lim over everything (then this is exactly
    :func:`frames_to_audio`). Longer ones are cut into blocks of about ``block_frames`` frames, each
    rebuilt with :data:`GL_CONTEXT_FRAMES` frames of context on both sides and starting from the phase the
    previous block ended with on the frames they share, so that neighbouring blocks agree; they are
    joined with raised-cosine crossfades of :data:`GL_CROSSFADE_FRAMES` frames.

    Parameters
    ----------
    frames : callable (start, stop) -> np.ndarray [shape=(n_fft // 2, stop - start)]
        Normalised frames (values in [0, 1]; clipped) for ``0 <= start < stop <= n_frames``.
    n_frames : int >= 1
        Frames available; the audio needs ``1 + length // hop_length`` of them, and missing ones repeat
        the last (as :func:`fit_frames`).
    normaliser, config, length, n_iter, method, seed
        As in :func:`frames_to_audio`.
    block_frames : int >= 2 * GL_CROSSFADE_FRAMES, optional
        Frames per block (default: :data:`GL_BLOCK_FRAMES`, read when called).

    Yields
    ------
    np.ndarray [shape=(m,)], float32
        Consecutive pieces of the audio; together exactly ``length`` samples.
    """
    length = check_integer(length, "length", minimum=1, what="a positive number of samples")
    n_frames = check_integer(n_frames, "n_frames", minimum=1)
    block_frames = check_integer(GL_BLOCK_FRAMES if block_frames is None else block_frames, "block_frames",
                                 minimum=2 * GL_CROSSFADE_FRAMES)
    hop = config.hop_length
    needed = 1 + length // hop

    def db(start: int, stop: int) -> np.ndarray:
        have = frames(start, min(stop, n_frames)) if start < n_frames else np.zeros((config.n_freq_bins, 0))
        have = valid_array(have, "frames", dtype=np.float32)
        if have.shape[1] < stop - start:  # past the end: repeat the last frame
            last = have[:, -1:] if have.shape[1] else np.asarray(frames(n_frames - 1, n_frames), np.float32)
            have = np.concatenate([have, np.repeat(last, stop - start - have.shape[1], axis=1)], axis=1)
        return normaliser.inverse_transform(np.clip(have, 0.0, 1.0))

    options = dict(n_iter=n_iter, method=method)
    if needed <= block_frames + 2 * GL_CONTEXT_FRAMES:
        yield db_to_audio(db(0, needed), config, length, seed=seed, **options)
        return
    n_blocks = -(-(needed - 1) // block_frames)
    per_block = -(-(needed - 1) // n_blocks)
    half = GL_CROSSFADE_FRAMES * hop // 2
    fade_in = (np.sin(0.5 * np.pi * (np.arange(2 * half) + 0.5) / (2 * half)) ** 2).astype(np.float32)
    carried = None  # (first global frame, phase [n_bins, n]) the previous block ended with
    tail = None  # the previous block's audio over the crossfade at this block's start
    for k in range(n_blocks):
        g0 = max(0, k * per_block - GL_CONTEXT_FRAMES)
        g1 = min(needed, (k + 1) * per_block + GL_CONTEXT_FRAMES + 1)
        sub_length = length - g0 * hop if g1 == needed else (g1 - 1 - g0) * hop
        magnitude = db_to_magnitude(db(g0, g1), restore_nyquist=True)
        init = None
        if carried is not None:
            first, phase = carried
            init = np.full(magnitude.shape, np.nan, dtype=np.float32)
            shared = min(g1, first + phase.shape[1]) - g0
            init[:, :shared] = phase[:, g0 - first:g0 - first + shared]
        block_seed = seed if (seed is None or k == 0) else [seed, k]
        y = griffinlim(magnitude, n_fft=config.n_fft, hop_length=hop, length=sub_length, window=config.window,
                       seed=block_seed, init_phase=init, **options)
        start = 0 if k == 0 else k * per_block * hop + half
        stop = length if k == n_blocks - 1 else (k + 1) * per_block * hop - half
        if tail is not None:
            head = y[k * per_block * hop - half - g0 * hop:k * per_block * hop + half - g0 * hop]
            yield (tail * fade_in[::-1] + head * fade_in).astype(np.float32)
        yield y[start - g0 * hop:stop - g0 * hop]
        if k < n_blocks - 1:
            edge = (k + 1) * per_block * hop
            tail = y[edge - half - g0 * hop:edge + half - g0 * hop]
            next_g0 = (k + 1) * per_block - GL_CONTEXT_FRAMES
            carried = (next_g0, _phase_of(y, config, g0, next_g0, g1))


def _phase_of(y: np.ndarray, config: SpectrogramConfig, g0: int, start: int, stop: int) -> np.ndarray:
    """Phase of frames ``[start, stop)`` (global) of the centred STFT of ``y``, whose first frame is ``g0``."""
    import librosa

    hop, half = config.hop_length, config.n_fft // 2
    a = (start - g0) * hop - half
    piece = y[max(0, a):(stop - 1 - g0) * hop + half]
    piece = np.pad(piece, (max(0, -a), (stop - start - 1) * hop + 2 * half - len(piece) - max(0, -a)))
    spectrum = librosa.stft(piece, n_fft=config.n_fft, hop_length=hop, window=config.window, center=False)
    return np.angle(spectrum).astype(np.float32)


def frames_to_audio(frames: np.ndarray, normaliser: MinMaxNormaliser, config: SpectrogramConfig, length: int, *,
                    n_iter: int = 32, method: str = "librosa", seed: Optional[int] = 0) -> np.ndarray:
    """Turn a normalised log spectrogram into exactly ``length`` samples.

    Parameters
    ----------
    frames : np.ndarray [shape=(n_fft // 2, n_frames)] or [shape=(batch, n_fft // 2, n_frames)]
        Values in [0, 1] (model outputs or stored spectrograms); clipped to [0, 1].
    normaliser : MinMaxNormaliser
        The statistics that undo the normalisation (a song's own, or the dataset's).
    config : SpectrogramConfig
    length : int >= 1
        Samples in the output; the frames are fitted to it (:func:`fit_frames`).
    n_iter, method, seed
        As in :func:`db_to_audio`.

    Returns
    -------
    np.ndarray [shape=(length,)] or [shape=(batch, length)], float32

    Raises
    ------
    ParameterError
        The frames hold NaN or inf (a model whose training diverged).
    """
    frames = valid_array(frames, "frames", dtype=np.float32)
    if frames.ndim == 2:  # one song: block by block when it is long (the same one pass when it is not)
        blocks = frames_to_audio_blocks(lambda start, stop: frames[:, start:stop], frames.shape[1], normaliser, config,
                                        length, n_iter=n_iter, method=method, seed=seed)
        return np.concatenate(list(blocks))
    db = normaliser.inverse_transform(np.clip(frames, 0.0, 1.0))
    return db_to_audio(db, config, length, n_iter=n_iter, method=method, seed=seed)


def resynthesize(y: np.ndarray, config: Optional[SpectrogramConfig] = None, *, n_iter: int = 32,
                 method: str = "librosa", seed: Optional[int] = 0) -> np.ndarray:
    """Signal -> genmusic log spectrogram -> signal, with no model in between.

    :meth:`LogSpectrogramExtractor.extract` (dB, Nyquist bin dropped, ``top_db`` floor), then
    :func:`db_to_audio` with the config's ``n_fft``, ``hop_length`` and ``window``. What is lost here (the
    phase, the Nyquist bin, everything ``top_db`` below the peak) is lost for every model that predicts
    these spectrograms: this is the ceiling of the representation.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Real, finite signal.
    config : SpectrogramConfig or None
        None: ``SpectrogramConfig()``.
    n_iter, method, seed
        As in :func:`genmusic.features.griffinlim.griffinlim`.

    Returns
    -------
    np.ndarray [shape=(n,)], float32
    """
    config = config or SpectrogramConfig()
    y = valid_array(y, "y", ndim=1, shape="a 1-D signal")
    db = LogSpectrogramExtractor(config).extract(y)
    return db_to_audio(db, config, len(y), n_iter=n_iter, method=method, seed=seed)
