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


@pytest.mark.parametrize("n_fft, hop_length", [(1024, 256), (128, 64)])
def test_db_frames_are_librosas_stft_in_db_bit_for_bit(n_fft, hop_length):
    """The block-wise analysis (no librosa import, in-place dB) gives librosa's STFT in dB exactly, for any
    range of frames: the song's start (zeros before it), its middle, past its end, and across STFT blocks."""
    import librosa

    from genmusic.audio import AudioSignal

    sr = 22050
    t = np.arange(int(2.3 * sr)) / sr
    y = (0.5 * np.sin(2 * np.pi * (110 * t + 900 * t ** 2)) + 0.01 * np.random.default_rng(7).standard_normal(t.size))
    y = y.astype(np.float32)
    cfg = SpectrogramConfig(n_fft=n_fft, hop_length=hop_length)
    extractor, signal = LogSpectrogramExtractor(cfg), AudioSignal.from_array(y, sr, "chirp")
    whole = librosa.stft(np.pad(y, (n_fft // 2, 700 * hop_length)), n_fft=n_fft, hop_length=hop_length,
                         window="hann", center=False)[: n_fft // 2]
    ref = 20.0 * np.log10(np.maximum(cfg.amin, np.abs(whole)), dtype=np.float32)
    n = 1 + y.size // hop_length  # the signal's frames; the reference goes on past them (zeros)
    assert ref.shape[1] > max(n + 5, 600)
    for start, stop in ((0, n), (0, 1), (3, 600), (255, 257), (n - 9, n + 5)):
        got = extractor.db_frames(signal, start, stop)
        assert got.dtype == np.float32 and got.shape == (n_fft // 2, stop - start)
        assert np.array_equal(got, ref[:, start:stop]), (start, stop)


def test_preprocessing_a_file_imports_neither_librosa_nor_numba(tmp_path):
    """A worker's first file pays no lazy librosa / scipy.signal / numba import (about 1.7 CPU seconds each)."""
    import subprocess
    import sys

    import soundfile as sf

    sf.write(tmp_path / "a.wav", make_sine(440.0, 2.0, 22050), 22050)
    code = ("import sys\nfrom genmusic.data.pipeline import PreprocessingPipeline\nfrom genmusic.data.store import Saver\n"
            "from genmusic.config import GenmusicConfig\n"
            f"saver = Saver({str(tmp_path / 'out')!r}, GenmusicConfig())\n"
            f"PreprocessingPipeline().process_file({str(tmp_path / 'a.wav')!r}, 'a', '', saver)\n"
            "print(sorted(m for m in ('librosa', 'numba', 'scipy.signal', 'keras', 'tensorflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
