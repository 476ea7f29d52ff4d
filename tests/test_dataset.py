"""genmusic.models.dataset: the streaming training dataset (shapes, order, seeds, top-up, damaged data)."""

from __future__ import annotations

import numpy as np

from genmusic.models.dataset import SpectrogramDataset


def test_dataset_batches_shapes_and_every_segment_once(tiny_store):
    index = tiny_store.segment_index("train")
    ds = SpectrogramDataset(tiny_store, index, batch_size=8, seed=3)
    assert len(ds) == -(-len(index) // 8)
    seen = []
    for i in range(len(ds)):
        x, y = ds[i]
        assert x.dtype == np.float32 and x.shape[1:] == (*tiny_store.segment_shape, 1)
        assert x is y
        seen.extend(map(tuple, index[ds.batch_positions(i)]))
    assert sorted(seen) == sorted(map(tuple, index))  # nothing lost, nothing twice
    x0, _ = ds[0]
    expected = tiny_store.load_segments(index[ds.batch_positions(0)])
    np.testing.assert_array_equal(x0[..., 0], expected)


def test_dataset_seeded_shuffle(tiny_store):
    a = SpectrogramDataset(tiny_store, "train", batch_size=8, seed=1)
    b = SpectrogramDataset(tiny_store, "train", batch_size=8, seed=1)
    c = SpectrogramDataset(tiny_store, "train", batch_size=8, seed=2)
    np.testing.assert_array_equal(a.order, b.order)
    assert not np.array_equal(a.order, c.order)
    first = a.order.copy()
    a.on_epoch_end()
    assert a.epoch == 1 and not np.array_equal(first, a.order)
    np.testing.assert_array_equal(np.sort(first), np.sort(a.order))
    resumed = SpectrogramDataset(tiny_store, "train", batch_size=8, seed=1, epoch=1)
    np.testing.assert_array_equal(resumed.order, a.order)
    fixed = SpectrogramDataset(tiny_store, "train", batch_size=8, shuffle=False)
    np.testing.assert_array_equal(fixed.order, np.arange(len(fixed.index)))


def test_dataset_max_segments_and_padding(tiny_store):
    ds = SpectrogramDataset(tiny_store, "train", batch_size=4, seed=0, max_segments=10)
    assert ds.n_segments == 10 and len(ds) == 3 and ds.batch_samples(2) == 2
    padded = SpectrogramDataset(tiny_store, "train", batch_size=4, seed=0, max_segments=10, pad_to_multiple=4)
    assert [padded.batch_samples(i) for i in range(len(padded))] == [4, 4, 4]


# --------------------------------------------------------------------------------------------------
# train(): one run, resumed


def _song_frames(store, number):
    """A song's frames that hold audio, as one array (n_freq, frames)."""
    record = store.songs[number]
    array = np.asarray(store.song_array(record.song_id), np.float32)
    frames = np.concatenate(list(array), axis=1)
    hop = store.config.spectrogram.hop_length
    return frames[:, :max(store.segment_shape[1], 1 + record.n_samples // hop)]


def test_random_crops_are_windows_of_the_same_song_anywhere_in_its_audio(tiny_store):
    ds = SpectrogramDataset(tiny_store, "train", batch_size=8, seed=5, crops=True)
    n_frames = tiny_store.segment_shape[1]
    starts = []
    for i in range(len(ds)):
        x, _ = ds[i]
        pairs = ds.index[ds.batch_positions(i)]
        for window, song_no in zip(x[..., 0], pairs[:, 0]):
            frames = _song_frames(tiny_store, int(song_no))
            hits = [s for s in range(frames.shape[1] - n_frames + 1)
                    if np.array_equal(frames[:, s:s + n_frames], window)]
            assert hits, "a crop that is no window of its song"
            starts.append(hits[0])
    # Not only the segment starts: windows across segment boundaries too.
    assert any(s % n_frames for s in starts)
    again = SpectrogramDataset(tiny_store, "train", batch_size=8, seed=5, crops=True)
    np.testing.assert_array_equal(again[0][0], ds[0][0])   # seeded
    ds.on_epoch_end()
    again.set_epoch(1)
    np.testing.assert_array_equal(again[0][0], ds[0][0])   # a resumed run draws the same windows
    first_epoch = SpectrogramDataset(tiny_store, "train", batch_size=8, seed=5, crops=True)
    assert not np.array_equal(first_epoch[0][0], ds[0][0])  # a new set every epoch
