"""Bad input: every case is processed correctly or skipped with one warning naming the file and the reason."""

import logging

import numpy as np
import pytest
import soundfile as sf

from genmusic._checks import valid_audio
from genmusic.audio import Loader
from genmusic.config import AudioConfig, GenmusicConfig, SpectrogramConfig
from genmusic.errors import AudioLoadError, DataError, ParameterError
from genmusic.pipeline import preprocess
from genmusic.store import SpectrogramStore
from tests.conftest import make_sine

CFG = GenmusicConfig(audio=AudioConfig(sample_rate=22050),
                     spectrogram=SpectrogramConfig(n_fft=256, hop_length=128, segment_frames=32))


@pytest.fixture
def messy_folder(tmp_path):
    d = tmp_path / "in" / "genres_original" / "mixed"
    d.mkdir(parents=True)
    sr = 22050
    good = make_sine(440, 1.0, sr)
    sf.write(d / "good.wav", good, sr)
    wav_bytes = (d / "good.wav").read_bytes()
    sf.write(d / "corrupt.flac", make_sine(440, 2.0, sr), sr)
    body = bytearray((d / "corrupt.flac").read_bytes())
    for i in range(len(body) // 3, len(body) // 3 + 400):  # scramble frames: the decoder loses sync
        body[i] = (body[i] * 7 + 13) % 256
    (d / "corrupt.flac").write_bytes(bytes(body))
    (d / "truncated_header.wav").write_bytes(wav_bytes[:20])
    (d / "empty.wav").write_bytes(b"")
    (d / "text.wav").write_text("this is not audio\n" * 20)
    sf.write(d / "silent.wav", np.zeros(sr, np.float32), sr)
    sf.write(d / "short.wav", make_sine(440, 0.05, sr), sr)  # shorter than one segment: padded
    nan = make_sine(440, 0.5, sr)
    nan[100] = np.nan
    nan[200] = np.inf
    sf.write(d / "nan.wav", nan, sr, subtype="FLOAT")
    t = np.arange(44100) / 44100
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t)], axis=1)
    sf.write(d / "stereo44k.ogg", stereo, 44100, format="OGG", subtype="VORBIS")
    sf.write(d / "stereo44k.flac", stereo, 44100)
    sf.write(d / "stereo44k.mp3", stereo, 44100, format="MP3", subtype="MPEG_LAYER_III")
    return tmp_path / "in"


def test_messy_folder_is_processed_or_skipped_with_reasons(messy_folder, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="genmusic"):
        report = preprocess(messy_folder, tmp_path / "out", config=CFG, workers=2)
    done = sorted(r.song_id for r in report.processed)
    assert done == ["good", "mixed__stereo44k__flac", "mixed__stereo44k__mp3", "mixed__stereo44k__ogg", "short"]
    skipped = {src.rsplit("/", 1)[-1]: why for src, why in report.skipped}
    assert set(skipped) == {"corrupt.flac", "truncated_header.wav", "empty.wav", "text.wav", "silent.wav", "nan.wav"}
    assert "empty (0 bytes)" in skipped["empty.wav"]
    assert "not a readable audio file" in skipped["text.wav"]
    assert "silent" in skipped["silent.wav"]
    assert "NaN or inf" in skipped["nan.wav"]
    assert "lost sync" in skipped["corrupt.flac"]
    # one warning per skipped file, naming it
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 6
    for name in skipped:
        assert sum(name in w for w in warned) == 1
    store = SpectrogramStore(tmp_path / "out")
    short = store.song("short")
    assert short.n_samples == int(0.05 * 22050) and short.n_segments == 1
    for sid in ("mixed__stereo44k__ogg", "mixed__stereo44k__flac", "mixed__stereo44k__mp3"):
        r = store.song(sid)
        # 1 s at 44.1 kHz -> 22050 samples (MP3 decoders add a little padding)
        assert abs(r.n_samples - 22050) < 2500, (sid, r.n_samples)
    assert "corrupt.flac" in (tmp_path / "out" / "skipped.csv").read_text()


def test_nothing_processed_is_an_error(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.wav").write_text("nope")
    with pytest.raises(DataError, match="none of the 1 audio file"):
        preprocess(d, tmp_path / "out", config=CFG, workers=1)


def test_missing_or_empty_input_folder(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        preprocess(tmp_path / "missing", tmp_path / "out", config=CFG)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no audio files"):
        preprocess(tmp_path / "empty", tmp_path / "out", config=CFG)


def test_loader_errors_name_the_file(tmp_path):
    with pytest.raises(AudioLoadError, match="missing.wav: no such file"):
        Loader().load(tmp_path / "missing.wav")
    sf.write(tmp_path / "a.wav", make_sine(440, 0.1), 22050)
    with pytest.raises(AudioLoadError, match="a.wav: decoded to no samples"):
        Loader(AudioConfig(offset=5.0)).load(tmp_path / "a.wav")


def test_valid_audio_rejects_bad_arrays():
    with pytest.raises(ParameterError, match="audio must hold floating-point numbers, got dtype int16"):
        valid_audio(np.zeros(4, dtype=np.int16))
    with pytest.raises(ParameterError, match=r"audio must be a mono signal of shape \(n,\), got an array of shape"):
        valid_audio(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(ParameterError, match="audio is empty"):
        valid_audio(np.zeros(0, dtype=np.float32))


def test_unknown_preset_or_setting_lists_the_known_ones():
    from genmusic.models import get_preset

    with pytest.raises(ParameterError, match="default.*tutorial"):
        get_preset("huge")
    with pytest.raises(ParameterError, match="latent_size"):
        get_preset("default", latent_size=3)
