"""Tests of genmusic.analysis: metrics against scikit-learn on hand-made inputs, probes on synthetic latents,
edge cases, latent files, and the latents of the tiny trained VAE."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.analysis import (LatentSet, classify, cross_validate_songs, default_ks, encode_store,
                               kmeans_sweep, mfcc_features, nearest_songs, pca_projection, pool_segments,
                               predict_genres, score_predictions, tsne_projection, usable_labels)


def blobs(n_per_class=10, n_classes=3, dim=8, spread=0.05, seed=0):
    """Well separated Gaussian blobs: class c is centred at 10 * e_c."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([10.0 * np.eye(dim)[c] + spread * rng.standard_normal((n_per_class, dim))
                        for c in range(n_classes)])
    y = np.repeat(np.array([f"g{c}" for c in range(n_classes)]), n_per_class)
    return X, y


# ---- K-means sweep


def test_kmeans_separated_blobs_are_perfect_at_k_equal_classes():
    X, y = blobs()
    sweep = kmeans_sweep(X, y, ks=(3, 5), seed=0)
    row = sweep.row(3)
    for key in ("homogeneity", "completeness", "v_measure", "adjusted_rand"):
        assert row[key] == pytest.approx(1.0, abs=1e-12), key
    assert row["silhouette"] > 0.95
    # More clusters than classes: still homogeneous, no longer complete.
    five = sweep.row(5)
    assert five["homogeneity"] == pytest.approx(1.0, abs=1e-12)
    assert five["completeness"] < 1.0
    assert five["inertia"] < row["inertia"]


def test_kmeans_metrics_match_sklearn():
    from sklearn.cluster import KMeans
    from sklearn.metrics import (adjusted_rand_score, completeness_score, homogeneity_score, silhouette_score,
                                 v_measure_score)

    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 5))
    y = rng.integers(0, 4, size=40).astype(str)
    sweep = kmeans_sweep(X, y, ks=(4, 6), seed=7)
    for k in (4, 6):
        km = KMeans(n_clusters=k, n_init=10, random_state=7).fit(X)
        row = sweep.row(k)
        assert row["homogeneity"] == pytest.approx(homogeneity_score(y, km.labels_), abs=1e-12)
        assert row["completeness"] == pytest.approx(completeness_score(y, km.labels_), abs=1e-12)
        assert row["v_measure"] == pytest.approx(v_measure_score(y, km.labels_), abs=1e-12)
        assert row["adjusted_rand"] == pytest.approx(adjusted_rand_score(y, km.labels_), abs=1e-12)
        assert row["silhouette"] == pytest.approx(silhouette_score(X, km.labels_), abs=1e-12)
        assert row["inertia"] == pytest.approx(km.inertia_, rel=1e-9)


def test_kmeans_skips_large_k_with_a_note_and_works_without_labels():
    X, y = blobs(n_per_class=4)  # 12 samples
    sweep = kmeans_sweep(X, y, seed=0)  # default ks: 3, 10, 12, 15, ...
    assert [r["k"] for r in sweep.rows] == [3, 10, 12]
    assert any("15, 20, 25, 30 skipped" in n and "12 samples" in n for n in sweep.notes)
    assert sweep.row(12)["silhouette"] is None  # as many clusters as samples
    unlabelled = kmeans_sweep(X, None, ks=(3,), seed=0)
    assert not unlabelled.labelled
    assert unlabelled.row(3)["v_measure"] is None and unlabelled.row(3)["silhouette"] is not None
    assert any("no genre labels" in n for n in unlabelled.notes)


def test_kmeans_one_class_skips_label_metrics():
    X, _ = blobs()
    sweep = kmeans_sweep(X, np.array(["rock"] * len(X)), ks=(1, 3), seed=0)
    assert not sweep.labelled
    assert sweep.row(3)["homogeneity"] is None
    assert any("only one genre (rock)" in n for n in sweep.notes)
    assert any("k=1 skipped" in n for n in sweep.notes)


def test_default_ks_and_usable_labels():
    assert default_ks(3) == (3, 10, 12, 15, 20, 25, 30)
    assert default_ks(10) == (10, 12, 15, 20, 25, 30)
    assert default_ks(1) == default_ks(None) == (2, 3, 4, 5, 10, 12, 15, 20, 25, 30)
    assert usable_labels(["a", "b"])[0] is not None
    assert usable_labels(["a", ""])[0] is None
    assert usable_labels(["a", "a"])[1].startswith("only one genre")


# ---- classification


def test_score_predictions_known_confusion_matrix():
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    score = score_predictions(y_true, y_pred, ["a", "b", "c"])
    np.testing.assert_array_equal(score.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    assert score.accuracy == pytest.approx(4 / 6)
    # per class F1: a 2*1*(2/3)/(1+2/3)=0.8, b 0.5, c 2/3
    assert score.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_classify_separable_latents_is_perfect():
    # No pure-noise dimensions: standardising would blow them up to the same scale as the class axes.
    X, y = blobs(n_per_class=12, dim=3, spread=0.5)
    train = np.arange(len(y)) % 3 != 0
    result = classify(X[train], y[train], X[~train], y[~train], seed=0)
    assert not result.skipped and set(result.scores) == {"logistic_regression", "knn", "mlp"}
    for score in result.scores.values():
        assert score.accuracy == 1.0 and score.macro_f1 == 1.0
        assert np.trace(score.confusion) == (~train).sum()
    assert result.chance == pytest.approx(1 / 3)
    assert result.labels == ["g0", "g1", "g2"]


def test_classify_random_labels_is_near_chance():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 6))
    y = rng.integers(0, 3, size=600).astype(str)
    result = classify(X[:400], y[:400], X[400:], y[400:], seed=0)
    for key, score in result.scores.items():
        assert abs(score.accuracy - 1 / 3) < 0.12, (key, score.accuracy)


def test_classify_edge_cases_are_notes_not_crashes():
    X, y = blobs()
    one_test = classify(X[:-1], y[:-1], X[-1:], y[-1:])
    assert one_test.skipped and "1 test song" in one_test.notes[0]
    one_class = classify(X[:10], y[:10], X[10:20], y[10:20])
    assert one_class.skipped and "1 class" in one_class.notes[0]
    missing = classify(X[:20], y[:20], X[20:], y[20:])  # g2 only in the test set
    assert not missing.skipped
    assert any("g2" in n and "no training songs" in n for n in missing.notes)
    assert missing.scores["logistic_regression"].accuracy == 0.0


def test_cross_validate_songs():
    X, y = blobs(n_per_class=4, spread=0.5)
    cv = cross_validate_songs(X, y, seed=0)
    assert cv["n_splits"] == 4 and cv["accuracy"] == 1.0
    skipped = cross_validate_songs(X[:5], y[:5])
    assert skipped["accuracy"] is None and "cross-validation skipped" in skipped["note"]


# ---- projections, neighbours


def test_pca_projection_and_transform():
    X, _ = blobs()
    proj = pca_projection(X, 3, seed=0)
    assert proj.coords.shape == (30, 3)
    assert proj.explained_variance_ratio.sum() == pytest.approx(1.0, abs=0.01)  # 3 blobs span 2 dims (+ noise)
    np.testing.assert_allclose(proj.transform(X[:4]), proj.coords[:4], atol=1e-9)
    tiny = pca_projection(X[:2], 3)
    assert tiny.coords.shape == (2, 3) and np.all(tiny.coords[:, 2] == 0) and tiny.notes


def test_tsne_caps_perplexity():
    X, _ = blobs(n_per_class=4)
    proj = tsne_projection(X, seed=0, max_iter=250)
    assert proj.coords.shape == (12, 2)
    assert proj.params["perplexity"] == pytest.approx(11 / 3) and "capped" in proj.notes[0]


def test_nearest_songs_and_predict_genres():
    S = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    ids = ["east", "north", "north_east", "west"]
    near = nearest_songs(np.array([[2.0, 0.1]]), S, ids, k=2)[0]
    assert [n["song_id"] for n in near] == ["east", "north_east"]
    near_e = nearest_songs(np.array([[0.0, 0.0]]), S, ids, k=10, metric="euclidean")[0]
    assert len(near_e) == 4 and near_e[0]["distance"] == pytest.approx(1.0)
    X, y = blobs()
    genres, prob = predict_genres(X, y, X[[0, 15, 29]])
    assert genres.tolist() == ["g0", "g1", "g2"] and np.all(prob > 0.5)


# ---- latent sets


def test_pool_segments_mean_and_std():
    Z = np.array([[0.0, 2.0], [2.0, 4.0], [5.0, 5.0]])
    song = np.array([0, 0, 1])
    np.testing.assert_allclose(pool_segments(Z, song, 2, pooling="mean"), [[1.0, 3.0], [5.0, 5.0]])
    np.testing.assert_allclose(pool_segments(Z, song, 2), [[1, 3, 1, 1], [5, 5, 0, 0]])


def test_latent_set_round_trip_without_pickle(tmp_path):
    Z = np.arange(12, dtype=np.float32).reshape(6, 2)
    song = np.array([0, 0, 1, 1, 1, 2])
    ls = LatentSet(Z, song, ["a.1", "b.2", "c"], ["rock", "", "jazz"], ["train", "test", "validation"],
                   pool_segments(Z, song, 3), meta={"model": "m"})
    path = ls.save(tmp_path / "l.npz", tmp_path / "l.csv")
    with np.load(path, allow_pickle=False) as data:  # loads without pickle
        assert data["song_ids"].dtype.kind == "U"
    back = LatentSet.load(path)
    np.testing.assert_array_equal(back.segment_latents, Z)
    assert back.song_ids.tolist() == ["a.1", "b.2", "c"] and back.genres.tolist() == ["rock", "", "jazz"]
    assert back.meta == {"model": "m"} and back.pooling == "mean_std"
    assert (tmp_path / "l.csv").read_text().splitlines() == ["song_id,genre,split", "a.1,rock,train",
                                                             "b.2,,test", "c,jazz,validation"]


# ---- with the tiny store and model


def test_encode_store_and_song_level_accuracy_on_tiny(tiny_store, tiny_model_folder):
    """The three tiny 'genres' differ in register: the latents must separate them clearly above chance.

    tiny_store has 4 songs per genre: 2 train + 1 validation + 1 test, so the test split holds only 3
    songs (accuracy in steps of 1/3). Both the held-out accuracy and the cross-validated song-level
    accuracy over all 12 songs (4 stratified folds) are checked against chance (1/3).
    """
    from genmusic.models.modelio import load_bundle

    bundle = load_bundle(tiny_model_folder)
    ls = encode_store(bundle.model, tiny_store)
    n_seg = sum(r.n_segments for r in tiny_store.songs)
    assert ls.segment_latents.shape == (n_seg, 16) and ls.song_latents.shape == (12, 32)  # mean and std
    first = ls.segment_song == 0
    np.testing.assert_allclose(ls.song_latents[0], np.concatenate([ls.segment_latents[first].mean(axis=0),
                                                                    ls.segment_latents[first].std(axis=0)]),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ls.segment_latents[first],
                               bundle.model.encode(tiny_store.song_array(ls.song_ids[0])), rtol=1e-5, atol=1e-6)
    train, test = ls.mask("train", "validation"), ls.mask("test")
    assert test.sum() == 3
    result = classify(ls.song_latents[train], ls.genres[train], ls.song_latents[test], ls.genres[test], seed=0)
    assert result.scores["logistic_regression"].accuracy >= 0.6
    cv = cross_validate_songs(ls.song_latents, ls.genres, seed=0)
    assert cv["accuracy"] >= 0.6


def test_mfcc_features_from_store_and_signals(tiny_store):
    F = mfcc_features(tiny_store, n_mfcc=13)
    assert F.shape == (12, 26) and np.all(np.isfinite(F))
    t = np.arange(8000) / 8000
    low, high = np.sin(2 * np.pi * 200 * t).astype(np.float32), np.sin(2 * np.pi * 2000 * t).astype(np.float32)
    G = mfcc_features([(low, 8000), (high, 8000)], n_mfcc=13, include_std=False)
    assert G.shape == (2, 13) and not np.allclose(G[0], G[1])
