"""Tests of genmusic.report: one full analysis of the tiny VAE on the tiny store (with one new file), then
checks that the files exist, the HTML is self-contained, and the Markdown holds the numbers results.json
claims (which are themselves recomputed from the saved latents)."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from genmusic.analysis import LatentSet, model_names, run_analysis
from genmusic.report import format_number
from tests.conftest import shows, table_rows

FIGURES = ("pca2d", "pca3d", "tsne", "elbow", "clusters", "confusion")


def write_new_song(path, sr=22050):
    """A stereo 22.05 kHz file (the store is mono 8 kHz): a 'mid' register tune of 1.2 s."""
    import soundfile as sf

    t = np.arange(int(1.2 * sr)) / sr
    y = np.zeros_like(t)
    for i, start in enumerate(np.arange(0, 1.2, 0.125)):
        f = 440.0 * 2 ** ((i * 5 % 8) / 12)
        idx = (t >= start) & (t < start + 0.125)
        env = np.exp(-(t[idx] - start) * 8)
        for h in (1, 2, 3):
            y[idx] += (0.4 / h) * env * np.sin(2 * np.pi * f * h * t[idx])
    sf.write(path, np.stack([y, 0.8 * y], axis=1).astype(np.float32), sr)
    return path


@pytest.fixture(scope="module")
def report(tiny_store, tiny_model_folder, tmp_path_factory):
    work = tmp_path_factory.mktemp("report")
    new = write_new_song(work / "my tune.wav")
    return run_analysis([tiny_model_folder], work / "out", spectrograms=tiny_store.path, inputs=[new], seed=0,
                        max_eval_songs=2)


def test_format_number():
    assert format_number(None) == "n/a" and format_number(float("nan")) == "n/a"
    assert format_number(3) == "3" and format_number(np.int64(12)) == "12"
    assert format_number(0.123456) == "0.123" and format_number(0.5, 4) == "0.5000"
    assert format_number(12345.678) == "12345.7"


def test_model_names_are_unique_and_safe(tmp_path):
    assert model_names([tmp_path / "vae", tmp_path / "x" / "vae", tmp_path / "a b"]) == ["vae", "vae_2", "a_b"]


def test_report_files_exist(report, tiny_model_folder):
    out = report.output_dir
    name = tiny_model_folder.name
    assert not report.errors
    for f in ("report.md", "report.html", "results.json", f"latents_{name}.npz", f"songs_{name}.csv",
              f"latents_{name}_inputs.npz"):
        assert (out / f).is_file(), f
    for key in FIGURES:
        png = out / "figures" / f"{name}_{key}.png"
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", key
    assert not list(out.rglob("*.tmp*")), "temporary files left behind"
    songs = (out / f"songs_{name}.csv").read_text().splitlines()
    assert songs[0] == "song_id,genre,split" and len(songs) == 13


def test_html_is_self_contained(report):
    text = report.html.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<style>" in text and "<table>" in text
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == len(FIGURES)
    assert base64.b64decode(images[0])[:4] == b"\x89PNG"
    assert 'src="figures/' not in text and "<img" in text
    md = report.markdown.read_text()
    for key in FIGURES:  # the Markdown links its images
        assert re.search(rf"!\[[^\]]*\]\(figures/[^)]*_{key}\.png\)", md), key


def test_results_match_recomputation_from_saved_latents(report, tiny_store):
    results = json.loads(report.results_path.read_text())
    assert results["dataset"]["n_songs"] == 12 and results["dataset"]["genres"] == ["bass", "mid", "treble"]
    assert results["dataset"]["songs_per_split"] == {"train": 6, "validation": 3, "test": 3}
    (model,) = results["models"]
    assert model["status"] == "ok" and model["latent_dim"] == 16
    assert model["compression_ratio"] == pytest.approx(16 * 64 / 16)  # segment_samples / latent_dim
    ls = LatentSet.load(report.output_dir / model["files"]["latents"])
    assert ls.song_ids.tolist() == [r.song_id for r in tiny_store.songs]
    # The saved song latents clustered again with scikit-learn directly give the saved K-means figures.
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure, silhouette_score

    assert [r["k"] for r in model["kmeans"]["latent"]["rows"]] == [3, 10, 12]
    for saved in model["kmeans"]["latent"]["rows"]:
        km = KMeans(n_clusters=saved["k"], n_init=10, random_state=0).fit(ls.song_latents.astype(np.float64))
        h, c, v = homogeneity_completeness_v_measure(ls.genres, km.labels_)
        expected = {"homogeneity": h, "completeness": c, "v_measure": v, "inertia": km.inertia_,
                    "adjusted_rand": adjusted_rand_score(ls.genres, km.labels_)}
        if len(set(km.labels_)) < len(ls.genres):
            expected["silhouette"] = silhouette_score(ls.song_latents.astype(np.float64), km.labels_)
        for key, value in expected.items():
            assert saved[key] == pytest.approx(value, rel=1e-6, abs=1e-9), (saved["k"], key)
    assert any("skipped: more clusters than the 12 samples" in n for n in model["kmeans"]["latent"]["notes"])
    assert model["v_measure_at_n_genres"] == model["kmeans"]["latent"]["rows"][0]["v_measure"]
    cls = model["classification"]
    assert cls["chance"] == pytest.approx(1 / 3) and cls["n_test"] == 3 and cls["n_train"] == 9
    assert cls["scores"]["logistic_regression"]["accuracy"] >= 0.6
    assert model["cross_validation"]["accuracy"] >= 0.6
    assert results["baseline_mfcc"]["classification"]["scores"]["logistic_regression"]["accuracy"] is not None


def test_markdown_holds_the_numbers_of_results_json(report):
    results = json.loads(report.results_path.read_text())
    rows = table_rows(report.markdown.read_text())
    (model,) = results["models"]
    keys = ("k", "homogeneity", "completeness", "v_measure", "adjusted_rand", "silhouette", "inertia")
    for space in ("latent", "pca3", "pca2"):
        for r in model["kmeans"][space]["rows"]:  # one table row of 7 cells shows each K-means row
            assert any(len(cells) == 7 and all(shows(c, r[k]) for c, k in zip(cells, keys)) for cells in rows), r
    for source, classification in (("latents", model["classification"]),
                                   ("MFCC", results["baseline_mfcc"]["classification"])):
        for score in classification["scores"].values():
            (cells,) = [c for c in rows if c[:2] == [source, score["name"]]]
            assert shows(cells[2], score["accuracy"]) and shows(cells[3], score["macro_f1"]), cells
    (chance,) = [c for c in rows if c[:2] == ["chance", "most frequent genre"]]
    assert shows(chance[2], 1 / 3) and chance[3] == "n/a"
    (ratio,) = [c for c in rows if c[0] == "compression ratio (audio samples per latent float)"]
    assert ratio[1] == "64.0"
    assert ["songs", "12"] in rows and ["songs train / validation / test", "6 / 3 / 3"] in rows
    # every test song has its audio: the reconstruction figures are there
    rec = model["reconstruction"]
    assert rec["available"] is True and rec["n_songs"] == 2 and not rec["missing_sources"]
    labels = {"mse": "MSE of normalised spectrograms (model reconstruction)",
              "mel_distance": "mel distance, model reconstruction -> Griffin-Lim audio vs original",
              "resynth_mel_distance": "mel distance, original spectrogram -> Griffin-Lim (resynthesis ceiling)"}
    for key, label in labels.items():
        (cells,) = [c for c in rows if c[0] == label]
        assert shows(cells[1], rec[key]), key
    html_text = report.html.read_text()
    assert f"<td>{chance[2]}</td>" in html_text


def test_new_music_is_placed_and_its_neighbours_listed(report):
    results = json.loads(report.results_path.read_text())
    (new,) = results["models"][0]["new_songs"]
    assert new["name"] == "my tune.wav" and new["n_segments"] >= 1
    assert len(new["nearest"]) == 5  # among the 9 train + validation songs
    distances = [n["distance"] for n in new["nearest"]]
    assert distances == sorted(distances)
    assert new["predicted_genre"] in ("bass", "mid", "treble") and 0 < new["probability"] <= 1
    (cells,) = [c for c in table_rows(report.markdown.read_text()) if c[0] == "my tune.wav"]
    assert cells[1:3] == [str(new["n_segments"]), new["predicted_genre"]] and shows(cells[3], new["probability"])
    listed = re.findall(r"([\w.]+) \(([\d.]+)\)", cells[4])
    assert [song for song, _ in listed] == [n["song_id"] for n in new["nearest"]]
    assert all(shows(d, n["distance"]) for (_, d), n in zip(listed, new["nearest"]))
