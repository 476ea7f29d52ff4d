"""New music from a trained model: fit the priors, then compose pieces of any length or continue songs.

::

    training songs --encode (posterior means)--> segment latents --> LatentPrior (GMM per genre)    prior.npz
                                                 latent frames   --> LatentSequenceModel            sequence.keras
    piece:  first segment ~ LatentPrior(genre); each next segment: the likeliest under the sequence model of
            16 draws of LatentPrior(genre) (choose_segments) --> frames
            --frames_to_windows (half-segment hop)--> windows --decode + crossfade + Griffin-Lim--> audio

:func:`fit_priors` fits both on a model folder's training songs and writes them into the folder (the
``genmusic fit-prior`` command). :class:`Composer` holds a generator with its priors and makes pieces
(:meth:`Composer.compose`), continues songs (:meth:`Composer.continue_latents`) and decodes frame
sequences to exactly the asked length (:meth:`Composer.decode_frames`).

Without a sequence model a piece is a sequence of independent prior draws; without a prior,
:meth:`Composer.compose` refuses (``generate --mode sample`` then falls back to ``N(0, I)`` with a note).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Union

import numpy as np

from .._checks import LIMITS, check_choice, check_integer, check_number, check_seed
from .._io import atomic_path, atomic_write_json, folder_lock, shown
from .. import pretrained
from ..config import GenmusicConfig, check_compatible
from ..errors import ModelFolderError, ParameterError
from ..models.modelio import MODEL_FILE, PRIOR_FILE, PRIORS_SUMMARY_FILE, SEQUENCE_FILE
from .prior import LatentPrior, load_prior

__all__ = ["PRIORS_SUMMARY_FILE", "fit_priors", "FittedUnit", "fitted_unit", "Composer", "Piece", "composer_for"]

logger = logging.getLogger("genmusic")



def fit_priors(model_dir: Union[str, os.PathLike], spectrograms: Union[str, os.PathLike, None] = None, *,
               split: Optional[str] = "train", max_components: int = 4, covariance_type: str = "diag",
               max_exemplars: int = 512, bandwidth: float = 0.5,
               sequence: bool = True, epochs: int = 30, context_frames: int = 128, hidden: int = 128, seed: int = 0,
               overwrite: bool = False) -> dict:
    """Fit the latent prior (and the sequence model) of a model folder on its training songs; save them there.

    Parameters
    ----------
    model_dir : path-like
        A trained model folder (a VAE or an autoencoder: the prior only needs the encoder).
    spectrograms : path-like, optional
        The store to take songs from (default: the one recorded in ``genmusic.json``).
    split : {"train", "validation", "test"} or None
        Songs used (None: all).
    max_components, covariance_type, max_exemplars, bandwidth :
        See :class:`~genmusic.generation.prior.LatentPrior`.
    sequence : bool
        Also train the sequence model (``sequence.keras``).
    epochs, context_frames, hidden :
        See :func:`~genmusic.generation.sequence.fit_sequence_model`.
    seed : int
    overwrite : bool
        Replace an existing prior / sequence model (a fit that did not finish is completed without it).

    Returns
    -------
    dict
        What was fitted (also written to ``priors.json``); ``files``: the files written into ``model_dir``.

    Raises
    ------
    ParameterError
        A prior exists and ``overwrite`` is False; bad settings.
    ModelFolderError, DataError
        The folder or the store cannot be used.
    """
    from ..data.store import SpectrogramStore
    from ..encoding.latents import encode_store
    from ..models.modelio import find_training_store, load_bundle, model_ledger, read_model_metadata
    from .sequence import fit_sequence_model, latents_to_frames

    model_dir = pretrained.resolve(model_dir)
    pretrained.check_writable(model_dir, action="fitting a prior into it")
    check_integer(epochs, "epochs", minimum=1, limit="epochs")
    check_integer(context_frames, "context_frames", minimum=1, limit="context_frames",
                  what=f"an integer >= 1 and <= {LIMITS['context_frames'][0]} (latent frames the sequence model "
                       f"reads; a song shorter than that is read whole)")
    check_integer(hidden, "hidden", minimum=1, limit="hidden")
    check_seed(seed)
    settings = dict(max_components=max_components, covariance_type=covariance_type, max_exemplars=max_exemplars,
                    bandwidth=bandwidth, seed=seed)
    LatentPrior(**settings)  # checks the settings
    meta = read_model_metadata(model_dir)
    unit = fitted_unit(model_dir)
    if unit.complete and not overwrite:
        raise ParameterError(f"{shown(model_dir / PRIOR_FILE)} already exists; pass overwrite=True to fit it again")
    if unit.reason:  # an interrupted fit: this run completes it
        logger.info("%s; fitting it again", unit.reason)
    with folder_lock(model_dir, purpose="fitting the prior"):
        ledger = model_ledger(model_dir)
        for path in (model_dir / PRIOR_FILE, model_dir / SEQUENCE_FILE, model_dir / PRIORS_SUMMARY_FILE):
            if os.path.lexists(path) and not ledger.owns(path):
                raise ParameterError(f"{shown(path)} was not written by genmusic fit-prior, and fitting would replace "
                                     f"it: move it away")
        ledger.scratch()
        ledger.claim(model_dir / PRIOR_FILE, model_dir / SEQUENCE_FILE, model_dir / PRIORS_SUMMARY_FILE)
        bundle = load_bundle(model_dir)
        store = SpectrogramStore(spectrograms if spectrograms is not None else find_training_store(model_dir))
        check_compatible(GenmusicConfig.from_dict(meta["config"]), store.config, model_name=f"model {model_dir}",
                         data_name=f"spectrograms {store.path}",
                         fix="fit the prior on the store the model was trained on (leave spectrograms out), or one "
                             "made with its settings")
        # The files are one unit: priors.json, written last, says it is whole. It goes first, so that a run
        # killed in between leaves a unit that reads as unfinished (and a rerun completes it).
        ledger.remove([model_dir / PRIORS_SUMMARY_FILE], prune=False)
        encoded = encode_store(bundle.model, store, split=split)  # checks that the model reads this store
        latents = encoded.per_song()
        records = store.songs_in(split)
        genres = [r.genre for r in records]
        seg_genres = np.concatenate([[g] * len(z) for g, z in zip(genres, latents)])
        db_stats = LatentPrior.genre_db_stats(genres, [r.db_min for r in records], [r.db_max for r in records])
        prior = LatentPrior(**settings)
        prior.fit(np.concatenate(latents), seg_genres, db_stats=db_stats)
        summary = {"prior": prior.describe(), "split": split, "songs": len(records),
                   "segments": int(sum(len(z) for z in latents)), "store": str(store.path),
                   "files": [PRIOR_FILE] + ([SEQUENCE_FILE] if sequence else [])}
        steps = int(bundle.model.plan.latent_steps) if hasattr(bundle.model, "plan") else 1
        if sequence:
            frames = [latents_to_frames(z, steps) for z in latents]
            model = fit_sequence_model(frames, genres, latent_steps=steps, genre_names=prior.genres_,
                                       context_frames=context_frames, hidden=hidden, epochs=epochs, seed=seed)
            with atomic_path(model_dir / SEQUENCE_FILE) as tmp:
                model.save(tmp)
            summary["sequence"] = {"latent_steps": steps, "latent_channels": model.n_channels,
                                   "context_frames": model.context_frames, "hidden": hidden, "epochs": epochs,
                                   "train_windows": model.train_windows_, "final_nll": model.final_loss_}
        else:
            ledger.remove([model_dir / SEQUENCE_FILE], prune=False)  # an earlier unit's: not this one's
        prior.save(model_dir / PRIOR_FILE)
        atomic_write_json(model_dir / PRIORS_SUMMARY_FILE, summary)
        ledger.close()
    return summary


@dataclass(frozen=True)
class FittedUnit:
    """What ``fit-prior`` left in a model folder (:func:`fitted_unit`).

    Attributes
    ----------
    files : tuple of str
        The files ``priors.json`` lists (empty when nothing is fitted or the fit did not finish).
    reason : str
        Why the unit is unfinished ("" when it is whole, or when nothing is fitted).
    """

    files: tuple = ()
    reason: str = ""

    @property
    def complete(self) -> bool:
        return bool(self.files) and not self.reason


def fitted_unit(model_dir: Union[str, os.PathLike]) -> FittedUnit:
    """Whether the prior files of a model folder are one whole unit: ``priors.json`` (written last) is there,
    and every file it lists.

    A ``prior.npz`` or ``sequence.keras`` without ``priors.json`` is a ``fit-prior`` run that did not finish
    (killed while fitting the sequence model): it is never used as if whole (``sample`` would draw
    independent segments where a sequence model was meant), and ``fit-prior`` completes it without
    ``overwrite``.
    """
    model_dir = Path(model_dir)
    summary_path = model_dir / PRIORS_SUMMARY_FILE
    present = [name for name in (PRIOR_FILE, SEQUENCE_FILE) if (model_dir / name).exists()]
    again = f"run `genmusic fit-prior --model-dir {model_dir}` again to complete it (no --overwrite needed)"
    if not summary_path.exists():
        if not present:
            return FittedUnit()
        return FittedUnit((), f"{model_dir}: fit-prior did not finish ({' and '.join(present)} there, "
                              f"{PRIORS_SUMMARY_FILE}, written last, is not); {again}")
    try:
        summary = json.loads(summary_path.read_text())
        files = tuple(summary["files"])
        if not all(name in (PRIOR_FILE, SEQUENCE_FILE) for name in files) or PRIOR_FILE not in files:
            raise ValueError(f"files {list(files)}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return FittedUnit((), f"{summary_path} is damaged ({type(exc).__name__}: {exc}); {again}")
    missing = [name for name in files if not (model_dir / name).exists()]
    if missing:
        return FittedUnit(files, f"{model_dir / missing[0]} is missing ({PRIORS_SUMMARY_FILE} lists it: fit-prior "
                                 f"wrote it); {again}")
    return FittedUnit(files)


@dataclass
class Piece:
    """A composed piece: its audio and how it was made.

    Attributes
    ----------
    audio : np.ndarray [shape=(n_samples,)], float32
    genre : str or None
    db_stats : (float, float)
        ``(db_min, db_max)`` that undid the normalisation.
    info : dict
        JSON-friendly description for the sidecar.
    """

    audio: np.ndarray
    genre: Optional[str]
    db_stats: tuple
    info: dict


class Composer:
    """A generator with its priors: pieces of any length, continuations, prior-aware paths.

    Parameters
    ----------
    generator : SoundGenerator
    prior : LatentPrior or None
    sequence_model : LatentSequenceModel or None
    overlap : {0.0, 0.5}
        Windows decoded from a frame sequence overlap by this fraction and are crossfaded (0.5: like
        ``reconstruct``; needs a conv bottleneck with an even number of latent steps).
    candidates : int >= 0
        How the sequence model continues a piece. ``candidates > 0``: each new segment is the one of that
        many draws of the genre's prior that the model finds likeliest after what came before
        (:func:`~genmusic.generation.sequence.choose_segments`: the prior proposes, the model chooses). 0: the model
        draws every frame itself (:func:`~genmusic.generation.sequence.roll_out`).
    focus : int >= 1
        Draws of the prior per proposal: the proposals (and each piece's first segment) are the ones of
        ``focus`` times as many draws that the prior's mixtures place most surely in the asked genre
        (:meth:`~genmusic.generation.prior.LatentPrior.genre_posterior`). 1: every draw is a proposal.
    """

    def __init__(self, generator, prior: Optional[LatentPrior] = None, sequence_model=None, *,
                 overlap: float = 0.5, candidates: int = 16, focus: int = 4) -> None:
        self.gen = generator
        self.candidates = check_integer(candidates, "candidates", minimum=0)
        self.focus = check_integer(focus, "focus", minimum=1, limit="draws")
        self.prior = prior
        self.sequence_model = sequence_model
        check_choice(overlap, "overlap", (0.0, 0.5))
        plan = getattr(generator.model, "plan", None)
        self.latent_steps = int(plan.latent_steps) if plan is not None else 1
        self.hop_steps = self.latent_steps // 2 if overlap == 0.5 and self.latent_steps % 2 == 0 else self.latent_steps
        if sequence_model is not None and sequence_model.latent_steps != self.latent_steps:
            raise ParameterError(f"the sequence model reads {sequence_model.latent_steps} frames per segment, the "
                                 f"model {self.latent_steps}; fit the priors again")

    @classmethod
    def from_folder(cls, generator, model_dir: Union[str, os.PathLike, None] = None, **kwargs) -> "Composer":
        """A composer with the priors saved in the generator's model folder (None where there are none)."""
        from .sequence import load_sequence_model

        model_dir = Path(model_dir if model_dir is not None else generator.bundle.folder)
        unit = fitted_unit(model_dir)
        if unit.reason:
            raise ModelFolderError(unit.reason)
        if not unit.complete:
            return cls(generator, **kwargs)
        prior_path, model_path = model_dir / PRIOR_FILE, model_dir / MODEL_FILE
        # (an installed model's files are one shipped unit: installing may write them in any order)
        if model_path.exists() and model_path.stat().st_mtime > prior_path.stat().st_mtime \
                and pretrained.installed_name(model_dir) is None:
            logger.warning(f"{model_path} is newer than {prior_path}: the prior was fitted on an older model; fit it "
                           f"again with `genmusic fit-prior --model-dir {model_dir} --overwrite`")
        prior = load_prior(model_dir, latent_dim=getattr(generator.model, "latent_dim", None))
        sequence = load_sequence_model(model_dir) if SEQUENCE_FILE in unit.files else None
        return cls(generator, prior, sequence, **kwargs)

    # ---- lengths
    @property
    def frames_per_step(self) -> int:
        """Spectrogram frames per latent frame."""
        return self.gen.spec.segment_frames // self.latent_steps

    def n_samples_for(self, seconds: float) -> int:
        return int(round(float(seconds) * self.gen.sample_rate))

    def latent_frames_for(self, n_samples: int) -> int:
        """Latent frames that cover ``n_samples`` samples (whole segments)."""
        spec_frames = n_samples / self.gen.spec.hop_length + 1
        segments = max(1, int(np.ceil(spec_frames / self.gen.spec.segment_frames - 1e-9)))
        return segments * self.latent_steps

    def normaliser_for(self, genre: Optional[str]):
        """The genre's typical dB statistics (the dataset's when unknown)."""
        from ..features.spectrogram import MinMaxNormaliser

        if self.prior is not None and genre is not None:
            lo, hi = self.prior.db_stats_[self.prior.genre_index(genre)]
            if np.isfinite(lo) and np.isfinite(hi):
                return MinMaxNormaliser.from_stats(float(lo), float(hi))
        return self.gen.dataset_normaliser

    # ---- making frames
    def check_ready(self, genre: Optional[str] = None) -> None:
        """ParameterError unless a prior is fitted (and knows ``genre``)."""
        if self.prior is None:
            folder = getattr(self.gen.bundle, "folder", "MODEL")
            raise ParameterError(f"this model has no fitted prior ({PRIOR_FILE}); fit one with `genmusic fit-prior "
                                 f"--model-dir {folder}`")
        self.prior.check_genre(genre)

    def compose_frames(self, n: int, n_frames: int, *, genre: Optional[str] = None, temperature: float = 1.0,
                       seed: int = 0) -> tuple:
        """Latent frames of ``n`` new pieces.

        The first segment of each piece is drawn from the genre's prior; the sequence model continues it
        (without one, every segment is an independent prior draw).

        Returns
        -------
        frames : np.ndarray [shape=(n, n_frames, latent_channels)]
        genres : list of str
            The genre of each piece (drawn by the genres' shares when ``genre`` is None).
        """
        self.check_ready(genre)
        n = check_integer(n, "n", minimum=1)
        n_frames = check_integer(n_frames, "n_frames", minimum=1)
        genres = [genre] * n if genre is not None else self.prior.draw_genres(n, seed=seed)
        steps = self.latent_steps
        if self.sequence_model is None:
            n_seg = -(-n_frames // steps)
            z = self._draw([g for g in genres for _ in range(n_seg)], 1, temperature, seed)
            frames = z.reshape(n, n_seg * steps, -1)
        else:
            first = self._draw(genres, 1, temperature, seed).reshape(n, steps, -1)
            frames = self._continue(first, genres, max(0, n_frames - steps), temperature, seed + 1)
        return frames[:, :n_frames], genres

    def _draw(self, genres: List[str], per_genre: int, temperature: float, seed: int) -> np.ndarray:
        """``per_genre`` prior draws for each entry of ``genres``, each the most genre-typical of ``focus``
        [shape=(len(genres), per_genre, latent_dim)]."""
        k = self.focus
        labels = [g for g in genres for _ in range(per_genre * k)]
        z = self.prior.sample(len(labels), labels, temperature=temperature, seed=seed)
        z = z.reshape(len(genres), per_genre, k, -1)
        if k == 1:
            return z[:, :, 0]
        out = np.empty((len(genres), per_genre, z.shape[-1]), np.float32)
        for i, g in enumerate(genres):
            sure = self.prior.genre_posterior(z[i].reshape(per_genre * k, -1), g).reshape(per_genre, k)
            out[i] = z[i, np.arange(per_genre), np.argmax(sure, axis=1)]
        return out

    def _continue(self, frames: np.ndarray, genres: List[str], n_new: int, temperature: float, seed: int):
        """Frames [shape=(n, n_start, channels)] continued by ``n_new`` frames with the sequence model."""
        from .sequence import choose_segments, roll_out

        if not self.candidates:
            return roll_out(self.sequence_model, frames, genres, n_new, temperature=temperature, seed=seed)
        steps, n = self.latent_steps, len(frames)
        n_seg = -(-n_new // steps)

        def propose(k: int) -> np.ndarray:
            z = self._draw(list(genres), self.candidates, temperature, int(seed) * 1_000_003 + k + 1)
            return z.reshape(n, self.candidates, steps, -1)
        out = choose_segments(self.sequence_model, frames, genres, n_seg, propose)
        return out[:, :frames.shape[1] + n_new]

    def continue_latents(self, latents: np.ndarray, n_new_frames: int, *, genre: Optional[str] = None,
                         temperature: float = 1.0, seed: int = 0) -> tuple:
        """A song's consecutive segment latents continued by ``n_new_frames`` frames.

        Parameters
        ----------
        latents : np.ndarray [shape=(n_segments, latent_dim)]
        genre : str, optional
            Default: the prior's most likely genre for these latents.

        Returns
        -------
        frames : np.ndarray [shape=(n_segments * latent_steps + n_new_frames, latent_channels)]
        genre : str
        """
        from .sequence import latents_to_frames

        self.check_ready(genre)
        if self.sequence_model is None:
            folder = getattr(self.gen.bundle, "folder", "MODEL")
            raise ParameterError(f"continuing a song needs the sequence model (sequence.keras); fit it with "
                                 f"`genmusic fit-prior --model-dir {folder} --overwrite`")
        genre = genre or self.prior.most_likely_genre(latents)
        start = latents_to_frames(latents, self.latent_steps)
        return self._continue(start[None], [genre], n_new_frames, temperature, seed)[0], genre

    # ---- decoding
    def decode_frames(self, frames: np.ndarray, n_samples: int, normaliser) -> np.ndarray:
        """A frame sequence -> windows every ``hop_steps`` frames -> decoded, crossfaded, Griffin-Lim.

        Parameters
        ----------
        frames : np.ndarray [shape=(n_frames, latent_channels)]
        n_samples : int
            Length of the result.

        Returns
        -------
        np.ndarray [shape=(n_samples,)], float32
        """
        from .sequence import frames_to_windows

        windows = frames_to_windows(frames, self.latent_steps, self.hop_steps)
        return self.gen.decode_song(windows, normaliser=normaliser, length=int(n_samples),
                                    hop_frames=self.hop_steps * self.frames_per_step)

    def compose(self, n: int, seconds: float, *, genre: Optional[str] = None, temperature: float = 1.0,
                seed: int = 0) -> List[Piece]:
        """``n`` pieces of exactly ``seconds`` seconds (see :meth:`compose_frames`)."""
        check_number(seconds, "seconds", minimum=0, exclusive_minimum=True, limit="seconds")
        n_samples = self.n_samples_for(seconds)
        frames, genres = self.compose_frames(n, self.latent_frames_for(n_samples), genre=genre,
                                             temperature=temperature, seed=seed)
        pieces = []
        for i, (f, g) in enumerate(zip(frames, genres)):
            norm = self.normaliser_for(g)
            pieces.append(Piece(self.decode_frames(f, n_samples, norm), g, (norm.data_min_, norm.data_max_),
                                {"genre": g, "genre_asked": genre, "temperature": temperature, "seed": seed,
                                 "index": i, "n": n, "latent_frames": int(f.shape[0]),
                                 "windows_hop_frames": self.hop_steps * self.frames_per_step}))
        return pieces

    def describe(self) -> dict:
        """What the composer samples from (for sidecars)."""
        out = {"prior": None if self.prior is None else self.prior.describe(),
               "sequence_model": None,
               "sequence": "independent prior draws" if self.sequence_model is None else
               (f"each segment the likeliest of {self.candidates} prior draws" if self.candidates else
                "frames drawn by the sequence model"),
               "focus": self.focus}
        if self.sequence_model is not None:
            m = self.sequence_model
            out["sequence_model"] = {"kind": "gru", "hidden": m.hidden, "context_frames": m.context_frames,
                                     "latent_steps": m.latent_steps, "latent_channels": m.n_channels}
        return out


def composer_for(generator) -> Composer:
    """The generator's :class:`Composer`: the prior and sequence model fitted in its model folder (none for
    a generator without a folder), made once and kept on the generator.

    ``generate --mode sample`` / ``continue`` and the report's pieces per genre
    (:func:`genmusic.analysis.listening.genre_pieces`) all compose through it.
    """
    if getattr(generator, "composer", None) is None:
        generator.composer = Composer.from_folder(generator) if generator.bundle is not None else Composer(generator)
    return generator.composer
