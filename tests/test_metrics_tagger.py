"""Tests of the music tagger (genmusic.metrics.tagger) and the set figures built on it (genmusic.metrics.sets).

The tagger's forward pass is checked against musicnn's own TensorFlow graph: ``tests/data/musicnn_reference.npz``
holds what musicnn 0.1.0 gave for :func:`synthetic_song` (written once by
``benchmarks/check_musicnn.py --write-test-reference``, which needs musicnn's environment; this test does not).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from genmusic.errors import GenmusicError, ParameterError
from genmusic.metrics import (MUSIC_TAGGER_TAGS, MusicTagger, StyleRecogniser, TaggerWeightsError,
                              frechet_audio_distance, music_tagger_embedding, music_tagger_taggram, song_vectors)
from genmusic.metrics.tagger import TAGGER_PATCH_FRAMES, WEIGHTS_FILE, default_tagger

REFERENCE = Path(__file__).parent / "data" / "musicnn_reference.npz"
#: The unit test's song: an A major chord of 3-harmonic tones, struck every half second, over quiet noise.
REFERENCE_RECIPE = {"sr": 16000, "seconds": 6.5, "notes": [57, 61, 64, 69], "beat": 0.5, "decay": 6.0,
                    "amplitude": 0.6, "noise": 0.02, "seed": 16}


def synthetic_song(sr, seconds, notes, beat, decay, amplitude, noise, seed) -> np.ndarray:
    """The signal of :data:`REFERENCE_RECIPE` (also written by ``benchmarks/check_musicnn.py``), float32."""
    t = np.arange(int(round(seconds * sr))) / sr
    tones = sum(np.sin(2 * np.pi * k * 440.0 * 2 ** ((m - 69) / 12) * t) / k for m in notes for k in (1, 2, 3))
    y = amplitude * np.exp(-decay * np.mod(t, beat)) * tones / len(notes)
    return (y + noise * np.random.default_rng(seed).standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def tagger():
    return default_tagger()


def test_forward_pass_matches_musicnn(tagger):
    with np.load(REFERENCE, allow_pickle=False) as ref:
        recipe = json.loads(str(ref["recipe"]))
        penultimate, taggram = ref["penultimate"], ref["taggram"]
    assert recipe == REFERENCE_RECIPE
    y = synthetic_song(**recipe)
    emb, tags = tagger.run(y, recipe["sr"])
    assert emb.shape == penultimate.shape == (2, 200) and tags.shape == taggram.shape == (2, 50)
    # float32 arithmetic in another order than TensorFlow's: measured 4e-6 and 5e-7 on real songs
    np.testing.assert_allclose(emb, penultimate, rtol=0, atol=5e-5)
    np.testing.assert_allclose(tags, taggram, rtol=0, atol=5e-6)
    assert np.abs(penultimate).max() > 1.0  # the comparison is not between near-zero numbers


def test_public_functions_and_patches(tagger):
    y = synthetic_song(**{**REFERENCE_RECIPE, "seconds": 9.2})
    patches = tagger.patches(y, 16000)
    assert patches.shape == (3, TAGGER_PATCH_FRAMES, 96)  # 1 + 147200 // 256 = 576 frames: 3 patches of 187
    # patches are consecutive slices of the whole log-mel spectrogram, the rest dropped
    np.testing.assert_array_equal(patches.reshape(-1, 96), tagger.log_mel(y, 16000)[:3 * TAGGER_PATCH_FRAMES])
    emb = music_tagger_embedding(y, 16000)
    assert emb.shape == (3, 200) and emb.dtype == np.float32
    # a patch is judged alone: the embedding of the first 3 s equals the first row (up to BLAS order)
    first, tags = tagger.forward(patches[:1])
    np.testing.assert_allclose(first, emb[:1], atol=1e-5)
    np.testing.assert_allclose(music_tagger_taggram(y[:3 * 16000], 16000), tags, atol=1e-6)
    assert len(MUSIC_TAGGER_TAGS) == 50 and MUSIC_TAGGER_TAGS[0] == "rock"


def test_other_sample_rates_are_resampled_first(tagger):
    import librosa

    y22 = librosa.resample(synthetic_song(**REFERENCE_RECIPE), orig_sr=16000, target_sr=22050)
    y16 = librosa.resample(y22, orig_sr=22050, target_sr=16000, res_type="soxr_hq")  # as librosa.load(sr=16000)
    np.testing.assert_array_equal(tagger.log_mel(y22, 22050), tagger.log_mel(y16, 16000))


def test_short_or_bad_signals_are_refused(tagger):
    with pytest.raises(ParameterError, match="at least 2.99 s"):
        music_tagger_embedding(np.zeros(16000, np.float32), 16000)
    with pytest.raises(ParameterError, match="y must hold floating-point"):
        music_tagger_embedding(np.zeros(64000, np.int16), 16000)
    with pytest.raises(ParameterError, match="sr must be a positive integer"):
        music_tagger_embedding(np.zeros(64000, np.float32), 16000.0)
    with pytest.raises(ParameterError, match="patches must have shape"):
        tagger.forward(np.zeros((1, 187, 80), np.float32))


def test_missing_weights_say_how_to_get_them(tmp_path):
    with pytest.raises(TaggerWeightsError, match="pip download musicnn==0.1.0") as info:
        MusicTagger.load(tmp_path / "musicnn_msd.npz")
    assert isinstance(info.value, GenmusicError) and "Everything else in genmusic works" in str(info.value)
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(TaggerWeightsError, match="not a readable musicnn weights file"):
        MusicTagger.load(tmp_path / "broken.npz")


def test_weights_ship_inside_the_package():
    assert WEIGHTS_FILE.is_file() and WEIGHTS_FILE.parent.name == "data"
    assert (WEIGHTS_FILE.parent / "MUSICNN_LICENSE.md").read_text().count("ISC") >= 1
    with np.load(WEIGHTS_FILE, allow_pickle=False) as data:
        assert sum(data[k].size for k in data.files if k != "__meta__") == 792079
        assert all(data[k].dtype == np.float32 for k in data.files if k != "__meta__")


# ---------------------------------------------------------------- Frechet audio distance


def _songs(rng, n_songs, mean, scale=1.0, d=6, patches=10):
    return [mean + scale * rng.standard_normal((patches, d)) for _ in range(n_songs)]


def test_fad_of_a_set_with_itself_is_zero_and_fad_is_symmetric(rng):
    a = _songs(rng, 20, 0.0)
    b = _songs(rng, 15, 0.5, scale=1.5)
    assert frechet_audio_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_audio_distance(a, b) == pytest.approx(frechet_audio_distance(b, a), rel=1e-9)
    assert frechet_audio_distance(a, b) > 1.0
    # per-song arrays are pooled: one array per song or a 3-D array give the same figure
    assert frechet_audio_distance(np.stack(a), b) == frechet_audio_distance(a, b)


def test_fad_of_shifted_sets_is_the_squared_shift(rng):
    a = _songs(rng, 50, 0.0, patches=40)
    shift = np.array([3.0, 0, 0, 4.0, 0, 0])
    assert frechet_audio_distance(a, [s + shift for s in a]) == pytest.approx(25.0, rel=1e-6)


def test_fad_of_real_audio_embeddings_with_itself(tagger):
    songs = [tagger.run(synthetic_song(**{**REFERENCE_RECIPE, "notes": [n, n + 4, n + 7], "seed": n}), 16000)[0]
             for n in (57, 60)]
    assert frechet_audio_distance(songs, songs) == pytest.approx(0.0, abs=1e-6)  # 4 patches of 200 dims


def test_fad_refuses_mismatched_sets():
    with pytest.raises(ParameterError, match="mixes embedding widths"):
        frechet_audio_distance([np.zeros((3, 4)), np.zeros((3, 5))], [np.zeros((3, 4))])
    with pytest.raises(ParameterError, match="at least 2 patches"):
        frechet_audio_distance([np.ones((1, 4))], [np.zeros((3, 4))])
    with pytest.raises(ParameterError, match="non-empty list"):
        frechet_audio_distance([], [np.zeros((3, 4))])


# ---------------------------------------------------------------- style recognition


def _styles(rng, n_per_style, spread_only=False):
    """Three styles in 6-d patch embeddings: apart in their means, or (spread_only) in their spread alone."""
    embeddings, styles = [], []
    for k, style in enumerate(("ambient", "jazz", "rock")):
        for _ in range(n_per_style):
            mean, scale = (0.0, 1.0 + 2.0 * k) if spread_only else (4.0 * np.eye(6)[k], 1.0)
            embeddings.append(mean + scale * rng.standard_normal((40, 6)))
            styles.append(style)
    return embeddings, np.array(styles)


def test_song_vectors_are_mean_then_std(rng):
    e = rng.standard_normal((7, 3))
    v = song_vectors([e, 2 * e])
    assert v.shape == (2, 6)
    np.testing.assert_allclose(v[0], np.concatenate([e.mean(0), e.std(0)]))
    np.testing.assert_allclose(v[1], 2 * v[0])


@pytest.mark.parametrize("spread_only", [False, True])
def test_recogniser_on_separable_styles(rng, spread_only):
    train, styles = _styles(rng, 8, spread_only)
    test, test_styles = _styles(rng, 4, spread_only)
    recogniser = StyleRecogniser().fit(train, styles)
    assert list(recogniser.styles_) == ["ambient", "jazz", "rock"]
    hits = recogniser.recognised(test, test_styles)
    assert hits.dtype == bool and hits.shape == (12,) and hits.all()
    assert not recogniser.recognised(test, np.roll(test_styles, 4)).any()  # every piece asked for another style
    cv = recogniser.cross_validate(train, styles, n_splits=4, seeds=(0, 1))
    # spread alone is a harder case for a linear model on standardised mean+std (measured 0.92 to 0.94)
    assert cv["accuracy"] >= (0.85 if spread_only else 1.0) and cv["chance"] == pytest.approx(1 / 3)


def test_recogniser_refuses_bad_use(rng):
    train, styles = _styles(rng, 3)
    with pytest.raises(ParameterError, match="not fitted yet"):
        StyleRecogniser().predict(train)
    with pytest.raises(ParameterError, match="at least 2 different styles"):
        StyleRecogniser().fit(train, ["rock"] * len(train))
    with pytest.raises(ParameterError, match="9 labels"):
        StyleRecogniser().fit(train, styles[:5])
    recogniser = StyleRecogniser().fit(train, styles)
    with pytest.raises(ParameterError, match="fitted on 6"):
        recogniser.predict([np.zeros((4, 5))])
    with pytest.raises(ParameterError, match="at least n_splits=5 songs"):
        recogniser.cross_validate(train, styles)
    with pytest.raises(ParameterError, match="C must be"):
        StyleRecogniser(C=0)
