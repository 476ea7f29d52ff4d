"""Tests of genmusic.features.windows: cutting a spectrogram into windows and joining them back with crossfades."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.features.windows import crossfade_weights, hop_frames_for, n_windows_for, overlap_add, slice_windows


def test_hop_frames_for_overlaps():
    assert [hop_frames_for(16, o) for o in (0.0, 0.5, 0.75, 0.99)] == [16, 8, 4, 1]


@pytest.mark.parametrize("hop", [16, 12, 8, 5, 1])
def test_overlap_add_inverts_slice_windows(rng, hop):
    frames = rng.random((6, 70)).astype(np.float32)
    k = n_windows_for(64, 16, hop)
    assert (k - 1) * hop + 16 >= 64 and (k - 2) * hop + 16 < 64
    back = overlap_add(slice_windows(frames, 16, hop, k), hop)
    assert back.shape == (6, (k - 1) * hop + 16)
    np.testing.assert_allclose(back, frames[:, : back.shape[1]], rtol=0, atol=1e-6)


def test_crossfade_weights_sum_to_one_and_blend_smoothly():
    w = crossfade_weights(16, 8)
    assert np.all(w > 0) and np.all(w <= 1)
    np.testing.assert_allclose(w[:8] + w[8:], 1.0, atol=1e-12)  # half overlap: sin^2 + cos^2
    assert np.all(np.diff(w[:8]) > 0)
    np.testing.assert_array_equal(crossfade_weights(16, 16), np.ones(16))
    # Two windows of different constants: the join goes monotonically from one to the other.
    windows = np.stack([np.zeros((1, 16)), np.ones((1, 16))])
    joined = overlap_add(windows, 8)[0]
    assert np.all(joined[:8] == 0) and np.all(joined[16:] == 1)
    assert np.all(np.diff(joined) >= 0) and 0 < joined[8] < 0.05 and 0.95 < joined[15] < 1


def test_consecutive_segments_join_by_concatenation():
    segments = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(overlap_add(segments, 4), np.concatenate([segments[0], segments[1]], axis=1))
