"""Shared fixtures: seeded generators, known signals, small configs that keep the suite fast."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from genmusic.config import AudioConfig, GenmusicConfig, ModelConfig, SpectrogramConfig, TrainConfig

SR = 22050


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def sr():
    return SR


def make_sine(freq: float = 440.0, seconds: float = 1.0, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def make_chirp(f0: float = 200.0, f1: float = 4000.0, seconds: float = 1.0, sr: int = SR,
               amplitude: float = 0.5) -> np.ndarray:
    import librosa

    return (amplitude * librosa.chirp(fmin=f0, fmax=f1, sr=sr, duration=seconds)).astype(np.float32)


@pytest.fixture
def sine():
    return make_sine()


@pytest.fixture
def chirp():
    return make_chirp()


@pytest.fixture
def small_config() -> GenmusicConfig:
    """A config with small spectrograms (64 x 16) and a tiny model, for fast end-to-end tests."""
    return GenmusicConfig(
        audio=AudioConfig(sample_rate=8000),
        spectrogram=SpectrogramConfig(n_fft=128, hop_length=64, segment_frames=16),
        model=ModelConfig(kind="vae", conv_filters=(4, 8), conv_kernels=(3, 3), conv_strides=((2, 2), (2, 2)),
                          latent_dim=16),
        train=TrainConfig(epochs=2, batch_size=4, patience=0),
    )
