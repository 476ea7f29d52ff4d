"""Tests of ``python scripts/analyze.py`` through ``genmusic.commands.analyze.main([...])``: several models
(one of them made with other settings), new music, a one-genre store, and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from genmusic.commands.analyze import main
from tests.conftest import shows, table_rows

ROOT = Path(__file__).resolve().parents[1]


def _song(freq: float, seconds: float = 1.5, sr: int = 8000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * freq * (1 + 0.02 * rng.standard_normal()) * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def mismatched_model(tiny_store, tmp_path_factory) -> Path:
    """A model of the tiny model's architecture made for 16 kHz audio (the store is at 8 kHz)."""
    from genmusic.models import VAE
    from genmusic.models.modelio import save_model

    at_16k = tiny_store.config.replace(audio={"sample_rate": 16000})
    return save_model(VAE.from_config(at_16k), tmp_path_factory.mktemp("models") / "at_16k", at_16k,
                      stats=tiny_store.stats, genres=tiny_store.genres, spectrograms=tiny_store.path)


@pytest.fixture(scope="module")
def multi_model_run(tiny_store, tiny_model_folder, mismatched_model, tmp_path_factory):
    """Three models (two good, one at 16 kHz) and one new stereo file; spectrograms from genmusic.json."""
    import soundfile as sf

    work = tmp_path_factory.mktemp("multi")
    second = work / "second_vae"
    shutil.copytree(tiny_model_folder, second)
    new = work / "new_song.flac"
    y = _song(1200.0, seconds=1.0, sr=16000)
    sf.write(new, np.stack([y, y], axis=1), 16000)
    out = work / "out"
    argv = ["--model", str(tiny_model_folder), "--model", str(second), "--model", str(mismatched_model),
            "--output", str(out), "--input", str(new), "--no-tsne", "--max-eval-songs", "1", "--seed", "3"]
    return argv, out


def results_audio(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())["audio"]


def test_several_models_with_one_mismatched(multi_model_run, tiny_store, tiny_model_folder, mismatched_model, capsys):
    argv, out = multi_model_run
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 1  # one model could not be analysed
    # A clear error naming both the model and the spectrograms, and the setting that differs.
    error = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(error) == 1
    assert str(mismatched_model) in error[0] and str(tiny_store.path) in error[0]
    assert "audio.sample_rate: 16000 (model) vs 8000 (spectrograms)" in error[0]
    assert f"report: {out / 'report.md'}" in captured.out
    assert captured.out.splitlines()[-1] == f"report (HTML, open in a browser): {out / 'report.html'}"
    (size,) = [line for line in captured.out.splitlines() if line.startswith("report folder:")]
    assert f"audio: {results_audio(out)['n_files']} clips" in size
    # The report is still written for the two good models.
    results = json.loads((out / "results.json").read_text())
    assert results["seed"] == 3 and results["dataset"]["path"] == str(tiny_store.path)
    assert [m["status"] for m in results["models"]] == ["ok", "ok", "error"]
    for name in (tiny_model_folder.name, "second_vae"):
        assert (out / f"latents_{name}.npz").is_file() and (out / f"songs_{name}.csv").is_file()
        assert (out / "figures" / f"{name}_pca2d.png").is_file()
        assert not (out / "figures" / f"{name}_tsne.png").exists()  # --no-tsne
    assert not list(out.glob("latents_at_16k*"))
    md = (out / "report.md").read_text()
    assert "## Errors" in md and "## Model at_16k" in md and "Not analysed: model" in md
    # The comparison table across models holds the numbers of results.json.
    assert len(results["comparison"]) == 2
    rows = table_rows(md)
    for r in results["comparison"]:
        (cells,) = [c for c in rows if len(c) == 12 and c[:2] == [r["name"], r["kind"]]]
        keys = ("latent_dim", "compression_ratio", "mse", "mel_distance", "resynth_mel_distance", "chroma_similarity",
                "accuracy", "macro_f1", "cv_accuracy", "v_measure_at_n_genres")
        assert all(shows(cell, r[key]) for cell, key in zip(cells[2:], keys)), (cells, r)
    # The two copies of one model give the same latents.
    a, b = results["models"][0], results["models"][1]
    assert a["kmeans"]["latent"]["rows"] == b["kmeans"]["latent"]["rows"]
    # Each model has its own reconstructions; the originals are written once and shared.
    for song_id, clip in a["listening"]["songs"].items():
        other = b["listening"]["songs"][song_id]
        assert clip["original"] == other["original"] and clip["reconstruction"] != other["reconstruction"]
    assert len(list((out / "audio" / "songs").glob("*.ogg"))) == 12 + 2  # map clips + the test song, whole x 2
    # New music: placed, nearest training songs listed, genre predicted.
    (new,) = a["new_songs"]
    assert new["name"] == "new_song.flac" and len(new["nearest"]) == 5
    assert new["predicted_genre"] in ("bass", "mid", "treble")
    assert "### New music" in md and new["nearest"][0]["song_id"] in md
    assert f"{a['name']}: new_song.flac -> genre {new['predicted_genre']}; nearest songs: " \
           f"{', '.join(n['song_id'] for n in new['nearest'])}" in captured.out


def test_one_genre_store_skips_label_parts_with_a_note(tiny_store, tiny_model_folder, tmp_path, capsys):
    import soundfile as sf

    from genmusic.data.pipeline import PreprocessingPipeline

    audio = tmp_path / "audio" / "solo"
    audio.mkdir(parents=True)
    for i, freq in enumerate((220.0, 330.0, 495.0)):
        sf.write(audio / f"solo.{i}.wav", _song(freq, seed=i), 8000)
    store = tmp_path / "store"
    PreprocessingPipeline(tiny_store.config).run(audio.parent, store, workers=1)
    out = tmp_path / "out"
    rc = main(["--model", str(tiny_model_folder), "--spectrograms", str(store), "--output", str(out),
               "--max-eval-songs", "1", "--no-audio"])
    assert rc == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    (model,) = results["models"]
    assert model["label_note"].startswith("only one genre (solo)")
    assert model["classification"] is None and model["cross_validation"] is None
    assert not model["kmeans"]["latent"]["labelled"]
    assert model["kmeans"]["latent"]["notes"][0].startswith("only one genre (solo)")
    assert [r["k"] for r in model["kmeans"]["latent"]["rows"]] == [2, 3]
    assert all(r["v_measure"] is None and r["inertia"] is not None for r in model["kmeans"]["latent"]["rows"])
    assert model["v_measure_at_n_genres"] is None
    assert results["baseline_mfcc"]["notes"][0].startswith("MFCC baseline skipped: only one genre")
    md = (out / "report.md").read_text()
    assert "Skipped: only one genre (solo)" in md and "note: only one genre (solo)" in md
    assert (out / "figures" / f"{tiny_model_folder.name}_elbow.png").is_file()
    assert not (out / "figures" / f"{tiny_model_folder.name}_confusion.png").exists()
    html = (out / "report.html").read_text()
    assert "only one genre (solo)" in html
    # --no-audio: the map is drawn but silent, and the page says why there are no players.
    assert model["listening"] is None and not (out / "audio").exists() and "<audio controls" not in html
    assert "No sound: the report was made without audio (--no-audio)." in html
    assert "audio: no song of the map has clips" in html


def test_script_and_cli_dispatch():
    from genmusic import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["analyze", "--help"])
    assert exit_info.value.code == 0
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "analyze.py"), "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "--no-tsne" in proc.stdout and "--max-eval-songs" in proc.stdout
