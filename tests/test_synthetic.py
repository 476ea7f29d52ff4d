"""The embedded synthetic dataset: layout, format, determinism, signal sanity, and that genre is learnable."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

from genmusic.data.synthetic import GENRES, make_synthetic, synthesize_song

SR = 22050


def _wavs(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.wav"))


# ------------------------------------------------------------------ layout and format

def test_genres_are_distinct_names():
    assert len(GENRES) >= 6
    assert len(set(GENRES)) == len(GENRES)
    assert all(g.isidentifier() and g == g.lower() for g in GENRES)


def test_layout_naming_and_format(tmp_path):
    root = make_synthetic(tmp_path, n_per_genre=2, duration=1.5, sample_rate=SR)
    assert root == tmp_path / "genres_original"
    assert sorted(p.name for p in root.iterdir()) == sorted(GENRES)
    expected = sorted(f"{g}/{g}.{i:05d}.wav" for g in GENRES for i in range(2))
    assert _wavs(root) == expected
    # no leftover temporary files
    assert [p.name for p in root.rglob("*") if p.is_file() and p.suffix != ".wav"] == []
    for rel in expected:
        info = sf.info(str(root / rel))
        assert info.samplerate == SR
        assert info.channels == 1
        assert info.frames == int(round(1.5 * SR))
        assert info.format == "WAV"
        assert info.subtype == "PCM_16"
    meta = json.loads((tmp_path / "synthetic.json").read_text())
    assert meta["seed"] == 0 and meta["n_per_genre"] == 2 and meta["sample_rate"] == SR
    assert meta["duration"] == 1.5 and meta["genres"] == list(GENRES)


def test_subset_of_genres_and_odd_lengths(tmp_path):
    root = make_synthetic(tmp_path, n_per_genre=1, duration=0.7301, sample_rate=8000, genres=["metal", "jazz"])
    assert _wavs(root) == ["jazz/jazz.00000.wav", "metal/metal.00000.wav"]
    y, sr = sf.read(str(root / "jazz" / "jazz.00000.wav"))
    assert sr == 8000 and y.shape == (int(round(0.7301 * 8000)),)
    meta = json.loads((tmp_path / "synthetic.json").read_text())
    assert meta["genres"] == ["jazz", "metal"]


@pytest.mark.parametrize("duration,sr", [(1.0, 22050), (0.25, 16000), (2.345, 44100), (1.0, 8000)])
def test_synthesize_song_length_is_exact(duration, sr):
    y = synthesize_song("disco", 1, duration=duration, sample_rate=sr, seed=3)
    assert y.dtype == np.float32
    assert y.shape == (int(round(duration * sr)),)
    assert np.all(np.isfinite(y))
    assert np.max(np.abs(y)) <= 1.0


# ------------------------------------------------------------------ determinism and caching

def test_same_seed_gives_identical_bytes(tmp_path):
    a = make_synthetic(tmp_path / "a", n_per_genre=1, duration=1.0, genres=["blues", "techno"], seed=7)
    b = make_synthetic(tmp_path / "b", n_per_genre=1, duration=1.0, genres=["blues", "techno"], seed=7)
    for rel in _wavs(a):
        assert (a / rel).read_bytes() == (b / rel).read_bytes()
    for g in GENRES:
        np.testing.assert_array_equal(synthesize_song(g, 4, duration=1.0, seed=2),
                                      synthesize_song(g, 4, duration=1.0, seed=2))


def test_different_seed_or_index_gives_different_audio():
    for g in GENRES:
        y0 = synthesize_song(g, 0, duration=2.0, seed=0)
        y1 = synthesize_song(g, 0, duration=2.0, seed=1)
        y2 = synthesize_song(g, 1, duration=2.0, seed=0)
        assert np.mean(np.abs(y0 - y1)) > 0.01, g
        assert np.mean(np.abs(y0 - y2)) > 0.01, g


def test_adding_songs_keeps_existing_files(tmp_path):
    root = make_synthetic(tmp_path, n_per_genre=2, duration=1.0, genres=["reggae", "hiphop"])
    before = {rel: (root / rel).read_bytes() for rel in _wavs(root)}
    make_synthetic(tmp_path, n_per_genre=3, duration=1.0, genres=["reggae", "hiphop"])
    after = _wavs(root)
    assert len(after) == 6
    for rel, data in before.items():
        assert (root / rel).read_bytes() == data
    # the new songs are what a fresh 3-song dataset would hold
    fresh = make_synthetic(tmp_path / "fresh", n_per_genre=3, duration=1.0, genres=["reggae", "hiphop"])
    for rel in after:
        assert (root / rel).read_bytes() == (fresh / rel).read_bytes()
    assert json.loads((tmp_path / "synthetic.json").read_text())["n_per_genre"] == 3


def test_existing_files_are_not_rewritten_unless_overwrite(tmp_path):
    root = make_synthetic(tmp_path, n_per_genre=1, duration=1.0, genres=["classical"])
    path = root / "classical" / "classical.00000.wav"
    old = 1_000_000_000  # pretend the file is old so a rewrite would show up in its mtime
    os.utime(path, ns=(old * 10**9, old * 10**9))
    make_synthetic(tmp_path, n_per_genre=1, duration=1.0, genres=["classical"])
    assert path.stat().st_mtime_ns == old * 10**9
    make_synthetic(tmp_path, n_per_genre=1, duration=1.0, genres=["classical"], overwrite=True)
    assert path.stat().st_mtime_ns != old * 10**9


def test_progress_prints_to_stderr(tmp_path, capsys):
    make_synthetic(tmp_path, n_per_genre=1, duration=0.5, genres=["metal"], progress=True)
    assert "metal" in capsys.readouterr().err


# ------------------------------------------------------------------ signal sanity

@pytest.mark.parametrize("genre", GENRES)
def test_every_genre_is_loud_clean_and_unclipped(genre):
    for index in range(2):
        y = synthesize_song(genre, index, duration=6.0, sample_rate=SR)
        assert np.all(np.isfinite(y))
        peak = float(np.max(np.abs(y)))
        assert 0.85 <= peak <= 0.9 + 1e-6
        rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
        assert rms > 0.05, (genre, rms)
        # not clipped: only a few samples near the peak
        assert np.mean(np.abs(y) > 0.89) < 1e-3
        # no long silences: every 1 s window holds sound
        windows = y[: 6 * SR].reshape(6, SR)
        assert np.min(np.sqrt(np.mean(windows.astype(np.float64) ** 2, axis=1))) > 0.01
        # edges are faded in and out, no DC offset
        assert abs(float(y[0])) < 1e-3 and abs(float(y[-1])) < 1e-3
        assert abs(float(np.mean(y))) < 0.02


def test_written_file_matches_the_in_memory_song(tmp_path):
    root = make_synthetic(tmp_path, n_per_genre=2, duration=1.0, genres=["blues"], seed=5)
    y, _ = sf.read(str(root / "blues" / "blues.00001.wav"), dtype="float32")
    expected = synthesize_song("blues", 1, duration=1.0, sample_rate=SR, seed=5)
    assert np.max(np.abs(y - expected)) < 1.0 / 32768 + 1e-6


# ------------------------------------------------------------------ the genres are different music

def _features(y, sr):
    import librosa

    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)])


def test_genre_is_learnable_from_mfccs():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, labels = [], []
    for g in GENRES:
        for index in range(8):
            X.append(_features(synthesize_song(g, index, duration=4.0, sample_rate=SR, seed=11), SR))
            labels.append(g)
    X, labels = np.array(X), np.array(labels)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    scores = cross_val_score(model, X, labels, cv=StratifiedKFold(n_splits=4, shuffle=True, random_state=0))
    chance = 1.0 / len(GENRES)
    assert scores.mean() >= 0.7, scores
    assert scores.mean() > 3 * chance


def test_songs_within_a_genre_vary():
    """Songs of one genre differ (key, tempo, melody), so the task is not a lookup."""
    for g in GENRES:
        feats = np.array([_features(synthesize_song(g, i, duration=4.0, sample_rate=SR), SR) for i in range(3)])
        assert np.abs(feats[0] - feats[1]).max() > 0.5, g
        assert np.abs(feats[1] - feats[2]).max() > 0.5, g


def test_slow_and_fast_genres_differ_in_tempo_and_onset_rate():
    import librosa

    def measure(genre):
        tempi, rates = [], []
        for index in range(5):
            y = synthesize_song(genre, index, duration=8.0, sample_rate=SR)
            env = librosa.onset.onset_strength(y=y, sr=SR)
            tempi.append(float(librosa.feature.tempo(onset_envelope=env, sr=SR)[0]))
            rates.append(len(librosa.onset.onset_detect(onset_envelope=env, sr=SR)) / 8.0)
        return np.median(tempi), np.array(rates)

    slow_tempo, slow_rates = measure("reggae")  # 64-84 BPM, one drop
    fast_tempo, fast_rates = measure("techno")  # 124-136 BPM, four on the floor with 16th hats
    assert fast_tempo > 1.3 * slow_tempo
    assert fast_rates.min() > slow_rates.max()


# ------------------------------------------------------------------ bad parameters
