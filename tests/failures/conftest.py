"""Fixtures of the bad-input tests."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import make_sine


@pytest.fixture
def messy_folder(tmp_path):
    """A folder of files as users have them: good, damaged, truncated, empty, not audio, silent, NaN, short,
    and stereo 44.1 kHz OGG / FLAC / MP3."""
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


@pytest.fixture(params=["ffmpeg installed", "no ffmpeg"])
def ffmpeg(request, monkeypatch, tmp_path_factory):
    """Run a test twice: with ffmpeg as the machine has it (skipped where it has none), and with ffmpeg
    hidden from the fallback decoder (an empty PATH)."""
    import shutil

    import audioread

    if request.param == "ffmpeg installed":
        if shutil.which("ffmpeg") is None:
            pytest.skip("ffmpeg is not installed here")
    else:
        monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty_path")))
    audioread.available_backends(flush_cache=True)
    names = {b.__name__ for b in audioread.available_backends()}
    assert ("FFmpegAudioFile" in names) == (request.param == "ffmpeg installed")
    yield request.param
    monkeypatch.undo()
    audioread.available_backends(flush_cache=True)
