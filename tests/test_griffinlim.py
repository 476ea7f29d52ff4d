"""Tests of genmusic.features.griffinlim: both implementations, against each other, librosa and known signals.

Runs on any Keras backend: ``KERAS_BACKEND=jax pytest tests/test_griffinlim.py``. Nothing here (or in
genmusic.features.griffinlim) imports TensorFlow.

Measured with seed 0 (32 iterations, librosa method; seeds 0-5 in brackets). The default
SpectrogramConfig is n_fft 1024, hop 256, top_db 120. Sine 440 Hz and chirp 200-4000 Hz are 1 s,
"music" is :func:`make_music` (1.5 s, hiss at -60 dBFS):

=============================  =================  =================  =================
                               sine               chirp              music
=============================  =================  =================  =================
GL mel distance (default)      0.105 [0.09-0.12]  0.075 [0.07-0.09]  0.046
GL spectral convergence        0.076 [0.07-0.13]  0.071 [0.06-0.09]  0.067
zero phase: mel / SC           0.398 / 0.776      0.241 / 0.936      0.745 / 0.907
top_db=80: GL mel              1.145 [1.14-1.16]  1.201 [1.20-1.21]  0.047
top_db=80: true phase mel      0.155              0.198
keras - librosa: max |dy|      3.7e-4             3.4e-4             1.3e-4
keras - librosa: |d mel|       5.7e-5             7.6e-7             4.0e-6
=============================  =================  =================  =================

With top_db=80 (a speech habit, and the old default) the representation holds a floor 80 dB below
the peak in every bin. Griffin-Lim rebuilds it faithfully as a noise floor, some 60 dB above the mel
metric's 1e-5 floor in the bands a pure tone leaves empty, and that floor, not the phase, dominates
the mel distance of pure tones (the true phase with the same floored magnitudes projects most of it
away: 0.155 / 0.198). With top_db=120 the phase reconstruction itself is measured.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from genmusic.config import SpectrogramConfig
from genmusic.features.griffinlim import _Frames, _istft, _stft, griffinlim, griffinlim_keras, griffinlim_librosa
from genmusic.features.inversion import resynthesize
from genmusic.metrics import mel_distance, spectral_convergence
from genmusic.features.spectrogram import LogSpectrogramExtractor, db_to_magnitude
from tests.conftest import SR, make_chirp, make_sine

N_FFT, HOP = 1024, 256


def make_music(seconds: float = 1.5, *, hiss: float = 0.001, seed: int = 3) -> np.ndarray:
    """Music-like: decaying harmonic notes, noise-burst hi-hats every 0.25 s, and hiss at -60 dBFS
    (as any recording has), so that no band is emptier than the representation's 80 dB floor."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    notes = (220.0, 277.18, 329.63, 440.0, 329.63, 277.18)
    step = seconds / len(notes)
    for i, f0 in enumerate(notes):
        local = t - i * step
        envelope = np.exp(-3 * np.clip(local, 0, None)) * ((local >= 0) & (local < step))
        for k in range(1, 6):
            y += 0.25 / k * envelope * np.sin(2 * np.pi * k * f0 * t)
    for onset in np.arange(0, seconds, 0.25):
        n0 = int(onset * SR)
        n = min(int(0.08 * SR), len(t) - n0)
        y[n0:n0 + n] += 0.2 * np.exp(-np.arange(n) / (0.015 * SR)) * rng.standard_normal(n)
    y += hiss * rng.standard_normal(len(t))
    return y.astype(np.float32)


def magnitude_of(y: np.ndarray, config: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """The genmusic representation of ``y`` as magnitudes [shape=(n_fft // 2 + 1, n_frames)]."""
    return db_to_magnitude(LogSpectrogramExtractor(config).extract(y), restore_nyquist=True)


def zero_phase_inverse(y: np.ndarray, config: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    import librosa

    mag = magnitude_of(y, config).astype(np.complex64)
    return librosa.istft(mag, n_fft=config.n_fft, hop_length=config.hop_length, length=len(y))


@pytest.mark.parametrize("n_fft, hop_length", [(1024, 256), (512, 256), (2048, 512), (1000, 300)])
def test_keras_transforms_match_librosa(chirp, n_fft, hop_length):
    """The keras.ops STFT / ISTFT pair is librosa's (window, zero padding, window sum-square)."""
    import librosa
    from keras import ops

    stft = librosa.stft(chirp, n_fft=n_fft, hop_length=hop_length, center=True, pad_mode="constant")
    frames = _Frames(n_fft, hop_length, stft.shape[-1], len(chirp))
    window, inverse_wss = (ops.convert_to_tensor(c) for c in frames.constants("hann"))
    real, imag = _stft(ops.convert_to_tensor(chirp[None]), window, frames)
    ours = (ops.convert_to_numpy(real) + 1j * ops.convert_to_numpy(imag))[0].T
    assert ours.shape == stft.shape
    assert np.max(np.abs(ours - stft)) < 1e-6 * np.max(np.abs(stft))  # measured 1.2e-7

    back = _istft(ops.convert_to_tensor(np.ascontiguousarray(stft.real.T[None])),
                  ops.convert_to_tensor(np.ascontiguousarray(stft.imag.T[None])), window, inverse_wss, frames)
    back = ops.convert_to_numpy(back)[0]
    expected = librosa.istft(stft, n_fft=n_fft, hop_length=hop_length, length=len(chirp))
    assert back.shape == (len(chirp),)
    assert np.max(np.abs(back - expected)) < 1e-6  # measured 1.2e-7
    assert np.max(np.abs(back - chirp)) < 1e-6  # perfect reconstruction, edges included


@pytest.mark.parametrize("make, mel_bound, sc_bound", [(make_sine, 0.11, 0.09), (make_chirp, 0.08, 0.08)])
def test_resynthesis_with_the_default_config(make, mel_bound, sc_bound):
    y = make()
    out = resynthesize(y, SpectrogramConfig(), n_iter=32, seed=0)
    assert out.shape == y.shape and out.dtype == np.float32
    gl_mel, gl_sc = mel_distance(y, out, SR), spectral_convergence(y, out)
    assert gl_mel < mel_bound  # measured 0.105 (sine), 0.075 (chirp)
    assert gl_sc < sc_bound  # measured 0.076, 0.071
    # Zero phase gets the magnitudes but not their consistency: 10x the spectral error.
    zero = zero_phase_inverse(y)
    assert gl_sc < spectral_convergence(y, zero) / 5  # zero phase: 0.776, 0.936


@pytest.mark.parametrize("make, mel_bound", [(make_sine, 1.16), (make_chirp, 1.21)])
def test_an_80_db_floor_dominates_pure_tones(make, mel_bound):
    y = make()
    gl_mel = mel_distance(y, resynthesize(y, SpectrogramConfig(top_db=80.0), n_iter=32, seed=0), SR)
    assert 1.0 < gl_mel < mel_bound  # measured 1.145, 1.201: why the default floor is 120 dB


def test_resynthesis_of_music_beats_zero_phase():
    y = make_music()
    gl_mel = mel_distance(y, resynthesize(y, SpectrogramConfig(), n_iter=32, seed=0), SR)
    zero_mel = mel_distance(y, zero_phase_inverse(y), SR)
    assert gl_mel < 0.055  # measured 0.0463 (seeds 0-2: 0.046-0.047)
    assert gl_mel < zero_mel / 10  # zero phase: 0.745


@pytest.mark.parametrize("make, mel_bound", [(make_sine, 0.11), (make_chirp, 0.08)])
def test_resynthesis_below_the_metric_floor_beats_zero_phase(make, mel_bound):
    config = SpectrogramConfig(top_db=120.0)
    y = make()
    gl_mel = mel_distance(y, resynthesize(y, config, n_iter=32, seed=0), SR)
    zero_mel = mel_distance(y, zero_phase_inverse(y, config), SR)
    assert gl_mel < mel_bound  # measured 0.105 (sine), 0.075 (chirp)
    assert gl_mel < 0.4 * zero_mel  # zero phase: 0.398, 0.241 (ratios 0.26, 0.31)


@pytest.mark.parametrize("make", [make_sine, make_chirp, make_music])
def test_keras_agrees_with_librosa(make):
    y = make()
    mag = magnitude_of(y)
    ref = griffinlim_librosa(mag, n_fft=N_FFT, hop_length=HOP, length=len(y), seed=0)
    out = griffinlim_keras(mag, n_fft=N_FFT, hop_length=HOP, length=len(y), seed=0)
    assert ref.shape == out.shape == (len(y),)
    assert out.dtype == np.float32
    # Same start, same algorithm: only float32 round-off, grown over 32 iterations, tells them apart.
    assert np.max(np.abs(out - ref)) < 2e-3  # measured 3.4e-4 (TensorFlow), 3.0e-4 (JAX)
    assert abs(mel_distance(y, out, SR) - mel_distance(y, ref, SR)) < 1e-3  # measured < 6e-5


def test_both_start_from_the_same_phase(chirp):
    mag = magnitude_of(chirp)
    for seed in (0, 5):
        ref = griffinlim_librosa(mag, n_fft=N_FFT, hop_length=HOP, n_iter=0, seed=seed)
        out = griffinlim_keras(mag, n_fft=N_FFT, hop_length=HOP, n_iter=0, seed=seed)
        assert np.max(np.abs(out - ref)) < 1e-5  # measured 9e-8
    other = griffinlim_keras(mag, n_fft=N_FFT, hop_length=HOP, n_iter=0, seed=1)
    assert np.max(np.abs(other - out)) > 0.1


@pytest.mark.parametrize("method", ["librosa", "keras"])
def test_output_has_exactly_length_samples(chirp, method):
    mag = magnitude_of(chirp)  # 1 + 22050 // 256 = 87 frames
    n_frames = mag.shape[-1]
    for length in (len(chirp), (n_frames - 1) * HOP, n_frames * HOP - 1):
        y = griffinlim(mag, n_fft=N_FFT, hop_length=HOP, n_iter=2, length=length, method=method)
        assert y.shape == (length,)
    assert griffinlim(mag, n_fft=N_FFT, hop_length=HOP, n_iter=2, method=method).shape == ((n_frames - 1) * HOP,)


def test_batched_keras_matches_single_items(sine, chirp):
    mags = np.stack([magnitude_of(sine), magnitude_of(chirp)])
    batch = griffinlim_keras(mags, n_fft=N_FFT, hop_length=HOP, length=SR, seed=0)
    assert batch.shape == (2, SR)
    singles = [griffinlim_keras(m, n_fft=N_FFT, hop_length=HOP, length=SR, seed=0) for m in mags]
    # Phases are drawn for the whole batch, as librosa draws them: item 0 starts as a single call
    # with the same seed would, item 1 from the next draws.
    assert np.max(np.abs(batch[0] - singles[0])) < 1e-5  # measured 0
    for y, single, item in zip((sine, chirp), singles, batch):
        assert abs(mel_distance(y, item, SR) - mel_distance(y, single, SR)) < 0.01  # measured 0, 0.0016
        assert abs(spectral_convergence(y, item) - spectral_convergence(y, single)) < 0.03  # 0, 0.014
    # ... and the batch starts where librosa's batched call starts.
    ref = griffinlim_librosa(mags, n_fft=N_FFT, hop_length=HOP, length=SR, seed=0)
    assert np.max(np.abs(batch - ref)) < 2e-3  # measured 3.7e-4


@pytest.mark.parametrize("method", ["librosa", "keras"])
def test_more_iterations_do_not_hurt(chirp, method):
    mag = magnitude_of(chirp)
    sc = {n: spectral_convergence(chirp, griffinlim(mag, n_fft=N_FFT, hop_length=HOP, n_iter=n, length=SR,
                                                    method=method))
          for n in (8, 64)}
    assert sc[64] <= sc[8]  # measured 0.038 vs 0.199
    assert sc[64] < 0.05


def test_resynthesize_with_keras_and_another_config(chirp):
    config = SpectrogramConfig(n_fft=512, hop_length=128)
    out = resynthesize(chirp[:10000], config, n_iter=16, method="keras")
    ref = resynthesize(chirp[:10000], config, n_iter=16, method="librosa")
    assert out.shape == ref.shape == (10000,)
    assert abs(mel_distance(chirp[:10000], out, SR) - mel_distance(chirp[:10000], ref, SR)) < 1e-3


def test_no_tensorflow_import():
    """The keras version must run on every backend: no TensorFlow imports in the module."""
    import genmusic.features.griffinlim as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.split(".")[0] in ("tensorflow", "tf", "jax", "torch")]


def test_keras_version_runs_under_jax_without_tensorflow():
    """In a fresh process on the JAX backend, griffinlim_keras works and TensorFlow is never loaded."""
    import os
    import subprocess
    import sys

    pytest.importorskip("jax")
    code = ("import sys, numpy as np\n"
            "from genmusic.features.griffinlim import griffinlim_keras\n"
            "y = griffinlim_keras(np.ones((2, 65, 9), np.float32), n_fft=128, hop_length=32, n_iter=2)\n"
            "import keras\n"
            "print(keras.backend.backend(), y.shape, 'tensorflow' in sys.modules)\n")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "jax (2, 256) False"
