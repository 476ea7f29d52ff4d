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
* :func:`resynthesize` -- signal -> genmusic log spectrogram -> signal, with no model in between: the
  ceiling of the representation.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ._checks import check_integer, valid_array
from .config import SpectrogramConfig
from .griffinlim import griffinlim
from .spectrogram import LogSpectrogramExtractor, MinMaxNormaliser, db_to_magnitude

__all__ = ["fit_frames", "db_to_audio", "frames_to_audio", "resynthesize"]


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
        As in :func:`genmusic.griffinlim.griffinlim`. With ``method="keras"`` a batch runs as one call;
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
        As in :func:`genmusic.griffinlim.griffinlim`.

    Returns
    -------
    np.ndarray [shape=(n,)], float32
    """
    config = config or SpectrogramConfig()
    y = valid_array(y, "y", ndim=1, shape="a 1-D signal")
    db = LogSpectrogramExtractor(config).extract(y)
    return db_to_audio(db, config, len(y), n_iter=n_iter, method=method, seed=seed)
