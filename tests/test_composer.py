"""Tests of genmusic.generation.composer and the commands around it: ``fit-prior``, ``generate --mode sample --genre``,
``--mode continue``, ``--interpolation prior``, on a copy of the tiny VAE."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from genmusic.commands import fit_prior
from genmusic.commands.generate import main as generate
from genmusic.generation.composer import Composer
from genmusic.generation.generator import SoundGenerator

FAST = ["--n-iter", "4"]


@pytest.fixture(scope="module")
def prior_folder(tiny_model_folder, tmp_path_factory):
    """A copy of the tiny model folder with its prior and sequence model fitted by ``fit-prior``."""
    folder = tmp_path_factory.mktemp("prior_model") / "model"
    shutil.copytree(tiny_model_folder, folder)
    assert fit_prior.main(["--model-dir", str(folder), "--epochs", "3", "--components", "2"]) == 0
    return folder


def test_fit_prior_writes_its_files_and_refuses_to_overwrite(prior_folder, capsys):
    for name in ("prior.npz", "sequence.keras", "priors.json"):
        assert (prior_folder / name).is_file()
    summary = json.loads((prior_folder / "priors.json").read_text())
    assert set(summary["prior"]["components"]) == {"bass", "mid", "treble"}
    assert summary["sequence"]["latent_steps"] == 4 and summary["sequence"]["latent_channels"] == 4
    capsys.readouterr()
    assert fit_prior.main(["--model-dir", str(prior_folder), "--no-sequence"]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err


def test_sample_genre_seconds_writes_exact_length_and_sidecar(prior_folder, tmp_path, capsys):
    out = tmp_path / "sample"
    rc = generate(["--model", str(prior_folder), "--mode", "sample", "--genre", "mid", "--seconds", "2.5", "--n",
                   "2", "--temperature", "0.8", "--seed", "3", "--output", str(out), *FAST])
    assert rc == 0, capsys.readouterr()
    wavs = sorted(out.glob("*.wav"))
    assert [w.name for w in wavs] == ["sample_mid_00_t0.8_seed3.wav", "sample_mid_01_t0.8_seed3.wav"]
    for wav in wavs:
        audio, sr = sf.read(wav, dtype="float32")
        assert sr == 8000 and audio.shape == (20000,) and np.all(np.isfinite(audio))   # exactly 2.5 s
        assert (wav.with_suffix(".png")).stat().st_size > 1000
        meta = json.loads(wav.with_suffix(".json").read_text())
        p = meta["parameters"]
        assert (p["genre"], p["temperature"], p["seed"], meta["seed"]) == ("mid", 0.8, 3, 3)
        assert p["sampler"]["prior"]["kind"] == "gaussian_mixture_per_genre"
        assert p["sampler"]["sequence_model"]["latent_steps"] == 4
        assert meta["normaliser"] == "genre" and meta["n_samples"] == 20000


def test_composing_is_seeded_and_genre_changes_the_latents(prior_folder):
    gen = SoundGenerator.from_folder(prior_folder, n_iter=2)
    composer = Composer.from_folder(gen)
    a, ga = composer.compose_frames(6, 12, genre="bass", seed=1)
    b, _ = composer.compose_frames(6, 12, genre="bass", seed=1)
    c, _ = composer.compose_frames(6, 12, genre="bass", seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and ga == ["bass"] * 6
    # each genre's pieces lie closer to its own prior than the other genres' pieces do
    for genre in ("bass", "treble"):
        own, _ = composer.compose_frames(8, 12, genre=genre, seed=5)
        other, _ = composer.compose_frames(8, 12, genre="treble" if genre == "bass" else "bass", seed=5)
        first = slice(0, composer.latent_steps)
        score = lambda f: composer.prior.log_density(f[:, first].reshape(len(f), -1), genre).mean()  # noqa: E731
        assert score(own) > score(other)
    pieces = composer.compose(2, 1.0, genre="treble", seed=0)
    assert [p.audio.shape for p in pieces] == [(8000,), (8000,)]
    np.testing.assert_array_equal(pieces[0].audio, composer.compose(2, 1.0, genre="treble", seed=0)[0].audio)


def test_pieces_are_drawn_around_the_training_segments_and_focus_makes_them_more_typical(prior_folder):
    gen = SoundGenerator.from_folder(prior_folder, n_iter=2)
    composer = Composer.from_folder(gen)
    prior = composer.prior
    assert prior.has_kernel and composer.focus == 4
    steps = composer.latent_steps
    # temperature 0: every segment of a piece is one of the genre's exemplars (kernel draws without noise)
    frames, _ = composer.compose_frames(3, 5 * steps, genre="mid", temperature=0.0, seed=2)
    segments = frames.reshape(3 * 5, -1)
    exemplars = prior.exemplars_[prior.genre_index("mid")]
    gap = np.abs(segments[:, None, :] - exemplars[None]).max(axis=2).min(axis=1)
    assert np.all(gap < 1e-5)
    # focus k: each proposal is, of k draws, the one the mixtures place most surely in the genre (two genres
    # that overlap, so that the mixtures are unsure of many draws)
    from genmusic.generation.prior import LatentPrior

    rng = np.random.default_rng(0)
    d = prior.latent_dim
    X = np.concatenate([rng.standard_normal((300, d)), rng.standard_normal((300, d)) + 0.3])
    prior = LatentPrior(max_components=1).fit(X, ["bass"] * 300 + ["treble"] * 300)
    loose = Composer(gen, prior, composer.sequence_model, focus=1)
    sure = Composer(gen, prior, composer.sequence_model, focus=8)
    a = loose._draw(["bass"] * 4, 16, 1.0, 7).reshape(64, -1)
    b = sure._draw(["bass"] * 4, 16, 1.0, 7).reshape(64, -1)
    assert prior.genre_posterior(b, "bass").mean() > prior.genre_posterior(a, "bass").mean()
    draws = prior.sample(4 * 16 * 8, "bass", seed=7).reshape(4, 16, 8, -1)
    best = np.argmax(prior.genre_posterior(draws.reshape(-1, draws.shape[-1]), "bass").reshape(4, 16, 8), axis=2)
    np.testing.assert_array_equal(b.reshape(4, 16, -1), np.take_along_axis(draws, best[..., None, None], 2)[:, :, 0])
    np.testing.assert_array_equal(a, prior.sample(64, "bass", seed=7))  # focus 1: the prior's draws themselves
    assert np.all(np.exp(prior.genre_posterior(b, "bass")) <= 1 + 1e-12)
    assert sure.describe()["focus"] == 8


def test_continue_appends_seconds_to_the_input(prior_folder, tiny_store, tmp_path):
    song = tiny_store.songs[0]
    out = tmp_path / "continue"
    assert generate(["--model", str(prior_folder), "--mode", "continue", "--input", song.source, "--seconds", "1",
                     "--output", str(out), *FAST]) == 0
    (wav,) = out.glob("*.wav")
    audio, _ = sf.read(wav, dtype="float32")
    meta = json.loads(wav.with_suffix(".json").read_text())
    start = meta["parameters"]["continuation_starts_at_sample"]
    assert start == 11 * 1024                     # the 11 whole segments of the 1.5 s song
    assert len(audio) == start + 8000             # then exactly 1 s more
    assert meta["parameters"]["genre"] in ("bass", "mid", "treble") and meta["normaliser"] == "song"


def test_prior_interpolation(prior_folder, tiny_store, tmp_path):
    a, b = tiny_store.songs[0].source, tiny_store.songs[-1].source
    out = tmp_path / "interp"
    assert generate(["--model", str(prior_folder), "--mode", "interpolate", "--input", a, b, "--steps", "3",
                     "--interpolation", "prior", "--output", str(out), *FAST]) == 0
    metas = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    assert [m["parameters"]["interpolation"] for m in metas] == ["prior"] * 3


def test_report_pieces_per_genre_are_generate_sample_pieces(prior_folder, tmp_path, capsys):
    """With a fitted prior, the report's pieces come from the same function as ``generate --mode sample``."""
    from genmusic.analysis.listening import FROM_PRIOR, genre_pieces

    gen = SoundGenerator.from_folder(prior_folder, n_iter=4, seed=4)
    seconds = 2 * gen.spec.segment_samples / gen.sample_rate
    pieces, notes = genre_pieces(gen, None, per_genre=1, n_segments=2, seed=4)
    assert [(p.genre, p.source, p.probability, p.n_segments) for p in pieces] == [
        (g, FROM_PRIOR, None, 2) for g in ("bass", "mid", "treble")] and notes == []
    assert pieces[0].sampler["sequence"] == "each segment the likeliest of 16 prior draws"
    out = tmp_path / "sample"
    rc = generate(["--model", str(prior_folder), "--mode", "sample", "--genre", "mid", "--n", "1", "--seconds",
                   f"{seconds:g}", "--seed", "4", "--output", str(out), *FAST])
    assert rc == 0, capsys.readouterr()
    (wav,) = out.glob("*.wav")
    np.testing.assert_allclose(sf.read(wav, dtype="float32")[0], pieces[1].audio, atol=1e-7)
