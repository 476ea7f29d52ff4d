"""Distances between a reference signal and an estimate of it (a resynthesis, a decoded latent).

* :func:`mel_distance` -- multi-resolution log-mel L1 distance, insensitive to phase: the figure
  genmusic reports for every reconstruction.
* :func:`spectral_convergence` -- relative Frobenius error of the STFT magnitudes.
* :func:`log_spectral_distance` -- frame-wise RMS difference of log magnitudes, in dB, over all bins or a
  band (``fmin=1000, n_fft=4096``: the harmonics above 1 kHz).
* :func:`music_embedding` / :func:`frechet_distance` -- how close a *set* of pieces is to a set of real
  songs (no reference per piece): mean and standard deviation of 20 MFCCs and 64 log-mel bands of each
  piece, a Gaussian fitted to each set, the Frechet distance between the two Gaussians.
* :func:`seam_statistics` -- how much worse an estimate is at given positions (window borders) than
  elsewhere: the check that whole-song decoding leaves no seams.

:func:`log_mel_spectrogram` is the one log-mel analysis behind :func:`mel_distance` and
:func:`seam_statistics`.

Every function takes two 1-D float signals. Signals of unequal length are compared over the shorter
length (the start of both), so a resynthesis a few samples longer or shorter than its reference can
be scored directly. All three are 0 for identical signals and symmetric except
:func:`spectral_convergence`, which is normalised by the reference.
"""

from __future__ import annotations

import functools
import warnings
from typing import Optional, Sequence, Tuple

import numpy as np

from .._checks import check_integer, check_number, check_stft, is_integer, valid_array
from ..errors import ParameterError

__all__ = ["mel_distance", "spectral_convergence", "log_spectral_distance", "seam_statistics",
           "music_embedding", "frechet_distance",
           "log_mel_spectrogram", "MEL_FFT_SIZES", "MEL_BANDS", "MEL_FLOOR"]

#: FFT sizes of :func:`mel_distance`; each uses ``hop_length = n_fft // 4``.
MEL_FFT_SIZES: Tuple[int, ...] = (512, 1024, 2048)
#: Mel bands of :func:`mel_distance`.
MEL_BANDS: int = 80
#: Floor applied to mel magnitudes before ``log10`` in :func:`mel_distance` (-5 in log10 units).
MEL_FLOOR: float = 1e-5


def _valid_pair(reference, estimate) -> Tuple[np.ndarray, np.ndarray]:
    """Both signals checked (1-D, real, non-empty, finite), as float64, cut to the shorter length."""
    reference, estimate = (valid_array(y, name, ndim=1, shape="a 1-D signal", dtype=np.float64)
                           for y, name in ((reference, "reference"), (estimate, "estimate")))
    n = min(reference.shape[0], estimate.shape[0])
    return reference[:n], estimate[:n]


def _stft_magnitude(y: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """``|STFT|`` with centred frames, zero padding and a periodic Hann window (librosa's defaults)."""
    import librosa

    return np.abs(librosa.stft(y, n_fft=int(n_fft), hop_length=int(hop_length), window="hann", center=True,
                               pad_mode="constant"))


@functools.lru_cache(maxsize=32)
def _mel_basis(sr: int, n_fft: int, n_mels: int = MEL_BANDS) -> np.ndarray:
    """Slaney-normalised mel filter bank [shape=(n_mels, n_fft // 2 + 1)], float64, read-only."""
    import librosa

    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, dtype=np.float64)
    basis.setflags(write=False)
    return basis


def log_mel_spectrogram(y: np.ndarray, sr: int, *, n_fft: int, hop_length: int, n_mels: int = MEL_BANDS,
                        floor: float = MEL_FLOOR) -> np.ndarray:
    """``log10(max(floor, M))`` of the magnitude (``power=1``) mel spectrogram ``M``.

    Centred frames, zero padding, periodic Hann window, Slaney-normalised mel bands.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)], float64
    sr : int
        Sample rate in Hz (places the mel bands).
    n_fft, hop_length : int
    n_mels : int
    floor : float > 0

    Returns
    -------
    np.ndarray [shape=(n_mels, 1 + n // hop_length)], float64
    """
    return np.log10(np.maximum(floor, _mel_basis(int(sr), int(n_fft), int(n_mels)) @ _stft_magnitude(y, n_fft,
                                                                                                      hop_length)))


def mel_distance(reference: np.ndarray, estimate: np.ndarray, sr: int) -> float:
    """Multi-resolution log-mel distance: mean ``|log10 M_ref - log10 M_est|``.

    For each FFT size in :data:`MEL_FFT_SIZES` (512, 1024, 2048; ``hop_length = n_fft // 4``) the
    magnitude (``power=1``) mel spectrogram ``M`` with :data:`MEL_BANDS` (80) bands is floored at
    :data:`MEL_FLOOR` (1e-5) and compared in ``log10``; the mean absolute differences of the three
    sizes are averaged. Only magnitudes enter, so a change of phase alone (a sign flip, a sub-frame
    delay) costs (almost) nothing, while a gain of ``g`` costs ``|log10 g|`` wherever the signal is
    above the floor.

    Parameters
    ----------
    reference, estimate : np.ndarray [shape=(n,)] and [shape=(m,)]
        Real, finite signals; compared over their first ``min(n, m)`` samples.
    sr : int > 0
        Sample rate of both signals, in Hz (places the mel bands).

    Returns
    -------
    float >= 0
        0.0 exactly for identical signals.

    Raises
    ------
    ParameterError
        A signal is not 1-D, is empty or holds NaN/inf, or ``sr`` is not a positive integer.

    Examples
    --------
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> mel_distance(y, y, 22050)
    0.0
    """
    check_integer(sr, "sr", minimum=1, what="a positive integer sample rate in Hz")
    reference, estimate = _valid_pair(reference, estimate)
    total = 0.0
    for n_fft in MEL_FFT_SIZES:
        logs = [log_mel_spectrogram(y, sr, n_fft=n_fft, hop_length=n_fft // 4) for y in (reference, estimate)]
        total += float(np.mean(np.abs(logs[0] - logs[1])))
    return total / len(MEL_FFT_SIZES)


def spectral_convergence(reference: np.ndarray, estimate: np.ndarray, *, n_fft: int = 1024,
                         hop_length: int = 256) -> float:
    """``|| |S_ref| - |S_est| ||_F / || |S_ref| ||_F`` of the STFT magnitudes.

    Parameters
    ----------
    reference, estimate : np.ndarray [shape=(n,)] and [shape=(m,)]
        Real, finite signals; compared over their first ``min(n, m)`` samples.
    n_fft : int >= 2
    hop_length : int in (0, n_fft]
        STFT with centred frames and a Hann window.

    Returns
    -------
    float >= 0
        0.0 for identical signals; 1.0 for a silent estimate. A silent reference gives 0.0 when the
        estimate is silent too and ``inf`` otherwise.
    """
    check_stft(n_fft, hop_length)
    reference, estimate = _valid_pair(reference, estimate)
    mag_ref = _stft_magnitude(reference, n_fft, hop_length)
    mag_est = _stft_magnitude(estimate, n_fft, hop_length)
    num = float(np.linalg.norm(mag_ref - mag_est))
    den = float(np.linalg.norm(mag_ref))
    if den == 0.0:
        return 0.0 if num == 0.0 else float("inf")
    return num / den


def log_spectral_distance(reference: np.ndarray, estimate: np.ndarray, *, n_fft: int = 1024,
                          hop_length: Optional[int] = None, amin: float = 1e-5, sr: Optional[int] = None,
                          fmin: float = 0.0, fmax: Optional[float] = None) -> float:
    """Log-spectral distance in dB: mean over frames of the RMS (over bins) dB difference.

    ``LSD = mean_t sqrt(mean_f (20 log10 max(amin, |S_ref|) - 20 log10 max(amin, |S_est|))^2)``, the mean
    over frequency taken over the bins ``f`` with ``fmin <= f * sr / n_fft <= fmax`` (all bins by default).

    A band limit shows what a mel distance forgives: above 1 kHz a 4096-point STFT resolves the harmonics
    of a note (5.4 Hz per bin at 22050 Hz) that 80 mel bands average away, so
    ``log_spectral_distance(ref, est, sr=sr, n_fft=4096, fmin=1000)`` grows when harmonics are smeared into
    a wash (issue 16: 4.1 dB for the resynthesis ceiling, 8.8 dB for PCA with 128 floats per segment).

    Parameters
    ----------
    reference, estimate : np.ndarray [shape=(n,)] and [shape=(m,)]
        Real, finite signals; compared over their first ``min(n, m)`` samples.
    n_fft : int >= 2
    hop_length : int in (0, n_fft], optional
        STFT with centred frames and a Hann window; default ``n_fft // 4``.
    amin : float > 0
        Magnitude floor before the log (``20 log10(amin)`` dB).
    sr : int > 0, optional
        Sample rate in Hz; needed only for a band limit.
    fmin, fmax : float, optional
        The band compared, in Hz (default: 0 to ``sr / 2``); at least one STFT bin must lie in it.

    Returns
    -------
    float >= 0, in dB
        0.0 for identical signals; ``20 log10(g)`` for a gain ``g >= 1`` where nothing is floored.

    Raises
    ------
    ParameterError
        Bad signals or STFT settings; a band limit without ``sr``; a band that holds no STFT bin.

    Examples
    --------
    >>> t = np.arange(22050) / 22050
    >>> low, high = np.sin(2 * np.pi * 220 * t), 0.1 * np.sin(2 * np.pi * 3000 * t)
    >>> log_spectral_distance(low + high, low, sr=22050, n_fft=4096, fmin=1000) > 10   # the 3 kHz tone lost
    True
    >>> log_spectral_distance(low + high, low, sr=22050, n_fft=4096, fmax=1000) < 0.2  # nothing lost below 1 kHz
    True
    """
    hop_length = max(1, n_fft // 4) if hop_length is None and is_integer(n_fft) else hop_length
    n_fft, hop_length = check_stft(n_fft, hop_length)
    check_number(amin, "amin", minimum=0, exclusive_minimum=True)
    bins = slice(None)
    if fmin != 0.0 or fmax is not None:
        if sr is None:
            raise ParameterError(f"log_spectral_distance needs sr (the sample rate in Hz) to place the band "
                                 f"fmin={fmin!r}, fmax={fmax!r}; pass sr=...")
        sr = check_integer(sr, "sr", minimum=1, what="a positive integer sample rate in Hz")
        fmin = check_number(fmin, "fmin", minimum=0)
        fmax = check_number(fmax, "fmax", minimum=fmin, allow_none=True, what=f"a number >= fmin={fmin:g}")
        freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
        inside = (freqs >= fmin) & (freqs <= (sr / 2 if fmax is None else fmax))
        if not inside.any():
            raise ParameterError(f"no STFT bin lies between fmin={fmin:g} Hz and fmax={fmax} Hz (bins are "
                                 f"{sr / n_fft:g} Hz apart up to {sr / 2:g} Hz); widen the band or raise n_fft")
        bins = inside
    elif sr is not None:
        check_integer(sr, "sr", minimum=1, what="a positive integer sample rate in Hz")
    reference, estimate = _valid_pair(reference, estimate)
    db_ref = 20.0 * np.log10(np.maximum(amin, _stft_magnitude(reference, n_fft, hop_length)[bins]))
    db_est = 20.0 * np.log10(np.maximum(amin, _stft_magnitude(estimate, n_fft, hop_length)[bins]))
    return float(np.mean(np.sqrt(np.mean((db_ref - db_est) ** 2, axis=-2))))


def seam_statistics(reference: np.ndarray, estimate: np.ndarray, seams: Sequence[int], sr: int, *,
                    n_fft: int = 512, hop_length: Optional[int] = None, n_mels: Optional[int] = None,
                    radius: float = 0.02, level_window: float = 0.02) -> dict:
    """How much worse an estimate is at given sample positions (seams) than elsewhere.

    Two measures:

    * frame-wise log-mel distance ``mean_mels |log10 M_ref - log10 M_est|`` (:func:`log_mel_spectrogram`,
      as :func:`mel_distance`), averaged over the frames whose centre lies
      within ``radius`` seconds of a seam (``seam_mel``) and over the other frames (``other_mel``);
    * the level jump at each seam: ``20 log10(rms(after) / rms(before))`` over ``level_window``
      seconds either side, for the estimate minus the same for the reference (``level_jumps_db``, and
      ``max_level_jump_db`` of their absolute values), so a jump the music itself has is not counted.

    Parameters
    ----------
    reference, estimate : np.ndarray [shape=(n,)]
        Compared over the shorter length.
    seams : sequence of int
        Sample positions.
    sr : int
    n_fft, hop_length, n_mels
        STFT of the mel measure (defaults: 512, ``n_fft // 4``, ``min(80, n_fft // 4)``).

    Returns
    -------
    dict
        ``seam_mel``, ``other_mel``, ``ratio`` (seam / other), ``level_jumps_db`` (list),
        ``max_level_jump_db``, ``n_seams``.
    """
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    n = min(len(reference), len(estimate))
    reference, estimate = reference[:n], estimate[:n]
    hop_length = hop_length or n_fft // 4
    n_mels = n_mels or min(80, n_fft // 4)
    seams = np.asarray([s for s in seams if 0 < s < n], dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty mel filters at low rates are harmless here
        diff = np.mean(np.abs(log_mel_spectrogram(reference, sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
                              - log_mel_spectrogram(estimate, sr, n_fft=n_fft, hop_length=hop_length,
                                                    n_mels=n_mels)), axis=0)
    centres = np.arange(diff.shape[0]) * hop_length
    near = np.zeros(diff.shape[0], dtype=bool)
    for s in seams:
        near |= np.abs(centres - s) <= radius * sr
    seam_mel = float(diff[near].mean()) if near.any() else float("nan")
    other_mel = float(diff[~near].mean()) if (~near).any() else float("nan")

    w = max(1, int(round(level_window * sr)))

    def jump(y: np.ndarray, s: int) -> float:
        before, after = y[max(0, s - w):s], y[s:s + w]
        rms_b = np.sqrt(np.mean(before ** 2)) + 1e-8
        rms_a = np.sqrt(np.mean(after ** 2)) + 1e-8
        return float(20 * np.log10(rms_a / rms_b))

    jumps = [jump(estimate, int(s)) - jump(reference, int(s)) for s in seams]
    return {"seam_mel": seam_mel, "other_mel": other_mel,
            "ratio": seam_mel / other_mel if other_mel and np.isfinite(other_mel) else float("nan"),
            "level_jumps_db": jumps, "max_level_jump_db": float(np.max(np.abs(jumps))) if jumps else 0.0,
            "n_seams": int(len(seams))}


def music_embedding(y: np.ndarray, sr: int, *, n_mfcc: int = 20, n_mels: int = 64) -> np.ndarray:
    """A piece's summary for :func:`frechet_distance`: mean and std over time of its MFCCs and log-mel bands.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    sr : int
    n_mfcc, n_mels : int

    Returns
    -------
    np.ndarray [shape=(2 * n_mfcc + 2 * n_mels,)], float64
        MFCC means, MFCC stds, log-mel (dB) means, log-mel stds; STFT of 2048 points, hop 512.
    """
    import librosa

    y = valid_array(y, "y", ndim=1, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # low rates: librosa warns about empty mel bands
        mel = librosa.feature.melspectrogram(y=y, sr=int(sr), n_fft=2048, hop_length=512, n_mels=int(n_mels))
        log_mel = librosa.power_to_db(mel, ref=1.0, amin=1e-10)
        mfcc = librosa.feature.mfcc(S=librosa.power_to_db(
            librosa.feature.melspectrogram(y=y, sr=int(sr), n_fft=2048, hop_length=512), ref=1.0, amin=1e-10),
            n_mfcc=int(n_mfcc))
    return np.concatenate([mfcc.mean(1), mfcc.std(1), log_mel.mean(1), log_mel.std(1)]).astype(np.float64)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two sets of embeddings.

    ``||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``; 0 for identical sets.

    Parameters
    ----------
    a : np.ndarray [shape=(n_a, d)], n_a >= 2
    b : np.ndarray [shape=(n_b, d)], n_b >= 2

    Returns
    -------
    float >= 0
    """
    from scipy import linalg

    a = valid_array(a, "a", ndim=2, dtype=np.float64)
    b = valid_array(b, "b", ndim=2, dtype=np.float64)
    if a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ParameterError(f"a and b need >= 2 rows of the same width, got {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():
        # fewer rows than dimensions make both covariances singular; the square root of their product is still
        # accurate (checked against the eigenvalues of S_a^(1/2) S_b S_a^(1/2): 1e-8 relative at 140 x 200)
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_a @ cov_b)
        if not np.all(np.isfinite(root)):  # near-singular products: nudge both covariances
            eps = 1e-6 * np.eye(a.shape[1])
            root = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    root = np.real(root)
    value = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(root))
    return max(0.0, value)
