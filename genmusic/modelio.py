"""The model folder: one trained model with everything needed to use it.

Layout::

    model.keras      the best-on-validation model (Keras 3 format, loaded with safe_mode=True)
    genmusic.json    format version, GenmusicConfig, input shape, dataset statistics, genre names,
                     compression ratio, where the spectrograms were
    history.csv      the training log (one row per epoch)
    loss.png         loss curves
    checkpoint/      last.keras + state.json, for train(..., resume=True)
    tensorboard/     TensorBoard logs (TensorFlow backend)

``generate.py`` and ``analyze.py`` read the settings back from ``genmusic.json``, so nobody retypes a
hop length. Training prepares the folder (:func:`prepare_folder`), reads a checkpoint back for a resumed
run (:func:`read_resume_state`) and keeps ``history.csv`` (:func:`read_history`, :func:`truncate_history`).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ._io import atomic_write_json, atomic_write_text
from ._version import __version__
from .config import GenmusicConfig
from .errors import ModelFolderError
from .spectrogram import MinMaxNormaliser

__all__ = ["MODEL_FOLDER_VERSION", "MODEL_FILE", "META_FILE", "CHECKPOINT_DIR", "LAST_MODEL_FILE", "STATE_FILE",
           "HISTORY_FILE", "LOSS_PLOT_FILE", "TENSORBOARD_DIR", "ModelBundle", "write_model_metadata",
           "read_model_metadata", "load_bundle", "compression_ratio", "prepare_folder",
           "read_resume_state", "read_history", "truncate_history"]

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
#: What a model folder may hold; ``prepare_folder(..., overwrite=True)`` removes exactly these.
FOLDER_ENTRIES = (MODEL_FILE, META_FILE, HISTORY_FILE, LOSS_PLOT_FILE, CHECKPOINT_DIR, TENSORBOARD_DIR)


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


def read_model_metadata(folder: str | os.PathLike) -> dict:
    folder = Path(folder)
    meta_path = folder / META_FILE
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {folder} does not exist; train a model into it first "
                               f"(genmusic.train(spectrograms, model_dir))")
    if not meta_path.is_file():
        raise ModelFolderError(f"{folder} is not a genmusic model folder: it has no {META_FILE}")
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError as exc:
        raise ModelFolderError(f"{meta_path}: not valid JSON ({exc})") from None
    version = meta.get("genmusic_model_version")
    if version != MODEL_FOLDER_VERSION:
        raise ModelFolderError(f"{folder} was written by model-folder version {version}; this genmusic reads "
                               f"version {MODEL_FOLDER_VERSION}: train the model again with this version")
    return meta


def load_bundle(folder: str | os.PathLike, *, model_file: str = MODEL_FILE) -> ModelBundle:
    """Load a model folder: the model (safe mode, no pickle) and its config, statistics and genres.

    Raises
    ------
    ModelFolderError
        The folder or its files are missing, written by another version, or the model's input shape does
        not match the config saved beside it.
    """
    import keras

    from . import models  # noqa: F401 - registers the genmusic classes with Keras

    folder = Path(folder)
    meta = read_model_metadata(folder)
    config = GenmusicConfig.from_dict(meta["config"], where=str(folder / META_FILE))
    path = folder / model_file
    if not path.is_file():
        raise ModelFolderError(f"{folder} has no {model_file}: training did not finish an epoch")
    try:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - any load failure becomes one message naming the file
        raise ModelFolderError(f"{path}: cannot load the model ({type(exc).__name__}: {exc})") from None
    expected = tuple(meta["input_shape"])
    got = _model_input_shape(model)
    if got is not None and got != expected:
        raise ModelFolderError(f"{path}: the model takes input {got} but {META_FILE} says {expected}")
    return ModelBundle(model=model, config=config, stats=meta.get("stats", {}), genres=meta.get("genres", []),
                       folder=folder, meta=meta)


def _model_input_shape(model) -> Optional[tuple]:
    for obj in (getattr(model, "encoder", None), model):
        try:
            return tuple(int(d) for d in obj.input_shape[1:])
        except (AttributeError, TypeError, ValueError):
            continue
    return None


def prepare_folder(model_dir: Path, *, resume: bool, overwrite: bool) -> None:
    """Make ``model_dir`` ready for training: kept as it is to resume, emptied of a model's files with
    ``overwrite``, refused when it holds a trained model and neither is set."""
    if model_dir.exists() and not model_dir.is_dir():
        raise ModelFolderError(f"model folder {model_dir} exists and is not a folder")
    if resume:
        return
    finished = (model_dir / MODEL_FILE).is_file() or (model_dir / CHECKPOINT_DIR / STATE_FILE).is_file()
    if finished and not overwrite:
        raise ModelFolderError(f"{model_dir} already holds a trained model; pass resume=True to continue training "
                               f"it, overwrite=True to replace it, or choose another model_dir")
    for name in FOLDER_ENTRIES:
        path = model_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    model_dir.mkdir(parents=True, exist_ok=True)


def read_resume_state(model_dir: Path) -> Tuple[dict, GenmusicConfig, dict]:
    """What a resumed run starts from: ``state.json``, the saved config and ``genmusic.json``."""
    state_path = model_dir / CHECKPOINT_DIR / STATE_FILE
    last = model_dir / CHECKPOINT_DIR / LAST_MODEL_FILE
    if not (state_path.is_file() and last.is_file()):
        raise ModelFolderError(f"nothing to resume: {model_dir} has no {CHECKPOINT_DIR}/{LAST_MODEL_FILE} and "
                               f"{CHECKPOINT_DIR}/{STATE_FILE} (no epoch finished there); train without resume=True")
    meta = read_model_metadata(model_dir)
    try:
        state = json.loads(state_path.read_text())
        int(state["epoch"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFolderError(f"{state_path} is damaged ({exc}); train again with overwrite=True") from None
    saved = GenmusicConfig.from_dict(meta["config"], where=str(model_dir / META_FILE))
    return state, saved, meta


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
