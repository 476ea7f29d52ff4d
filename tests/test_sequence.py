"""Tests of genmusic.generation.sequence: the genre-conditioned next-frame model over latent frames."""

from __future__ import annotations

import numpy as np
import pytest

from genmusic.errors import ModelFolderError, ParameterError
from genmusic.generation.sequence import (LatentSequenceModel, choose_segments, fit_sequence_model, frames_to_windows,
                               latents_to_frames, load_sequence_model, roll_out)

STEPS, CHANNELS = 4, 3
#: The rule of each genre: x[t+1] = A x[t] + c (a damped rotation around a point of its own).
ROTATION = np.array([[0.97 * np.cos(0.2), -0.97 * np.sin(0.2), 0], [0.97 * np.sin(0.2), 0.97 * np.cos(0.2), 0],
                     [0, 0, 0.9]])
OFFSET = {"up": np.array([0.5, 0.0, 1.0]), "down": np.array([-0.5, 0.0, -1.0])}


def _song(genre: str, rng, n: int = 48) -> np.ndarray:
    x = np.empty((n, CHANNELS))
    x[0] = rng.standard_normal(CHANNELS) * 4
    for t in range(n - 1):
        x[t + 1] = ROTATION @ x[t] + OFFSET[genre] + 0.01 * rng.standard_normal(CHANNELS)
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    songs, genres = [], []
    for i in range(12):
        genre = ("up", "down")[i % 2]
        songs.append(_song(genre, rng))
        genres.append(genre)
    model = fit_sequence_model(songs, genres, latent_steps=STEPS, context_frames=24, hidden=32, epochs=50,
                               batch_size=8, learning_rate=1e-2, input_noise=0.0, seed=0)
    return model, songs, genres


def test_frames_and_windows_round_trip():
    z = np.arange(3 * STEPS * CHANNELS, dtype=np.float32).reshape(3, STEPS * CHANNELS)
    frames = latents_to_frames(z, STEPS)
    assert frames.shape == (3 * STEPS, CHANNELS)
    np.testing.assert_array_equal(frames_to_windows(frames, STEPS, STEPS), z)   # consecutive segments back
    half = frames_to_windows(frames, STEPS, STEPS // 2)                         # windows every half segment
    assert half.shape == (5, STEPS * CHANNELS)
    np.testing.assert_array_equal(half[1], frames[2:6].reshape(-1))
    with pytest.raises(ParameterError, match="multiple of latent_steps"):
        latents_to_frames(np.zeros((2, 10)), STEPS)


def test_learns_a_known_rule(fitted):
    model, _, _ = fitted
    rng = np.random.default_rng(1)
    for genre in ("up", "down"):
        x = _song(genre, rng)
        pred = np.asarray(model((model.standardise(x[None, :-1]), np.array([model.genre_index(genre)]),
                                 (np.arange(len(x) - 1) % STEPS)[None]), training=False))[0]
        mean = model.unstandardise(pred[:, :CHANNELS])
        error = np.sqrt(np.mean((mean[4:] - x[1:][4:]) ** 2))
        naive = np.sqrt(np.mean((x[:-1][4:] - x[1:][4:]) ** 2))   # "the next frame is this one"
        assert error < 0.8 * naive, (error, naive)


def test_roll_out_is_seeded_and_follows_the_genre(fitted):
    model, _, _ = fitted
    start = np.zeros((6, STEPS, CHANNELS), np.float32)
    up = roll_out(model, start, ["up"] * 6, 40, temperature=1.0, seed=3)
    assert up.shape == (6, STEPS + 40, CHANNELS)
    np.testing.assert_array_equal(up[:, :STEPS], start)
    np.testing.assert_array_equal(up, roll_out(model, start, ["up"] * 6, 40, temperature=1.0, seed=3))
    assert not np.array_equal(up, roll_out(model, start, ["up"] * 6, 40, temperature=1.0, seed=4))
    down = roll_out(model, start, ["down"] * 6, 40, temperature=1.0, seed=3)
    # the fixed points of the two rules: channel 2 settles at +10 ("up") and -10 ("down")
    assert up[:, -10:, 2].mean() > 6.0 and down[:, -10:, 2].mean() < -6.0


def test_choose_segments_picks_the_true_continuation(fitted):
    model = fitted[0]
    rng = np.random.default_rng(7)
    songs = [_song("up", rng), _song("down", rng)]
    start = np.stack([s[:2 * STEPS] for s in songs])

    def propose(k):  # junk, the song's true next segment, other junk; in another order for each song
        truth = np.stack([s[(2 + k) * STEPS:(3 + k) * STEPS] for s in songs])
        junk = 3.0 * rng.standard_normal((2, 2, STEPS, CHANNELS))
        return np.stack([junk[:, 0], truth, junk[:, 1]], axis=1)[:, [(k + i) % 3 for i in range(3)]]

    out = choose_segments(model, start, ["up", "down"], 4, propose)
    assert out.shape == (2, 6 * STEPS, CHANNELS)
    np.testing.assert_allclose(out, np.stack([s[:6 * STEPS] for s in songs]), atol=1e-6)
    with pytest.raises(ParameterError, match="propose must give candidates"):
        choose_segments(model, start, ["up", "down"], 1, lambda k: np.zeros((2, 3, STEPS + 1, CHANNELS)))


def test_save_load_round_trip(fitted, tmp_path):
    model = fitted[0]
    model.save(tmp_path / "sequence.keras")
    back = load_sequence_model(tmp_path)
    assert isinstance(back, LatentSequenceModel) and back.get_config() == model.get_config()
    x = np.random.default_rng(2).standard_normal((2, 10, CHANNELS)).astype(np.float32)
    inputs = (x, np.array([0, 1]), np.tile(np.arange(10) % STEPS, (2, 1)))
    np.testing.assert_allclose(np.asarray(back(inputs)), np.asarray(model(inputs)), atol=1e-6)
    assert load_sequence_model(tmp_path / "nothing") is None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "sequence.keras").write_bytes(b"junk")
    with pytest.raises(ModelFolderError, match="cannot load the sequence model"):
        load_sequence_model(tmp_path / "bad")


def test_bad_input(fitted):
    model = fitted[0]
    with pytest.raises(ParameterError, match="genre must be one of"):
        roll_out(model, np.zeros((1, 4, CHANNELS)), ["jazz"], 2)
    with pytest.raises(ParameterError, match="temperature"):
        roll_out(model, np.zeros((1, 4, CHANNELS)), ["up"], 2, temperature=-0.5)
    with pytest.raises(ParameterError, match="frames must have shape"):
        roll_out(model, np.zeros((1, 4, 7)), ["up"], 2)
    with pytest.raises(ParameterError, match="at least one song"):
        fit_sequence_model([], [], latent_steps=STEPS)

