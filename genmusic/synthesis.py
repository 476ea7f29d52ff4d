"""Normalised spectrogram -> audio: denormalise -> dB -> magnitude -> Griffin-Lim.

The one path from model output to sound, used by generation, evaluation and analysis.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .config import SpectrogramConfig
from .errors import ParameterError
from .spectrogram import MinMaxNormaliser, db_to_magnitude

__all__ = ["segments_to_frames", "frames_to_segments", "normalised_to_audio"]


def segments_to_frames(segments: np.ndarray) -> np.ndarray:
    """Join consecutive segments along time.

    Parameters
    ----------
    segments : np.ndarray [shape=(n_segments, n_freq, segment_frames)]

    Returns
    -------
    np.ndarray [shape=(n_freq, n_segments * segment_frames)]
    """
    segments = np.asarray(segments)
    if segments.ndim == 4 and segments.shape[-1] == 1:
        segments = segments[..., 0]
    if segments.ndim != 3:
        raise ParameterError(f"segments must have shape (n_segments, n_freq, segment_frames), got {segments.shape}")
    n, f, t = segments.shape
    return np.ascontiguousarray(segments.transpose(1, 0, 2).reshape(f, n * t))


def frames_to_segments(frames: np.ndarray, segment_frames: int) -> np.ndarray:
    """Inverse of :func:`segments_to_frames`; the frame count must be a multiple of ``segment_frames``."""
    f, total = frames.shape
    if total % segment_frames:
        raise ParameterError(f"{total} frames is not a multiple of segment_frames={segment_frames}")
    return np.ascontiguousarray(frames.reshape(f, total // segment_frames, segment_frames).transpose(1, 0, 2))


def normalised_to_audio(frames: np.ndarray, normaliser: MinMaxNormaliser, config: SpectrogramConfig, *,
                        length: Optional[int] = None, n_iter: int = 32, method: str = "librosa",
                        seed: int = 0) -> np.ndarray:
    """Turn a normalised log spectrogram back into a waveform with Griffin-Lim.

    Parameters
    ----------
    frames : np.ndarray [shape=(n_fft // 2, n_frames)] or [shape=(batch, n_fft // 2, n_frames)]
        Values in [0, 1] (model outputs or stored spectrograms).
    normaliser : MinMaxNormaliser
        The statistics that undo the normalisation (a song's own, or the dataset's).
    config : SpectrogramConfig
    length : int, optional
        Output length in samples (default ``(n_frames - 1) * hop_length``, what centred frames span).

    Returns
    -------
    np.ndarray [shape=(length,)] or [shape=(batch, length)], float32
    """
    from .griffinlim import griffinlim

    frames = np.asarray(frames, dtype=np.float32)
    if not np.all(np.isfinite(frames)):
        raise ParameterError("the spectrogram holds NaN or infinite values: the model output is unusable "
                             "(was training stopped by a NaN loss?)")
    db = normaliser.inverse_transform(np.clip(frames, 0.0, 1.0))
    magnitude = db_to_magnitude(db, restore_nyquist=True)
    # centred frames: n_frames frames span (n_frames - 1) hops
    length = int(length if length is not None else (frames.shape[-1] - 1) * config.hop_length)
    if magnitude.ndim == 3 and method == "keras":
        return griffinlim(magnitude, n_fft=config.n_fft, hop_length=config.hop_length, n_iter=n_iter,
                          length=length, window=config.window, seed=seed, method="keras")
    if magnitude.ndim == 3:
        return np.stack([normalised_to_audio(f, normaliser, config, length=length, n_iter=n_iter,
                                             method=method, seed=seed) for f in frames])
    return griffinlim(magnitude, n_fft=config.n_fft, hop_length=config.hop_length, n_iter=n_iter,
                      length=length, window=config.window, seed=seed, method=method).astype(np.float32)
