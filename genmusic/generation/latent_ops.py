"""Operations on latent vectors: interpolate, average, remix / splice, add noise, scale, smooth.

Pure NumPy on arrays, no model needed. A song's latents are a sequence ``[shape=(n_segments, latent_dim)]``:
one latent vector per consecutive segment (what
:meth:`genmusic.generation.generator.SoundGenerator.encode_song` returns with ``overlap=0``). Decode the result
with :meth:`~genmusic.generation.generator.SoundGenerator.decode_song`.

Every function checks its input and raises :class:`~genmusic.errors.ParameterError` naming the
parameter, its shape or value, and what was expected. Results are float32 (float64 input stays float64).
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from .._checks import LIMITS, check_choice, check_integer, check_number, check_seed, require, valid_array
from ..errors import ParameterError

__all__ = ["interpolate", "slerp", "average", "remix", "remix_spans", "splice", "add_noise", "scale", "smooth",
           "INTERPOLATION_METHODS", "AVERAGE_MODES"]

#: Values of ``interpolate(method=...)``.
INTERPOLATION_METHODS = ("linear", "slerp")
#: Values of ``average(mode=...)``.
AVERAGE_MODES = ("segments", "time")


_SHAPES = {1: "(latent_dim,)", 2: "(n_segments, latent_dim)"}


def _as_latents(z, name: str, *, ndim: Optional[Tuple[int, ...]] = None) -> np.ndarray:
    """Check a latent array (real, finite, non-empty; ``ndim`` dimensions, or any number but 0); integers
    become float32."""
    shape = ("an array of shape " + " or ".join(_SHAPES[d] for d in ndim)) if ndim else "an array of latents"
    arr = valid_array(z, name, ndim=ndim, shape=shape)
    require(arr.ndim >= 1, f"{name} must be {shape}, got a scalar")
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float32)


# --------------------------------------------------------------------------------------------------
# interpolation


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation along the last axis, with the norm interpolated linearly.

    Each pair of vectors ``a[..., :]``, ``b[..., :]`` is split into a norm and a direction; the
    direction moves along the great circle from ``a``'s to ``b``'s at constant angular speed and the
    norm goes linearly from ``|a|`` to ``|b|``. For vectors of equal norm this is Shoemake's slerp and
    keeps the norm. Where the directions are (anti)parallel (angle within 1e-6 rad of 0 or pi) or a
    vector is zero, the great circle is undefined or degenerate and the pair falls back to linear
    interpolation.

    Parameters
    ----------
    a, b : np.ndarray [shape=(..., latent_dim)]
    t : np.ndarray [shape=(steps,)]
        Positions in [0, 1] (0 gives ``a``, 1 gives ``b``).

    Returns
    -------
    np.ndarray [shape=(steps, ..., latent_dim)]
    """
    a64 = np.asarray(a, dtype=np.float64)
    b64 = np.asarray(b, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64).reshape((-1,) + (1,) * a64.ndim)
    na = np.linalg.norm(a64, axis=-1, keepdims=True)
    nb = np.linalg.norm(b64, axis=-1, keepdims=True)
    safe_a = np.where(na > 0, na, 1.0)
    safe_b = np.where(nb > 0, nb, 1.0)
    ua, ub = a64 / safe_a, b64 / safe_b
    cos = np.clip(np.sum(ua * ub, axis=-1, keepdims=True), -1.0, 1.0)
    omega = np.arccos(cos)
    sin = np.sin(omega)
    degenerate = (sin < 1e-6) | (na == 0) | (nb == 0)
    safe_sin = np.where(degenerate, 1.0, sin)
    direction = (np.sin((1 - t) * omega) * ua + np.sin(t * omega) * ub) / safe_sin
    spherical = direction * ((1 - t) * na + t * nb)
    linear = (1 - t) * a64 + t * b64
    return np.where(degenerate, linear, spherical)


def interpolate(a: np.ndarray, b: np.ndarray, steps: int, *, method: str = "linear") -> np.ndarray:
    """Points from ``a`` to ``b``, endpoints included and exact.

    Parameters
    ----------
    a, b : np.ndarray [shape=(latent_dim,) or (n_segments, latent_dim)]
        Two latent vectors or two latent sequences of the same shape (cut the longer song to the
        shorter one's length first, e.g. ``b[:len(a)]``). Sequences are interpolated segment by
        segment.
    steps : int >= 2
        Number of points, ``a`` and ``b`` included.
    method : {"linear", "slerp"}
        ``"linear"``: ``(1 - t) a + t b``. ``"slerp"``: see :func:`slerp` (norm-preserving for
        vectors of equal norm; linear for (anti)parallel vectors).

    Returns
    -------
    np.ndarray [shape=(steps, *a.shape)]
        ``out[0]`` is exactly ``a`` and ``out[-1]`` exactly ``b``.

    Raises
    ------
    ParameterError
        Shapes differ, ``steps < 2``, or an unknown ``method``.
    """
    a = _as_latents(a, "a", ndim=(1, 2))
    b = _as_latents(b, "b", ndim=(1, 2))
    if a.shape != b.shape:
        raise ParameterError(f"a and b must have the same shape, got {a.shape} and {b.shape}; cut latent "
                             f"sequences to a common number of segments first (e.g. b[:len(a)])")
    check_integer(steps, "steps", minimum=2, limit="steps")
    check_choice(method, "method", INTERPOLATION_METHODS)
    dtype = np.result_type(a.dtype, b.dtype)
    t = np.linspace(0.0, 1.0, int(steps))
    if method == "linear":
        tt = t.reshape((-1,) + (1,) * a.ndim)
        out = (1 - tt) * a.astype(np.float64) + tt * b.astype(np.float64)
    else:
        out = slerp(a, b, t)
    out = out.astype(dtype)
    out[0], out[-1] = a, b  # exact endpoints, free of round-off
    return out


# --------------------------------------------------------------------------------------------------
# mixing songs


def average(latent_list: Sequence[np.ndarray], *, mode: str = "segments",
            n_segments: Optional[int] = None) -> np.ndarray:
    """The average of several songs' latents (e.g. all songs of a genre).

    Parameters
    ----------
    latent_list : sequence of np.ndarray [shape=(n_segments_i, latent_dim)] (or (latent_dim,))
        One latent sequence per song; lengths may differ. A single vector counts as one segment.
    mode : {"segments", "time"}
        ``"segments"``: segment-wise mean over the first ``min(n_segments_i)`` segments, i.e. the songs
        are cut to the shortest and segment ``k`` of the result averages segment ``k`` of every song
        (keeps the time structure songs share, e.g. intros). ``"time"``: each song is first averaged
        over its segments, the songs' means are averaged, and that one vector is tiled over time
        (a steady "average texture", every song weighted equally whatever its length).
    n_segments : int, optional
        Length of the result. ``"segments"``: at most the shortest song (default: the shortest).
        ``"time"``: any length >= 1 (default: the shortest song).

    Returns
    -------
    np.ndarray [shape=(n_segments, latent_dim)]

    Raises
    ------
    ParameterError
        No songs, songs with different ``latent_dim``, unknown ``mode`` or a bad ``n_segments``.
    """
    check_choice(mode, "mode", AVERAGE_MODES)
    if isinstance(latent_list, np.ndarray) and latent_list.ndim == 3:
        latent_list = list(latent_list)
    if not isinstance(latent_list, (list, tuple)) or len(latent_list) == 0:
        raise ParameterError("latent_list must be a non-empty list of latent sequences (n_segments, latent_dim)")
    songs = [np.atleast_2d(_as_latents(z, f"latent_list[{i}]", ndim=(1, 2))) for i, z in enumerate(latent_list)]
    dims = {z.shape[1] for z in songs}
    if len(dims) != 1:
        raise ParameterError(f"every song must have the same latent_dim, got {sorted(dims)}")
    shortest = min(len(z) for z in songs)
    if n_segments is None:
        n_segments = shortest
    check_integer(n_segments, "n_segments", minimum=1, what="None or an integer >= 1")
    dtype = np.result_type(*[z.dtype for z in songs])
    if mode == "segments":
        if n_segments > shortest:
            raise ParameterError(f"n_segments={n_segments} is longer than the shortest song ({shortest} segments); "
                                 f"use mode='time' to tile a longer average")
        out = np.mean(np.stack([z[:n_segments].astype(np.float64) for z in songs]), axis=0)
    else:
        mean = np.mean([z.astype(np.float64).mean(axis=0) for z in songs], axis=0)
        out = np.tile(mean, (int(n_segments), 1))
    return out.astype(dtype)


def remix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The first half of song ``a`` joined to the second half of song ``b``.

    Parameters
    ----------
    a : np.ndarray [shape=(n_a, latent_dim)]
    b : np.ndarray [shape=(n_b, latent_dim)]

    Returns
    -------
    np.ndarray [shape=(ceil(n_a / 2) + n_b - floor(n_b / 2), latent_dim)]
        ``a[:ceil(n_a / 2)]`` followed by ``b[floor(n_b / 2):]`` (a one-segment song gives its one
        segment to both halves).
    """
    a = _as_latents(a, "a", ndim=(2,))
    b = _as_latents(b, "b", ndim=(2,))
    if a.shape[1] != b.shape[1]:
        raise ParameterError(f"a and b must have the same latent_dim, got {a.shape[1]} and {b.shape[1]}")
    return splice([a, b], remix_spans(len(a), len(b)))


def remix_spans(n_a: int, n_b: int) -> List[Tuple[int, int, int]]:
    """The :func:`splice` spans of :func:`remix`: ``[(0, 0, ceil(n_a / 2)), (1, floor(n_b / 2), n_b)]``.

    Parameters
    ----------
    n_a, n_b : int >= 1
        Segments of the two songs.
    """
    return [(0, 0, (n_a + 1) // 2), (1, n_b // 2, n_b)]


def splice(sequences: Sequence[np.ndarray], spans: Sequence[Tuple[int, int, int]]) -> np.ndarray:
    """Join spans of segments taken from several songs.

    Parameters
    ----------
    sequences : sequence of np.ndarray [shape=(n_segments_i, latent_dim)]
    spans : sequence of (song, start, stop)
        ``sequences[song][start:stop]``, joined in order; ``0 <= start < stop <= n_segments_song``.

    Returns
    -------
    np.ndarray [shape=(sum(stop - start), latent_dim)]

    Examples
    --------
    >>> a, b = np.zeros((4, 2)), np.ones((6, 2))
    >>> splice([a, b], [(0, 0, 2), (1, 3, 6), (0, 3, 4)]).shape
    (6, 2)
    """
    if not isinstance(sequences, (list, tuple)) or not sequences:
        raise ParameterError("sequences must be a non-empty list of latent sequences (n_segments, latent_dim)")
    seqs = [_as_latents(z, f"sequences[{i}]", ndim=(2,)) for i, z in enumerate(sequences)]
    dims = {z.shape[1] for z in seqs}
    if len(dims) != 1:
        raise ParameterError(f"every sequence must have the same latent_dim, got {sorted(dims)}")
    if not spans:
        raise ParameterError("spans must list at least one (song, start, stop)")
    parts: List[np.ndarray] = []
    for k, span in enumerate(spans):
        try:
            song, start, stop = (int(v) for v in span)
        except (TypeError, ValueError):
            raise ParameterError(f"spans[{k}] must be (song, start, stop), got {span!r}") from None
        if not 0 <= song < len(seqs):
            raise ParameterError(f"spans[{k}]: song {song} is not in 0..{len(seqs) - 1}")
        n = len(seqs[song])
        if not 0 <= start < stop <= n:
            raise ParameterError(f"spans[{k}]: need 0 <= start < stop <= {n} (song {song} has {n} segments), "
                                 f"got start={start}, stop={stop}")
        parts.append(seqs[song][start:stop])
    return np.concatenate(parts, axis=0).astype(np.result_type(*seqs), copy=False)


# --------------------------------------------------------------------------------------------------
# changing one song


def add_noise(z: np.ndarray, sigma: float, *, seed: Optional[int] = 0) -> np.ndarray:
    """``z + sigma * N(0, 1)``, drawn with ``np.random.default_rng(seed)``.

    Parameters
    ----------
    z : np.ndarray [shape=(..., latent_dim)]
    sigma : float >= 0
        Standard deviation of the noise, in latent units (a VAE's prior has unit variance).
    seed : int or None

    Returns
    -------
    np.ndarray, same shape and float dtype as ``z``
    """
    z = _as_latents(z, "z")
    check_number(sigma, "sigma", minimum=0, limit="sigma")
    check_seed(seed, allow_none=True)
    noise = np.random.default_rng(seed).standard_normal(z.shape)
    return (z.astype(np.float64) + float(sigma) * noise).astype(z.dtype)


def scale(z: np.ndarray, factor: float) -> np.ndarray:
    """``factor * z`` (0 moves to the prior's mean, > 1 exaggerates).

    Parameters
    ----------
    z : np.ndarray [shape=(..., latent_dim)]
    factor : float

    Returns
    -------
    np.ndarray, same shape and dtype as ``z``
    """
    z = _as_latents(z, "z")
    check_number(factor, "factor", minimum=-LIMITS["factor"][0], limit="factor")
    return z * z.dtype.type(factor)


def smooth(z: np.ndarray, width: int) -> np.ndarray:
    """Moving average over a song's consecutive segment latents.

    Segment ``i`` becomes the mean of segments ``i - width // 2 .. i + (width - 1) // 2`` that exist:
    near the song's start and end the window shrinks to the segments available (no padding), so a
    constant sequence stays constant and the length is kept.

    Parameters
    ----------
    z : np.ndarray [shape=(n_segments, latent_dim)]
    width : int >= 1
        Segments averaged (1: identity).

    Returns
    -------
    np.ndarray [shape=(n_segments, latent_dim)]
    """
    z = _as_latents(z, "z", ndim=(2,))
    check_integer(width, "width", minimum=1, limit="width")
    if width == 1:
        return z.copy()
    n = len(z)
    csum = np.concatenate([np.zeros((1, z.shape[1])), np.cumsum(z.astype(np.float64), axis=0)])
    idx = np.arange(n)
    lo = np.clip(idx - width // 2, 0, n)
    hi = np.clip(idx + (width - 1) // 2 + 1, 0, n)
    return ((csum[hi] - csum[lo]) / (hi - lo)[:, None]).astype(z.dtype)
