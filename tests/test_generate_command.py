"""Tests of ``scripts/generate.py`` through ``genmusic.commands.generate.main([...])`` on the tiny VAE."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from genmusic._io import LEDGER_FILE
from genmusic.commands.generate import MODES, main
from tests.conftest import edited_store_copy, make_sine

FAST = ["--n-iter", "4"]


def outputs(folder):
    """{stem: sidecar} of a generate output folder, checking each stem has its WAV, PNG and JSON."""
    stems = sorted(p.stem for p in folder.glob("*.wav"))
    assert stems, f"no WAV in {folder}"
    found = {}
    for stem in stems:
        assert (folder / f"{stem}.png").stat().st_size > 1000
        found[stem] = json.loads((folder / f"{stem}.json").read_text())
        audio, sr = sf.read(folder / f"{stem}.wav", dtype="float32")
        assert sf.info(str(folder / f"{stem}.wav")).subtype == "FLOAT"
        assert sr == 8000 and audio.ndim == 1 and len(audio) == found[stem]["n_samples"]
        meta = found[stem]
        assert np.all(np.isfinite(audio))
        assert np.max(np.abs(audio)) == pytest.approx(meta["peak_before"] * meta["gain"], rel=1e-6)
    assert [p.name for p in folder.glob(".*")] == [LEDGER_FILE]  # no temporary files left; the ledger stays
    return found


def check_sidecar(meta, mode, model_folder, normaliser):
    from genmusic import __version__

    assert meta["mode"] == mode and meta["genmusic_version"] == __version__
    assert meta["model_folder"] == str(model_folder.resolve())
    assert meta["n_iter"] == 4 and meta["griffin_lim_method"] == "librosa" and meta["seed"] == 0
    assert meta["normaliser"] == normaliser
    assert set(meta["normaliser_stats"]) == {"db_min", "db_max"}
    assert meta["peak_normalised"] is False and meta["gain"] == 1.0  # the level it was made at
    assert meta["sample_rate"] == 8000


@pytest.mark.parametrize("mode, normaliser, n_outputs, parameter", [
    ("reconstruct", "song", 2, ("overlap", 0.5)),
    ("resynth", "song", 2, ("model_used", False)),
    ("sample", "dataset", 2, ("temperature", 0.7)),
    ("average", "dataset", 1, ("average_mode", "segments")),
    ("remix", "dataset", 1, ("segments_from_first", 6)),
    ("noise", "song", 2, ("sigma", 0.5)),
    ("scale", "song", 2, ("factor", 1.5)),
    ("smooth", "song", 1, ("width", 3)),
    ("interpolate", "song", 3, ("steps", 3)),
])
def test_every_mode_writes_wav_png_and_sidecar(tiny_model_folder, tmp_path, capsys, monkeypatch, mode, normaliser,
                                              n_outputs, parameter):
    from genmusic import audio

    made = {}  # what each mode made, before writing: the WAV must hold it sample for sample (its true level)
    real_write_wav = audio.write_wav

    def write_wav(path, blocks, sr, **kwargs):
        made[path.stem] = np.concatenate([np.asarray(block, dtype=np.float32) for block in blocks])
        return real_write_wav(path, made[path.stem], sr, **kwargs)

    monkeypatch.setattr(audio, "write_wav", write_wav)
    extra = {"sample": ["--n", "2", "--temperature", "0.7"], "noise": ["--sigma", "0.1", "0.5"],
             "scale": ["--factor", "0.5", "1.5"], "average": ["--genre", "mid", "--n", "3"],
             "interpolate": ["--steps", "3"]}.get(mode, [])
    out = tmp_path / mode
    rc = main(["--model", str(tiny_model_folder), "--mode", mode, "--output", str(out), *FAST, *extra])
    assert rc == 0
    assert sorted(made) == sorted(p.stem for p in out.glob("*.wav"))
    for stem, audio_made in made.items():
        np.testing.assert_array_equal(sf.read(out / f"{stem}.wav", dtype="float32")[0], audio_made)
    printed = capsys.readouterr().out
    assert str(out) in printed
    found = outputs(out)
    assert len(found) == n_outputs
    for meta in found.values():  # interpolate: the points between the two songs use the dataset's statistics
        between = mode == "interpolate" and 0 < meta["parameters"]["step"] < 2
        check_sidecar(meta, mode, tiny_model_folder, "dataset" if between else normaliser)
    key, value = parameter
    assert any(meta["parameters"].get(key) == value for meta in found.values()), found
    if mode != "sample":  # inputs come from the training store: test songs, re-read from their audio
        for meta in found.values():
            assert meta["inputs"] and all(i["from"] == "audio" for i in meta["inputs"])
    if mode == "average":
        (meta,) = found.values()
        assert [i["genre"] for i in meta["inputs"]] == ["mid"] * 3
    if mode == "remix":
        (meta,) = found.values()
        assert len({i["genre"] for i in meta["inputs"]}) == 2  # two songs of different genres
        assert meta["n_samples"] == 12000  # half of each 1.5 s song


def test_interpolate_from_files_and_overwrite(tiny_model_folder, tiny_store, tmp_path, capsys):
    a, b = tiny_store.songs[0].source, tiny_store.songs[-1].source
    out = tmp_path / "interp"
    args = ["--model", str(tiny_model_folder), "--mode", "interpolate", "--input", a, b, "--steps", "3",
            "--output", str(out), *FAST]
    assert main(args) == 0
    found = outputs(out)
    assert len(found) == 3
    names = sorted(found)
    assert [found[n]["normaliser"] for n in names] == ["song", "dataset", "song"]
    assert [found[n]["parameters"]["t"] for n in names] == [0.0, 0.5, 1.0]
    assert found[names[0]]["inputs"][0]["source"] == a and found[names[0]]["inputs"][1]["source"] == b
    assert found[names[0]]["normaliser_stats"]["db_min"] == pytest.approx(tiny_store.songs[0].db_min, abs=1e-4)
    capsys.readouterr()

    before = (out / f"{names[1]}.wav").stat().st_mtime_ns
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err and names[0] in err
    assert (out / f"{names[1]}.wav").stat().st_mtime_ns == before  # nothing rewritten
    assert main(args + ["--overwrite"]) == 0


def test_new_file_short_input_and_sidecar(tiny_model_folder, tmp_path, capsys):
    short = tmp_path / "short tone.flac"  # 44.1 kHz stereo, shorter than one segment (0.128 s)
    y = make_sine(700.0, 0.05, sr=44100)
    sf.write(short, np.stack([y, y], axis=1), 44100)
    out = tmp_path / "rec"
    assert main(["--model", str(tiny_model_folder), "--mode", "reconstruct", "--input", str(short),
                 "--output", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "shorter than one segment" in printed
    (meta,) = outputs(out).values()
    assert meta["n_samples"] == 400 and meta["inputs"][0]["source"] == str(short)
    assert "shorter than one segment" in meta["notes"][0]
    assert meta["command"][:3] == ["generate", "--model", str(tiny_model_folder)]


@pytest.mark.parametrize("amplitude", [0.25, 1.6])
def test_resynth_keeps_the_level_it_was_made_at(tiny_model_folder, tmp_path, capsys, amplitude):
    """No whole-file gain change: a quiet song stays quiet, a song peaking above full scale stays above it
    (32-bit float WAV), and --normalise-peak scales to -1 dBFS and says so in the sidecar."""
    song = tmp_path / "song.wav"
    y = amplitude * make_sine(440.0, 1.0, sr=8000) / 0.5 * (0.6 + 0.4 * make_sine(3.0, 1.0, sr=8000) / 0.5)
    sf.write(song, y, 8000, subtype="FLOAT")
    args = ["--model", str(tiny_model_folder), "--mode", "resynth", "--input", str(song), "--n-iter", "16"]
    assert main(args + ["--output", str(tmp_path / "kept")]) == 0
    printed = capsys.readouterr().out
    (meta,) = outputs(tmp_path / "kept").values()
    out, _ = sf.read(tmp_path / "kept" / meta["wav"], dtype="float32")
    rms = lambda x: float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))  # noqa: E731
    assert abs(20 * np.log10(rms(out) / rms(y))) < 0.5  # measured 0.06 dB
    assert meta["peak_normalised"] is False and meta["gain"] == 1.0 and meta["wav_format"] == "32-bit float"
    assert ("kept: the float WAV holds it" in printed) == (amplitude > 1)

    assert main(args + ["--output", str(tmp_path / "norm"), "--normalise-peak"]) == 0
    assert "peak-normalised to -1 dBFS" in capsys.readouterr().out
    (meta,) = outputs(tmp_path / "norm").values()
    out, _ = sf.read(tmp_path / "norm" / meta["wav"], dtype="float32")
    assert meta["peak_normalised"] is True and abs(20 * np.log10(np.max(np.abs(out))) + 1.0) < 1e-3
    assert meta["gain_db"] == pytest.approx(-1.0 - meta["peak_dbfs_before"], abs=1e-4)


def test_store_songs_whose_audio_is_gone_use_the_stored_spectrograms(tiny_model_folder, tiny_store, tmp_path):
    def gone(row):
        row["source"] = str(tmp_path / "gone" / row["source"].split("/")[-1])

    _, model = edited_store_copy(tiny_store, tiny_model_folder, tmp_path, gone)

    out = tmp_path / "out"
    assert main(["--model", str(model), "--mode", "reconstruct", "--n", "1", "--output", str(out), *FAST]) == 0
    (meta,) = outputs(out).values()
    assert meta["inputs"][0]["from"] == "stored spectrogram" and meta["n_samples"] == 12000
    assert "is gone" in meta["notes"][0]


def test_script_shim_runs_the_command():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "scripts" / "generate.py"), "--help"], capture_output=True,
                          text=True, cwd=root, timeout=60)
    assert done.returncode == 0
    for mode in MODES:
        assert mode in done.stdout
