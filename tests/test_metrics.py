"""Tests of genmusic.metrics on signals whose answer is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.metrics import (MEL_BANDS, MEL_FFT_SIZES, MEL_FLOOR, log_spectral_distance,
                              mel_distance, spectral_convergence)
from genmusic.metrics.spectral import _mel_basis

from tests.conftest import SR, make_chirp, make_sine

LOG10_2 = float(np.log10(2.0))


@pytest.fixture
def noise():
    """White noise, std 0.1: every STFT bin and mel band lies far above the floors."""
    return (0.1 * np.random.default_rng(7).standard_normal(SR)).astype(np.float32)


def make_song(seconds: float = 1.0) -> np.ndarray:
    """A short "song": three harmonic notes in sequence over a bass line."""
    t = np.arange(int(seconds * SR)) / SR
    y = 0.2 * np.sin(2 * np.pi * 110.0 * t)
    for i, f0 in enumerate((261.63, 329.63, 392.0)):
        on = (t >= i * seconds / 3) & (t < (i + 1) * seconds / 3)
        for k in range(1, 5):
            y += on * (0.3 / k) * np.sin(2 * np.pi * k * f0 * t)
    return y.astype(np.float32)


def mel_magnitudes(y: np.ndarray, n_fft: int) -> np.ndarray:
    """Mel spectrogram computed independently of genmusic.metrics (librosa.feature)."""
    import librosa

    return librosa.feature.melspectrogram(y=y.astype(np.float64), sr=SR, n_fft=n_fft, hop_length=n_fft // 4,
                                          n_mels=MEL_BANDS, power=1.0, center=True, pad_mode="constant")


@pytest.mark.parametrize("make", [make_sine, make_chirp, make_song])
def test_identical_signals_score_exactly_zero(make):
    y = make()
    assert mel_distance(y, y.copy(), SR) == 0.0
    assert spectral_convergence(y, y.copy()) == 0.0
    assert log_spectral_distance(y, y.copy()) == 0.0


def test_mel_and_log_spectral_distance_are_symmetric(sine, chirp):
    assert mel_distance(sine, chirp, SR) == mel_distance(chirp, sine, SR)
    assert log_spectral_distance(sine, chirp) == log_spectral_distance(chirp, sine)
    assert mel_distance(sine, chirp, SR) > 0.3


def test_noise_against_a_song_is_far(noise):
    song = make_song()
    assert mel_distance(song, noise, SR) > 0.3  # measured 2.38
    assert mel_distance(song, noise, SR) > 100 * mel_distance(song, 1.05 * song, SR)  # 0.0122


def test_gain_of_two_on_noise_costs_exactly_log10_2(noise):
    # mel magnitudes are linear in the signal; nothing is near the 1e-5 floor for noise of std 0.1
    assert mel_distance(noise, 2 * noise, SR) == pytest.approx(LOG10_2, abs=1e-9)
    assert log_spectral_distance(noise, 2 * noise) == pytest.approx(20 * LOG10_2, abs=1e-9)  # 6.0206 dB
    assert spectral_convergence(noise, 2 * noise) == pytest.approx(1.0, abs=1e-12)
    assert spectral_convergence(noise, 0.5 * noise) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("make", [make_sine, make_chirp])
def test_gain_of_two_on_a_tone_costs_log10_2_where_it_is_above_the_floor(make):
    # A pure tone is not "loud everywhere": about half of the mel cells (bands far from the tone) lie
    # below MEL_FLOOR, where a gain of 2 costs nothing. Per cell the cost is log10(2) above the floor,
    # log10(2 M / floor) in [0, log10 2] for floor/2 <= M < floor, and 0 below floor/2. Measured:
    # sine 0.1434, chirp 0.1403 (not 0.301).
    y = make()
    low = high = 0.0
    for n_fft in MEL_FFT_SIZES:
        mel = mel_magnitudes(y, n_fft)
        low += LOG10_2 * np.mean(mel >= MEL_FLOOR) / len(MEL_FFT_SIZES)
        high += LOG10_2 * np.mean(mel >= MEL_FLOOR / 2) / len(MEL_FFT_SIZES)
    d = mel_distance(y, 2 * y, SR)
    assert low - 1e-9 <= d <= high + 1e-9
    assert high - low < 0.02
    assert 0.13 < d < 0.16


def test_mel_distance_ignores_phase(sine):
    assert mel_distance(sine, -sine, SR) == 0.0  # half a period of phase: the same magnitudes
    # A real delay of half a period: 441 Hz has a period of exactly 50 samples at 22050 Hz.
    y = make_sine(441.0)
    delayed = np.concatenate([np.zeros(25, np.float32), y[:-25]])
    assert np.mean(np.abs(y - delayed)) > 0.6  # as far apart as two such waveforms get ...
    d_delay = mel_distance(y, delayed, SR)
    assert d_delay < 0.01  # ... but close in mel distance (measured 0.0055, the onset only)
    assert mel_distance(y, make_sine(441.0 * 2 ** (1 / 12)), SR) > 10 * d_delay  # a semitone: 0.17


def test_unequal_lengths_are_compared_over_the_shorter(sine, noise):
    longer = np.concatenate([sine, noise])
    assert mel_distance(sine, longer, SR) == 0.0
    assert mel_distance(longer, sine, SR) == 0.0
    assert spectral_convergence(sine, longer) == 0.0
    assert log_spectral_distance(longer[:2000], sine) == 0.0


def test_mel_basis_is_cached():
    _mel_basis.cache_clear()
    first = _mel_basis(SR, 1024)
    assert _mel_basis(SR, 1024) is first
    assert _mel_basis.cache_info().hits == 1
    assert first.shape == (MEL_BANDS, 513) and not first.flags.writeable


def test_spectral_convergence_of_silence():
    silence = np.zeros(4096, np.float32)
    assert spectral_convergence(silence, silence) == 0.0
    assert spectral_convergence(silence, make_sine(seconds=4096 / SR)) == float("inf")
    assert spectral_convergence(make_sine(seconds=4096 / SR), silence) == 1.0


def test_frechet_distance_of_known_gaussians():
    from genmusic.metrics import frechet_distance

    rng = np.random.default_rng(0)
    a = rng.standard_normal((4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shifted = a + np.array([3.0, 0.0, 4.0])                  # same covariance, means 5 apart: distance 25
    assert frechet_distance(a, shifted) == pytest.approx(25.0, rel=1e-6)
    wide = 2.0 * rng.standard_normal((4000, 3))             # N(0, 4 I) vs N(0, I): 3 * (1 + 4 - 2 * 2) = 3
    assert frechet_distance(a, wide) == pytest.approx(3.0, rel=0.1)
    assert frechet_distance(a, wide) == pytest.approx(frechet_distance(wide, a), rel=1e-6)


def test_music_embedding_tells_noise_from_a_tone():
    from genmusic.metrics import music_embedding

    sr = 8000
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)).astype(np.float32)
    noise = np.random.default_rng(0).standard_normal(sr).astype(np.float32) * 0.1
    e_tone, e_noise = music_embedding(tone, sr), music_embedding(noise, sr)
    assert e_tone.shape == (2 * 20 + 2 * 64,) and np.all(np.isfinite(e_tone))
    mel_means = slice(40, 104)
    assert np.argmax(e_tone[mel_means]) != np.argmax(e_noise[mel_means]) or e_tone[mel_means].std() > e_noise[mel_means].std()


# ---------------------------------------------------------------- log-spectral distance over a band


def test_log_spectral_distance_band_is_the_mean_over_its_bins(noise):
    import librosa

    y = make_song()
    est = y + 0.3 * noise
    db = [20 * np.log10(np.maximum(1e-5, np.abs(librosa.stft(s.astype(np.float64), n_fft=4096, hop_length=1024,
                                                                   pad_mode="constant")))) for s in (y, est)]
    band = librosa.fft_frequencies(sr=SR, n_fft=4096) >= 1000
    expected = np.mean(np.sqrt(np.mean((db[0][band] - db[1][band]) ** 2, axis=0)))
    assert log_spectral_distance(y, est, sr=SR, n_fft=4096, fmin=1000) == pytest.approx(expected, rel=1e-12)
    # the default hop is n_fft // 4, as before for n_fft=1024
    assert log_spectral_distance(y, est) == log_spectral_distance(y, est, n_fft=1024, hop_length=256)


def test_log_spectral_distance_band_on_sines(noise):
    low, high = make_sine(220.0), make_sine(3000.0, amplitude=0.05)
    kw = dict(sr=SR, n_fft=4096)
    # a 3 kHz tone lost: seen above 1 kHz (13.7 dB), not below it (0.07 dB)
    assert log_spectral_distance(low + high, low, fmin=1000, **kw) > 10.0
    assert log_spectral_distance(low + high, low, fmax=1000, **kw) < 0.2
    # a 220 Hz tone doubled: 20 log10 2 where it dominates, below 1 kHz (measured 6.04 dB)
    assert log_spectral_distance(low + high, 2 * low + high, fmax=1000, **kw) == pytest.approx(20 * LOG10_2, abs=0.05)
    # every bin scaled: exactly 20 log10 2 in any band
    assert log_spectral_distance(noise, 2 * noise, fmin=1000, **kw) == pytest.approx(20 * LOG10_2, abs=1e-9)


@pytest.mark.parametrize("kwargs, match", [
    (dict(fmin=1000), "needs sr"),
    (dict(sr=SR, fmin=-1), "fmin must be a finite number >= 0"),
    (dict(sr=SR, fmin=2000, fmax=1000), "fmax must be None or a number >= fmin=2000"),
    (dict(sr=SR, n_fft=64, fmin=100, fmax=200), "no STFT bin lies between"),
    (dict(sr=0, fmin=10), "sr must be a positive integer"),
])
def test_log_spectral_distance_bad_band(sine, kwargs, match):
    from genmusic.errors import ParameterError

    with pytest.raises(ParameterError, match=match):
        log_spectral_distance(sine, sine, **kwargs)
