"""Training: stream a spectrogram store into ``Model.fit`` and keep a usable model folder at every moment.

* :class:`SpectrogramDataset` -- a :class:`keras.utils.PyDataset` that gathers batches ``(x, x)`` from
  the memory-mapped song files of a :class:`~genmusic.store.SpectrogramStore`, reshuffled every epoch
  with a seeded generator; a batch holding NaN or inf raises :class:`~genmusic.errors.DataError` naming
  the songs.
* Callbacks: :class:`NaNGuard` (stop at the first non-finite loss), :class:`ResumeCheckpoint`
  (``checkpoint/last.keras`` + ``checkpoint/state.json`` after every epoch), :class:`ThroughputMeter`
  (samples per second, compile time excluded) and :class:`TimeLimit` (train for a fixed wall time).
* :func:`train` -- the whole job: checks, seeds, mixed precision, devices, callbacks, ``fit``, and the
  model folder (see :mod:`genmusic.modelio`): ``model.keras`` (best on validation), ``genmusic.json``,
  ``history.csv``, ``loss.png``, ``checkpoint/``, ``tensorboard/`` (TensorFlow backend only).

Devices
-------
``TrainConfig.distribution`` picks how the batches are spread:

* TensorFlow: ``"mirrored"`` (or ``"auto"`` with more than one GPU) builds and compiles the model inside
  ``tf.distribute.MirroredStrategy`` over the local GPUs (the logical CPUs when there is no GPU);
  ``"multi_worker"`` uses ``tf.distribute.MultiWorkerMirroredStrategy`` (the cluster comes from
  ``TF_CONFIG``; only the chief writes the model folder).
* JAX: ``"data_parallel"`` (or ``"auto"`` with more than one device) sets
  ``keras.distribution.DataParallel(devices=jax.devices())`` for the duration of :func:`train`.
* ``"mirrored"`` on JAX means ``"data_parallel"`` and vice versa on TensorFlow.

``TrainConfig.batch_size`` is the GLOBAL batch: each of ``R`` replicas sees ``batch_size / R`` segments
per step, so the same config gives the same number of steps per epoch on any number of devices (scale
the learning rate yourself if you scale the batch). It must be a multiple of ``R``; the last, smaller
batch of an epoch is topped up with segments from the start of the epoch so that it splits evenly too.

TensorFlow is imported only inside the TensorFlow branches, so genmusic trains under
``KERAS_BACKEND=jax`` on a machine without TensorFlow.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import logging
import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import keras
import numpy as np

from .config import GenmusicConfig, ModelConfig
from .errors import DataError, GenmusicError, ModelFolderError, ParameterError, TrainingError
from .modelio import META_FILE, MODEL_FILE, read_model_metadata, write_model_metadata
from ._io import atomic_path, atomic_write_json, atomic_write_text
from .store import SpectrogramStore

__all__ = ["SpectrogramDataset", "TrainResult", "train", "NaNGuard", "ResumeCheckpoint", "ThroughputMeter",
           "TimeLimit", "visible_gpus", "CHECKPOINT_DIR", "STATE_FILE", "LAST_MODEL_FILE"]

logger = logging.getLogger("genmusic")

CHECKPOINT_DIR = "checkpoint"
LAST_MODEL_FILE = "last.keras"
STATE_FILE = "state.json"
HISTORY_FILE = "history.csv"
LOSS_PLOT_FILE = "loss.png"
TENSORBOARD_DIR = "tensorboard"
#: What a model folder may hold; ``overwrite=True`` removes exactly these.
_FOLDER_ENTRIES = (MODEL_FILE, META_FILE, HISTORY_FILE, LOSS_PLOT_FILE, CHECKPOINT_DIR, TENSORBOARD_DIR)


# --------------------------------------------------------------------------------------------------
# Data


class SpectrogramDataset(keras.utils.PyDataset):
    """Batches ``(x, x)`` of normalised spectrogram segments, read from a store's memory-mapped files.

    Only the segments of the current batch are ever in memory. With ``shuffle`` the order of the
    segments is a permutation drawn by ``np.random.default_rng([seed, epoch])``: the same seed gives
    the same order in every run, a new one every epoch, and a resumed run carries on with the order it
    would have had. :meth:`on_epoch_end` (called by ``fit``) moves to the next epoch.

    Parameters
    ----------
    store : SpectrogramStore
    index : np.ndarray [shape=(n, 2)] or str
        ``(song_number, segment)`` pairs (see :meth:`SpectrogramStore.segment_index`), or a split name.
    batch_size : int >= 1
    shuffle : bool
    seed : int
    epoch : int
        Epoch of the first order (a resumed run starts at its saved epoch).
    max_segments : int or None
        Use at most this many segments per epoch (with ``shuffle``, a new random subset every epoch).
    pad_to_multiple : int >= 1
        Top up the last batch with segments from the start of the epoch so that every batch splits
        evenly over this many replicas.
    **kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size`` for :class:`keras.utils.PyDataset`.

    Examples
    --------
    >>> ds = SpectrogramDataset(store, "train", batch_size=16, seed=0)   # doctest: +SKIP
    >>> x, y = ds[0]; x.shape                                            # doctest: +SKIP
    (16, 512, 128, 1)
    """

    def __init__(self, store: SpectrogramStore, index: Union[np.ndarray, str], batch_size: int, *,
                 shuffle: bool = True, seed: int = 0, epoch: int = 0, max_segments: Optional[int] = None,
                 pad_to_multiple: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(index, str):
            index = store.segment_index(index)
        index = np.asarray(index, dtype=np.int64).reshape(-1, 2)
        if int(batch_size) < 1:
            raise ParameterError(f"batch_size must be >= 1, got {batch_size!r}")
        if max_segments is not None and int(max_segments) < 1:
            raise ParameterError(f"max_segments must be None or >= 1, got {max_segments!r}")
        if int(pad_to_multiple) < 1:
            raise ParameterError(f"pad_to_multiple must be >= 1, got {pad_to_multiple!r}")
        if len(index) == 0:
            raise DataError(f"{store.path}: no segments to train on in this split")
        self.store = store
        self.index = index
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.max_segments = None if max_segments is None else int(max_segments)
        self.pad_to_multiple = int(pad_to_multiple)
        self.last_error: Optional[DataError] = None
        self.set_epoch(epoch)

    # -- order -------------------------------------------------------------------------------------------

    def set_epoch(self, epoch: int) -> None:
        """Draw the segment order of ``epoch``."""
        self.epoch = int(epoch)
        n = len(self.index)
        order = np.random.default_rng([self.seed, self.epoch]).permutation(n) if self.shuffle else np.arange(n)
        if self.max_segments is not None:
            order = order[:self.max_segments]
        self.order = order

    def on_epoch_end(self) -> None:
        self.set_epoch(self.epoch + 1)

    # -- PyDataset -----------------------------------------------------------------------------------------

    @property
    def n_segments(self) -> int:
        """Segments per epoch (without the top-up of the last batch)."""
        return len(self.order)

    def __len__(self) -> int:
        return math.ceil(len(self.order) / self.batch_size)

    def batch_positions(self, i: int) -> np.ndarray:
        """Positions in :attr:`index` of the segments of batch ``i`` (the top-up included)."""
        if not 0 <= i < len(self):
            raise IndexError(f"batch {i} out of range: the dataset has {len(self)} batches")
        rows = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        short = (-len(rows)) % self.pad_to_multiple
        if short:
            rows = np.concatenate([rows, np.resize(self.order, short)])
        return rows

    def batch_samples(self, i: int) -> int:
        """Segments in batch ``i``."""
        return len(self.batch_positions(i))

    def __getitem__(self, i: int) -> Tuple[np.ndarray, np.ndarray]:
        """Batch ``i``: ``(x, x)``, x float32 [shape=(batch, n_freq, segment_frames, 1)]."""
        pairs = self.index[self.batch_positions(int(i))]
        x = self.store.load_segments(pairs)
        finite = np.isfinite(x).reshape(len(x), -1).all(axis=1)
        if not finite.all():
            bad = sorted({self.store.songs[int(p)].song_id for p, ok in zip(pairs[:, 0], finite) if not ok})
            error = DataError(
                f"{self.store.path}: batch {i} holds NaN or infinite values, from song(s) {', '.join(bad)}; "
                f"the spectrogram files are damaged: preprocess again with --overwrite")
            self.last_error = error
            raise error
        x = x[..., None]
        return x, x


# --------------------------------------------------------------------------------------------------
# Callbacks


class NaNGuard(keras.callbacks.Callback):
    """Stop training at the first batch whose loss is NaN or infinite, and remember where.

    Attributes
    ----------
    tripped : (int, int) or None
        ``(epoch, batch)``, both 0-based, of the first non-finite loss.
    """

    def __init__(self) -> None:
        super().__init__()
        self.tripped: Optional[Tuple[int, int]] = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)) and self.tripped is None:
            self.tripped = (self._epoch, int(batch))
            self.model.stop_training = True


class ThroughputMeter(keras.callbacks.Callback):
    """Training samples per wall second, compile and validation time excluded.

    In every epoch the clock starts at the end of its first batch (which, in the first epoch, includes
    tracing and compiling the train step) and stops at the end of its last training batch. When more
    than one epoch ran, the first epoch is left out entirely (a partial last batch may be compiled
    again there).

    Parameters
    ----------
    batch_samples : callable int -> int
        Samples in batch ``i`` (:meth:`SpectrogramDataset.batch_samples`).
    """

    def __init__(self, batch_samples) -> None:
        super().__init__()
        self._batch_samples = batch_samples
        self.epochs: List[Tuple[float, int]] = []
        self._last: Optional[float] = None

    def on_epoch_begin(self, epoch, logs=None):
        self._last = None
        self.epochs.append((0.0, 0))

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self._last is not None:
            seconds, samples = self.epochs[-1]
            self.epochs[-1] = (seconds + now - self._last, samples + self._batch_samples(int(batch)))
        self._last = now

    @property
    def samples_per_second(self) -> float:
        """Samples per second (NaN when nothing was timed)."""
        use = self.epochs[1:] if len(self.epochs) > 1 else self.epochs
        seconds = sum(s for s, _ in use)
        samples = sum(n for _, n in use)
        return samples / seconds if seconds > 0 else float("nan")


class TimeLimit(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall time have passed since ``fit`` began (checked every batch)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        if not seconds > 0:
            raise ParameterError(f"seconds must be > 0, got {seconds!r}")
        self.seconds = float(seconds)
        self.stopped = False
        self._start = 0.0

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self._start >= self.seconds:
            self.stopped = True
            self.model.stop_training = True


class ResumeCheckpoint(keras.callbacks.Callback):
    """After every clean epoch write ``checkpoint/last.keras`` (model and optimizer) and ``state.json``.

    Both files are written under temporary names and renamed, model first, so a killed run leaves the
    previous pair (or, killed between the two renames, a model one epoch ahead of its state: the
    resumed run then trains that epoch once more). An epoch in which :class:`NaNGuard` tripped is not
    saved. The best validation loss and its weights (in memory) are tracked here too.

    Parameters
    ----------
    folder : path-like
        The model folder.
    seed : int
    best : float
        Best validation loss of earlier runs (``inf`` for a fresh one).
    wait : int
        Epochs since the best one, from earlier runs.
    guard : NaNGuard, optional
    early_stopping : keras.callbacks.EarlyStopping, optional
        Its ``wait`` counter is saved when present.
    """

    def __init__(self, folder, *, seed: int, best: float = float("inf"), wait: int = 0,
                 guard: Optional[NaNGuard] = None, early_stopping=None) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.seed = int(seed)
        self.best = float(best)
        self.wait = int(wait)
        self.guard = guard
        self.early_stopping = early_stopping
        self.epochs_done: Optional[int] = None
        self.best_weights: Optional[list] = None

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.tripped is not None:
            return
        logs = logs or {}
        current = logs.get("val_loss", logs.get("loss"))
        if current is not None and np.isfinite(current) and current < self.best:
            self.best = float(current)
            self.wait = 0
            self.best_weights = [np.array(w) for w in self.model.get_weights()]
        else:
            self.wait += 1
        if self.early_stopping is not None:
            self.wait = int(self.early_stopping.wait)
        self.epochs_done = epoch + 1
        ckpt = self.folder / CHECKPOINT_DIR
        ckpt.mkdir(parents=True, exist_ok=True)
        with atomic_path(ckpt / LAST_MODEL_FILE) as tmp:
            self.model.save(tmp, overwrite=True)
        atomic_write_json(ckpt / STATE_FILE, self.state())

    def state(self) -> dict:
        return {"epoch": self.epochs_done, "best_val_loss": _json_float(self.best), "wait": self.wait,
                "seed": self.seed}


class BestCheckpoint(keras.callbacks.Callback):
    """Save the model whenever the monitored loss improves, atomically (temporary name, then rename),
    so a run killed mid-write never leaves a broken ``model.keras``. Non-finite values never count."""

    def __init__(self, path, *, monitor: str = "val_loss", best: float = float("inf"),
                 guard: Optional[NaNGuard] = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.monitor = monitor
        self.best = float(best)
        self.guard = guard

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.tripped is not None:
            return
        current = (logs or {}).get(self.monitor)
        if current is None or not np.isfinite(current) or current >= self.best:
            return
        self.best = float(current)
        with atomic_path(self.path) as tmp:
            self.model.save(tmp, overwrite=True)


class _ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping that starts from the best value and wait count of an earlier run."""

    def __init__(self, *, best: Optional[float], wait: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self._initial = (best, int(wait))

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        best, self.wait = self._initial
        self.best = best if best is not None and np.isfinite(best) else None


def _has_tensorboard() -> bool:
    """TensorBoard logs need the ``tensorboard`` package; without it they are skipped (said once)."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is not None:
        return True
    logger.info("the tensorboard package is not installed: no TensorBoard logs (pip install tensorboard)")
    return False


def _json_float(value) -> Optional[float]:
    return float(value) if value is not None and np.isfinite(value) else None


# --------------------------------------------------------------------------------------------------
# Devices


def visible_gpus(backend: Optional[str] = None) -> int:
    """Number of GPUs the Keras backend sees (0 when it sees none or cannot tell)."""
    backend = backend or keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return len(tf.config.list_physical_devices("GPU"))
        if backend == "jax":
            import jax

            return sum(1 for d in jax.devices() if d.platform == "gpu")
        if backend == "torch":
            import torch

            return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception as exc:  # noqa: BLE001 - a broken driver means "no GPU", said once
        logger.warning("could not list the GPUs of the %s backend (%s); training on the CPU", backend, exc)
    return 0


@contextlib.contextmanager
def _mixed_precision(setting: str, backend: str, n_gpus: int) -> Iterator[Optional[str]]:
    """Set the global dtype policy for the model's construction; restore the previous one afterwards."""
    use = setting == "on" or (setting == "auto" and n_gpus > 0)
    if not use:
        yield None
        return
    policy = "mixed_bfloat16" if backend == "jax" else "mixed_float16"
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield policy
    finally:
        keras.mixed_precision.set_global_policy(previous)


@dataclass
class _Devices:
    """What :func:`_distribution` chose."""

    replicas: int = 1
    description: str = "one device"
    strategy: Any = None  # tf.distribute.Strategy on TensorFlow
    is_chief: bool = True

    def scope(self):
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()


@contextlib.contextmanager
def _distribution(setting: str, backend: str, n_gpus: int) -> Iterator[_Devices]:
    if backend == "tensorflow":
        if setting == "data_parallel":
            logger.info("distribution='data_parallel' on TensorFlow: using tf.distribute.MirroredStrategy")
            setting = "mirrored"
        if setting == "mirrored" or (setting == "auto" and n_gpus > 1):
            import tensorflow as tf

            devices = [d.name for d in tf.config.list_logical_devices("GPU")]
            devices = devices or [d.name for d in tf.config.list_logical_devices("CPU")]
            strategy = tf.distribute.MirroredStrategy(devices)
            yield _Devices(strategy.num_replicas_in_sync, f"MirroredStrategy over {', '.join(devices)}", strategy)
            return
        if setting == "multi_worker":
            import tensorflow as tf

            strategy = tf.distribute.MultiWorkerMirroredStrategy()
            resolver = strategy.cluster_resolver
            task_type, task_id = getattr(resolver, "task_type", None), getattr(resolver, "task_id", 0)
            cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
            is_chief = (task_type in (None, "chief")
                        or (task_type == "worker" and task_id == 0 and "chief" not in cluster))
            yield _Devices(strategy.num_replicas_in_sync,
                           f"MultiWorkerMirroredStrategy (task {task_type}:{task_id})", strategy, is_chief)
            return
        yield _Devices()
        return
    if backend == "jax":
        if setting == "multi_worker":
            raise ParameterError("distribution='multi_worker' needs the TensorFlow backend; under JAX start one "
                                 "process per host with keras.distribution.initialize() and use 'data_parallel'")
        if setting == "mirrored":
            logger.info("distribution='mirrored' on JAX: using keras.distribution.DataParallel")
            setting = "data_parallel"
        import jax

        devices = jax.devices()
        if setting == "data_parallel" or (setting == "auto" and len(devices) > 1):
            previous = keras.distribution.distribution()
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            try:
                yield _Devices(len(devices), f"keras.distribution.DataParallel over {len(devices)} "
                                             f"{devices[0].platform} device(s)")
            finally:
                keras.distribution.set_distribution(previous)
            return
        yield _Devices()
        return
    if setting not in ("auto", "none"):
        raise ParameterError(f"distribution={setting!r} is not supported on the {backend} backend; "
                             f"use 'none' (or the TensorFlow / JAX backend)")
    yield _Devices()


def _scale_loss_for_replicas(model) -> None:
    """Divide the model's loss by the replica count inside a ``tf.distribute`` strategy.

    Keras' TensorFlow train step sums the replicas' gradients and multiplies the reported loss by the
    replica count, expecting ``compute_loss`` to return the per-replica loss divided by it, as Keras'
    built-in losses do. genmusic's models return a plain mean, which would make the step (and the
    logged loss) ``R`` times too large. A model class that scales its loss itself says so with a true
    ``scales_loss_for_distribution`` attribute and is left alone.
    """
    if getattr(model, "scales_loss_for_distribution", False):
        return
    import tensorflow as tf

    compute_loss = model.compute_loss

    def scaled_compute_loss(*args, **kwargs):
        loss = compute_loss(*args, **kwargs)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return loss / tf.cast(replicas, loss.dtype) if replicas > 1 else loss

    model.compute_loss = scaled_compute_loss


# --------------------------------------------------------------------------------------------------
# The result


@dataclass
class TrainResult:
    """What :func:`train` did.

    Attributes
    ----------
    history : dict str -> list of float
        Every epoch of the model folder's ``history.csv`` (earlier runs included when resumed).
    best_val_loss : float
        Lowest validation loss (the loss of ``model.keras``); NaN when no epoch finished.
    epochs_run : int
        Epochs completed in total (earlier runs included).
    stopped_early : bool
        Training ended before ``config.train.epochs`` (early stopping or a time limit).
    wall_seconds : float
        Wall time of ``fit`` in this run.
    samples_per_second, audio_seconds_per_second : float
        Training throughput of this run, compile time excluded (see :class:`ThroughputMeter`).
    model_dir : Path
    model : keras.Model
        The trained model holding the best-on-validation weights (those of ``model.keras``).
    """

    history: Dict[str, List[float]]
    best_val_loss: float
    epochs_run: int
    stopped_early: bool
    wall_seconds: float
    samples_per_second: float
    audio_seconds_per_second: float
    model_dir: Path
    model: Any = field(default=None, repr=False)
    config: Optional[GenmusicConfig] = field(default=None, repr=False)
    n_replicas: int = 1
    train_segments: int = 0
    val_segments: int = 0
    mixed_precision: Optional[str] = None

    def summary(self) -> str:
        """A few lines for the end of a command."""
        return "\n".join([
            f"trained {self.epochs_run} epoch(s){' (stopped early)' if self.stopped_early else ''} in "
            f"{self.wall_seconds:.1f} s on {self.n_replicas} replica(s)",
            f"best validation loss: {self.best_val_loss:.6g}",
            f"throughput: {self.samples_per_second:.1f} segments/s = {self.audio_seconds_per_second:.1f} "
            f"s of audio per second",
            f"model folder: {self.model_dir}",
        ])


# --------------------------------------------------------------------------------------------------
# train()


def _describe_spectrogram(config: GenmusicConfig) -> str:
    s = config.spectrogram
    return (f"shape {s.segment_shape} (n_fft={s.n_fft}, hop_length={s.hop_length}, segment_frames={s.segment_frames}, "
            f"top_db={s.top_db}, amin={s.amin}, window={s.window!r})")


def _resolve_config(store: SpectrogramStore, config: Optional[GenmusicConfig], kind: Optional[str],
                    saved: Optional[GenmusicConfig]) -> GenmusicConfig:
    if config is None:
        config = saved if saved is not None else store.config
    elif not isinstance(config, GenmusicConfig):
        raise ParameterError(f"config must be a GenmusicConfig or None, got {type(config).__name__}")
    elif config.spectrogram != store.config.spectrogram:
        raise DataError(f"the config's spectrogram settings do not match the store {store.path}: the config "
                        f"has {_describe_spectrogram(config)}, the store has {_describe_spectrogram(store.config)}; "
                        f"the spectrogram settings come from the store: remove them from the config, or "
                        f"preprocess again with the config's settings")
    config = config.replace(audio=store.config.audio, spectrogram=store.config.spectrogram)
    if kind is not None:
        config = config.replace(model={"kind": kind})
    return config


def _split_indices(store: SpectrogramStore, seed: int) -> Tuple[np.ndarray, np.ndarray, str]:
    train_index = store.segment_index("train")
    if len(train_index) == 0:
        raise DataError(f"{store.path} has no training songs (songs per split: "
                        f"{store.stats.get('songs_per_split')}); preprocess with smaller validation/test fractions")
    val_index = store.segment_index("validation")
    if len(val_index):
        return train_index, val_index, f"validation split: {len(store.songs_in('validation'))} song(s)"
    songs = np.unique(train_index[:, 0])
    if len(songs) < 2:
        note = "the store has no validation songs and only one training song: validating on the training song"
        logger.warning(note)
        return train_index, train_index, note
    n_val = max(1, int(round(0.1 * len(songs))))
    held = np.random.default_rng(seed).choice(songs, size=n_val, replace=False)
    is_val = np.isin(train_index[:, 0], held)
    names = ", ".join(store.songs[int(s)].song_id for s in sorted(held))
    note = (f"the store has no validation songs: holding out {n_val} of {len(songs)} training song(s) "
            f"(seed {seed}) for validation: {names}")
    logger.info(note)
    return train_index[~is_val], train_index[is_val], note


def _read_history(path: Path) -> Dict[str, List[float]]:
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


def _truncate_history(path: Path, epochs: int) -> None:
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


def _prepare_folder(model_dir: Path, *, resume: bool, overwrite: bool) -> None:
    if model_dir.exists() and not model_dir.is_dir():
        raise ModelFolderError(f"model folder {model_dir} exists and is not a folder")
    if resume:
        return
    finished = (model_dir / MODEL_FILE).is_file() or (model_dir / CHECKPOINT_DIR / STATE_FILE).is_file()
    if finished and not overwrite:
        raise ModelFolderError(f"{model_dir} already holds a trained model; pass --resume to continue training "
                               f"it, --overwrite to replace it, or choose another --model-dir")
    for name in _FOLDER_ENTRIES:
        path = model_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    model_dir.mkdir(parents=True, exist_ok=True)


def _read_resume_state(model_dir: Path) -> Tuple[dict, GenmusicConfig, dict]:
    state_path = model_dir / CHECKPOINT_DIR / STATE_FILE
    last = model_dir / CHECKPOINT_DIR / LAST_MODEL_FILE
    if not (state_path.is_file() and last.is_file()):
        raise ModelFolderError(f"nothing to resume: {model_dir} has no {CHECKPOINT_DIR}/{LAST_MODEL_FILE} and "
                               f"{CHECKPOINT_DIR}/{STATE_FILE} (no epoch finished there); train without --resume")
    meta = read_model_metadata(model_dir)
    try:
        state = json.loads(state_path.read_text())
        int(state["epoch"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFolderError(f"{state_path} is damaged ({exc}); train again with --overwrite") from None
    saved = GenmusicConfig.from_dict(meta["config"], where=str(model_dir / META_FILE))
    return state, saved, meta


def _check_resumable(model_dir: Path, meta: dict, saved: GenmusicConfig, config: GenmusicConfig,
                     store: SpectrogramStore) -> None:
    saved_shape = tuple(meta.get("input_shape", [])[:2])
    if saved_shape != tuple(store.segment_shape):
        raise ModelFolderError(f"cannot resume {model_dir}: its model takes spectrograms of shape {saved_shape}, "
                               f"but {store.path} holds shape {tuple(store.segment_shape)}; train a new model "
                               f"(another --model-dir, or --overwrite)")
    if saved.model != config.model:
        diffs = [f"{f.name}: saved {getattr(saved.model, f.name)!r}, requested {getattr(config.model, f.name)!r}"
                 for f in dataclasses.fields(ModelConfig)
                 if getattr(saved.model, f.name) != getattr(config.model, f.name)]
        raise ModelFolderError(f"cannot resume {model_dir}: it holds a model with another architecture "
                               f"({'; '.join(diffs)}); resume without changing the model settings, or train a new "
                               f"model (another --model-dir, or --overwrite)")


def train(spectrograms: Union[str, os.PathLike, SpectrogramStore], model_dir: Union[str, os.PathLike],
          config: Optional[GenmusicConfig] = None, *, kind: Optional[str] = None, resume: bool = False,
          overwrite: bool = False, progress: Optional[bool] = True,
          extra_callbacks: Sequence[keras.callbacks.Callback] = ()) -> TrainResult:
    """Train an autoencoder or VAE on a spectrogram store and write a model folder.

    Parameters
    ----------
    spectrograms : path-like or SpectrogramStore
        The store written by preprocessing. Its ``"train"`` split is trained on and its ``"validation"``
        split validated on (when that is empty, a seeded 10% of the training songs, as the log says).
    model_dir : path-like
        The model folder (see :mod:`genmusic.modelio`).
    config : GenmusicConfig, optional
        Model and training settings (default: the store's config; when resuming, the saved one). The
        audio and spectrogram settings always come from the store; a config whose spectrogram section
        differs from the store's is refused.
    kind : {"vae", "autoencoder"}, optional
        Overrides ``config.model.kind``.
    resume : bool
        Continue from ``checkpoint/last.keras`` (weights and optimizer state) at the saved epoch, up to
        ``config.train.epochs`` epochs in total.
    overwrite : bool
        Replace a model folder that already holds a trained model.
    progress : bool or None
        Keras' progress bar (True), one line per epoch (False) or nothing (None).
    extra_callbacks : sequence of keras.callbacks.Callback
        Added after genmusic's own (e.g. :class:`TimeLimit`).

    Returns
    -------
    TrainResult

    Raises
    ------
    DataError
        The store is missing, empty, has no training songs, its spectrogram settings differ from the
        config's, or a batch holds NaN / inf.
    ModelFolderError
        The folder holds a model and neither ``resume`` nor ``overwrite`` is set; nothing to resume; the
        folder was written by another version or for another input shape / architecture.
    TrainingError
        The loss became NaN or infinite; the last good model is kept.
    ParameterError
        Bad settings (an architecture that does not fit the input, a batch size that does not split over
        the replicas, ...).
    """
    if resume and overwrite:
        raise ParameterError("resume and overwrite exclude each other: resume continues the model in the folder, "
                             "overwrite replaces it")
    store = spectrograms if isinstance(spectrograms, SpectrogramStore) else SpectrogramStore(spectrograms)
    model_dir = Path(model_dir)
    state, saved, meta = (_read_resume_state(model_dir) if resume else ({}, None, {}))
    config = _resolve_config(store, config, kind, saved)
    if resume:
        _check_resumable(model_dir, meta, saved, config, store)
    else:
        # Refuse an architecture that cannot fit the input before --overwrite removes anything.
        from .models import plan_architecture

        m = config.model
        plan_architecture(store.segment_shape, m.conv_filters, m.conv_strides, m.latent_dim, m.bottleneck)
    _prepare_folder(model_dir, resume=resume, overwrite=overwrite)

    initial_epoch = int(state.get("epoch", 0))
    tcfg = config.train
    if initial_epoch >= tcfg.epochs:
        raise ParameterError(f"{model_dir} has already been trained for {initial_epoch} epoch(s); pass --epochs "
                             f"larger than {initial_epoch} to train it further")
    seed = int(state.get("seed", tcfg.seed))
    if resume and seed != tcfg.seed:
        logger.info("resuming with the saved seed %d (the config says %d)", seed, tcfg.seed)
    keras.utils.set_random_seed(seed)
    backend = keras.backend.backend()
    n_gpus = visible_gpus(backend)
    train_index, val_index, val_note = _split_indices(store, seed)

    with _mixed_precision(tcfg.mixed_precision, backend, n_gpus) as policy, \
            _distribution(tcfg.distribution, backend, n_gpus) as devices:
        if tcfg.batch_size % devices.replicas:
            raise ParameterError(f"batch_size={tcfg.batch_size} is the global batch and must split evenly over "
                                 f"the {devices.replicas} replicas; use a multiple of {devices.replicas}")
        logger.info("training on %d replica(s) (%s), %s backend, batch %d (%d per replica)%s", devices.replicas,
                    devices.description, backend, tcfg.batch_size, tcfg.batch_size // devices.replicas,
                    f", mixed precision {policy}" if policy else "")
        train_ds = SpectrogramDataset(store, train_index, tcfg.batch_size, shuffle=True, seed=seed,
                                      epoch=initial_epoch, max_segments=tcfg.max_train_segments,
                                      pad_to_multiple=devices.replicas)
        val_ds = SpectrogramDataset(store, val_index, tcfg.batch_size, shuffle=False,
                                    pad_to_multiple=devices.replicas)
        write_dir = model_dir if devices.is_chief else Path(tempfile.mkdtemp(prefix="genmusic-worker-"))

        with devices.scope():
            if resume:
                from . import models  # noqa: F401 - registers the genmusic classes with Keras

                last = model_dir / CHECKPOINT_DIR / LAST_MODEL_FILE
                try:
                    model = keras.saving.load_model(last, compile=True, safe_mode=True)
                except Exception as exc:  # noqa: BLE001 - any load failure becomes one message naming the file
                    raise ModelFolderError(f"{last}: cannot load the checkpoint ({type(exc).__name__}: {exc}); "
                                           f"train again with --overwrite") from None
                model.optimizer.learning_rate.assign(tcfg.learning_rate)
            else:
                from .models import build_model

                model = build_model(config.model, store.segment_shape, seed=seed)
                model.compile(optimizer=keras.optimizers.Adam(learning_rate=tcfg.learning_rate))
            if devices.strategy is not None and devices.replicas > 1:
                _scale_loss_for_replicas(model)

        segment_seconds = config.spectrogram.segment_samples / config.audio.sample_rate
        base_extra = {"backend": backend, "train_segments": train_ds.n_segments, "val_segments": val_ds.n_segments,
                      "n_replicas": devices.replicas, "mixed_precision": policy, "validation": val_note}

        def write_meta(status: str, **extra) -> None:
            write_model_metadata(write_dir, config, stats=store.stats, genres=store.genres,
                                 spectrograms=str(store.path), extra={**base_extra, "status": status, **extra})

        write_meta("training", epochs_run=initial_epoch, best_val_loss=state.get("best_val_loss"))

        best = state.get("best_val_loss")
        best = float("inf") if best is None else float(best)
        guard = NaNGuard()
        meter = ThroughputMeter(train_ds.batch_samples)
        early = None
        if tcfg.patience > 0:
            early = _ResumableEarlyStopping(monitor="val_loss", patience=tcfg.patience, best=best,
                                            wait=int(state.get("wait", 0)))
        resume_cb = ResumeCheckpoint(write_dir, seed=seed, best=best, wait=int(state.get("wait", 0)),
                                     guard=guard, early_stopping=early)
        history_path = write_dir / HISTORY_FILE
        if resume:
            _truncate_history(history_path, initial_epoch)
        callbacks: List[keras.callbacks.Callback] = [
            guard, meter,
            BestCheckpoint(write_dir / MODEL_FILE, monitor="val_loss", best=best, guard=guard),
        ]
        if early is not None:
            callbacks.append(early)
        callbacks += [keras.callbacks.CSVLogger(str(history_path), append=resume), resume_cb]
        if backend == "tensorflow" and _has_tensorboard():
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(write_dir / TENSORBOARD_DIR),
                                                         write_graph=False, profile_batch=0))
        callbacks += list(extra_callbacks)

        verbose = 1 if progress else (2 if progress is not None else 0)
        start = time.perf_counter()
        try:
            model.fit(train_ds, validation_data=val_ds, epochs=tcfg.epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=verbose, shuffle=False)
        except GenmusicError:
            raise
        except Exception:
            # tf.data wraps exceptions raised inside the generator; give the user the original message.
            for ds in (train_ds, val_ds):
                if ds.last_error is not None:
                    raise ds.last_error from None
            raise
        wall = time.perf_counter() - start

        epochs_run = resume_cb.epochs_done if resume_cb.epochs_done is not None else initial_epoch
        best_val = resume_cb.best
        if resume_cb.best_weights is not None:
            model.set_weights(resume_cb.best_weights)
        elif (write_dir / MODEL_FILE).is_file():
            model.set_weights(keras.saving.load_model(write_dir / MODEL_FILE, compile=False).get_weights())

    sps = meter.samples_per_second
    result = TrainResult(
        history=_read_history(history_path), best_val_loss=best_val if np.isfinite(best_val) else float("nan"),
        epochs_run=epochs_run, stopped_early=guard.tripped is None and epochs_run < tcfg.epochs,
        wall_seconds=wall, samples_per_second=sps, audio_seconds_per_second=sps * segment_seconds,
        model_dir=write_dir, model=model, config=config, n_replicas=devices.replicas,
        train_segments=train_ds.n_segments, val_segments=val_ds.n_segments, mixed_precision=policy)
    if result.history:
        from .plotting import plot_history

        plot_history(result.history, write_dir / LOSS_PLOT_FILE,
                     title=f"{config.model.kind} on {store.path.name}")
    status = "finished" if guard.tripped is None else "stopped: loss became NaN"
    write_meta(status, epochs_run=epochs_run, best_val_loss=_json_float(best_val),
               samples_per_second=_json_float(sps), audio_seconds_per_second=_json_float(sps * segment_seconds),
               wall_seconds=wall)
    if guard.tripped is not None:
        epoch, batch = guard.tripped
        kept = (f"the last good model is kept in {write_dir / MODEL_FILE} (best validation loss {best_val:.6g}) and "
                f"{write_dir / CHECKPOINT_DIR / LAST_MODEL_FILE} (epoch {epochs_run}, for --resume)"
                if (write_dir / MODEL_FILE).is_file() else
                f"no epoch finished cleanly, so {write_dir} holds no model")
        raise TrainingError(f"training stopped: the loss became NaN at epoch {epoch + 1} batch {batch + 1}; {kept}; "
                            f"try a lower --learning-rate (it was {tcfg.learning_rate:g})")
    logger.info("trained %d epoch(s); best validation loss %.6g; %.1f segments/s; model folder %s",
                epochs_run, best_val, sps, write_dir)
    return result
