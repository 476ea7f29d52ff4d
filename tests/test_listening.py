"""Tests of genmusic.analysis.listening: compressed clips written once, new pieces sorted by genre (the report
that plays them is tested in test_report.py and test_browser.py)."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic._io import LEDGER_FILE
from genmusic.analysis import ClipWriter, LatentSet, ListeningOptions, genre_pieces, pool_segments
from genmusic.errors import ParameterError
from tests.conftest import make_sine


def test_clip_writer_names_safely_and_writes_once(tmp_path):
    writer = ClipWriter(tmp_path, 8000)
    rel = writer.path("my model", "songs", "a b/c")
    assert rel == "audio/my_model/songs/a_b_c.ogg"
    first = writer.write(rel, make_sine(seconds=0.5, sr=8000))
    assert first == {"path": rel, "seconds": 0.5} and (tmp_path / rel).is_file()
    stamp = (tmp_path / rel).stat().st_mtime_ns
    again = writer.write(rel, np.zeros(10, np.float32))  # the same path in one report: kept, not rewritten
    assert again == first and (tmp_path / rel).stat().st_mtime_ns == stamp
    assert not list(tmp_path.rglob(".*.tmp*"))


def test_listening_options_are_checked():
    with pytest.raises(ParameterError, match="clip_seconds"):
        ListeningOptions(clip_seconds=0)
    with pytest.raises(ParameterError, match="steps"):
        ListeningOptions(steps=1)


class _Prior:
    """A stand-in SoundGenerator: fixed prior draws, decoding records what it was given."""

    def __init__(self, draws: np.ndarray, vae: bool = True) -> None:
        self.draws, self.vae, self.decoded = draws, vae, []

    def check_can_sample(self) -> None:
        if not self.vae:
            raise ParameterError("sampling needs a VAE")

    def sample_latents(self, n, *, temperature=1.0, seed=0, n_segments=1):
        return self.draws[:n, None, :]

    def decode_song(self, z):
        self.decoded.append(np.array(z))
        return np.full(10 * len(z), 0.1, np.float32)


def _reference(genres_per_song, centres) -> LatentSet:
    """Songs of 3 segments around their genre's centre; the first two songs of each genre train, the rest test."""
    rng = np.random.default_rng(0)
    Z, owner, splits, seen = [], [], [], {}
    for i, genre in enumerate(genres_per_song):
        Z.append(centres[genre] + 0.3 * rng.standard_normal((3, 2)))
        owner += [i] * 3
        seen[genre] = seen.get(genre, 0) + 1
        splits.append("train" if seen[genre] <= 2 else "test")
    Z = np.concatenate(Z).astype(np.float32)
    owner = np.array(owner)
    return LatentSet(Z, owner, [f"s{i}" for i in range(len(splits))], genres_per_song, splits,
                     pool_segments(Z, owner, len(splits)))


def test_genre_pieces_are_the_draws_the_probe_is_surest_of():
    centres = {"left": np.array([-1.0, 0.0]), "right": np.array([1.0, 0.0])}
    reference = _reference(["left"] * 3 + ["right"] * 3, centres)
    draws = np.array([[-1, 0], [-0.1, 0], [1.2, 0], [-1.5, 0], [0.1, 0], [0.6, 0], [-0.5, 0]], np.float32)
    gen = _Prior(draws)
    pieces, notes = genre_pieces(gen, reference, per_genre=1, n_segments=2, draws=len(draws))
    assert [p.genre for p in pieces] == ["left", "right"] and not notes
    left, right = gen.decoded
    np.testing.assert_array_equal(left, draws[[3, 0]])   # the two most confident "left" draws, surest first
    np.testing.assert_array_equal(right, draws[[2, 5]])
    assert all(p.n_segments == 2 and 0.5 < p.probability <= 1 and len(p.audio) == 20 for p in pieces)
    # A genre short of draws is named; asking for more pieces than there are draws stops at what exists.
    pieces, notes = genre_pieces(_Prior(draws[[0, 1, 3, 6, 2]]), reference, per_genre=2, n_segments=2, draws=5)
    assert [(p.genre, p.n_segments) for p in pieces] == [("left", 2), ("left", 2), ("right", 1)]
    assert notes == ["new pieces: 1 of 5 prior draws were classified as right, fewer than the 4 segments asked for"]


def test_genre_pieces_with_one_genre_or_without_a_prior():
    reference = _reference(["solo"] * 3, {"solo": np.zeros(2)})
    gen = _Prior(np.arange(8, dtype=np.float32).reshape(4, 2))
    pieces, notes = genre_pieces(gen, reference, n_segments=3, draws=4)
    assert [(p.genre, p.probability) for p in pieces] == [("solo", None)]
    np.testing.assert_array_equal(gen.decoded[0], gen.draws[:3])  # unsorted: the first draws
    assert notes == ["new pieces: one genre (solo), so the prior draws are not sorted by genre"]
    with pytest.raises(ParameterError, match="VAE"):
        genre_pieces(_Prior(gen.draws, vae=False), reference)


class _Composer:
    """A stand-in composer with a fitted prior of two genres; records what it was asked to compose."""

    class prior:  # noqa: N801 - stands in for a LatentPrior
        genres_ = ["rock", "jazz"]

    def __init__(self) -> None:
        self.calls = []

    def compose(self, n, seconds, *, genre=None, temperature=1.0, seed=0):
        from genmusic.generation.composer import Piece

        self.calls.append((n, seconds, genre, temperature, seed))
        return [Piece(np.full(int(seconds * 100), 0.2, np.float32), genre, (-60.0, 0.0), {}) for _ in range(n)]

    def describe(self):
        return {"sequence": "each segment the likeliest of 16 prior draws"}


def test_genre_pieces_with_a_fitted_prior_are_composed_per_genre():
    """With a fitted prior no probe sorts N(0, I) draws: each genre of the prior gets composed pieces."""
    from genmusic.analysis.listening import FROM_PRIOR

    class Gen(_Prior):
        composer = _Composer()
        sample_rate = 100

        class spec:  # noqa: N801
            segment_samples = 50

    gen = Gen(np.zeros((4, 2), np.float32))
    pieces, notes = genre_pieces(gen, None, per_genre=2, n_segments=3, temperature=0.5, seed=7)
    assert [(p.genre, p.source, p.probability, p.n_segments, len(p.audio)) for p in pieces] == [
        ("jazz", FROM_PRIOR, None, 3, 150)] * 2 + [("rock", FROM_PRIOR, None, 3, 150)] * 2
    assert gen.composer.calls == [(2, 1.5, "jazz", 0.5, 7), (2, 1.5, "rock", 0.5, 7)] and not notes
    assert gen.decoded == []  # no N(0, I) draw was decoded


def test_clip_writer_removes_the_clips_of_an_earlier_report_only(tmp_path):
    earlier = ClipWriter(tmp_path, 8000)
    for name in ("kept", "gone"):
        earlier.write(earlier.path("vae", "songs", name), np.zeros(80, np.float32))
    earlier.write(earlier.path("old model", "x"), np.zeros(80, np.float32))
    (tmp_path / "audio" / "notes.txt").write_text("not a clip")
    writer = ClipWriter(tmp_path, 8000)
    writer.write(writer.path("vae", "songs", "kept"), np.zeros(80, np.float32))
    assert writer.remove_stale() == ["audio/old_model/x.ogg", "audio/vae/songs/gone.ogg"]
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.name != LEDGER_FILE)
    assert left == ["audio", "audio/notes.txt", "audio/vae", "audio/vae/songs", "audio/vae/songs/kept.ogg"]
    assert ClipWriter(tmp_path / "none", 8000).remove_stale() == []
