import numpy as np
import pytest
import soundfile as sf

from genmusic.audio import (Loader, Padder, n_segments_for, pad_to_segments, peak_normalise, prevent_clipping,
                            write_audio, write_wav)
from genmusic.errors import ParameterError
from genmusic.config import AudioConfig, SpectrogramConfig
from tests.conftest import make_sine


def test_loader_reads_wav_exactly(tmp_path):
    y = make_sine(440, 0.5, 22050)
    path = tmp_path / "a.wav"
    sf.write(path, y, 22050, subtype="FLOAT")
    out = Loader(AudioConfig(sample_rate=22050)).load(path)
    assert out.dtype == np.float32 and out.shape == y.shape
    np.testing.assert_array_equal(out, y)


def test_loader_resamples_and_mixes_down_44k_stereo(tmp_path):
    sr_in, sr_out, f = 44100, 22050, 1000.0
    t = np.arange(sr_in) / sr_in
    left = 0.6 * np.sin(2 * np.pi * f * t)
    right = 0.2 * np.sin(2 * np.pi * f * t)
    path = tmp_path / "stereo.flac"
    sf.write(path, np.stack([left, right], axis=1), sr_in, subtype="PCM_24")
    y = Loader(AudioConfig(sample_rate=sr_out)).load(path)
    assert y.ndim == 1 and y.shape[0] == sr_out  # exactly one second at the new rate
    # mixdown is the channel mean: amplitude 0.4; the frequency is kept
    core = y[2000:-2000]
    assert np.max(np.abs(core)) == pytest.approx(0.4, abs=2e-3)
    spectrum = np.abs(np.fft.rfft(core * np.hanning(len(core))))
    peak_hz = np.argmax(spectrum) * sr_out / len(core)
    assert abs(peak_hz - f) < sr_out / len(core)


def test_loader_offset_and_duration(tmp_path):
    sr = 8000
    y = np.linspace(-0.5, 0.5, 3 * sr, dtype=np.float32)
    path = tmp_path / "ramp.wav"
    sf.write(path, y, sr, subtype="FLOAT")
    out = Loader(AudioConfig(sample_rate=sr, offset=1.0, duration=0.5)).load(path)
    np.testing.assert_array_equal(out, y[sr: sr + sr // 2])


def test_loader_keeps_channels_when_not_mono(tmp_path):
    sr = 8000
    data = np.random.default_rng(0).uniform(-0.5, 0.5, (sr, 2)).astype(np.float32)
    sf.write(tmp_path / "s.wav", data, sr, subtype="FLOAT")
    out = Loader(AudioConfig(sample_rate=sr, mono=False)).load(tmp_path / "s.wav")
    np.testing.assert_array_equal(out, data.T)


@pytest.mark.parametrize("n, length", [(10, 16), (16, 16), (20, 16), (0, 5), (7, 0)])
def test_padder_fix_length(n, length):
    y = np.arange(1, n + 1, dtype=np.float32)
    out = Padder().fix_length(y, length)
    assert out.shape == (length,)
    k = min(n, length)
    np.testing.assert_array_equal(out[:k], y[:k])
    assert not np.any(out[k:])


def test_padder_left_right_pad():
    y = np.ones(3, dtype=np.float32)
    np.testing.assert_array_equal(Padder().left_pad(y, 2), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(Padder().right_pad(y, 1), [1, 1, 1, 0])


def test_thirty_second_song_segments_cover_every_sample():
    cfg = SpectrogramConfig()  # 128 frames x 256 hop = 32768 samples per segment
    n = 30 * 22050
    assert n_segments_for(n, cfg) == 21  # ceil(661500 / 32768)
    y = np.ones(n, dtype=np.float32)
    padded = pad_to_segments(y, cfg)
    assert padded.shape == (21 * 32768,)
    assert padded[:n].all() and not padded[n:].any()
    assert n_segments_for(1, cfg) == 1 and n_segments_for(32768, cfg) == 1 and n_segments_for(32769, cfg) == 2


def test_write_wav_is_atomic_refuses_overwrite_and_keeps_the_level(tmp_path):
    import soundfile as sf

    quiet = 0.5 * make_sine(sr=8000)
    info = write_wav(tmp_path / "a.wav", quiet, 8000)
    assert info["peak_normalised"] is False and info["gain"] == 1.0
    assert sf.info(str(tmp_path / "a.wav")).subtype == "FLOAT"
    back, sr = sf.read(tmp_path / "a.wav", dtype="float32")
    assert sr == 8000 and np.array_equal(back, quiet)  # bit for bit: no gain, no quantisation
    with pytest.raises(ParameterError, match="a.wav already exists"):
        write_wav(tmp_path / "a.wav", quiet, 8000)
    loud = 4.0 * make_sine(sr=8000)  # peak 2.0: kept as it is, a float WAV cannot clip
    info = write_wav(tmp_path / "a.wav", loud, 8000, overwrite=True)
    back, _ = sf.read(tmp_path / "a.wav", dtype="float32")
    assert info["peak_normalised"] is False and np.array_equal(back, loud)
    assert info["peak_dbfs"] == pytest.approx(20 * np.log10(2.0), abs=1e-5)
    info = write_wav(tmp_path / "a.wav", loud, 8000, overwrite=True, normalise_peak=True)
    back, _ = sf.read(tmp_path / "a.wav", dtype="float32")
    assert info["peak_normalised"] is True and abs(info["gain_db"] - (-1.0 - 20 * np.log10(2.0))) < 1e-4
    assert abs(20 * np.log10(np.max(np.abs(back))) + 1.0) < 1e-4  # -1 dBFS
    with pytest.raises(ParameterError, match="would clip as PCM_16"):
        write_wav(tmp_path / "a.wav", loud, 8000, overwrite=True, subtype="PCM_16")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav"]  # no temporary file left
    with pytest.raises(ParameterError, match="NaN"):
        write_wav(tmp_path / "b.wav", np.array([0.0, np.nan]), 8000)
    assert not (tmp_path / "b.wav").exists()
    out, info = peak_normalise(np.zeros(4, np.float32))
    assert info["peak_normalised"] is False and not out.any()  # silence is left alone
    out, info = prevent_clipping(np.array([1.0, -1.0], np.float32))
    assert info["peak_normalised"] is False  # exactly full scale does not clip


@pytest.mark.parametrize("sr", [8000, 22050])
def test_ogg_vorbis_round_trip_keeps_rate_length_and_sound(tmp_path, sr):
    y = make_sine(440.0, seconds=2.0, sr=sr, amplitude=0.5)
    info = write_audio(tmp_path / "a.ogg", y, sr, format="OGG", subtype="VORBIS")
    assert not info["peak_normalised"]
    data = (tmp_path / "a.ogg").read_bytes()
    assert data[:4] == b"OggS" and len(data) < len(y)  # compressed: fewer bytes than samples
    back, rate = sf.read(tmp_path / "a.ogg", dtype="float32")
    assert rate == sr and len(back) == len(y)
    assert np.corrcoef(back, y)[0, 1] > 0.99  # lossy, but the same tone
    loud = write_audio(tmp_path / "b.ogg", 3 * y, sr, format="OGG", subtype="VORBIS")
    assert loud["peak_normalised"] and np.max(np.abs(sf.read(tmp_path / "b.ogg")[0])) < 1.0
