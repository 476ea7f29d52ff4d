import numpy as np
import pytest

from genmusic.audio import pad_to_segments
from genmusic.config import SpectrogramConfig
from genmusic.features.spectrogram import LogSpectrogramExtractor, MinMaxNormaliser, db_to_magnitude, magnitude_to_db
from tests.conftest import make_sine


def test_sine_peak_in_the_right_bin():
    cfg = SpectrogramConfig(n_fft=1024, hop_length=256)
    sr = 22050
    k = 40  # put the sine exactly on bin 40
    f = k * sr / cfg.n_fft
    db = LogSpectrogramExtractor(cfg).extract(make_sine(f, 1.0, sr))
    assert db.shape == (512, 1 + sr // 256)
    assert np.all(np.argmax(db[:, 4:-4], axis=0) == k)
    # hann window, amplitude 0.5: peak magnitude 0.5 * sum(window) / 2 = n_fft / 8
    assert db[k, 10] == pytest.approx(20 * np.log10(cfg.n_fft / 8), abs=0.01)
    # the top_db floor holds
    assert db.min() == pytest.approx(db.max() - cfg.top_db, abs=1e-4)


def test_nyquist_bin_dropped_and_restored():
    cfg = SpectrogramConfig(n_fft=256, hop_length=64)
    db = LogSpectrogramExtractor(cfg).extract(make_sine(1000, 0.2))
    assert db.shape[0] == cfg.n_freq_bins == 128
    mag = db_to_magnitude(db)
    assert mag.shape[0] == 129 and not mag[-1].any()
    np.testing.assert_allclose(20 * np.log10(mag[:-1]), db, atol=1e-4)


def test_segments_are_consecutive_slices_of_the_whole_song_stft():
    cfg = SpectrogramConfig(n_fft=256, hop_length=64, segment_frames=16)
    y = pad_to_segments(np.random.default_rng(0).standard_normal(5000).astype(np.float32), cfg)
    ext = LogSpectrogramExtractor(cfg)
    segs = ext.extract_segments(y)
    whole = ext.extract(y)
    assert segs.shape == (len(y) // cfg.segment_samples, 128, 16)
    for i in range(segs.shape[0]):
        np.testing.assert_array_equal(segs[i], whole[:, i * 16:(i + 1) * 16])


def test_minmax_round_trip(rng):
    x = rng.uniform(-100, 20, size=(3, 64, 16)).astype(np.float64)
    norm = MinMaxNormaliser().fit(x)
    z = norm.transform(x)
    assert z.min() == pytest.approx(0.0, abs=1e-12) and z.max() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(norm.inverse_transform(z), x, atol=1e-6)
    z32 = MinMaxNormaliser().fit_transform(x.astype(np.float32))
    assert z32.dtype == np.float32


def test_minmax_custom_range_and_from_stats():
    norm = MinMaxNormaliser(-1, 1).fit(np.array([-80.0, 0.0]))
    np.testing.assert_allclose(norm.transform(np.array([-80.0, -40.0, 0.0])), [-1, 0, 1])
    same = MinMaxNormaliser.from_stats(-80.0, 0.0, -1, 1)
    np.testing.assert_allclose(same.inverse_transform(np.array([0.5])), [-20.0])


def test_minmax_zero_range_gives_no_nan():
    x = np.full((4, 4), -100.0)
    norm = MinMaxNormaliser().fit(x)
    z = norm.transform(x)
    assert np.all(z == 0.0)
    np.testing.assert_array_equal(norm.inverse_transform(z), x)


def test_magnitude_to_db_floor():
    mag = np.array([[1.0, 1e-9, 0.1]])
    db = magnitude_to_db(mag, amin=1e-5, top_db=None)
    np.testing.assert_allclose(db, [[0.0, -100.0, -20.0]], atol=1e-5)
    np.testing.assert_allclose(magnitude_to_db(mag, top_db=10), [[0.0, -10.0, -10.0]], atol=1e-5)


@pytest.mark.parametrize("n", [700, 5000, 66150, 300001])
@pytest.mark.parametrize("n_fft, hop_length", [(1024, 256), (128, 64), (2048, 512)])
def test_hann_stft_is_librosas_bit_for_bit(n, n_fft, hop_length):
    import librosa

    from genmusic.features.spectrogram import _hann_stft

    y = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    ref = librosa.stft(y, n_fft=n_fft, hop_length=hop_length, window="hann", center=True, pad_mode="constant")
    got = _hann_stft(y, n_fft, hop_length, n_fft // 2)
    assert got.dtype == np.complex64 and np.array_equal(got, ref[: n_fft // 2])
