"""Damaged audio files get the same treatment whether or not ffmpeg is installed (issue 8 item 7), and a
truncated file is used with a warning that names it and what was found (issue 11 case 12).

The rule: a file soundfile knows (WAV, FLAC, OGG, MP3) but cannot decode to its end is damaged and skipped,
naming the file and the decoder's reason; only files soundfile does not know at all go to the fallback
decoder (ffmpeg, when installed). A file that decodes cleanly but holds less than its header promises is used
as it is, with a warning.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from genmusic.commands import generate, preprocess
from genmusic.data.pipeline import PreprocessingPipeline
from genmusic.data.store import SpectrogramStore
from tests.failures._helpers import SMALL, raw_wav
from tests.failures.test_bad_input import CFG

SKIPPED = {"corrupt.flac", "truncated_header.wav", "empty.wav", "text.wav", "silent.wav", "nan.wav"}


def test_messy_folder_is_processed_or_skipped_with_reasons(messy_folder, tmp_path, caplog, ffmpeg):
    with caplog.at_level(logging.WARNING, logger="genmusic"):
        report = PreprocessingPipeline(CFG).run(messy_folder, tmp_path / "out", workers=2)
    done = sorted(r.song_id for r in report.processed)
    assert done == ["good", "mixed__stereo44k__flac", "mixed__stereo44k__mp3", "mixed__stereo44k__ogg", "short"]
    skipped = {src.rsplit("/", 1)[-1]: why for src, why in report.skipped}
    assert set(skipped) == SKIPPED
    assert "empty (0 bytes)" in skipped["empty.wav"]
    assert "not a readable audio file" in skipped["text.wav"]
    assert "silent" in skipped["silent.wav"]
    assert "NaN or inf" in skipped["nan.wav"]
    # ffmpeg decodes part of the scrambled FLAC; the file is still skipped, with soundfile's reason
    assert skipped["corrupt.flac"].startswith("damaged audio data after ") and "lost sync" in skipped["corrupt.flac"]
    assert "Malformed 'fmt ' chunk" in skipped["truncated_header.wav"]
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


def test_the_outcome_does_not_depend_on_ffmpeg(messy_folder, tmp_path, monkeypatch):
    """The same files done, the same files skipped, for the same reasons (the fallback's own words aside)."""
    import shutil

    import audioread

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed here")
    outcomes = []
    for hidden in (False, True):
        if hidden:
            monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
        audioread.available_backends(flush_cache=True)
        report = PreprocessingPipeline(CFG).run(messy_folder, tmp_path / f"out{hidden}", workers=1)
        outcomes.append(({r.song_id: (r.n_samples, r.db_min, r.db_max) for r in report.processed},
                         {src: why.split("; other decoders")[0] for src, why in report.skipped}))
    monkeypatch.undo()
    audioread.available_backends(flush_cache=True)
    assert outcomes[0] == outcomes[1]


def test_12_a_truncated_wav_is_used_with_a_warning_naming_it(tmp_path, capsys, ffmpeg, tiny_model_folder):
    """The header promises 30 s, the file holds 0.1 s: used as it is, with a warning on the terminal, in the
    summary and (generate) in the sidecar."""
    wav = raw_wav(tmp_path / "in" / "cut.wav", sample_rate=8000, n_frames=800, promised_frames=240000)
    assert preprocess.main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "store"), *SMALL]) == 0
    captured = capsys.readouterr()
    expected = f"{wav}: truncated: the header promises 30.00 s, the file holds 0.10 s (used as it is)"
    assert expected in captured.err
    assert "files used with a warning: 1" in captured.out and "the header promises 30.00 s" in captured.out
    assert SpectrogramStore(tmp_path / "store").song("cut").n_samples == 800

    out = tmp_path / "gen"
    assert generate.main(["--model", str(tiny_model_folder), "--mode", "resynth", "--input", str(wav), "--output",
                          str(out), "--n-iter", "2"]) == 0
    assert "truncated: the header promises 30.00 s, the file holds 0.10 s" in capsys.readouterr().out
    (sidecar,) = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert any("the header promises 30.00 s" in note for note in sidecar["notes"])
    assert sidecar["n_samples"] == 800


def test_12_a_complete_wav_gets_no_warning(tmp_path, capsys):
    raw_wav(tmp_path / "in" / "whole.wav", sample_rate=8000, n_frames=8000)
    assert preprocess.main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "store"), *SMALL]) == 0
    captured = capsys.readouterr()
    assert "truncated" not in captured.err + captured.out and "warning" not in captured.out
    assert np.isclose(SpectrogramStore(tmp_path / "store").song("whole").n_samples, 8000)
