"""Issue 20, wrong words and quiet surprises.

* Sources are stored so that they are found from any working folder (old stores, whose sources are
  relative to the folder preprocess ran in, are still read).
* A WAV header claiming 1000 channels is refused, not stored as a garbage segment.
* Errors name the flag the user typed (``--songs-per-genre``, ``--song-seconds``, ``--seconds``,
  ``--components``), never the library's parameter.
* ``sample --input`` is refused, not ignored; a one-batch epoch logs no "throughput: nan".
"""

from __future__ import annotations

import csv
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from genmusic.commands import fit_prior, generate, preprocess
from genmusic.data.store import SpectrogramStore
from genmusic.models.training import TrainResult
from tests.failures._helpers import SMALL, audio_folder


def test_sources_are_found_from_any_working_folder(tiny_model_folder, tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    audio_folder(project / "music" / "rock", ("a", "b"), seconds=0.6)
    monkeypatch.chdir(project)
    assert preprocess.main(["--input", "music", "--output", "store", "--workers", "1", *SMALL]) == 0
    store = SpectrogramStore(project / "store")
    assert all(Path(r.source).is_absolute() and Path(r.source).is_file() for r in store.songs)

    # an old store: sources relative to the folder preprocess ran in
    rows = list(csv.DictReader(open(project / "store" / "manifest.csv", newline="")))
    for row in rows:
        row["source"] = os.path.relpath(row["source"], project)
    with open(project / "store" / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    old = SpectrogramStore(project / "store")
    found = [old.source_path(r) for r in old.songs]
    assert [(p is not None and p.is_file(), why) for p, why in found] == [(True, "")] * 2
    model = tmp_path / "model"
    import shutil

    shutil.copytree(tiny_model_folder, model)
    meta = json.loads((model / "genmusic.json").read_text())
    (model / "genmusic.json").write_text(json.dumps({**meta, "spectrograms": str(project / "store")}))
    assert generate.main(["--model", str(model), "--mode", "resynth", "--n", "1", "--n-iter", "1",
                          "--output", str(elsewhere / "gen")]) == 0
    out = capsys.readouterr().out
    assert "is gone" not in out
    (sidecar,) = [json.loads(p.read_text()) for p in (elsewhere / "gen").glob("*.json")]
    assert sidecar["inputs"][0]["from"] == "audio"


def _wav_with_channels(path: Path, channels: int, frames: int = 4000, sr: int = 8000) -> Path:
    """A 16-bit PCM WAV whose header says ``channels`` (and whose data is as long as that says)."""
    data = (np.sin(np.arange(frames * channels) * 0.01) * 3000).astype("<i2").tobytes()
    fmt = struct.pack("<IHHIIHH", 16, 1, channels, sr, sr * 2 * channels, 2 * channels, 16)
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt " + fmt + b"data"
                     + struct.pack("<I", len(data)) + data)
    return path


def test_a_header_claiming_1000_channels_is_refused(tmp_path, capsys):
    folder = audio_folder(tmp_path / "in", ("good",))
    _wav_with_channels(folder / "many.wav", 1000, frames=40)
    assert preprocess.main(["--input", str(folder), "--output", str(tmp_path / "store"), "--workers", "1", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "many.wav: the header declares 1000 channels; genmusic reads at most 64" in out
    assert [r.song_id for r in SpectrogramStore(tmp_path / "store").songs] == ["good"]


@pytest.mark.parametrize("argv, words", [
    (["--songs-per-genre", "0"], "error: --songs-per-genre must be an integer >= 1"),
    (["--song-seconds", "0"], "error: --song-seconds must be a finite number of seconds > 0"),
])
def test_preprocess_errors_name_the_flags_typed(tmp_path, capsys, argv, words):
    assert preprocess.main(["--output", str(tmp_path / "s"), "--synthetic-dir", str(tmp_path / "d"), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(words) and "n_per_genre" not in err and "--duration" not in err, err


def test_generate_and_fit_prior_errors_name_the_flags_typed(tiny_model_folder, tmp_path, capsys):
    assert generate.main(["--model", str(tiny_model_folder), "--mode", "resynth", "--seconds", "1e-9",
                          "--output", str(tmp_path / "g")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --seconds must be") and "samples" not in err, err
    assert fit_prior.main(["--model-dir", str(tiny_model_folder), "--components", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --components must be an integer >= 1") and "max_components" not in err, err


def test_sample_refuses_input_files_instead_of_ignoring_them(tiny_model_folder, tiny_store, tmp_path, capsys):
    assert generate.main(["--model", str(tiny_model_folder), "--mode", "sample", "--input",
                          tiny_store.songs[0].source, "--output", str(tmp_path / "g")]) == 1
    err = capsys.readouterr().err
    assert "--mode sample composes new music and reads no audio, but --input is given" in err
    assert "--mode continue" in err
    assert not (tmp_path / "g").exists()


def test_an_epoch_of_one_batch_reports_no_nan_throughput():
    result = TrainResult(history={}, best_val_loss=0.5, epochs_run=1, stopped_early=False, wall_seconds=0.2,
                         samples_per_second=float("nan"), audio_seconds_per_second=float("nan"),
                         model_dir=Path("m"))
    summary = result.summary()
    assert "nan" not in summary
    assert "throughput: not measured (every epoch had one batch: a throughput needs two)" in summary
