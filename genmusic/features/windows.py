"""Windows over a song's spectrogram: cut them, and join them back with crossfades.

A model sees one segment of ``segment_frames`` frames at a time. A song's spectrogram is cut into windows
of that size, one every ``hop_frames`` frames (:func:`slice_windows`); decoded windows are joined back with
raised-cosine crossfades whose weights sum to one (:func:`overlap_add`, :func:`crossfade_weights`), so a
window border always lies inside another window and no seam is audible. ``hop_frames == segment_frames``
is the plain concatenation of consecutive segments (no overlap); :func:`overlap_add_range` gives any range of
frames from only the windows that touch it, so long songs are decoded a block at a time. Pure NumPy.
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

import numpy as np

from .._checks import check_number
from ..errors import ParameterError

__all__ = ["hop_frames_for", "n_windows_for", "crossfade_weights", "slice_windows", "overlap_add", "overlap_add_range",
           "windows_touching"]


def hop_frames_for(segment_frames: int, overlap: float) -> int:
    """Frames between the starts of consecutive windows: ``round(segment_frames * (1 - overlap))``, >= 1.

    Parameters
    ----------
    segment_frames : int >= 1
    overlap : float in [0, 1)
        Fraction of a window shared with the next one (0: consecutive segments).
    """
    overlap = check_number(overlap, "overlap", minimum=0.0, maximum=1.0, exclusive_maximum=True,
                           what="a number in [0, 1)")
    return max(1, int(round(segment_frames * (1.0 - float(overlap)))))


def n_windows_for(n_frames: int, segment_frames: int, hop_frames: int) -> int:
    """Windows of ``segment_frames`` every ``hop_frames`` needed to cover ``n_frames`` frames (at least one)."""
    return 1 + max(0, math.ceil((n_frames - segment_frames) / hop_frames))


def crossfade_weights(segment_frames: int, hop_frames: int) -> np.ndarray:
    """Overlap-add weights of one window: raised-cosine ramps over the overlapping frames, flat between.

    With ``r = segment_frames - hop_frames`` overlapping frames, frame ``j < r`` of a window has weight
    ``sin^2(pi / 2 * (j + 0.5) / r)`` and the mirror image holds at the window's end, so where two
    windows overlap their weights are ``sin^2 + cos^2 = 1``. Where more than two windows overlap
    (``overlap > 0.5``) :func:`overlap_add` divides by the summed weights, so the result is always a
    convex combination. Every weight is > 0, so the first and last frames of a song, covered by one
    window only, come back unchanged.

    Returns
    -------
    np.ndarray [shape=(segment_frames,)], float64 in (0, 1]
    """
    w = np.ones(segment_frames, dtype=np.float64)
    r = segment_frames - hop_frames
    if r > 0:
        ramp = np.sin(0.5 * np.pi * (np.arange(r) + 0.5) / r) ** 2
        w[:r] = np.minimum(w[:r], ramp)
        w[segment_frames - r:] = np.minimum(w[segment_frames - r:], ramp[::-1])
    return w


def slice_windows(frames: np.ndarray, segment_frames: int, hop_frames: int, n_windows: int) -> np.ndarray:
    """Cut ``n_windows`` windows of ``segment_frames`` frames, one every ``hop_frames``, from a spectrogram.

    Parameters
    ----------
    frames : np.ndarray [shape=(n_freq, n_frames)]
        ``n_frames >= (n_windows - 1) * hop_frames + segment_frames``.

    Returns
    -------
    np.ndarray [shape=(n_windows, n_freq, segment_frames)]
    """
    need = (n_windows - 1) * hop_frames + segment_frames
    if frames.ndim != 2 or frames.shape[1] < need:
        raise ParameterError(f"frames must have shape (n_freq, >= {need}) for {n_windows} window(s) of "
                             f"{segment_frames} every {hop_frames} frames, got {frames.shape}")
    return np.stack([frames[:, i * hop_frames:i * hop_frames + segment_frames] for i in range(n_windows)])


def overlap_add(windows: np.ndarray, hop_frames: int) -> np.ndarray:
    """Join windows placed every ``hop_frames`` frames, crossfading where they overlap.

    The inverse of :func:`slice_windows`: windows cut from one spectrogram come back as that
    spectrogram exactly (up to float round-off).

    Parameters
    ----------
    windows : np.ndarray [shape=(n_windows, n_freq, segment_frames)]
    hop_frames : int in [1, segment_frames]

    Returns
    -------
    np.ndarray [shape=(n_freq, (n_windows - 1) * hop_frames + segment_frames)], float32
    """
    windows = np.asarray(windows)
    if windows.ndim not in (3, 4) or len(windows) == 0:
        raise ParameterError(f"windows must have shape (n_windows, n_freq, segment_frames), got {windows.shape}")
    k, seg = windows.shape[0], windows.shape[2]
    return overlap_add_range(windows, 0, hop_frames, 0, (k - 1) * min(max(hop_frames, 1), seg) + seg)


def overlap_add_range(windows: np.ndarray, first: int, hop_frames: int, start: int, stop: int,
                      n_windows: Optional[int] = None) -> np.ndarray:
    """Frames ``[start, stop)`` of :func:`overlap_add` of a song's windows, from only the windows that
    touch them: what block-wise decoding needs.

    Parameters
    ----------
    windows : np.ndarray [shape=(k, n_freq, segment_frames)]
        Windows ``first, first + 1, ..., first + k - 1`` of the song; every window that overlaps
        ``[start, stop)`` must be among them (see :func:`windows_touching`).
    first : int
        Index of ``windows[0]`` in the song.
    hop_frames : int in [1, segment_frames]
    start, stop : int
        The frame range, inside the song's ``(n_windows - 1) * hop_frames + segment_frames`` frames.
    n_windows : int, optional
        Windows in the whole song (default: ``first + k``); only used to check the range.

    Returns
    -------
    np.ndarray [shape=(n_freq, stop - start)], float32
        Equal to ``overlap_add(all_windows, hop_frames)[:, start:stop]``.
    """
    windows = np.asarray(windows)
    if windows.ndim == 4 and windows.shape[-1] == 1:
        windows = windows[..., 0]
    if windows.ndim != 3 or len(windows) == 0:
        raise ParameterError(f"windows must have shape (n_windows, n_freq, segment_frames), got {windows.shape}")
    k, n_freq, seg = windows.shape
    if not 1 <= hop_frames <= seg:
        raise ParameterError(f"hop_frames must be in [1, segment_frames={seg}], got {hop_frames}")
    total = ((n_windows or first + k) - 1) * hop_frames + seg
    if not 0 <= start < stop <= total:
        raise ParameterError(f"frame range [{start}, {stop}) must lie in [0, {total})")
    lo, hi = windows_touching(start, stop, seg, hop_frames, n_windows or first + k)
    if lo < first or hi > first + k:
        raise ParameterError(f"frames [{start}, {stop}) need windows {lo}..{hi - 1}, got {first}..{first + k - 1}")
    if hop_frames == seg:  # no overlap: plain concatenation
        joined = windows[lo - first:hi - first].transpose(1, 0, 2).reshape(n_freq, -1)
        return np.ascontiguousarray(joined[:, start - lo * seg:stop - lo * seg]).astype(np.float32)
    acc = np.zeros((n_freq, stop - start), dtype=np.float64)
    weight_sum = np.zeros(stop - start, dtype=np.float64)
    w = crossfade_weights(seg, hop_frames)
    for i in range(lo, hi):
        a, b = max(start, i * hop_frames), min(stop, i * hop_frames + seg)
        acc[:, a - start:b - start] += windows[i - first][:, a - i * hop_frames:b - i * hop_frames] * \
            w[a - i * hop_frames:b - i * hop_frames]
        weight_sum[a - start:b - start] += w[a - i * hop_frames:b - i * hop_frames]
    return (acc / weight_sum).astype(np.float32)


def windows_touching(start: int, stop: int, segment_frames: int, hop_frames: int, n_windows: int) -> Tuple[int, int]:
    """``(lo, hi)``: windows ``lo .. hi - 1`` (of ``segment_frames`` every ``hop_frames``) overlap frames
    ``[start, stop)``."""
    lo = max(0, -(-(start - segment_frames + 1) // hop_frames))
    hi = min(n_windows, (stop - 1) // hop_frames + 1)
    return lo, hi
