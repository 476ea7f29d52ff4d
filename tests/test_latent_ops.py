"""Tests of genmusic.generation.latent_ops: the maths of each operation, and its refusals of bad shapes."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.generation import latent_ops as ops


# ---- interpolate

@pytest.mark.parametrize("method", ["linear", "slerp"])
@pytest.mark.parametrize("shape", [(8,), (3, 8)])
def test_interpolate_endpoints_are_exact(rng, method, shape):
    a, b = rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)
    path = ops.interpolate(a, b, 7, method=method)
    assert path.shape == (7, *shape) and path.dtype == np.float32
    assert np.array_equal(path[0], a) and np.array_equal(path[-1], b)


def test_interpolate_linear_is_affine(rng):
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    path = ops.interpolate(a, b, 5)
    np.testing.assert_allclose(path[2], 0.5 * (a + b), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((b - a) / 4, (4, 1)), atol=1e-12)


def test_slerp_keeps_the_norm_of_equal_norm_vectors(rng):
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    path = ops.interpolate(a, b, 11, method="slerp")
    np.testing.assert_allclose(np.linalg.norm(path, axis=-1), np.linalg.norm(a), rtol=1e-10)
    # ... while the straight line cuts through the ball.
    assert np.linalg.norm(ops.interpolate(a, b, 11)[5]) < np.linalg.norm(a) * 0.99
    # Constant angular speed: equal angles between consecutive points.
    unit = path / np.linalg.norm(path, axis=-1, keepdims=True)
    angles = np.arccos(np.clip(np.sum(unit[1:] * unit[:-1], axis=-1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-6)


def test_slerp_sequences_work_row_by_row(rng):
    a, b = rng.standard_normal((3, 8)), rng.standard_normal((3, 8))
    path = ops.interpolate(a, b, 4, method="slerp")
    for row in range(3):
        np.testing.assert_allclose(path[:, row], ops.interpolate(a[row], b[row], 4, method="slerp"), atol=1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_slerp_falls_back_to_linear_for_parallel_vectors(rng, sign):
    a = rng.standard_normal(8)
    b = sign * 2.0 * a
    np.testing.assert_allclose(ops.interpolate(a, b, 5, method="slerp"), ops.interpolate(a, b, 5), atol=1e-12)
    zero = np.zeros(8)
    path = ops.interpolate(zero, a, 3, method="slerp")
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(path[1], 0.5 * a, atol=1e-12)


# ---- average

def test_average_segments_cuts_to_the_shortest(songs):
    a, b = songs
    avg = ops.average([a, b])
    assert avg.shape == (4, 8) and avg.dtype == np.float32
    np.testing.assert_allclose(avg, (a + b[:4]) / 2, atol=1e-6)
    assert ops.average([a, b], n_segments=2).shape == (2, 8)


def test_average_time_tiles_the_mean_of_song_means(songs):
    a, b = songs
    avg = ops.average([a, b], mode="time", n_segments=9)
    expected = (a.mean(axis=0) + b.mean(axis=0)) / 2
    assert avg.shape == (9, 8)
    np.testing.assert_allclose(avg, np.tile(expected, (9, 1)), atol=1e-6)


@pytest.mark.parametrize("n_songs", [3, 5, 10])
def test_average_of_many_songs_of_one_genre(rng, n_songs):
    latents = [rng.standard_normal((int(rng.integers(2, 6)), 4)) for _ in range(n_songs)]
    shortest = min(len(z) for z in latents)
    np.testing.assert_allclose(ops.average(latents), np.mean([z[:shortest] for z in latents], axis=0), atol=1e-12)


# ---- remix / splice

def test_remix_joins_first_half_of_a_to_second_half_of_b(songs):
    a, b = songs
    mix = ops.remix(a, b)
    assert mix.shape == (2 + 3, 8)
    assert np.array_equal(mix[:2], a[:2]) and np.array_equal(mix[2:], b[3:])
    odd = ops.remix(b[:5], a[:3])  # ceil(5 / 2) = 3 from the first, 3 - 1 = 2 from the second
    assert np.array_equal(odd, np.concatenate([b[:3], a[1:3]]))
    one = ops.remix(a[:1], b[:1])
    assert np.array_equal(one, np.concatenate([a[:1], b[:1]]))


def test_splice(songs):
    a, b = songs
    out = ops.splice([a, b], [(1, 0, 2), (0, 3, 4), (1, 5, 6)])
    assert np.array_equal(out, np.concatenate([b[0:2], a[3:4], b[5:6]]))


# ---- noise / scale / smooth

def test_add_noise_has_the_asked_std_and_is_seeded():
    z = np.zeros((200, 64), dtype=np.float32)
    noisy = ops.add_noise(z, 0.5, seed=3)
    assert noisy.dtype == np.float32 and noisy.shape == z.shape
    assert abs(float(noisy.std()) - 0.5) < 0.01  # 12800 draws: std error ~0.003
    assert abs(float(noisy.mean())) < 0.02
    assert np.array_equal(noisy, ops.add_noise(z, 0.5, seed=3))
    assert not np.array_equal(noisy, ops.add_noise(z, 0.5, seed=4))
    assert np.array_equal(ops.add_noise(z + 1, 0.0, seed=0), z + 1)


def test_scale_is_exact(songs):
    a, _ = songs
    assert np.array_equal(ops.scale(a, 2.0), a * np.float32(2.0))
    assert np.array_equal(ops.scale(a, 0.0), np.zeros_like(a))
    assert np.array_equal(ops.scale(a, 1), a)


def test_smooth(songs):
    a, b = songs
    constant = np.tile(np.arange(8, dtype=np.float32), (7, 1))
    np.testing.assert_allclose(ops.smooth(constant, 3), constant, atol=1e-6)
    np.testing.assert_allclose(ops.smooth(constant, 4), constant, atol=1e-6)
    assert np.array_equal(ops.smooth(a, 1), a)
    s = ops.smooth(b, 3)
    assert s.shape == b.shape
    np.testing.assert_allclose(s[2], b[1:4].mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(s[0], b[0:2].mean(axis=0), atol=1e-6)  # edges: the neighbours there are
    np.testing.assert_allclose(s[-1], b[-2:].mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(ops.smooth(b, 100), np.tile(b.mean(axis=0), (6, 1)), atol=1e-6)
    ramp = np.linspace(0, 1, 10)[:, None] * np.ones((1, 3))
    np.testing.assert_allclose(ops.smooth(ramp, 3)[1:-1], ramp[1:-1], atol=1e-12)  # linear is kept inside
