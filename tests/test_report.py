"""Tests of genmusic.analysis.report: one full analysis of the tiny VAE on the tiny store (with one new file: the
``tiny_report`` fixture), then checks that the files exist, the HTML is self-contained and plays what
results.json lists, and the Markdown holds the numbers results.json claims (which are themselves recomputed
from the saved latents). tests/test_browser.py opens the same report in Chromium."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from genmusic.analysis import LatentSet, model_names
from genmusic.analysis.report import format_number
from tests.conftest import shows, table_rows

FIGURES = ("pca2d", "pca3d", "tsne", "elbow", "clusters", "confusion")


@pytest.fixture
def report(tiny_report):
    return tiny_report


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
    # The interactive map stands for the 2-D views in the page; the Markdown links every figure.
    assert len(images) == len(FIGURES) - 2 and text.count('<section class="latent-map"') == 1
    assert base64.b64decode(images[0])[:4] == b"\x89PNG"
    assert 'src="figures/' not in text and "<img" in text
    md = report.markdown.read_text()
    for key in FIGURES:  # the Markdown links its images
        assert re.search(rf"!\[[^\]]*\]\(figures/[^)]*_{key}\.png\)", md), key
    # Nothing is fetched from elsewhere: every other source is a relative path inside the folder.
    sources = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert sources and not [s for s in sources if not s.startswith("data:") and
                            (re.match(r"[a-z]+:", s) or s.startswith("/") or ".." in s)]
    audio = [s for s in sources if s.endswith(".ogg")]
    assert audio and all((report.output_dir / s).is_file() for s in audio)


def test_the_page_plays_test_songs_four_ways_an_interpolation_and_pieces(report, tiny_store):
    import soundfile as sf

    out = report.output_dir
    results = json.loads(report.results_path.read_text())
    (model,) = results["models"]
    lis, rec = model["listening"], model["reconstruction"]
    assert not lis["missing"] and lis["format"] == "OGG VORBIS"
    # Test songs: the songs the reconstruction table measured, each original, model, PCA and resynthesis,
    # whole, with the mel distances of results.json.
    assert [s["song_id"] for s in lis["test_songs"]] == list(rec["per_song"]) and rec["pca_mel_distance"] > 0
    for song in lis["test_songs"]:
        row, clips = rec["per_song"][song["song_id"]], song["clips"]
        assert sorted(clips) == ["model", "original", "pca", "resynth"]
        assert [clips[k]["mel_distance"] for k in ("model", "pca", "resynth")] == \
            [row["mel_distance"], row["pca_mel_distance"], row["resynth_mel_distance"]]
        for clip in clips.values():
            data, rate = sf.read(out / clip["path"])
            assert rate == 8000 and len(data) == tiny_store.song(song["song_id"]).n_samples
    # The map: every song has its clip and its reconstruction; the new song too.
    assert sorted(lis["songs"]) == sorted(r.song_id for r in tiny_store.songs)
    assert all((out / c["original"]).is_file() and (out / c["reconstruction"]).is_file() and c["mel_distance"] > 0
               for c in lis["songs"].values())
    assert list(lis["new_songs"]) == ["my tune.wav"]
    # The strip joins songs of two genres in 5 steps; one piece per genre.
    strip = lis["interpolation"]
    assert strip["from"]["genre"] != strip["to"]["genre"] and [c["t"] for c in strip["clips"]] == [0, .25, .5, .75, 1]
    assert [p["genre"] for p in lis["pieces"]] == ["bass", "mid", "treble"]
    # Every clip is in the page as a player and in the Markdown as a link; results.json counts them.
    text, md = report.html.read_text(), report.markdown.read_text()
    paths = [c["path"] for s in lis["test_songs"] for c in s["clips"].values()] + \
        [c["path"] for c in strip["clips"]] + [p["path"] for p in lis["pieces"]]
    for path in paths:
        assert f'<audio controls preload="metadata" src="{path}">' in text and f"]({path})" in md
    assert results["audio"]["n_files"] == len(list((out / "audio").rglob("*.ogg"))) and not results["audio"]["missing"]
    assert 0 < results["audio"]["bytes"] < report.folder_bytes() < 5e6


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


def test_pieces_name_the_genres_the_prior_missed():
    from genmusic.analysis.document import Document
    from genmusic.analysis.report import _listening_section

    clip = {"path": "audio/vae/pieces/a_01.ogg", "seconds": 1.0}
    songs = [{"genre": g, "split": s} for g, s in (("a", "train"), ("b", "validation"), ("c", "train"),
                                                    ("d", "test"))]  # d: test songs only, never probed
    model = {"name": "vae", "latent_dim": 4, "map": {"songs": songs},
             "listening": {"format": "OGG VORBIS", "test_songs": [], "missing": {"test_songs": "no test split"},
                           "interpolation": None, "pieces": [dict(clip, genre="a", probability=0.9)],
                           "notes": ["new pieces: 0 of 1024 prior draws were classified as b, so it has no piece"]}}
    doc = Document()
    _listening_section(doc, model)
    md = doc.markdown()
    assert "Pieces for 1 of 3 genres: no prior draw was classified as b, c" in md
    assert "no fitted prior" in md and "N(0, I)" in md
    assert "Missing: no test split." in md and "Missing: no interpolation." in md


def test_pieces_from_a_fitted_prior_say_so():
    from genmusic.analysis.document import Document
    from genmusic.analysis.listening import FROM_PRIOR
    from genmusic.analysis.report import _listening_section

    pieces = [{"path": f"audio/vae/pieces/{g}_01.ogg", "seconds": 1.0, "genre": g, "probability": None,
               "source": FROM_PRIOR, "sequence": "each segment the likeliest of 16 prior draws"} for g in "ab"]
    model = {"name": "vae", "latent_dim": 4, "map": {"songs": []},
             "listening": {"format": "OGG VORBIS", "test_songs": [], "missing": {}, "interpolation": None,
                           "pieces": pieces, "notes": []}}
    doc = Document()
    _listening_section(doc, model)
    md = doc.markdown()
    assert "`generate --mode sample --genre G`" in md and "fitted prior" in md
    assert "after it, each segment the likeliest of 16 prior draws (the sequence model chooses)" in md
    assert "drawn from its genre's mixture" in md and "genre-typical" not in md
    for piece in pieces:   # what a prior with a kernel and a focused composer write
        piece.update(draws="kernel density around up to 512 exemplars per genre, bandwidth 0.5", focus=4)
    doc = Document()
    _listening_section(doc, model)
    md = doc.markdown()
    assert "and a kernel density around up to 512 exemplars per genre, bandwidth 0.5)" in md
    assert "the first segment is drawn from its genre's kernel density; after it" in md
    assert "each draw is the most genre-typical of 4 (by the genre mixtures)" in md
    assert "N(0, I)" not in md and "probe" not in md
