"""The model folder: one trained model with everything needed to use it.

Layout::

    model.keras      the best-on-validation model (Keras 3 format, loaded with safe_mode=True)
    prior.npz        (``genmusic fit-prior``) Gaussian mixtures per genre over the segment latents
    sequence.keras   (``genmusic fit-prior``) the genre-conditioned model of how segment latents follow
    priors.json      (``genmusic fit-prior``) what was fitted
    genmusic.json    format version, GenmusicConfig, input shape, dataset statistics, genre names,
                     compression ratio, where the spectrograms were
    history.csv      the training log (one row per epoch)
    loss.png         loss curves
    checkpoint/      last.keras + state.json, for train(..., resume=True)
    tensorboard/     TensorBoard logs (TensorFlow backend)

``generate.py`` and ``analyze.py`` read the settings back from ``genmusic.json``, so nobody retypes a
hop length. :func:`genmusic.train` writes the folder; :func:`save_model` writes one for a model trained by
hand (``model.save()`` writes ``model.keras`` alone, without the settings); :func:`load_bundle` reads either. Training prepares the folder (:func:`prepare_folder`), reads a checkpoint back for a resumed
run (:func:`read_resume_state`) and keeps ``history.csv`` (:func:`read_history`, :func:`truncate_history`).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .._checks import check_config, is_integer
from .._io import (Ledger, atomic_path, atomic_write_json, atomic_write_text, check_folder_kind, inner_folder,
                  make_folder, shown)
from .._version import __version__
from .. import pretrained
from ..config import GenmusicConfig, check_compatible
from ..errors import DataError, ModelFolderError, ParameterError, SettingsMismatchError
from ..features.spectrogram import MinMaxNormaliser

__all__ = ["MODEL_FOLDER_VERSION", "MODEL_FILE", "META_FILE", "CHECKPOINT_DIR", "LAST_MODEL_FILE", "STATE_FILE",
           "HISTORY_FILE", "LOSS_PLOT_FILE", "TENSORBOARD_DIR", "PRIOR_FILE", "SEQUENCE_FILE", "PRIORS_SUMMARY_FILE",
           "ModelBundle", "write_model_metadata", "save_model", "read_model_metadata", "find_training_store", "load_bundle", "compression_ratio", "folder_contents", "model_ledger", "prepare_folder",
           "ResumeState", "read_resume_state", "read_history", "truncate_history"]

logger = logging.getLogger("genmusic")

#: Version of the model-folder layout; a folder written by another version is refused.
MODEL_FOLDER_VERSION = 1
MODEL_FILE = "model.keras"
META_FILE = "genmusic.json"
CHECKPOINT_DIR = "checkpoint"
LAST_MODEL_FILE = "last.keras"
STATE_FILE = "state.json"
HISTORY_FILE = "history.csv"
LOSS_PLOT_FILE = "loss.png"
TENSORBOARD_DIR = "tensorboard"
#: Written by ``genmusic fit-prior`` (:func:`genmusic.generation.composer.fit_priors`): the latent prior
#: (:mod:`~genmusic.generation.prior`), the sequence model (:mod:`~genmusic.generation.sequence`), what was fitted.
PRIOR_FILE = "prior.npz"
SEQUENCE_FILE = "sequence.keras"
PRIORS_SUMMARY_FILE = "priors.json"
PRIOR_ENTRIES = (PRIOR_FILE, SEQUENCE_FILE, PRIORS_SUMMARY_FILE)
#: What genmusic writes into a model folder.
FOLDER_ENTRIES = (MODEL_FILE, META_FILE, HISTORY_FILE, LOSS_PLOT_FILE, CHECKPOINT_DIR, TENSORBOARD_DIR,
                  *PRIOR_ENTRIES)
#: The files of a model folder at fixed names (TensorBoard's event files are named by TensorFlow, and
#: recorded as they appear): what training records in the folder's ledger before it writes them.
FIXED_FILES = (MODEL_FILE, META_FILE, HISTORY_FILE, LOSS_PLOT_FILE, f"{CHECKPOINT_DIR}/{LAST_MODEL_FILE}",
               f"{CHECKPOINT_DIR}/{STATE_FILE}", *PRIOR_ENTRIES)


def compression_ratio(config: GenmusicConfig) -> float:
    """Audio samples per latent float: ``segment_samples / latent_dim``."""
    return config.spectrogram.segment_samples / config.model.latent_dim


@dataclass
class ModelBundle:
    """A loaded model folder.

    Attributes
    ----------
    model : Autoencoder or VAE
    config : GenmusicConfig
    stats : dict
        Dataset-level statistics of the training spectrograms (``db_min``, ``db_max``, ...).
    genres : list of str
    folder : Path
    meta : dict
        Everything in ``genmusic.json``.
    """

    model: object
    config: GenmusicConfig
    stats: dict
    genres: List[str]
    folder: Path
    meta: dict = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple:
        """``(n_freq_bins, segment_frames)``."""
        return tuple(self.meta["input_shape"][:2])

    def dataset_normaliser(self) -> MinMaxNormaliser:
        """Denormaliser for spectrograms from no single file (prior samples, mixes of songs)."""
        return MinMaxNormaliser.from_stats(self.stats["db_min"], self.stats["db_max"])


def write_model_metadata(folder: str | os.PathLike, config: GenmusicConfig, *, stats: dict, genres: Sequence[str],
                         spectrograms: Optional[str] = None, extra: Optional[dict] = None) -> Path:
    """Write ``genmusic.json`` into a model folder."""
    meta = {
        "genmusic_model_version": MODEL_FOLDER_VERSION,
        "genmusic_version": __version__,
        "kind": config.model.kind,
        "input_shape": [*config.spectrogram.segment_shape, 1],
        "latent_dim": config.model.latent_dim,
        "compression_ratio": compression_ratio(config),
        "config": config.to_dict(),
        "stats": dict(stats),
        "genres": list(genres),
        "spectrograms": spectrograms,
    }
    meta.update(extra or {})
    return atomic_write_json(Path(folder) / META_FILE, meta)


def save_model(model, folder: str | os.PathLike, config, stats: Optional[dict] = None, genres: Sequence[str] = (),
               *, spectrograms: Optional[str | os.PathLike] = None, overwrite: bool = False) -> Path:
    """Write a model folder for a model trained by hand: ``model.keras`` and ``genmusic.json``.

    The counterpart of :func:`load_bundle` (``load_bundle(folder).model`` gives the model back), so
    :class:`~genmusic.SoundGenerator`, ``genmusic generate`` and ``genmusic analyze`` can use the model.
    :func:`genmusic.train` writes its folders itself.

    Parameters
    ----------
    model : Autoencoder or VAE
    folder : path-like
        Created when missing.
    config : GenmusicConfig or SpectrogramStore
        The settings of the spectrograms the model reads (a store's ``config``); the model section is the
        model's own (``model.model_config``). A store also gives ``stats``, ``genres`` and ``spectrograms``.
    stats : dict, optional
        Dataset statistics (a store's ``stats``: ``db_min``, ``db_max``, ...): without them, latents of no
        single song (prior samples, averages) cannot be turned into sound.
    genres : sequence of str
    spectrograms : path-like, optional
        The store the model was trained on, recorded so that ``genmusic generate`` / ``analyze`` find its songs.
    overwrite : bool
        Replace the model of a folder that already holds a ``genmusic.json``.

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    ParameterError
        ``model`` is not a genmusic model, or ``config`` not a config or store.
    SettingsMismatchError
        The model reads spectrograms of another shape, sample rate or dB range than ``config`` describes.
    ModelFolderError
        The folder already holds a model folder, or a ``model.keras`` genmusic did not write (without
        ``overwrite``), or is a file.
    ParameterError
        The folder is another kind of genmusic folder (a spectrogram store, a latent folder, a report).

    Examples
    --------
    >>> vae = genmusic.VAE.from_config(store)                     # doctest: +SKIP
    >>> vae.compile(optimizer="adam"); vae.fit(x, epochs=10)      # doctest: +SKIP
    >>> genmusic.save_model(vae, "saved_models/mine", store)      # doctest: +SKIP
    >>> genmusic.SoundGenerator.from_folder("saved_models/mine")  # doctest: +SKIP
    """
    from .autoencoder import Autoencoder

    if not isinstance(model, Autoencoder):
        raise ParameterError(f"save_model saves a genmusic Autoencoder or VAE, got {type(model).__name__}")
    if not isinstance(config, GenmusicConfig) and isinstance(getattr(config, "config", None), GenmusicConfig):
        store = config
        config = store.config
        spectrograms = spectrograms if spectrograms is not None else getattr(store, "path", None)
        stats = dict(getattr(store, "stats", {})) if stats is None else stats
        genres = genres or list(getattr(store, "genres", ()))
    config = check_config(config, GenmusicConfig, "save_model(model, folder, config)", allow_none=False,
                          example="genmusic.save_model(model, folder, store.config) or (model, folder, store)")
    check_compatible(model, config, model_name="the model", data_name="the config", labels=("model", "config"),
                     fix="pass the config of the spectrograms the model was trained on")
    folder = Path(folder)
    pretrained.check_writable(folder, action="saving a model")
    if folder.exists() and not folder.is_dir():
        raise ModelFolderError(f"model folder {shown(folder)} exists and is not a folder")
    if (folder / META_FILE).is_file() and not overwrite:
        raise ModelFolderError(f"{shown(folder)} already holds a model folder ({META_FILE}); pass overwrite=True to "
                               f"replace it, or choose another folder")
    make_folder(folder)
    ledger = model_ledger(folder)  # refuses a folder of another kind (a store, a report, ...)
    theirs = [name for name in (MODEL_FILE, META_FILE) if (folder / name).exists() and not ledger.owns(folder / name)]
    if theirs and not overwrite:
        raise ModelFolderError(f"{shown(folder)} holds {', '.join(theirs)} that genmusic did not write (e.g. by "
                               f"model.save()); pass overwrite=True to replace {'it' if len(theirs) == 1 else 'them'} "
                               f"with this model's folder, or choose another folder")
    ledger.claim(folder / MODEL_FILE, folder / META_FILE)
    config = config.replace(model=model.model_config)
    with atomic_path(folder / MODEL_FILE) as tmp:
        model.save(tmp, overwrite=True)
    write_model_metadata(folder, config, stats=stats or {}, genres=list(genres),
                         spectrograms=None if spectrograms is None else str(spectrograms),
                         extra={"saved_by": "genmusic.save_model"})
    return folder


def read_model_metadata(folder: str | os.PathLike) -> dict:
    """``genmusic.json`` of a model folder (or of an installed model, by name: :mod:`genmusic.pretrained`),
    checked field by field.

    Raises
    ------
    ModelFolderError
        The folder or the file is missing, the file is not a JSON object written by this model-folder
        version, or a field has the wrong type or value (the message names the field).
    """
    folder = pretrained.resolve(folder)
    meta_path = folder / META_FILE
    if folder.is_file() and folder.suffix == ".keras":
        where = (f"pass its folder {folder.parent}" if (folder.parent / META_FILE).is_file() else
                 f"a .keras file holds no settings (sample rate, hop length, dB range): write a model folder with "
                 f"genmusic.save_model(keras.saving.load_model('{folder}'), folder, config), config being the "
                 f"spectrograms' (a store's config)")
        raise ModelFolderError(f"{folder} is a model file, not a model folder: {where}")
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {folder} does not exist, {pretrained.missing_message(folder)}; train a "
                               f"model into it first (genmusic.train(spectrograms, model_dir))")
    if not meta_path.is_file():
        has = (f"it has {MODEL_FILE} but no {META_FILE} (model.save() writes the model alone, without its settings)"
               if (folder / MODEL_FILE).is_file() else f"it has no {META_FILE}")
        raise ModelFolderError(f"{folder} is not a genmusic model folder: {has}; write one with "
                               f"genmusic.save_model(model, '{folder}', config) (config: the spectrograms' settings, "
                               f"e.g. a store's config), or train into it with genmusic.train")
    try:
        meta = json.loads(meta_path.read_bytes().decode("utf-8"))
    except (ValueError, OSError) as exc:  # UnicodeDecodeError is a ValueError
        raise ModelFolderError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelFolderError(f"{meta_path}: expected a JSON object, got {type(meta).__name__}; train the model "
                               f"again, or restore the file")
    version = meta.get("genmusic_model_version")
    if version != MODEL_FOLDER_VERSION:
        raise ModelFolderError(f"{folder} was written by model-folder version {version}; this genmusic reads "
                               f"version {MODEL_FOLDER_VERSION}: train the model again with this version")
    _check_metadata(meta, meta_path)
    return meta


def find_training_store(model_dir: str | os.PathLike, *, fix: str = "pass spectrograms=STORE") -> Path:
    """The spectrogram store a model was trained on: the one place that finds it.

    ``genmusic.json`` records the store's path as training was given it. An absolute path is used as it is;
    a relative one is looked for from the working folder, then from the model folder and the two folders
    above it (a project moved as a whole, or run from another folder).

    Parameters
    ----------
    model_dir : path-like
    fix : str
        What the caller's user can do instead; ends the error messages.

    Returns
    -------
    Path
        A folder (open it with :class:`~genmusic.data.store.SpectrogramStore`).

    Raises
    ------
    ModelFolderError
        ``model_dir`` is not a model folder.
    ParameterError
        ``genmusic.json`` records no store.
    DataError
        The recorded store is in none of those places, or the model is an installed one (its store is not
        installed with it).
    """
    model_dir = pretrained.resolve(model_dir)
    recorded = read_model_metadata(model_dir).get("spectrograms")
    installed = pretrained.installed_name(model_dir)
    if installed is not None:  # its genmusic.json names a folder of the machine that made it
        raise DataError(f"{installed} is an installed model: the spectrograms it was trained on are not installed "
                        f"with it; {fix}")
    if not recorded:
        raise ParameterError(f"{model_dir / META_FILE} records no training spectrograms; {fix}")
    recorded_path = Path(recorded)
    candidates = [recorded_path] if recorded_path.is_absolute() else \
        [recorded_path, model_dir / recorded_path, model_dir.parent / recorded_path, model_dir.parent.parent / recorded_path]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise DataError(f"the spectrograms {recorded} the model was trained on (recorded in {model_dir / META_FILE}) are "
                    f"not there; {fix}")


def _check_metadata(meta: dict, meta_path: Path) -> None:
    """Every field that genmusic reads back, with the type and value it needs."""
    def bad(field_name: str, expected: str) -> ModelFolderError:
        value = meta.get(field_name, "(missing)")
        shown = repr(value) if len(repr(value)) < 80 else repr(value)[:77] + "..."
        return ModelFolderError(f"{meta_path}: field {field_name!r} must be {expected}, got {shown}; train the model "
                                f"again, or restore the file")

    if not isinstance(meta.get("config"), dict):
        raise bad("config", "a JSON object (the GenmusicConfig)")
    try:
        config = GenmusicConfig.from_dict(meta["config"], where=f"{meta_path} field 'config'")
    except ParameterError as exc:
        raise ModelFolderError(f"{exc}; train the model again, or restore the file") from None
    shape = meta.get("input_shape")
    if not (isinstance(shape, list) and len(shape) == 3 and all(is_integer(v) and v > 0 for v in shape)):
        raise bad("input_shape", "a list of three positive integers (frequency bins, frames, 1)")
    if "latent_dim" in meta and meta["latent_dim"] != config.model.latent_dim:
        raise bad("latent_dim", f"an integer equal to config.model.latent_dim ({config.model.latent_dim})")
    stats = meta.get("stats", {})
    if not isinstance(stats, dict):
        raise bad("stats", "a JSON object of dataset statistics")
    for key in ("db_min", "db_max"):
        value = stats.get(key)
        if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool)
                                      and math.isfinite(value)):
            raise ModelFolderError(f"{meta_path}: field 'stats.{key}' must be a finite number (dB), got {value!r}; "
                                   f"train the model again, or restore the file")
    if isinstance(stats.get("db_min"), (int, float)) and isinstance(stats.get("db_max"), (int, float)) \
            and stats["db_min"] > stats["db_max"]:
        raise bad("stats", "statistics with db_min <= db_max")
    genres = meta.get("genres", [])
    if not (isinstance(genres, list) and all(isinstance(g, str) for g in genres)):
        raise bad("genres", "a list of genre names (strings)")
    if meta.get("spectrograms") is not None and not isinstance(meta["spectrograms"], str):
        raise bad("spectrograms", "a folder path (string) or null")


def load_bundle(folder: str | os.PathLike, *, model_file: str = MODEL_FILE) -> ModelBundle:
    """Load a model folder: the model (safe mode, no pickle) and its config, statistics and genres.

    ``folder`` may be an installed model's name (``load_bundle("realmusic-v1")``; ``genmusic models`` lists
    them): a folder of the same name in the working folder wins, with a warning (:mod:`genmusic.pretrained`).

    Raises
    ------
    ModelFolderError
        The folder or its files are missing, written by another version, or the model's input shape does
        not match the config saved beside it.
    """
    import keras

    from . import vae  # noqa: F401 - registers the genmusic classes with Keras
    from .autoencoder import Autoencoder

    folder = pretrained.resolve(folder)
    meta = read_model_metadata(folder)
    config = GenmusicConfig.from_dict(meta["config"], where=str(folder / META_FILE))
    path = folder / model_file
    if not path.is_file():
        raise ModelFolderError(f"{folder} has no {model_file}: training did not finish an epoch")
    try:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - any load failure becomes one message naming the file
        raise ModelFolderError(f"{path}: cannot load the model ({type(exc).__name__}: {exc})") from None
    if not isinstance(model, Autoencoder):
        raise ModelFolderError(f"{path} holds a {type(model).__name__}, not a genmusic Autoencoder or VAE: genmusic "
                               f"encodes and decodes only the models it trains; train one into {folder}")
    if int(model.latent_dim) != config.model.latent_dim:
        raise ModelFolderError(f"{path}: the model has latent_dim={model.latent_dim} but {META_FILE} says "
                               f"{config.model.latent_dim}")
    expected = tuple(meta["input_shape"])
    got = _model_input_shape(model)
    if got is not None and got != expected:
        raise ModelFolderError(f"{path}: the model takes input {got} but {META_FILE} says {expected}")
    try:
        check_compatible(model, config, model_name=str(path), data_name=str(folder / META_FILE),
                         labels=("model", META_FILE))
    except SettingsMismatchError as exc:
        raise ModelFolderError(f"{exc}; write the folder again with genmusic.save_model") from None
    return ModelBundle(model=model, config=config, stats=meta.get("stats", {}), genres=meta.get("genres", []),
                       folder=folder, meta=meta)


def load_model(folder: str | os.PathLike):
    """Deprecated (genmusic 0.1's top-level ``genmusic.load_model``, goes in 0.3): ``load_bundle(folder).model``."""
    return load_bundle(folder).model


def _model_input_shape(model) -> Optional[tuple]:
    for obj in (getattr(model, "encoder", None), model):
        try:
            return tuple(int(d) for d in obj.input_shape[1:])
        except (AttributeError, TypeError, ValueError):
            continue
    return None


def model_ledger(model_dir: Path) -> Ledger:
    """The model folder's :class:`~genmusic._io.Ledger`. A folder written before genmusic kept ledgers (it
    has none) is adopted only as far as its content proves it: when its ``genmusic.json`` reads as a model
    folder's, the files of :data:`FIXED_FILES` there are genmusic's; nothing else is (TensorBoard's logs, a
    file of another name), so nothing else is ever removed.

    Raises
    ------
    ParameterError
        ``model_dir`` is another kind of genmusic folder (a spectrogram store, a latent folder, a report).
    """
    model_dir = Path(model_dir)
    check_folder_kind(model_dir, "model", option="model_dir")
    ledger = Ledger(model_dir, "model")
    if not ledger.found and (model_dir / META_FILE).is_file():
        try:
            read_model_metadata(model_dir)
        except ModelFolderError:
            return ledger
        old = [model_dir / name for name in FIXED_FILES if (model_dir / name).is_file()]
        if old:
            ledger.claim(*old)
            logger.info("%s: a model folder of an earlier genmusic (no record of its files); taken as genmusic's: %s",
                        shown(model_dir), ", ".join(str(p.relative_to(model_dir)) for p in old))
    return ledger


def folder_contents(model_dir: Path) -> Tuple[List[Path], List[Path]]:
    """``(own, foreign)``: the files of a model folder its ledger records (:func:`model_ledger`), and every
    other file (or link)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return [], []
    ledger = model_ledger(model_dir)
    return ledger.owned(), ledger.unrecorded()


def _has_trained(model_dir: Path) -> bool:
    """Whether an earlier run finished (part of) an epoch here: a model, a checkpoint or a logged epoch."""
    if any(p.is_file() for p in (model_dir / MODEL_FILE, model_dir / CHECKPOINT_DIR / LAST_MODEL_FILE,
                                 model_dir / CHECKPOINT_DIR / STATE_FILE)):
        return True
    return any(read_history(model_dir / HISTORY_FILE).values())


def prepare_folder(model_dir: Path, *, resume: bool, overwrite: bool) -> Ledger:
    """Make ``model_dir`` ready for training, removing nothing that is not genmusic's.

    * ``resume``: kept as it is (only what a killed run was writing, in the scratch folder, goes).
    * A folder holding files genmusic did not write is refused unless ``overwrite``; with it, only the
      files its ledger records are removed (:func:`model_ledger`) and the others are named in the log.
    * A folder where an earlier run trained (a model, a checkpoint, a logged epoch) is refused unless
      ``resume`` or ``overwrite``. What a run killed before its first epoch ended left (nothing trained)
      is cleared.
    * A file at one of training's names that genmusic did not write is never replaced.

    Call it only after every setting has been checked: it is the first step that removes anything.

    Returns
    -------
    Ledger
        The folder's ledger, with training's files recorded (TensorBoard's are recorded as they appear:
        :class:`~genmusic.models.callbacks.RecordNewFiles`).

    Raises
    ------
    ModelFolderError
        ``model_dir`` is a file, holds files genmusic did not write, or holds a trained model.
    OutputError
        ``checkpoint/`` or ``tensorboard/`` is a symbolic link.
    """
    if model_dir.exists() and not model_dir.is_dir():
        raise ModelFolderError(f"model folder {shown(model_dir)} exists and is not a folder")
    make_folder(model_dir)
    ledger = model_ledger(model_dir)
    own, foreign = ledger.owned(), ledger.unrecorded()
    if not resume:
        if _has_trained(model_dir) and not overwrite:
            raise ModelFolderError(f"{shown(model_dir)} already holds a trained model; pass resume=True to continue "
                                   f"training it, overwrite=True to replace it, or choose another model_dir")
        if foreign and not overwrite:
            names = ", ".join(str(p.relative_to(model_dir)) for p in foreign[:8]) + (" ..." if len(foreign) > 8 else "")
            raise ModelFolderError(f"{shown(model_dir)} holds files genmusic did not write ({shown(names)}); choose "
                                   f"another (or an empty) model_dir, or pass overwrite=True to replace the model "
                                   f"there (only genmusic's own files are removed)")
        blocked = [p for p in foreign if str(p.relative_to(model_dir)).replace(os.sep, "/") in FIXED_FILES]
        if blocked:
            raise ModelFolderError(f"{shown(model_dir)} holds {', '.join(shown(p.relative_to(model_dir)) for p in blocked)}, "
                                   f"which genmusic cannot prove it wrote (it kept no record of it), and training would "
                                   f"replace it: move it away, or choose another model_dir")
        ledger.remove(own)
        if foreign:
            logger.warning("%s: kept %d file(s) genmusic did not write: %s", shown(model_dir), len(foreign),
                           shown(", ".join(str(p.relative_to(model_dir)) for p in foreign[:8])))
    elif foreign:
        blocked = [p for p in foreign if str(p.relative_to(model_dir)).replace(os.sep, "/") in FIXED_FILES]
        if blocked:
            raise ModelFolderError(f"{shown(model_dir)} holds {', '.join(shown(p.relative_to(model_dir)) for p in blocked)}, "
                                   f"which genmusic did not write, and resuming would replace it: move it away")
    for sub in (CHECKPOINT_DIR, TENSORBOARD_DIR):
        if (model_dir / sub).is_symlink():
            inner_folder(model_dir, sub)  # refuses the link, naming it
    ledger.scratch()
    ledger.claim(*(model_dir / name for name in FIXED_FILES if name not in PRIOR_ENTRIES))
    return ledger


@dataclass
class ResumeState:
    """What a resumed run starts from.

    Attributes
    ----------
    state : dict
        ``checkpoint/state.json``: ``epoch`` (epochs finished), ``best_val_loss``, ``wait``, ``seed``.
    config : GenmusicConfig
        The config saved in ``genmusic.json``.
    meta : dict
        ``genmusic.json``.
    checkpoint : Path
        The model (with its optimizer) to continue: ``checkpoint/last.keras``, or ``model.keras`` when the
        earlier run was killed while writing its first checkpoint (then the first epoch is trained again).
    """

    state: dict
    config: GenmusicConfig
    meta: dict
    checkpoint: Path


def read_resume_state(model_dir: Path) -> ResumeState:
    """What a resumed run starts from (see :class:`ResumeState`).

    Raises
    ------
    ModelFolderError
        Nothing to resume (no epoch finished: train without resume), or a damaged state file.
    """
    state_path = model_dir / CHECKPOINT_DIR / STATE_FILE
    last = model_dir / CHECKPOINT_DIR / LAST_MODEL_FILE
    if state_path.is_file() and last.is_file():
        checkpoint = last
        try:
            state = json.loads(state_path.read_text())
            int(state["epoch"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFolderError(f"{state_path} is damaged ({exc}); train again with overwrite=True") from None
    elif not state_path.is_file() and (last.is_file() or (model_dir / MODEL_FILE).is_file()):
        # Killed while writing the first epoch's checkpoint: its model is there, its state is not.
        checkpoint = last if last.is_file() else model_dir / MODEL_FILE
        state = {"epoch": 0}
        logger.warning("%s: the earlier run stopped while saving its first epoch; continuing from %s, the first "
                       "epoch is trained again", model_dir, checkpoint.relative_to(model_dir))
    else:
        raise ModelFolderError(f"nothing to resume: {model_dir} has no {CHECKPOINT_DIR}/{LAST_MODEL_FILE} and "
                               f"{CHECKPOINT_DIR}/{STATE_FILE} (no epoch finished there); train without resume=True")
    meta = read_model_metadata(model_dir)
    saved = GenmusicConfig.from_dict(meta["config"], where=str(model_dir / META_FILE))
    return ResumeState(state, saved, meta, checkpoint)


def read_history(path: Path) -> Dict[str, List[float]]:
    """``history.csv`` as ``{column: [value per epoch]}`` (empty when there is none)."""
    if not path.is_file():
        return {}
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    history: Dict[str, List[float]] = {}
    for row in rows:
        for key, value in row.items():
            if key == "epoch" or key is None:
                continue
            try:
                history.setdefault(key, []).append(float(value))
            except (TypeError, ValueError):
                history.setdefault(key, []).append(float("nan"))
    return history


def truncate_history(path: Path, epochs: int) -> None:
    """Keep the header and the rows of epochs ``< epochs`` (a killed run may have logged one more)."""
    if not path.is_file():
        return
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    col = header.index("epoch") if "epoch" in header else None
    keep = [r for r in body if col is None or (r and int(float(r[col])) < epochs)]
    buf = "".join(",".join(r) + "\n" for r in [header, *keep])
    atomic_write_text(path, buf)
