"""Phase reconstruction: fast Griffin-Lim, with librosa or with ``keras.ops``.

Both implementations run the same algorithm, the fast Griffin-Lim of Perraudin, Balazs and
Sondergaard (2013), i.e. ``librosa.griffinlim`` with its ``momentum`` parameter:

1. start from the magnitude with a random phase, drawn by ``np.random.default_rng(seed)``;
2. ``n_iter`` times: invert (ISTFT), re-analyse (STFT) to ``rebuilt``, extrapolate
   ``c = rebuilt - momentum / (1 + momentum) * rebuilt_prev``, keep the phase of ``c`` and the
   given magnitude;
3. invert once more.

* :func:`griffinlim_librosa` runs ``librosa.griffinlim``'s iteration with librosa's STFT and ISTFT (NumPy,
  CPU; the same output for the same seed), and can start chosen frames from a given phase.
* :func:`griffinlim_keras` is written only with ``keras.ops``, so it runs on every Keras 3 backend
  (TensorFlow, JAX, torch) and on a GPU. It reproduces librosa's transforms exactly: the window from
  ``librosa.filters.get_window`` (scipy's; periodic Hann by default, as keras' own "hann") passed
  to ``keras.ops.stft`` as an array, zero ("constant") padding of ``n_fft // 2`` samples for
  centred frames (``keras.ops.stft(center=True)`` pads by reflection on TensorFlow and JAX, while
  librosa 0.11 pads with zeros), and an inverse STFT that divides the
  overlap-added frames by the exact window sum-square, edges included (``keras.ops.istft``
  normalises differently on TensorFlow, JAX and torch). Given the same ``seed`` and shape it
  starts from the same phase as :func:`griffinlim_librosa`, and the two agree to float32
  round-off growing over the iterations.
* :func:`griffinlim` checks its input and dispatches.

:mod:`genmusic.features.inversion` turns genmusic spectrograms into magnitudes for it and fits the output length.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Optional, Tuple, Union

import numpy as np

from .._checks import check_choice, check_integer, check_number, check_stft, valid_array
from ..errors import ParameterError

__all__ = ["griffinlim", "griffinlim_librosa", "griffinlim_keras", "METHODS"]

#: Values accepted by ``griffinlim(method=...)``.
METHODS = ("librosa", "keras")

WindowSpec = Union[str, tuple, float, np.ndarray]


def _validate(magnitude, *, n_fft: int, hop_length: int, n_iter: int, momentum: float,
              length: Optional[int]) -> np.ndarray:
    """Check every input of a Griffin-Lim call; return the magnitude as float32."""
    n_fft, hop_length = check_stft(n_fft, hop_length)
    mag = _valid_magnitude(magnitude, n_fft=n_fft)
    n_frames = mag.shape[-1]
    check_integer(n_iter, "n_iter", minimum=0, limit="n_iter")
    check_number(momentum, "momentum", minimum=0)
    if momentum > 1:
        warnings.warn(f"Griffin-Lim with momentum={momentum} > 1 can be unstable", stacklevel=3)
    length = check_integer(length, "length", minimum=1, allow_none=True, what="a positive integer")
    # Every iteration re-analyses `length` samples: centred frames give 1 + length // hop_length.
    if length is not None and 1 + length // hop_length != n_frames:
        raise ParameterError(
            f"length={length} gives 1 + length // hop_length = {1 + length // hop_length} frames at "
            f"hop_length={hop_length}, but the magnitude has {n_frames} frames; give a length in "
            f"[{(n_frames - 1) * hop_length}, {n_frames * hop_length - 1}] or None")
    return mag


def _valid_magnitude(magnitude, *, n_fft: int) -> np.ndarray:
    """Check a magnitude spectrogram [shape=(..., n_fft // 2 + 1, n_frames)] and return it as float32."""
    if np.ndim(magnitude) < 2:
        raise ParameterError("magnitude must have at least 2 dimensions "
                             f"(..., n_fft // 2 + 1, n_frames), got shape {np.shape(magnitude)}")
    mag = np.asarray(magnitude)
    n_bins = n_fft // 2 + 1
    if mag.shape[-2] != n_bins:
        raise ParameterError(
            f"magnitude has {mag.shape[-2]} frequency bins but n_fft={n_fft} needs n_fft // 2 + 1 = {n_bins}"
            + ("; genmusic spectrograms drop the Nyquist bin: use db_to_magnitude(db, restore_nyquist=True)"
               if mag.shape[-2] == n_bins - 1 else ""))
    mag = valid_array(mag, "magnitude", dtype=np.float32)
    if (mag < 0).any():
        raise ParameterError(f"magnitude holds negative values (minimum {float(mag.min())}); "
                             "give |STFT|, not dB or a signed array")
    return mag


def _initial_phase(shape: Tuple[int, ...], seed: Optional[int], init_phase: Optional[np.ndarray] = None) -> np.ndarray:
    """Random phase in [0, 2 pi) drawn exactly as ``librosa.griffinlim`` draws it from a Generator; where
    ``init_phase`` is finite (a phase estimate carried over from a neighbouring block), that phase."""
    phase = 2 * np.pi * np.random.default_rng(seed).random(size=shape)
    if init_phase is not None:
        init_phase = np.broadcast_to(np.asarray(init_phase, dtype=np.float64), shape)
        known = np.isfinite(init_phase)
        phase[known] = init_phase[known]
    return phase


def griffinlim_librosa(magnitude: np.ndarray, *, n_fft: int, hop_length: int, n_iter: int = 32,
                       momentum: float = 0.99, length: Optional[int] = None, window: WindowSpec = "hann",
                       seed: Optional[int] = 0, init_phase: Optional[np.ndarray] = None) -> np.ndarray:
    """Fast Griffin-Lim with librosa's STFT and ISTFT (centred frames, zero padding), on the CPU.

    The iteration of ``librosa.griffinlim`` (same transforms, same order of operations, same random
    initial phase for a seed, so the same output), with one addition: ``init_phase`` starts chosen frames
    from a known phase, which lets :func:`genmusic.features.inversion` run long songs block by block.

    Parameters
    ----------
    magnitude : np.ndarray [shape=(..., n_fft // 2 + 1, n_frames)]
        Non-negative STFT magnitudes; leading axes are independent signals.
    n_fft : int
        FFT size of the STFT that the magnitude comes from.
    hop_length : int
        Samples between frames.
    n_iter : int >= 0
        Iterations (0: the initial phase, inverted).
    momentum : float >= 0
        Fast Griffin-Lim momentum (0: the original Griffin-Lim).
    length : int or None
        Samples in the output; None gives ``(n_frames - 1) * hop_length``.
    window : str, tuple or np.ndarray
        Any window ``librosa.filters.get_window`` accepts.
    seed : int or None
        Seed of ``np.random.default_rng`` for the initial phase (None: not reproducible).
    init_phase : np.ndarray [shape=magnitude.shape], optional
        Initial phase in radians where finite; random (``seed``) where NaN.

    Returns
    -------
    np.ndarray [shape=(..., length)], float32
    """
    import librosa

    mag = _validate(magnitude, n_fft=n_fft, hop_length=hop_length, n_iter=n_iter, momentum=momentum, length=length)
    transform = dict(n_fft=int(n_fft), hop_length=int(hop_length), window=window, center=True)
    angles = np.exp(1j * _initial_phase(mag.shape, seed, init_phase)).astype(np.complex64)
    angles *= mag
    beta = float(momentum) / (1.0 + float(momentum))
    eps = np.finfo(np.float32).tiny
    rebuilt = previous = inverse = None
    for _ in range(int(n_iter)):
        inverse = librosa.istft(angles, length=length, dtype=np.float32, out=inverse, **transform)
        rebuilt = librosa.stft(inverse, pad_mode="constant", out=rebuilt, **transform)
        angles[:] = rebuilt
        if previous is not None:
            angles -= beta * previous
        angles /= np.abs(angles) + eps
        angles *= mag
        rebuilt, previous = previous, rebuilt
    y = librosa.istft(angles, length=length, dtype=np.float32, out=inverse, **transform)
    return y.astype(np.float32, copy=False)


@dataclass(frozen=True)
class _Frames:
    """Geometry of a centred STFT of ``length`` samples, librosa's conventions (hashable, ints only)."""

    n_fft: int
    hop_length: int
    n_frames: int
    length: int

    @property
    def n_blocks(self) -> int:
        """Blocks of ``hop_length`` samples one frame spans, once zero-padded to a whole number."""
        return -(-self.n_fft // self.hop_length)

    @property
    def ola_length(self) -> int:
        """Samples the block overlap-add produces (at least ``n_fft + (n_frames - 1) * hop_length``)."""
        return (self.n_frames + self.n_blocks - 1) * self.hop_length

    @property
    def tail_pad(self) -> int:
        """Zeros appended when ``length`` reaches past the last frame (as ``librosa.istft`` does)."""
        return max(0, self.length - (self.ola_length - self.n_fft // 2))

    def constants(self, window: WindowSpec) -> Tuple[np.ndarray, np.ndarray]:
        """The analysis window [shape=(n_fft,)] and the ISTFT's inverse window sum-square
        [shape=(length,)], float32, computed as ``librosa.istft`` does (no division where the sum is
        below ``tiny``)."""
        import librosa

        win = librosa.filters.get_window(window, self.n_fft, fftbins=True).astype(np.float32)
        wss = librosa.filters.window_sumsquare(window=window, n_frames=self.n_frames, hop_length=self.hop_length,
                                               win_length=self.n_fft, n_fft=self.n_fft, dtype=np.float32)
        wss = np.pad(wss, (0, max(0, self.ola_length - wss.shape[0])))[: self.ola_length]
        tiny = np.finfo(np.float32).tiny
        inverse = np.where(wss > tiny, 1.0 / np.maximum(wss, tiny), 1.0).astype(np.float32)
        start = self.n_fft // 2
        inverse = np.pad(inverse[start:start + self.length], (0, self.tail_pad))
        return win, inverse


def _stft(y, window, frames: _Frames):
    """``y`` [shape=(batch, length)] -> ``(real, imag)`` [shape=(batch, n_frames, n_fft // 2 + 1)].

    ``keras.ops.stft(center=True)`` pads by reflection (and the backends differ); librosa pads with
    zeros, so pad here and frame with ``center=False``.
    """
    from keras import ops

    half = frames.n_fft // 2
    y = ops.pad(y, [(0, 0), (half, half)])
    return ops.stft(y, frames.n_fft, frames.hop_length, frames.n_fft, window=window, center=False)


def _istft(real, imag, window, inverse_wss, frames: _Frames):
    """``(real, imag)`` [shape=(batch, n_frames, n_fft // 2 + 1)] -> ``y`` [shape=(batch, length)].

    Inverse FFT, window, overlap-add in blocks of ``hop_length`` samples, exact window sum-square
    normalisation and centring, as ``librosa.istft``. (``keras.ops.istft`` normalises by the
    steady-state sum on TensorFlow, by scipy's rule on JAX, by torch's on torch: the edges differ.)
    """
    from keras import ops

    hop, r = frames.hop_length, frames.n_blocks
    segments = ops.irfft((real, imag), frames.n_fft) * window  # (batch, n_frames, n_fft)
    if r * hop > frames.n_fft:
        segments = ops.pad(segments, [(0, 0), (0, 0), (0, r * hop - frames.n_fft)])
    batch = ops.shape(segments)[0]
    blocks = ops.reshape(segments, (batch, frames.n_frames, r, hop))
    # Block b of frame t lands on output block t + b.
    out = ops.pad(blocks[:, :, 0, :], [(0, 0), (0, r - 1), (0, 0)])
    for b in range(1, r):
        out = out + ops.pad(blocks[:, :, b, :], [(0, 0), (b, r - 1 - b), (0, 0)])
    out = ops.reshape(out, (batch, frames.ola_length))
    start = frames.n_fft // 2
    out = out[:, start:start + frames.length - frames.tail_pad]
    if frames.tail_pad:
        out = ops.pad(out, [(0, 0), (0, frames.tail_pad)])
    return out * inverse_wss


@functools.lru_cache(maxsize=32)
def _iteration(frames: _Frames, beta: float):
    """One fast Griffin-Lim iteration for ``keras.ops.fori_loop``.

    Everything that is an array travels in the loop state, so the function depends only on hashable
    settings and is reused across calls: JAX then finds the compiled loop in its cache instead of
    compiling it again on every call.
    """
    from keras import ops

    eps = float(np.finfo(np.float32).tiny)  # librosa's util.tiny for complex64

    def step(_, state):
        real, imag, prev_real, prev_imag, magnitude, window, inverse_wss = state
        rebuilt_real, rebuilt_imag = _stft(_istft(real, imag, window, inverse_wss, frames), window, frames)
        c_real = rebuilt_real - beta * prev_real
        c_imag = rebuilt_imag - beta * prev_imag
        scale = magnitude / (ops.sqrt(c_real * c_real + c_imag * c_imag) + eps)
        return c_real * scale, c_imag * scale, rebuilt_real, rebuilt_imag, magnitude, window, inverse_wss

    return step


def griffinlim_keras(magnitudes: np.ndarray, *, n_fft: int, hop_length: int, n_iter: int = 32,
                     momentum: float = 0.99, length: Optional[int] = None, window: WindowSpec = "hann",
                     seed: Optional[int] = 0, init_phase: Optional[np.ndarray] = None) -> np.ndarray:
    """Fast Griffin-Lim written with ``keras.ops`` only (any Keras 3 backend, CPU or GPU).

    Same algorithm, transforms and initial phase as :func:`griffinlim_librosa` (see the module
    docstring for how the STFT conventions are matched). The iterations run in
    ``keras.ops.fori_loop``: JAX compiles the loop (once per shape and settings), TensorFlow and
    torch run it eagerly. Computation is in float32 on the backend's default device.

    Parameters
    ----------
    magnitudes : np.ndarray [shape=(batch, n_fft // 2 + 1, n_frames)]
        Non-negative STFT magnitudes, one signal per item. Any leading shape ``(...)`` works, a
        single ``(n_fft // 2 + 1, n_frames)`` spectrogram included; the output keeps it.
    n_fft, hop_length, n_iter, momentum, length, window, seed, init_phase
        As in :func:`griffinlim_librosa`. The random phase is drawn for the whole array, as librosa
        draws it: item 0 of a batch starts from the phase a single call with the same seed uses.

    Returns
    -------
    np.ndarray [shape=(batch, length)], float32
    """
    from keras import ops

    mag = _validate(magnitudes, n_fft=n_fft, hop_length=hop_length, n_iter=n_iter, momentum=momentum, length=length)
    lead, (n_bins, n_frames) = mag.shape[:-2], mag.shape[-2:]
    if length is None:
        length = (n_frames - 1) * hop_length
    frames = _Frames(int(n_fft), int(hop_length), int(n_frames), int(length))
    win, inverse_wss = frames.constants(window)

    phase = _initial_phase(mag.shape, seed, init_phase).reshape(-1, n_bins, n_frames)
    # keras.ops.stft puts frames before frequency: work in (batch, n_frames, n_bins).
    phase = np.swapaxes(phase, -1, -2)
    mag = np.ascontiguousarray(np.swapaxes(mag.reshape(-1, n_bins, n_frames), -1, -2))

    def tensor(x):
        return ops.convert_to_tensor(np.asarray(x, dtype=np.float32), dtype="float32")

    real, imag = tensor(mag * np.cos(phase)), tensor(mag * np.sin(phase))
    window_t, inverse_wss_t = tensor(win), tensor(inverse_wss)
    if n_iter > 0:
        zeros = ops.zeros_like(real)  # no previous estimate on the first iteration: a plain projection
        state = (real, imag, zeros, zeros, tensor(mag), window_t, inverse_wss_t)
        step = _iteration(frames, float(momentum) / (1.0 + float(momentum)))
        real, imag = ops.fori_loop(0, int(n_iter), step, state)[:2]
    y = ops.convert_to_numpy(_istft(real, imag, window_t, inverse_wss_t, frames))
    return y.astype(np.float32, copy=False).reshape(lead + (int(length),))


def griffinlim(magnitude: np.ndarray, *, n_fft: int, hop_length: int, n_iter: int = 32, momentum: float = 0.99,
               length: Optional[int] = None, window: WindowSpec = "hann", seed: Optional[int] = 0,
               method: str = "librosa", init_phase: Optional[np.ndarray] = None) -> np.ndarray:
    """Fast Griffin-Lim phase reconstruction.

    Parameters
    ----------
    magnitude : np.ndarray [shape=(..., n_fft // 2 + 1, n_frames)]
        Non-negative, finite STFT magnitudes (use :func:`genmusic.features.spectrogram.db_to_magnitude` with
        ``restore_nyquist=True`` on genmusic spectrograms).
    n_fft, hop_length, n_iter, momentum, length, window, seed, init_phase
        As in :func:`griffinlim_librosa`.
    method : {"librosa", "keras"}
        :func:`griffinlim_librosa` (NumPy) or :func:`griffinlim_keras` (any Keras backend, GPU).

    Returns
    -------
    np.ndarray [shape=(..., length)], float32

    Raises
    ------
    ParameterError
        Unknown ``method``; magnitudes with NaN, inf or negative values, or with a number of
        frequency bins other than ``n_fft // 2 + 1``; a ``length`` that does not fit the frame count.
    """
    check_choice(method, "method", METHODS)
    run = griffinlim_librosa if method == "librosa" else griffinlim_keras
    if init_phase is not None and np.shape(init_phase) != np.shape(magnitude):
        raise ParameterError(f"init_phase must have the magnitude's shape {np.shape(magnitude)}, got "
                             f"{np.shape(init_phase)}")
    return run(magnitude, n_fft=n_fft, hop_length=hop_length, n_iter=n_iter, momentum=momentum, length=length,
               window=window, seed=seed, init_phase=init_phase)
