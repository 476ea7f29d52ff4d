"""Tests of genmusic.features.inversion: spectrogram frames back to audio of an exact length."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.config import SpectrogramConfig
from genmusic.features.inversion import db_to_audio, fit_frames, frames_to_audio
from genmusic.features.spectrogram import LogSpectrogramExtractor, MinMaxNormaliser
from tests.conftest import make_sine

CFG = SpectrogramConfig(n_fft=128, hop_length=32, segment_frames=8)


def test_fit_frames_trims_or_repeats_the_last_frame():
    frames = np.arange(12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_array_equal(fit_frames(frames, 4), [[0, 1, 2, 3], [6, 7, 8, 9]])
    np.testing.assert_array_equal(fit_frames(frames, 8), [[0, 1, 2, 3, 4, 5, 5, 5], [6, 7, 8, 9, 10, 11, 11, 11]])
    batch = np.stack([frames, frames + 100])
    assert fit_frames(batch, 7).shape == (2, 2, 7) and fit_frames(batch, 7)[1, 0, -1] == 105


@pytest.mark.filterwarnings("ignore:n_fft=.* is too large")
@pytest.mark.parametrize("length", [1, 31, 32, 33, 9 * 32, 10 * 32 - 1, 10 * 32, 12 * 32 + 5])
def test_any_frame_count_gives_exactly_length_samples(length):
    frames = np.full((64, 10), 0.5, np.float32)  # 10 centred frames span 9 hops (288 samples)
    out = frames_to_audio(frames, MinMaxNormaliser.from_stats(-100.0, 0.0), CFG, length, n_iter=2)
    assert out.shape == (length,) and out.dtype == np.float32 and np.all(np.isfinite(out))


def test_batches_keep_their_items_apart():
    db = LogSpectrogramExtractor(CFG).extract(make_sine(440.0, 0.1, sr=8000))
    single = db_to_audio(db, CFG, 800, n_iter=4)
    batch = db_to_audio(np.stack([db, db - 20.0]), CFG, 800, n_iter=4)
    assert batch.shape == (2, 800)
    np.testing.assert_allclose(batch[0], single, atol=1e-6)
    # 20 dB down is a tenth of the amplitude
    assert np.sqrt(np.mean(batch[1] ** 2)) == pytest.approx(0.1 * np.sqrt(np.mean(single ** 2)), rel=0.05)


def test_normalised_frames_are_denormalised_with_the_given_statistics():
    db = LogSpectrogramExtractor(CFG).extract(make_sine(440.0, 0.1, sr=8000))
    norm = MinMaxNormaliser().fit(db)
    from_frames = frames_to_audio(norm.transform(db), norm, CFG, 800, n_iter=4)
    np.testing.assert_allclose(from_frames, db_to_audio(db, CFG, 800, n_iter=4), atol=1e-5)
