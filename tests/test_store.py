import numpy as np
import pytest

from genmusic.config import SplitConfig
from genmusic._io import atomic_save_npy
from genmusic.data.store import Saver, SongRecord, SpectrogramStore, assign_splits, make_song_ids


def test_split_is_by_song_stratified_and_seeded():
    ids = [f"{g}.{i:05d}" for g in "abc" for i in range(10)]
    genres = [i[0] for i in ids]
    s1 = assign_splits(ids, genres, SplitConfig(0.1, 0.2, seed=3))
    s2 = assign_splits(ids, genres, SplitConfig(0.1, 0.2, seed=3))
    s3 = assign_splits(ids, genres, SplitConfig(0.1, 0.2, seed=4))
    assert s1 == s2 and s1 != s3
    for g in "abc":
        splits = [s1[i] for i in ids if i.startswith(g)]
        assert splits.count("test") == 2 and splits.count("validation") == 1 and splits.count("train") == 7


def test_split_small_genres_keep_a_training_song():
    ids = ["x1", "y1", "y2", "z1", "z2", "z3"]
    genres = ["x", "y", "y", "z", "z", "z"]
    s = assign_splits(ids, genres, SplitConfig(0.1, 0.1))
    assert s["x1"] == "train"
    assert sorted(s[i] for i in ("y1", "y2")).count("train") >= 1
    assert sorted(s[i] for i in ("z1", "z2", "z3")) == ["test", "train", "validation"]


def test_song_ids_unique_and_safe(tmp_path):
    paths = [tmp_path / "a" / "x.wav", tmp_path / "b" / "x.wav", tmp_path / "b" / "my song!.mp3"]
    ids = make_song_ids(paths, tmp_path)
    assert ids == ["a__x__wav", "b__x__wav", "my_song"]


def _store(tmp_path, config, songs):
    saver = Saver(tmp_path / "store", config)
    records = []
    for k, (song_id, genre, n_seg) in enumerate(songs):
        seg = np.full((n_seg, *config.spectrogram.segment_shape), k / 10, dtype=np.float32)
        seg[:, 0, 0] = np.arange(n_seg)
        records.append(saver.save_song(SongRecord(song_id, f"/src/{song_id}.wav", genre, n_seg * 100, n_seg,
                                                  -80.0 - k, 0.0 - k), seg))
    saver.finalise(records, [("/src/bad.wav", "not audio")])
    return SpectrogramStore(tmp_path / "store")


def test_store_round_trip(tmp_path, small_config):
    store = _store(tmp_path, small_config, [("a.1", "a", 3), ("a.2", "a", 2), ("b.1", "b", 4)])
    assert [s.song_id for s in store.songs] == ["a.1", "a.2", "b.1"]
    assert store.genres == ["a", "b"] and store.stats["n_segments"] == 9
    idx = store.segment_index()
    assert idx.shape == (9, 2)
    x = store.load_segments(idx)
    assert x.shape == (9, *small_config.spectrogram.segment_shape)
    np.testing.assert_array_equal(x[:, 0, 0], [0, 1, 2, 0, 1, 0, 1, 2, 3])
    np.testing.assert_allclose(x[3:5, 1, 1], 0.1, atol=2 ** -12)  # stored as float16
    assert store.song_array("a.1").dtype == np.float16 and x.dtype == np.float32
    arr = store.song_array("b.1")
    assert isinstance(arr, np.memmap)
    assert store.stats["db_min"] == pytest.approx(-81.0) and store.stats["global_db_min"] == -82.0
    norm = store.dataset_normaliser()
    assert norm.inverse_transform(np.array([1.0]))[0] == pytest.approx(-1.0)
    assert (tmp_path / "store" / "skipped.csv").read_text().splitlines()[1] == "/src/bad.wav,not audio"
    rows = (tmp_path / "store" / "manifest.csv").read_text().splitlines()
    assert len(rows) == 10 and rows[0].startswith("song_id,segment,offset_samples,genre,split,source")
    seg_samples = small_config.spectrogram.segment_samples
    assert rows[2].split(",")[:3] == ["a.1", "1", str(seg_samples)]


def test_atomic_write_leaves_no_partial_file(tmp_path):
    class Boom:
        def __array__(self, *a, **k):
            raise RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        atomic_save_npy(tmp_path / "x.npy", Boom())
    assert list(tmp_path.iterdir()) == []
