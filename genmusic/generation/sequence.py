"""How a song's latents follow each other: a small genre-conditioned Keras model over latent frames.

A segment's latent of the ``"conv"`` bottleneck is ``latent_steps`` time steps of ``latent_channels``
floats (:func:`latents_to_frames`), so a song's consecutive segments are one sequence of
``n_segments * latent_steps`` *frames*. :class:`LatentSequenceModel` reads a window of frames, the genre and
where each frame sits in its segment (its phase), and predicts a Gaussian (mean and log-variance) over the
next frame. :func:`fit_sequence_model` trains it on the training songs' latent frames;
:func:`roll_out` continues frame sequences autoregressively, drawing each new frame with ``temperature``
times the predicted standard deviation; :func:`choose_segments` continues them a segment at a time with the
candidate (e.g. of the genre's prior) the model finds likeliest. Frames are standardised per channel with the training frames'
mean and standard deviation, which the model keeps in its config.

Only ``keras`` layers and ``keras.ops`` are used, so the model runs under every Keras backend; it saves
to ``sequence.keras`` in the model folder.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Union

import keras
import numpy as np
from keras import ops

from .._checks import check_integer, check_number
from ..errors import ModelFolderError, ParameterError
from ..models.modelio import SEQUENCE_FILE

__all__ = ["SEQUENCE_FILE", "LatentSequenceModel", "gaussian_nll", "latents_to_frames", "frames_to_windows",
           "fit_sequence_model", "roll_out", "choose_segments", "load_sequence_model"]

_LOG_VAR_RANGE = (-8.0, 4.0)


@keras.saving.register_keras_serializable(package="genmusic")
def gaussian_nll(y_true, y_pred):
    """Negative log-likelihood (without the constant) of ``y_true`` under the predicted diagonal Gaussian.

    Parameters
    ----------
    y_true : tensor [shape=(batch, time, channels)]
    y_pred : tensor [shape=(batch, time, 2 * channels)]
        Mean, then log-variance (clipped to [-8, 4]).
    """
    mean, log_var = ops.split(y_pred, 2, axis=-1)
    log_var = ops.clip(log_var, *_LOG_VAR_RANGE)
    return ops.mean(0.5 * (log_var + ops.square(y_true - mean) * ops.exp(-log_var)), axis=-1)


@keras.saving.register_keras_serializable(package="genmusic")
class LatentSequenceModel(keras.Model):
    """Next-frame Gaussian over standardised latent frames, conditioned on genre and phase.

    Inputs ``(frames, genre, phase)``: ``frames`` [shape=(batch, time, n_channels)] standardised frames,
    ``genre`` [shape=(batch,)] int genre index, ``phase`` [shape=(batch, time)] int position of each frame
    in its segment (``0 .. latent_steps - 1``). Output [shape=(batch, time, 2 * n_channels)]: mean and
    log-variance of the frame after each input frame.

    Parameters
    ----------
    n_channels : int
        Floats per frame (``latent_channels``).
    n_genres : int
    latent_steps : int
        Frames per segment.
    hidden : int
        GRU units (two layers, residual).
    embedding : int
        Size of the genre and phase embeddings.
    context_frames : int
        Length of the training windows (rolling out carries the GRU states, so pieces may be longer).
    input_noise : float
        Standard deviation of Gaussian noise added to the (standardised) input frames in training, so that
        the model learns to correct its own errors when it reads its own draws back.
    frame_mean, frame_std : list of float [shape=(n_channels,)], optional
        Standardisation of frames (set by :func:`fit_sequence_model`).
    genres : list of str, optional
        Genre names in index order.
    """

    def __init__(self, n_channels: int, n_genres: int, *, latent_steps: int = 8, hidden: int = 128,
                 embedding: int = 16, context_frames: int = 128, input_noise: float = 0.3,
                 frame_mean: Optional[Sequence[float]] = None,
                 frame_std: Optional[Sequence[float]] = None, genres: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_channels = check_integer(n_channels, "n_channels", minimum=1)
        self.n_genres = check_integer(n_genres, "n_genres", minimum=1)
        self.latent_steps = check_integer(latent_steps, "latent_steps", minimum=1)
        self.hidden = check_integer(hidden, "hidden", minimum=1, limit="hidden")
        self.embedding = check_integer(embedding, "embedding", minimum=1)
        self.context_frames = check_integer(context_frames, "context_frames", minimum=1, limit="context_frames")
        self.input_noise = check_number(input_noise, "input_noise", minimum=0)
        self.frame_mean = [0.0] * self.n_channels if frame_mean is None else [float(v) for v in frame_mean]
        self.frame_std = [1.0] * self.n_channels if frame_std is None else [float(v) for v in frame_std]
        self.genres = [str(i) for i in range(self.n_genres)] if genres is None else [str(g) for g in genres]
        if len(self.frame_mean) != self.n_channels or len(self.frame_std) != self.n_channels:
            raise ParameterError(f"frame_mean and frame_std need {self.n_channels} values each")
        if len(self.genres) != self.n_genres:
            raise ParameterError(f"genres must name {self.n_genres} genres, got {len(self.genres)}")
        self.genre_embedding = keras.layers.Embedding(self.n_genres, self.embedding, name="genre_embedding")
        self.phase_embedding = keras.layers.Embedding(self.latent_steps, self.embedding, name="phase_embedding")
        self.noise = keras.layers.GaussianNoise(self.input_noise, name="input_noise")
        self.input_projection = keras.layers.Dense(self.hidden, name="input_projection")
        self.gru_1 = keras.layers.GRU(self.hidden, return_sequences=True, name="gru_1")
        self.gru_2 = keras.layers.GRU(self.hidden, return_sequences=True, name="gru_2")
        self.head = keras.layers.Dense(2 * self.n_channels, name="head")

    def call(self, inputs, training=None):
        frames, genre, phase = inputs
        frames = self.noise(ops.convert_to_tensor(frames, dtype="float32"), training=training)
        steps = ops.shape(frames)[1]
        g = self.genre_embedding(ops.cast(genre, "int32"))                      # (b, E)
        g = ops.repeat(ops.expand_dims(g, 1), steps, axis=1)                     # (b, T, E)
        p = self.phase_embedding(ops.cast(phase, "int32"))                       # (b, T, E)
        h = self.input_projection(ops.concatenate([frames, g, p], axis=-1))
        h = h + self.gru_1(h, training=training)
        h = h + self.gru_2(h, training=training)
        out = self.head(ops.concatenate([h, g], axis=-1))
        mean, log_var = ops.split(out, 2, axis=-1)
        return ops.concatenate([frames + mean, log_var], axis=-1)              # the mean as a change of the frame

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(n_channels=self.n_channels, n_genres=self.n_genres, latent_steps=self.latent_steps,
                      hidden=self.hidden, embedding=self.embedding, context_frames=self.context_frames,
                      input_noise=self.input_noise,
                      frame_mean=list(self.frame_mean), frame_std=list(self.frame_std), genres=list(self.genres))
        return config

    def step(self, frame, genre, phase, states=None):
        """One frame of :meth:`call`, carrying the GRU states (for rolling out in linear time).

        Parameters
        ----------
        frame : tensor [shape=(batch, n_channels)]
        genre, phase : tensor [shape=(batch,)], int
        states : list of two tensors [shape=(batch, hidden)], optional (zeros)

        Returns
        -------
        prediction : tensor [shape=(batch, 2 * n_channels)]
            Mean and log-variance of the next frame.
        states : list of two tensors
        """
        frame = ops.convert_to_tensor(frame, dtype="float32")
        if states is None:
            states = [ops.zeros((ops.shape(frame)[0], self.hidden)), ops.zeros((ops.shape(frame)[0], self.hidden))]
        g = self.genre_embedding(ops.cast(genre, "int32"))
        p = self.phase_embedding(ops.cast(phase, "int32"))
        h = self.input_projection(ops.concatenate([frame, g, p], axis=-1))
        o1, s1 = self.gru_1.cell(h, [states[0]], training=False)
        h = h + o1
        o2, s2 = self.gru_2.cell(h, [states[1]], training=False)
        h = h + o2
        mean, log_var = ops.split(self.head(ops.concatenate([h, g], axis=-1)), 2, axis=-1)
        return ops.concatenate([frame + mean, log_var], axis=-1), [s1[0], s2[0]]

    # ---- numpy conveniences
    def standardise(self, frames: np.ndarray) -> np.ndarray:
        """Frames [shape=(..., n_channels)] -> standardised frames, float32."""
        return ((np.asarray(frames, np.float32) - np.float32(self.frame_mean)) / np.float32(self.frame_std))

    def unstandardise(self, frames: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`standardise`."""
        return np.asarray(frames, np.float32) * np.float32(self.frame_std) + np.float32(self.frame_mean)

    def genre_index(self, genre: str) -> int:
        if genre not in self.genres:
            raise ParameterError(f"genre must be one of the sequence model's genres {', '.join(self.genres)}; "
                                 f"got {genre!r}")
        return self.genres.index(genre)


def latents_to_frames(latents: np.ndarray, latent_steps: int) -> np.ndarray:
    """Consecutive segment latents -> one sequence of frames.

    The conv bottleneck's latent is ``(latent_steps, latent_channels)`` flattened time-major.

    Parameters
    ----------
    latents : np.ndarray [shape=(n_segments, latent_dim)]
    latent_steps : int

    Returns
    -------
    np.ndarray [shape=(n_segments * latent_steps, latent_dim // latent_steps)]
    """
    latents = np.asarray(latents, dtype=np.float32)
    if latents.ndim != 2 or latents.shape[1] % latent_steps:
        raise ParameterError(f"latents must have shape (n_segments, latent_dim) with latent_dim a multiple of "
                             f"latent_steps={latent_steps}, got {latents.shape}")
    return latents.reshape(len(latents) * latent_steps, latents.shape[1] // latent_steps)


def frames_to_windows(frames: np.ndarray, latent_steps: int, hop_steps: int) -> np.ndarray:
    """Cut segment latents out of a frame sequence: windows of ``latent_steps`` frames every ``hop_steps``.

    ``hop_steps == latent_steps`` gives back the consecutive segments; ``latent_steps // 2`` windows that
    overlap by half a segment, decoded and crossfaded like ``reconstruct``'s. The last window may run past
    the frames; it is padded with the last frame.

    Parameters
    ----------
    frames : np.ndarray [shape=(n_frames, latent_channels)]

    Returns
    -------
    np.ndarray [shape=(n_windows, latent_steps * latent_channels)], float32
    """
    frames = np.asarray(frames, dtype=np.float32)
    n_windows = 1 + max(0, math.ceil((len(frames) - latent_steps) / hop_steps))
    need = (n_windows - 1) * hop_steps + latent_steps
    if need > len(frames):
        frames = np.concatenate([frames, np.repeat(frames[-1:], need - len(frames), axis=0)])
    return np.stack([frames[i * hop_steps:i * hop_steps + latent_steps].reshape(-1) for i in range(n_windows)])


def _windows(songs: Sequence[np.ndarray], genre_ids: Sequence[int], length: int, stride: int, latent_steps: int):
    """Training windows of ``length + 1`` frames every ``stride`` frames of each song long enough."""
    x, g, ph = [], [], []
    for frames, gid in zip(songs, genre_ids):
        for start in range(0, len(frames) - length, stride):
            x.append(frames[start:start + length + 1])
            g.append(gid)
            ph.append((start + np.arange(length)) % latent_steps)
    return np.asarray(x, np.float32), np.asarray(g, np.int32), np.asarray(ph, np.int32)


def fit_sequence_model(songs: Sequence[np.ndarray], genres: Sequence[str], *, latent_steps: int,
                       genre_names: Optional[Sequence[str]] = None, context_frames: int = 128, hidden: int = 128,
                       epochs: int = 30, batch_size: int = 32, learning_rate: float = 2e-3, seed: int = 0,
                       input_noise: float = 0.3, verbose: int = 0) -> LatentSequenceModel:
    """Train a :class:`LatentSequenceModel` on songs' latent frames.

    Parameters
    ----------
    songs : sequence of np.ndarray [shape=(n_frames_i, n_channels)]
        Each song's frames (:func:`latents_to_frames` of its consecutive segment latents).
    genres : sequence of str
        Each song's genre.
    latent_steps : int
        Frames per segment (the phase of frame ``t`` is ``t % latent_steps``).
    genre_names : sequence of str, optional
        Every genre in index order (default: the sorted genres of ``songs``).
    context_frames : int
        Training windows are ``context_frames`` long, or as long as the longest song allows.
    epochs, batch_size, learning_rate, seed :
        Adam on the Gaussian negative log-likelihood; windows start every ``latent_steps // 2`` frames.

    Raises
    ------
    ParameterError
        No songs, or a song's genre is not among ``genre_names``.
    """
    if not songs:
        raise ParameterError("fit_sequence_model needs at least one song's frames")
    epochs = check_integer(epochs, "epochs", minimum=1, limit="epochs")
    check_integer(context_frames, "context_frames", minimum=1, limit="context_frames")
    check_integer(hidden, "hidden", minimum=1, limit="hidden")
    check_number(learning_rate, "learning_rate", minimum=0, exclusive_minimum=True, limit="learning_rate")
    names = sorted(set(genres)) if genre_names is None else list(genre_names)
    unknown = sorted(set(genres) - set(names))
    if unknown:
        raise ParameterError(f"songs of genres {unknown} are not in genre_names {names}")
    songs = [np.asarray(s, np.float32) for s in songs]
    all_frames = np.concatenate(songs)
    mean, std = all_frames.mean(axis=0), all_frames.std(axis=0) + 1e-6
    length = max(1, min(int(context_frames), max(len(s) for s in songs) - 1))
    keras.utils.set_random_seed(int(seed))
    model = LatentSequenceModel(all_frames.shape[1], len(names), latent_steps=latent_steps, hidden=hidden,
                                context_frames=length, input_noise=input_noise, frame_mean=mean.tolist(),
                                frame_std=std.tolist(), genres=names)
    standardised = [model.standardise(s) for s in songs]
    x, g, ph = _windows(standardised, [names.index(gn) for gn in genres], length, max(1, latent_steps // 2),
                        latent_steps)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0), loss=gaussian_nll)
    model.fit((x[:, :-1], g, ph), x[:, 1:], epochs=epochs, batch_size=min(int(batch_size), len(x)), shuffle=True,
              verbose=verbose)
    model.train_windows_ = int(len(x))
    model.final_loss_ = float(model.evaluate((x[:, :-1], g, ph), x[:, 1:], verbose=0, batch_size=256))
    return model


def roll_out(model: LatentSequenceModel, frames: Union[np.ndarray, List[np.ndarray]], genres: Sequence[str],
             n_new: int, *, temperature: float = 1.0, seed: int = 0, clip: float = 4.0) -> np.ndarray:
    """Continue frame sequences by ``n_new`` frames each, one frame at a time.

    The model reads the start frame by frame, carrying its GRU states (:meth:`LatentSequenceModel.step`),
    then each new frame is ``mean + temperature * exp(log_var / 2) * eps`` of its prediction (``eps`` from
    ``np.random.default_rng(seed)``), clipped to ``clip`` standard deviations of the training frames, and
    fed back.

    Parameters
    ----------
    model : LatentSequenceModel
    frames : np.ndarray [shape=(n, n_start, n_channels)]
        Starts (unstandardised frames), all of the same length, which starts at phase 0.
    genres : sequence of str [shape=(n,)]
    n_new : int >= 0
    temperature : float >= 0
    clip : float > 0
        Largest standardised value of a new frame.

    Returns
    -------
    np.ndarray [shape=(n, n_start + n_new, n_channels)], float32
        The starts followed by the new frames (unstandardised).
    """
    n_new = check_integer(n_new, "n_new", minimum=0)
    temperature = check_number(temperature, "temperature", minimum=0, limit="temperature")
    seq = np.asarray(frames, np.float32)
    if seq.ndim != 3 or seq.shape[2] != model.n_channels or seq.shape[1] < 1:
        raise ParameterError(f"frames must have shape (n, n_start >= 1, {model.n_channels}), got {seq.shape}")
    seq = model.standardise(seq)
    genre_ids = np.asarray([model.genre_index(g) for g in genres], np.int32)
    if len(genre_ids) != len(seq):
        raise ParameterError(f"genres must name one genre per sequence ({len(seq)}), got {len(genre_ids)}")
    rng = np.random.default_rng(int(seed))
    n, n_start, _ = seq.shape
    states, pred = None, None
    for t in range(n_start):  # read the start
        phase = np.full(n, t % model.latent_steps, np.int32)
        pred, states = model.step(seq[:, t], genre_ids, phase, states)
    out = [seq]
    for t in range(n_start, n_start + n_new):
        mean, log_var = np.split(ops.convert_to_numpy(pred), 2, axis=-1)
        log_var = np.clip(log_var, *_LOG_VAR_RANGE)
        new = mean + temperature * np.exp(0.5 * log_var) * rng.standard_normal(mean.shape)
        new = np.clip(new, -clip, clip).astype(np.float32)  # never leave the training frames' range
        out.append(new[:, None])
        if t + 1 < n_start + n_new:
            pred, states = model.step(new, genre_ids, np.full(n, t % model.latent_steps, np.int32), states)
    return np.concatenate([np.asarray(frames, np.float32), model.unstandardise(np.concatenate(out[1:], axis=1))
                           if n_new else np.zeros((n, 0, model.n_channels), np.float32)], axis=1)


def choose_segments(model: LatentSequenceModel, frames: np.ndarray, genres: Sequence[str], n_segments: int,
                    propose: Callable[[int], np.ndarray]) -> np.ndarray:
    """Continue frame sequences segment by segment, each new segment the candidate the model finds likeliest.

    The prior proposes, the sequence model chooses: for each new segment, ``propose(k)`` gives candidate
    segments (e.g. draws from the genre's prior); the model scores each candidate's frames by their
    log-likelihood under its next-frame Gaussians given everything before, and the best one is appended
    and read on. Every segment is thus a draw of the prior (it keeps its genre and stays on the data's
    manifold) and the model picks the ones that follow on best from what came before.

    Parameters
    ----------
    model : LatentSequenceModel
    frames : np.ndarray [shape=(n, n_start, n_channels)]
        Starts (unstandardised), ``n_start`` a multiple of ``latent_steps``.
    genres : sequence of str [shape=(n,)]
    n_segments : int >= 0
        Segments to add.
    propose : callable
        ``propose(k)`` -> candidates [shape=(n, n_candidates, latent_steps, n_channels)] for new segment ``k``.

    Returns
    -------
    np.ndarray [shape=(n, n_start + n_segments * latent_steps, n_channels)], float32
    """
    n_segments = check_integer(n_segments, "n_segments", minimum=0)
    seq = np.asarray(frames, np.float32)
    if seq.ndim != 3 or seq.shape[2] != model.n_channels or seq.shape[1] < 1:
        raise ParameterError(f"frames must have shape (n, n_start >= 1, {model.n_channels}), got {seq.shape}")
    genre_ids = np.asarray([model.genre_index(g) for g in genres], np.int32)
    n, n_start, _ = seq.shape
    steps = model.latent_steps
    standard = model.standardise(seq)
    pred, states = None, None
    for t in range(n_start):
        pred, states = model.step(standard[:, t], genre_ids, np.full(n, t % steps, np.int32), states)
    chosen = []
    for k in range(n_segments):
        cands = np.asarray(propose(k), np.float32)
        if cands.ndim != 4 or cands.shape[0] != n or cands.shape[2:] != (steps, model.n_channels):
            raise ParameterError(f"propose must give candidates of shape (n={n}, n_candidates, {steps}, "
                                 f"{model.n_channels}), got {cands.shape}")
        m = cands.shape[1]
        c = model.standardise(cands).reshape(n * m, steps, model.n_channels)
        ids = np.repeat(genre_ids, m)
        p = ops.convert_to_numpy(pred).repeat(m, axis=0)
        st = [ops.convert_to_numpy(s_).repeat(m, axis=0) for s_ in states]
        score = np.zeros(n * m)
        for j in range(steps):
            mean, log_var = np.split(p, 2, axis=-1)
            log_var = np.clip(log_var, *_LOG_VAR_RANGE)
            score -= 0.5 * np.sum(log_var + (c[:, j] - mean) ** 2 * np.exp(-log_var), axis=-1)
            p, st = model.step(c[:, j], ids, np.full(n * m, (n_start + k * steps + j) % steps, np.int32), st)
            p, st = ops.convert_to_numpy(p), [ops.convert_to_numpy(s_) for s_ in st]
        best = np.argmax(score.reshape(n, m), axis=1) + np.arange(n) * m
        chosen.append(cands.reshape(n * m, steps, -1)[best])
        pred, states = p[best], [s_[best] for s_ in st]
    return np.concatenate([seq, *chosen], axis=1) if chosen else seq


def load_sequence_model(model_dir: Union[str, os.PathLike]) -> Optional[LatentSequenceModel]:
    """The model folder's sequence model, or None when it has none.

    Raises
    ------
    ModelFolderError
        The file exists but is not a genmusic sequence model.
    """
    path = Path(model_dir) / SEQUENCE_FILE
    if not path.exists():
        return None
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many kinds for a broken or foreign file
        raise ModelFolderError(f"{path}: cannot load the sequence model ({type(exc).__name__}: {exc}); fit it "
                               f"again with `genmusic fit-prior --model-dir {model_dir} --overwrite`") from None
    if not isinstance(model, LatentSequenceModel):
        raise ModelFolderError(f"{path} holds a {type(model).__name__}, not a genmusic LatentSequenceModel")
    return model
