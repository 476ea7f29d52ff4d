"""Tests of genmusic.generation.prior: per-genre Gaussian mixtures over segment latents."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.errors import ModelFolderError, ParameterError
from genmusic.generation.prior import LatentPrior

DIM = 6


@pytest.fixture(scope="module")
def known():
    """Two genres, each drawn from two known, well separated Gaussians in 6-d (400 latents per component)."""
    rng = np.random.default_rng(0)
    means = {"a": np.array([[4.0] * DIM, [-4.0] * DIM]), "b": np.array([[0.0] * DIM, [8.0] + [0.0] * (DIM - 1)])}
    X, g = [], []
    for genre, mus in means.items():
        for mu in mus:
            X.append(mu + 0.5 * rng.standard_normal((400, DIM)))
            g += [genre] * 400
    prior = LatentPrior(max_components=3, min_per_component=50).fit(np.concatenate(X), g,
                                                                      db_stats=np.array([[-80, 30], [-70, 20.0]]))
    return prior, means, np.concatenate(X), np.array(g)


def test_fit_recovers_the_known_means(known):
    prior, means, _, _ = known
    assert prior.genres_ == ["a", "b"]
    for i, genre in enumerate(prior.genres_):
        assert len(prior.weights_[i]) == 2  # BIC picks the true number of components
        found = prior.means_[i][np.argsort(prior.means_[i][:, 0])]
        truth = means[genre][np.argsort(means[genre][:, 0])]
        np.testing.assert_allclose(found, truth, atol=0.1)
        np.testing.assert_allclose(prior.covariances_[i], 0.25, rtol=0.2)
        np.testing.assert_allclose(prior.weights_[i], 0.5, atol=0.05)
    np.testing.assert_allclose(prior.genre_weights_, [0.5, 0.5])


def test_save_load_round_trip_is_exact_and_pickle_free(known, tmp_path):
    prior = known[0]
    path = prior.save(tmp_path / "prior.npz")
    with np.load(path, allow_pickle=False) as data:  # every array reads without pickle
        assert all(data[k].dtype != object for k in data.files)
    back = LatentPrior.load(path)
    assert back.genres_ == prior.genres_ and back.covariance_type == prior.covariance_type
    for name in ("weights_", "means_", "covariances_"):
        for x, y in zip(getattr(prior, name), getattr(back, name)):
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(back.db_stats_, prior.db_stats_)
    np.testing.assert_array_equal(back.sample(5, "b", seed=3), prior.sample(5, "b", seed=3))
    z = known[2][:10]
    np.testing.assert_array_equal(back.log_density(z, "a"), prior.log_density(z, "a"))


def test_sampling_is_seeded_and_follows_the_genre(known):
    prior = known[0]
    a1, a2, a3 = (prior.sample(300, "a", seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a1, a2)
    assert not np.array_equal(a1, a3)
    assert np.all(np.abs(np.abs(a1).mean(axis=1) - 4.0) < 2.5)       # around +-4 in every axis
    b = prior.sample(300, "b", seed=1)
    assert abs(b[:, 1:].mean()) < 0.3                                  # genre b sits near 0 off the first axis
    means = prior.sample(50, "a", temperature=0.0, seed=0, source="mixture")  # temperature 0: the component means
    distance = np.abs(means[:, None, :] - prior.means_[0][None].astype(np.float32)).max(axis=2).min(axis=1)
    assert np.all(distance < 1e-5)
    both = prior.sample(400, None, seed=0)                              # no genre: each genre by its share
    assert 0.35 < np.mean(np.abs(both[:, 1]) > 2.0) < 0.65


def test_gradient_matches_finite_differences(known):
    prior = known[0]
    z = np.random.default_rng(5).standard_normal((3, DIM)) * 2
    grad = prior.grad_log_density(z)
    eps = 1e-5
    for d in range(DIM):
        step = np.zeros(DIM)
        step[d] = eps
        numeric = (prior.log_density(z + step) - prior.log_density(z - step)) / (2 * eps)
        np.testing.assert_allclose(grad[:, d], numeric, rtol=1e-4, atol=1e-6)


def test_path_keeps_the_ends_and_is_more_likely_than_the_line(known):
    prior = known[0]
    a, b = prior.means_[0][:1], prior.means_[0][1:]            # the two components of genre a: empty space between
    path = prior.path(a, b, 5, genre="a")
    assert path.shape == (5, 1, DIM)
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    line = np.linspace(0, 1, 5)[:, None, None] * (b - a)[None] + a[None]
    for k in (1, 2, 3):
        assert prior.log_density(path[k], "a") > prior.log_density(line[k], "a") + 1.0


def test_most_likely_genre(known):
    prior, _, X, g = known
    assert prior.most_likely_genre(X[g == "b"][:20]) == "b"
    assert prior.most_likely_genre(X[g == "a"][:20]) == "a"


def test_bad_input(known, tmp_path):
    prior = known[0]
    with pytest.raises(ParameterError, match="genre must be one of the model's genres a, b; got 'jazz'"):
        prior.sample(2, "jazz")
    with pytest.raises(ParameterError, match="temperature"):
        prior.sample(2, "a", temperature=-1)
    with pytest.raises(ParameterError, match="not fitted"):
        LatentPrior().sample(2)
    with pytest.raises(ParameterError, match="6 columns"):
        prior.log_density(np.zeros((2, 3)))
    with pytest.raises(ParameterError, match="covariance_type"):
        LatentPrior(covariance_type="spherical")
    with pytest.raises(ModelFolderError, match="genmusic fit-prior"):
        LatentPrior.load(tmp_path / "prior.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFolderError, match="cannot read"):
        LatentPrior.load(tmp_path / "bad.npz")


# --------------------------------------------------------------------------------------------------
# kernel draws


def _three_points_prior(bandwidth=0.2, **kw):
    """One genre of three far apart points (each 100 times), another of two: the kernel's centres are known."""
    centres = np.array([[0.0] * DIM, [100.0] * DIM, [-100.0] + [50.0] * (DIM - 1)])
    X = np.concatenate([np.repeat(centres, 100, axis=0), np.repeat(np.eye(DIM)[:2] * 30, 50, axis=0)])
    g = ["a"] * 300 + ["b"] * 100
    return LatentPrior(max_components=2, bandwidth=bandwidth, **kw).fit(X, g), centres, X[:300]


def test_kernel_draws_are_exemplars_moved_by_the_kernel():
    prior, centres, Xa = _three_points_prior(bandwidth=0.2)
    assert prior.has_kernel and prior.exemplars_[0].shape == (300, DIM)
    still = prior.sample(200, "a", temperature=0.0, seed=1)             # temperature 0: exemplars themselves
    assert np.all(np.abs(still[:, None, :] - centres[None]).max(axis=2).min(axis=1) < 1e-5)
    z = prior.sample(6000, "a", temperature=1.5, seed=2)
    nearest = np.argmin(((z[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    assert set(np.bincount(nearest, minlength=3) // 1000) == {1, 2}     # every centre drawn, ~2000 times each
    residual = z - centres[nearest]
    # the kernel: temperature x bandwidth x the genre's standard deviation along each axis
    np.testing.assert_allclose(residual.std(axis=0), 1.5 * 0.2 * Xa.std(axis=0), rtol=0.05)
    np.testing.assert_allclose(residual.mean(axis=0), 0.0, atol=0.05 * Xa.std(axis=0).min())
    np.testing.assert_array_equal(prior.sample(5, "b", seed=4), prior.sample(5, "b", seed=4))
    mixture = prior.sample(2000, "a", seed=2, source="mixture")         # the mixtures still answer when asked
    assert np.abs(mixture[:, None, :] - centres[None]).max(axis=2).min(axis=1).mean() > 5


def test_exemplars_are_a_capped_subset_saved_with_the_prior(tmp_path):
    prior, _, Xa = _three_points_prior(max_exemplars=7)
    assert [len(e) for e in prior.exemplars_] == [7, 7]
    rows = {tuple(r) for r in Xa.astype(np.float32)}
    assert all(tuple(r) in rows for r in prior.exemplars_[0])
    back = LatentPrior.load(prior.save(tmp_path / "prior.npz"))
    assert back.bandwidth == prior.bandwidth and back.max_exemplars == 7
    for x, y in zip(prior.exemplars_, back.exemplars_):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(back.sample(9, "a", seed=5), prior.sample(9, "a", seed=5))
    none = _three_points_prior(max_exemplars=0)[0]
    assert not none.has_kernel
    np.testing.assert_array_equal(none.sample(9, "a", seed=5), none.sample(9, "a", seed=5, source="mixture"))


def test_a_prior_saved_before_kernels_draws_from_its_mixtures(tmp_path):
    prior = _three_points_prior()[0]
    arrays = {k: v for k, v in prior.to_arrays().items()
              if not (k.startswith("exemplars_") or k in ("kernel_settings", "kernel_scale"))}
    np.savez(tmp_path / "old.npz", **arrays)
    old = LatentPrior.load(tmp_path / "old.npz")
    assert not old.has_kernel and old.describe()["draws"] == "the mixtures"
    np.testing.assert_array_equal(old.sample(6, "a", seed=1), prior.sample(6, "a", seed=1, source="mixture"))
    with pytest.raises(ParameterError, match="keeps no exemplars.*source='mixture'"):
        old.sample(2, "a", source="kernel")
    with pytest.raises(ParameterError, match="source must be one of"):
        prior.sample(2, "a", source="kde")


def test_damaged_exemplars_are_refused_by_name(tmp_path):
    prior = _three_points_prior()[0]
    arrays = prior.to_arrays()
    arrays["exemplars_1"] = arrays["exemplars_1"].copy()
    arrays["exemplars_1"][0, 0] = np.nan
    np.savez(tmp_path / "nan.npz", **arrays)
    with pytest.raises(ModelFolderError, match="exemplars_1 .*NaN"):
        LatentPrior.load(tmp_path / "nan.npz")
    arrays = prior.to_arrays()
    arrays["kernel_scale"] = arrays["kernel_scale"][:, :3]
    np.savez(tmp_path / "cut.npz", **arrays)
    with pytest.raises(ModelFolderError, match="kernel_scale has shape"):
        LatentPrior.load(tmp_path / "cut.npz")
