"""genmusic.analysis.evaluation: song reconstruction, the mel-distance report and the PCA baseline."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.analysis.evaluation import PCABaseline, evaluate_reconstruction, select_songs
from genmusic.models.architecture import Reconstruction
from genmusic.models.modelio import load_bundle
from genmusic.data.store import SpectrogramStore


@pytest.fixture(scope="module")
def tiny_model(tiny_model_folder):
    return load_bundle(tiny_model_folder).model


def test_select_songs_spreads_over_genres_deterministically(tiny_store):
    chosen = select_songs(tiny_store, None, 3, seed=0)
    assert len({r.genre for r in chosen}) == 3
    assert [r.song_id for r in chosen] == [r.song_id for r in select_songs(tiny_store, None, 3, seed=0)]
    assert len(select_songs(tiny_store, "test", None)) == len(tiny_store.songs_in("test"))


def test_evaluate_reconstruction(tiny_model, tiny_store):
    report = evaluate_reconstruction(tiny_model, tiny_store, split="test", max_songs=3, n_iter=8)
    assert report["n_songs"] == 3 and len(report["per_song"]) == 3 and not report["missing_sources"]
    for key in ("mel_distance", "resynth_mel_distance", "mse"):
        assert np.isfinite(report[key]) and report[key] > 0, key
    # the stored spectrogram through Griffin-Lim is the ceiling: the model's rebuild is further away
    assert report["resynth_mel_distance"] < report["mel_distance"]
    for row in report["per_song"].values():
        assert row["reference"] == "original" and row["seconds"] > 0

    ceiling = evaluate_reconstruction(None, tiny_store, split="test", max_songs=3, n_iter=8)
    assert ceiling["mel_distance"] is None and ceiling["mse"] is None
    assert ceiling["resynth_mel_distance"] == pytest.approx(report["resynth_mel_distance"])

    short = evaluate_reconstruction(tiny_model, tiny_store, split="test", max_songs=1, max_seconds=0.5, n_iter=2)
    assert next(iter(short["per_song"].values()))["seconds"] == pytest.approx(0.5)


def test_evaluate_with_a_missing_source(tiny_model, tiny_store):
    store = SpectrogramStore(tiny_store.path)  # its own records, so the session store stays intact
    record = store.songs_in("test")[0]
    record.source = str(store.path / "gone.wav")
    report = evaluate_reconstruction(tiny_model, store, split="test", max_songs=None, n_iter=4)
    assert report["missing_sources"] == [record.song_id]
    row = report["per_song"][record.song_id]
    assert row["reference"] == "resynth" and row["resynth_mel_distance"] is None
    assert np.isfinite(row["mel_distance"]) and np.isfinite(report["resynth_mel_distance"])


def test_pca_round_trip_of_a_rank_k_dataset_is_exact():
    rng = np.random.default_rng(0)
    k, n, shape = 5, 60, (16, 8)
    basis = rng.standard_normal((k, shape[0] * shape[1]))
    x = (0.5 + 0.02 * rng.standard_normal((n, k)) @ basis).reshape(n, *shape).astype(np.float32)
    pca = PCABaseline(k, clip=False).fit(x)
    z = pca.encode(x)
    assert z.shape == (n, k) and z.dtype == np.float32
    spectrograms, latents = pca.reconstruct(x)
    np.testing.assert_allclose(spectrograms, x, atol=1e-5)
    np.testing.assert_array_equal(latents, z)
    np.testing.assert_allclose(pca.decode(z), x, atol=1e-5)
    # one component fewer cannot rebuild it
    assert np.abs(PCABaseline(k - 1, clip=False).fit(x).reconstruct(x).spectrograms - x).max() > 1e-3


def test_pca_caps_memory(tiny_store):
    pca = PCABaseline(8, max_fit_segments=20, seed=1).fit_store(tiny_store)
    assert pca.n_components_ == 8 and pca.segment_shape_ == tuple(tiny_store.segment_shape)
    few = PCABaseline(50).fit(np.random.default_rng(0).random((10, 4, 4)))
    assert few.n_components_ == 10


def test_pca_as_a_model_in_the_evaluation(tiny_store):
    pca = PCABaseline(16).fit_store(tiny_store)
    report = evaluate_reconstruction(pca, tiny_store, split="test", max_songs=2, n_iter=4)
    assert np.isfinite(report["mel_distance"]) and 0 < report["mse"] < 0.1
    out = pca.reconstruct(np.asarray(tiny_store.song_array(tiny_store.songs[0].song_id))).spectrograms
    assert out.min() >= 0.0 and out.max() <= 1.0


class _Perfect:
    """Reconstructs every spectrogram exactly."""

    def reconstruct(self, x, batch_size=32):
        return Reconstruction(np.array(x), np.zeros((len(x), 1), np.float32))


def test_evaluation_hook_hands_over_what_was_measured(tiny_store):
    heard = {}
    result = evaluate_reconstruction(_Perfect(), tiny_store, split="test", max_songs=2, n_iter=4,
                                     baselines={"copy": _Perfect()},
                                     on_song=lambda record, audio: heard.update({record.song_id: audio}))
    assert list(heard) == list(result["per_song"]) and len(heard) == 2
    for song_id, audio in heard.items():
        row = result["per_song"][song_id]
        n = tiny_store.song(song_id).n_samples
        assert set(audio) == {"original", "resynth", "model", "copy"}
        assert all(len(a) == n for a in audio.values())
        # A perfect model's audio is the resynthesis (same spectrogram, same Griffin-Lim seed).
        np.testing.assert_array_equal(audio["model"], audio["resynth"])
        assert row["mel_distance"] == row["copy_mel_distance"] == pytest.approx(row["resynth_mel_distance"])
        assert row["mse"] == row["copy_mse"] == 0.0
    assert result["copy_mel_distance"] == pytest.approx(result["resynth_mel_distance"])
    # Without the ceiling, no resynthesis is made (the sources are there) and none is reported.
    quick = evaluate_reconstruction(_Perfect(), tiny_store, split=None, max_songs=1, max_seconds=0.5, n_iter=4,
                                    ceiling=False, on_song=lambda record, audio: heard.update(last=audio))
    assert quick["resynth_mel_distance"] is None and heard["last"]["resynth"] is None
    assert len(heard["last"]["model"]) == 4000  # the first 0.5 s at 8 kHz


class _Sharpen:
    """Moves every spectrogram up by ``bins`` frequency bins: the same sound, other notes."""

    def __init__(self, bins: int) -> None:
        self.bins = bins

    def reconstruct(self, x, batch_size=32):
        x = np.array(x)
        out = np.zeros_like(x)
        out[:, self.bins:] = x[:, :-self.bins]
        return Reconstruction(out, np.zeros((len(x), 1), np.float32))


def test_chroma_similarity_beside_the_mel_distance(tmp_path):
    """At a rate the constant-Q transform fits, every rebuild gets its chroma similarity; a perfect model's is
    the ceiling's, a model that moves the notes loses it; below that rate chroma is None, not an error."""
    import soundfile as sf

    from genmusic.config import AudioConfig, GenmusicConfig, SpectrogramConfig
    from genmusic.data.pipeline import PreprocessingPipeline

    sr = 11025
    t = np.arange(int(1.5 * sr)) / sr
    root = tmp_path / "audio"
    for genre, root_hz in (("c", 261.63), ("g", 392.0)):
        (root / genre).mkdir(parents=True)
        for i, octave in enumerate((1, 2)):
            chord = sum(np.sin(2 * np.pi * root_hz * octave * r * t) for r in (1, 2 ** (4 / 12), 2 ** (7 / 12)))
            sf.write(root / genre / f"{genre}.{i:05d}.wav", (0.2 * chord).astype(np.float32), sr, subtype="FLOAT")
    config = GenmusicConfig(audio=AudioConfig(sample_rate=sr),
                            spectrogram=SpectrogramConfig(n_fft=512, hop_length=128, segment_frames=16))
    PreprocessingPipeline(config).run(root, tmp_path / "store", workers=1)
    store = SpectrogramStore(tmp_path / "store")

    result = evaluate_reconstruction(_Perfect(), store, split=None, n_iter=16, baselines={"sharp": _Sharpen(6)})
    assert result["n_songs"] == 4
    for row in result["per_song"].values():
        assert row["chroma_similarity"] == row["resynth_chroma_similarity"] > 0.9
        # 6 bins of 21.5 Hz move a 262-1568 Hz chord by 2 to 9 semitones: other notes
        assert row["sharp_chroma_similarity"] < row["chroma_similarity"] - 0.15
    assert result["chroma_similarity"] == pytest.approx(result["resynth_chroma_similarity"])
    assert result["sharp_chroma_similarity"] < result["chroma_similarity"]


def test_no_chroma_below_the_constant_q_rate(tiny_store):
    result = evaluate_reconstruction(_Perfect(), tiny_store, split="test", max_songs=1, n_iter=2)
    assert tiny_store.config.audio.sample_rate < 8216
    assert result["chroma_similarity"] is None and result["resynth_chroma_similarity"] is None
    assert np.isfinite(result["mel_distance"])
