"""Training: stream a spectrogram store into ``Model.fit`` and keep a usable model folder at every moment.

:func:`train` is the whole job, in named steps:

0. the model folder is locked for the run (:func:`genmusic._io.folder_lock`);
1. :func:`_plan_run` -- the settings (store, config file, saved run) and the checks that refuse a run that
   cannot work; nothing on disk is touched until the model is built, then the model folder is prepared
   (:func:`genmusic.models.modelio.prepare_folder`: only genmusic's files are ever removed);
2. the seed, mixed precision and devices (:mod:`genmusic.models.devices`);
3. :func:`_datasets` -- the training and validation batches (:mod:`genmusic.models.dataset`);
4. :func:`_build_model` / :func:`_restore_model` -- a fresh model from ``ModelConfig``, or the checkpoint;
   fine-tuning (``init_from``) builds the source model's architecture and starts from its weights
   (:func:`_start_from`);
5. :func:`_callbacks` -- NaN guard, throughput, the best-model tracker, logs, resume checkpoints
   (:mod:`genmusic.models.callbacks`);
6. :func:`_fit` -- ``Model.fit``;
7. :func:`_finish_folder` -- the best weights back in the model, ``loss.png``, ``genmusic.json``.

The model folder (see :mod:`genmusic.models.modelio`): ``model.keras`` (best on validation), ``genmusic.json``,
``history.csv``, ``loss.png``, ``checkpoint/``, ``tensorboard/`` (TensorFlow backend only).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import keras
import numpy as np

from .. import pretrained
from .._io import OUTPUT_ERRNOS, check_folder_kind, folder_lock, json_float, output_failure, shown
from ..config import GenmusicConfig, TrainConfig, check_compatible
from ..data.store import SpectrogramStore
from ..errors import GenmusicError, ModelFolderError, ParameterError, TrainingError
from .callbacks import (AveragedWeights, BestModel, EpochLine, NaNGuard, RecordNewFiles, ResumeCheckpoint, ThroughputMeter,
                        TimeLimit)
from .dataset import SpectrogramDataset, split_indices
from .devices import (Devices, distribution, is_chief_task, mixed_precision, multi_worker_failure,
                      scale_loss_for_replicas, visible_gpus)
from .modelio import (CHECKPOINT_DIR, HISTORY_FILE, LAST_MODEL_FILE, LOSS_PLOT_FILE, META_FILE, MODEL_FILE,
                      TENSORBOARD_DIR, load_bundle, prepare_folder, read_history, read_model_metadata,
                      read_resume_state, truncate_history, write_model_metadata)

__all__ = ["TrainResult", "train", "layered_config"]

logger = logging.getLogger("genmusic")


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
            _throughput(self.samples_per_second, self.audio_seconds_per_second),
            f"model folder: {self.model_dir}",
        ])


def _throughput(samples_per_second: float, audio_seconds_per_second: float) -> str:
    """The throughput line; an epoch of one batch times nothing (the first batch includes compiling)."""
    if not np.isfinite(samples_per_second):
        return "throughput: not measured (every epoch had one batch: a throughput needs two)"
    return (f"throughput: {samples_per_second:.1f} segments/s = {audio_seconds_per_second:.1f} s of audio per "
            f"second")


# --------------------------------------------------------------------------------------------------
# The steps


def _resolve_config(store: SpectrogramStore, config: Optional[GenmusicConfig], kind: Optional[str],
                    saved: Optional[GenmusicConfig]) -> GenmusicConfig:
    """The run's config: ``config`` (or the saved one, or the store's) with the store's audio and spectrogram
    settings and ``kind``."""
    if config is None:
        config = saved if saved is not None else store.config
    elif not isinstance(config, GenmusicConfig):
        raise ParameterError(f"config must be a GenmusicConfig or None, got {type(config).__name__}")
    else:
        check_compatible(config, store.config, model_name="the config", data_name=f"the store {store.path}",
                         labels=("config", "store"), sections=("spectrogram",),
                         fix="The spectrogram settings come from the store: remove them from the config, or "
                             "preprocess again with the config's settings")
    config = config.replace(audio=store.config.audio, spectrogram=store.config.spectrogram)
    if kind is not None:
        config = config.replace(model={"kind": kind})
    return config


def layered_config(store: SpectrogramStore, *, base: Optional[GenmusicConfig] = None,
                   config_file: Union[str, os.PathLike, None] = None, preset: Optional[str] = None,
                   train: Optional[Dict[str, Any]] = None, model: Optional[Dict[str, Any]] = None,
                   kind: Optional[str] = None) -> GenmusicConfig:
    """The settings of a training run, built in layers, each overriding the one before.

    1. ``base`` (a model folder's saved config, for a resumed run), else the store's config;
    2. ``config_file``: a (partial) GenmusicConfig JSON, which replaces step 1; the audio and spectrogram
       sections it does not have come from the store (those it has must match the store's: :func:`train`
       checks them);
    3. ``preset``: a named model architecture (:func:`genmusic.models.get_preset`), which replaces the model
       section;
    4. ``train`` / ``model``: single settings (``{"epochs": 5}``, ``{"latent_dim": 64}``), and ``kind``.

    Returns
    -------
    GenmusicConfig
    """
    from .presets import get_preset

    config = base if base is not None else store.config
    if config_file is not None:
        data = GenmusicConfig.read_json(config_file)
        stored = store.config.to_dict()
        for section in ("audio", "spectrogram"):
            data.setdefault(section, stored[section])
        config = GenmusicConfig.from_dict(data, where=str(config_file))
    if preset:
        config = config.replace(model=get_preset(preset))
    model = dict(model or {})
    if kind is not None:
        model["kind"] = kind
    return config.replace(train=dict(train or {}), model=model)


def _check_resumable(model_dir: Path, saved: GenmusicConfig, config: GenmusicConfig, store: SpectrogramStore) -> None:
    """A resumed model must read the store's spectrograms and keep its architecture."""
    new_model = "train a new model (another model_dir, or overwrite=True)"
    check_compatible(saved, store.config, model_name=f"the model in {model_dir}", data_name=f"the store {store.path}",
                     labels=("model", "store"), fix=f"It cannot be resumed on this store: {new_model}")
    check_compatible(saved, config, model_name=f"the model in {model_dir}", data_name="the requested config",
                     labels=("saved", "requested"), sections=("model",),
                     fix=f"Resume without changing the model settings, or {new_model}")


@dataclass
class _Run:
    """What a run starts from: its settings and, when resumed, the saved state."""

    config: GenmusicConfig
    state: dict
    initial_epoch: int
    seed: int
    checkpoint: Optional[Path] = None
    #: Fine-tuning: the model folder the weights start from, and how ``genmusic.json`` records it.
    init_from: Optional[Path] = None
    init_record: Optional[dict] = None


def _init_source(init_from: Union[str, os.PathLike], store: SpectrogramStore, config: GenmusicConfig,
                 kind: Optional[str]) -> Tuple[Path, dict, GenmusicConfig]:
    """Fine-tuning: the source model folder (a path or an installed model's name), what ``genmusic.json``
    records of it, and the run's config with the source's model section.

    Raises
    ------
    SettingsMismatchError
        The source reads spectrograms made with other audio or spectrogram settings than the store's (the
        message names each setting and both values).
    ParameterError
        ``kind`` is not the source's kind.
    """
    source = pretrained.resolve(init_from)
    meta = read_model_metadata(source)
    theirs = GenmusicConfig.from_dict(meta["config"], where=str(source / META_FILE))
    name = pretrained.installed_name(source)
    shown_source = f"the installed model {name}" if name else f"the model {shown(source)}"
    check_compatible(theirs, store.config, model_name=f"init_from={shown(init_from)} ({shown_source})",
                     data_name=f"the store {shown(store.path)}", labels=("model", "store"),
                     fix=f"Fine-tuning reads spectrograms made with the model's own settings: preprocess your audio "
                         f"again with them (genmusic preprocess --config FILE, FILE holding the 'audio' and "
                         f"'spectrogram' sections of the 'config' in {shown(source / META_FILE)})")
    if kind is not None and kind != theirs.model.kind:
        raise ParameterError(f"init_from={shown(init_from)} is a {theirs.model.kind}, but kind={kind!r} was asked "
                             f"for; fine-tune it as a {theirs.model.kind} (kind={theirs.model.kind!r})",
                             parameter="init_from")
    changed = [f for f in theirs.model.__dataclass_fields__ if getattr(theirs.model, f) != getattr(config.model, f)]
    if changed:
        logger.info("fine-tuning %s: its model settings are used (%s differ from the config's)", shown_source,
                    ", ".join(changed))
    record = {"model": name or str(init_from), "folder": str(source.resolve()), "installed": name is not None,
              "genmusic_version": meta.get("genmusic_version"), "epochs_run": meta.get("epochs_run")}
    return source, record, config.replace(model=theirs.model)


def _check_resumed_init(init_from: Union[str, os.PathLike], saved_meta: dict, model_dir: Path) -> None:
    """``resume`` with ``init_from``: the resumed model must have started from that model (then ``init_from``
    changes nothing: the checkpoint holds the fine-tuned weights); anything else is refused."""
    recorded = saved_meta.get("init_from") or {}
    given = pretrained.resolve(init_from).resolve()
    if recorded.get("folder") and Path(recorded["folder"]) == given:
        logger.info("resuming %s, which started from %s: its checkpoint holds the fine-tuned weights", model_dir,
                    recorded.get("model"))
        return
    started = f"started from {recorded.get('model')}" if recorded else "was trained from scratch"
    raise ParameterError(f"init_from={shown(init_from)} with resume=True: the model in {shown(model_dir)} {started}, "
                         f"and resume continues it as it is; leave init_from out to resume it, or fine-tune "
                         f"{shown(init_from)} into another model_dir (without resume)", parameter="init_from")


def _plan_run(store: SpectrogramStore, model_dir: Path, config: Optional[GenmusicConfig], *, kind: Optional[str],
              resume: bool, overwrite: bool, init_from: Union[str, os.PathLike, None] = None) -> _Run:
    """Step 1: the settings and every check that can refuse the run; nothing on disk is changed."""
    if resume and overwrite:
        raise ParameterError("resume and overwrite exclude each other: resume continues the model in the folder, "
                             "overwrite replaces it")
    check_folder_kind(model_dir, "model", option="model_dir")  # a store or a latent folder is never a model's
    saved = read_resume_state(model_dir) if resume else None
    state = saved.state if saved else {}
    config = _resolve_config(store, config, kind, saved.config if saved else None)
    source, record = None, saved.meta.get("init_from") if saved else None
    if init_from is not None and resume:
        _check_resumed_init(init_from, saved.meta, model_dir)
    elif init_from is not None:
        source, record, config = _init_source(init_from, store, config, kind)
    if resume:
        _check_resumable(model_dir, saved.config, config, store)
    else:
        # Refuse an architecture that cannot fit the input before overwrite removes anything.
        from . import plan_architecture

        m = config.model
        plan_architecture(store.segment_shape, m.conv_filters, m.conv_strides, m.latent_dim, m.bottleneck,
                          bins_as_channels=m.bins_as_channels)
    initial_epoch = int(state.get("epoch", 0))
    if initial_epoch >= config.train.epochs:
        raise ParameterError(f"{model_dir} has already been trained for {initial_epoch} epoch(s); set "
                             f"config.train.epochs above {initial_epoch} to train it further")
    seed = int(state.get("seed", config.train.seed))
    if resume and seed != config.train.seed:
        logger.info("resuming with the saved seed %d (the config says %d)", seed, config.train.seed)
    return _Run(config, state, initial_epoch, seed, saved.checkpoint if saved else None, source, record)


def _datasets(store: SpectrogramStore, run: _Run, devices: Devices) -> Tuple[SpectrogramDataset, SpectrogramDataset,
                                                                               str]:
    """Step 3: the training batches (shuffled, seeded) and the validation batches, split over the replicas."""
    tcfg = run.config.train
    if tcfg.batch_size % devices.replicas:
        raise ParameterError(f"batch_size={tcfg.batch_size} is the global batch and must split evenly over "
                             f"the {devices.replicas} replicas; use a multiple of {devices.replicas}")
    train_index, val_index, val_note = split_indices(store, run.seed)
    train_ds = SpectrogramDataset(store, train_index, tcfg.batch_size, shuffle=True, seed=run.seed,
                                  epoch=run.initial_epoch, max_segments=tcfg.max_train_segments,
                                  pad_to_multiple=devices.replicas, crops=tcfg.random_crops)
    val_ds = SpectrogramDataset(store, val_index, tcfg.batch_size, shuffle=False, pad_to_multiple=devices.replicas)
    return train_ds, val_ds, val_note


def _build_model(config: GenmusicConfig, store: SpectrogramStore, seed: int):
    """Step 4, fresh run: the model of ``config.model``, compiled with Adam."""
    from . import build_model

    model = build_model(config.model, store.segment_shape, seed=seed, sample_rate=config.audio.sample_rate,
                        db_range=config.spectrogram.top_db)
    model.compile(optimizer=_optimizer(config.train))
    return model


def _optimizer(tcfg: TrainConfig):
    """Adam at the configured learning rate (AdamW when ``tcfg.weight_decay``), keeping a moving average of
    the weights when ``tcfg.ema``."""
    average = dict(use_ema=True, ema_momentum=float(tcfg.ema)) if tcfg.ema else {}
    if tcfg.weight_decay:
        return keras.optimizers.AdamW(learning_rate=tcfg.learning_rate, weight_decay=float(tcfg.weight_decay),
                                      **average)
    return keras.optimizers.Adam(learning_rate=tcfg.learning_rate, **average)


def _start_from(model, source: Path) -> None:
    """Step 4, fine-tuning: the freshly built model takes the weights of the model in ``source``."""
    theirs = load_bundle(source).model
    try:
        model.set_weights(theirs.get_weights())
    except ValueError as exc:
        raise ModelFolderError(f"{source / MODEL_FILE}: its weights do not fit the model its {META_FILE} describes "
                               f"({exc})") from None


def _restore_model(last: Path, learning_rate: float):
    """Step 4, resumed run: the checkpoint's model and optimizer state, at the configured learning rate."""
    from . import autoencoder, vae  # noqa: F401 - registers the genmusic classes with Keras

    try:
        model = keras.saving.load_model(last, compile=True, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - any load failure becomes one message naming the file
        raise ModelFolderError(f"{last}: cannot load the checkpoint ({type(exc).__name__}: {exc}); "
                               f"train again with overwrite=True") from None
    model.optimizer.learning_rate.assign(learning_rate)
    if getattr(getattr(model.optimizer, "inner_optimizer", model.optimizer), "use_ema", False):
        AveragedWeights.swap_back(model)
    return model


def _has_tensorboard() -> bool:
    """TensorBoard logs need the ``tensorboard`` package; without it they are skipped (said once)."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is not None:
        return True
    logger.info("the tensorboard package is not installed: no TensorBoard logs (pip install tensorboard)")
    return False


@dataclass
class _Callbacks:
    guard: NaNGuard
    meter: ThroughputMeter
    best: BestModel
    resume: ResumeCheckpoint
    all: List[keras.callbacks.Callback]


def _callbacks(run: _Run, write_dir: Path, train_ds: SpectrogramDataset, *, resume: bool, backend: str, ledger,
               extra: Sequence[keras.callbacks.Callback]) -> _Callbacks:
    """Step 5: the callbacks, in the order they run at the end of an epoch."""
    best = run.state.get("best_val_loss")
    guard = NaNGuard()
    meter = ThroughputMeter(train_ds.batch_samples)
    tracker = BestModel(write_dir / MODEL_FILE, monitor="val_loss", best=float("inf") if best is None else float(best),
                        wait=int(run.state.get("wait", 0)), patience=run.config.train.patience, guard=guard)
    resume_cb = ResumeCheckpoint(write_dir, seed=run.seed, tracker=tracker, guard=guard)
    history_path = write_dir / HISTORY_FILE
    if resume:
        truncate_history(history_path, run.initial_epoch)
    callbacks: List[keras.callbacks.Callback] = [
        guard, meter, tracker, keras.callbacks.CSVLogger(str(history_path), append=resume), resume_cb]
    if run.config.train.ema:
        # First at the end of an epoch: validation, the best model and the resume checkpoint see the averages
        # (the checkpoint holds them swapped: _restore_model swaps them back when a run resumes).
        callbacks.insert(0, AveragedWeights())
    if run.config.train.lr_patience:   # halve the learning rate when validation stalls
        lr = run.config.train.learning_rate
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                           patience=run.config.train.lr_patience,
                                                           min_lr=lr / 32, verbose=0))
    if run.config.train.minutes is not None:   # the time budget: the best epoch so far is what is kept
        callbacks.append(TimeLimit(60.0 * run.config.train.minutes))
    if backend == "tensorflow" and _has_tensorboard():
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(write_dir / TENSORBOARD_DIR), write_graph=False,
                                                     profile_batch=0))
        callbacks.append(RecordNewFiles(ledger, write_dir / TENSORBOARD_DIR))
    return _Callbacks(guard, meter, tracker, resume_cb, callbacks + list(extra))


def _fit(model, train_ds: SpectrogramDataset, val_ds: SpectrogramDataset, callbacks: _Callbacks, run: _Run,
         progress: Optional[bool]) -> float:
    """Step 6: ``Model.fit``; returns its wall time. A data error raised inside a batch keeps its message."""
    lines = [EpochLine(run.config.train.epochs)] if progress is False else []
    start = time.perf_counter()
    try:
        model.fit(train_ds, validation_data=val_ds, epochs=run.config.train.epochs, initial_epoch=run.initial_epoch,
                  callbacks=callbacks.all + lines, verbose=1 if progress else 0, shuffle=False)
    except GenmusicError:
        raise
    except OSError as exc:
        if exc.errno in OUTPUT_ERRNOS:  # the logs (history.csv, TensorBoard) could not be written
            raise output_failure(callbacks.best.path.parent, exc) from exc
        raise
    except Exception as exc:
        lost = multi_worker_failure(exc) if run.config.train.distribution == "multi_worker" else None
        if lost is not None:  # a worker of the cluster is gone: one message, not TensorFlow's traceback
            raise lost from None
        # tf.data wraps exceptions raised inside the generator; give the user the original message.
        for ds in (train_ds, val_ds):
            if ds.last_error is not None:
                raise ds.last_error from None
        raise
    return time.perf_counter() - start


def _keep_best_weights(model, tracker: BestModel, write_dir: Path) -> None:
    """Step 7a: the model ends with the weights of its best validation epoch (those of ``model.keras``)."""
    if tracker.best_weights is not None:
        model.set_weights(tracker.best_weights)
    elif (write_dir / MODEL_FILE).is_file():
        model.set_weights(keras.saving.load_model(write_dir / MODEL_FILE, compile=False).get_weights())


def _raise_if_diverged(guard: NaNGuard, result: TrainResult) -> None:
    """A NaN loss ends the run with the last good model kept and the way out."""
    if guard.tripped is None:
        return
    epoch, batch = guard.tripped
    write_dir = result.model_dir
    kept = (f"the last good model is kept in {write_dir / MODEL_FILE} (best validation loss {result.best_val_loss:.6g}) "
            f"and {write_dir / CHECKPOINT_DIR / LAST_MODEL_FILE} (epoch {result.epochs_run}, for resume=True)"
            if (write_dir / MODEL_FILE).is_file() else
            f"no epoch finished cleanly, so {write_dir} holds no model")
    raise TrainingError(f"training stopped: the loss became NaN at epoch {epoch + 1} batch {batch + 1}; {kept}; "
                        f"try a lower config.train.learning_rate (it was {result.config.train.learning_rate:g})")


# --------------------------------------------------------------------------------------------------
# train()


def train(spectrograms: Union[str, os.PathLike, SpectrogramStore], model_dir: Union[str, os.PathLike],
          config: Optional[GenmusicConfig] = None, *, kind: Optional[str] = None, resume: bool = False,
          overwrite: bool = False, progress: Optional[bool] = True,
          extra_callbacks: Sequence[keras.callbacks.Callback] = (),
          init_from: Union[str, os.PathLike, None] = None) -> TrainResult:
    """Train an autoencoder or VAE on a spectrogram store and write a model folder.

    Parameters
    ----------
    spectrograms : path-like or SpectrogramStore
        The store written by preprocessing. Its ``"train"`` split is trained on and its ``"validation"``
        split validated on (when that is empty, a seeded 10% of the training songs, as the log says).
    model_dir : path-like
        The model folder (see :mod:`genmusic.models.modelio`).
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
        Keras' progress bar (True), one line per epoch (False: :class:`~genmusic.models.callbacks.EpochLine`, for
        logs and pipes) or nothing (None).
    extra_callbacks : sequence of keras.callbacks.Callback
        Added after genmusic's own (e.g. :class:`TimeLimit`).
    init_from : path-like or str, optional
        Fine-tune: start from the weights of this model folder, or of an installed model by name
        (``"realmusic-v1"``; ``genmusic models`` lists them), instead of random ones. The model is built
        from its model settings (``config``'s model section is not used), and trained on the store with
        ``config``'s training settings; its audio and spectrogram settings must be the store's.
        ``genmusic.json`` records it (``init_from``). With ``resume``, it must be the model the folder
        started from (the checkpoint already holds the fine-tuned weights); another is refused.

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
    InstalledModelError
        ``model_dir`` is an installed model (genmusic never writes into one: copy it first).
    SettingsMismatchError
        ``init_from`` reads spectrograms made with other settings than the store's.
    TrainingError
        The loss became NaN or infinite; the last good model is kept.
    ParameterError
        Bad settings (an architecture that does not fit the input, a batch size that does not split over
        the replicas, ...).
    """
    store = spectrograms if isinstance(spectrograms, SpectrogramStore) else SpectrogramStore(spectrograms)
    model_dir = pretrained.resolve(model_dir) if resume else Path(model_dir)
    pretrained.check_writable(model_dir, action="resuming its training" if resume else "training into it")
    if not resume and not os.path.lexists(model_dir) and str(model_dir) in pretrained.names():
        logger.warning("the new model folder %s has the name of an installed model: where a model is read by that "
                       "name, this folder will be used (choose another name to keep both reachable by name)", model_dir)
    if model_dir.exists() and not model_dir.is_dir():
        raise ModelFolderError(f"model folder {model_dir} exists and is not a folder")
    if config is not None and config.train.distribution == "multi_worker" and not is_chief_task():
        # a worker other than the chief writes to a temporary folder: the chief alone locks and writes model_dir
        return _train(store, model_dir, config, kind=kind, resume=resume, overwrite=overwrite, progress=progress,
                      extra_callbacks=extra_callbacks, init_from=init_from)
    created = not model_dir.exists()
    try:
        with folder_lock(model_dir, purpose="training"):
            return _train(store, model_dir, config, kind=kind, resume=resume, overwrite=overwrite, progress=progress,
                          extra_callbacks=extra_callbacks, init_from=init_from)
    finally:
        if created:  # refused before anything was written: leave no empty folder behind
            with contextlib.suppress(OSError):
                model_dir.rmdir()


def _train(store: SpectrogramStore, model_dir: Path, config: Optional[GenmusicConfig], *, kind: Optional[str],
           resume: bool, overwrite: bool, progress: Optional[bool],
           extra_callbacks: Sequence[keras.callbacks.Callback],
           init_from: Union[str, os.PathLike, None] = None) -> TrainResult:
    """:func:`train` inside the model folder's lock: every check first, then the folder, then the fit."""
    run = _plan_run(store, model_dir, config, kind=kind, resume=resume, overwrite=overwrite, init_from=init_from)
    config, tcfg = run.config, run.config.train
    keras.utils.set_random_seed(run.seed)
    backend = keras.backend.backend()
    n_gpus = visible_gpus(backend)

    with mixed_precision(tcfg.mixed_precision, backend, n_gpus) as policy, \
            distribution(tcfg.distribution, backend, n_gpus) as devices:
        train_ds, val_ds, val_note = _datasets(store, run, devices)
        logger.info("training on %d replica(s) (%s), %s backend, batch %d (%d per replica)%s", devices.replicas,
                    devices.description, backend, tcfg.batch_size, tcfg.batch_size // devices.replicas,
                    f", mixed precision {policy}" if policy else "")
        write_dir = model_dir if devices.is_chief else Path(tempfile.mkdtemp(prefix="genmusic-worker-"))
        with devices.scope():
            model = _restore_model(run.checkpoint, tcfg.learning_rate) if resume else _build_model(config, store,
                                                                                                    run.seed)
            if run.init_from is not None:
                _start_from(model, run.init_from)
            if devices.strategy is not None and devices.replicas > 1:
                scale_loss_for_replicas(model)
        # Every setting has been checked: only now is anything in the folder removed.
        ledger = prepare_folder(write_dir, resume=resume, overwrite=overwrite)

        base_extra = {"backend": backend, "train_segments": train_ds.n_segments, "val_segments": val_ds.n_segments,
                      "n_replicas": devices.replicas, "mixed_precision": policy, "validation": val_note}
        if run.init_record is not None:
            base_extra["init_from"] = run.init_record

        def write_meta(status: str, **extra) -> None:
            write_model_metadata(write_dir, config, stats=store.stats, genres=store.genres,
                                 spectrograms=str(store.path), extra={**base_extra, "status": status, **extra})

        write_meta("training", epochs_run=run.initial_epoch, best_val_loss=run.state.get("best_val_loss"))
        callbacks = _callbacks(run, write_dir, train_ds, resume=resume, backend=backend, ledger=ledger,
                               extra=extra_callbacks)
        wall = _fit(model, train_ds, val_ds, callbacks, run, progress)
        _keep_best_weights(model, callbacks.best, write_dir)

    # Step 7b: the result, the loss curves and the final metadata.
    epochs_run = callbacks.resume.epochs_done if callbacks.resume.epochs_done is not None else run.initial_epoch
    best_val = callbacks.best.best
    sps = callbacks.meter.samples_per_second
    segment_seconds = config.spectrogram.segment_samples / config.audio.sample_rate
    result = TrainResult(
        history=read_history(write_dir / HISTORY_FILE),
        best_val_loss=best_val if np.isfinite(best_val) else float("nan"), epochs_run=epochs_run,
        stopped_early=callbacks.guard.tripped is None and epochs_run < tcfg.epochs, wall_seconds=wall,
        samples_per_second=sps, audio_seconds_per_second=sps * segment_seconds, model_dir=write_dir, model=model,
        config=config, n_replicas=devices.replicas, train_segments=train_ds.n_segments,
        val_segments=val_ds.n_segments, mixed_precision=policy)
    if result.history:
        from .._plot import plot_history

        plot_history(result.history, write_dir / LOSS_PLOT_FILE, title=f"{config.model.kind} on {store.path.name}")
    status = "finished" if callbacks.guard.tripped is None else "stopped: loss became NaN"
    write_meta(status, epochs_run=epochs_run, best_val_loss=json_float(best_val),
               samples_per_second=json_float(sps), audio_seconds_per_second=json_float(sps * segment_seconds),
               wall_seconds=wall)
    ledger.close()
    if not devices.is_chief:  # this worker's copy goes; the model is the chief's
        shutil.rmtree(write_dir, ignore_errors=True)
        result.model_dir = model_dir
    _raise_if_diverged(callbacks.guard, result)
    logger.info("trained %d epoch(s); best validation loss %.6g; %s; model folder %s", epochs_run, best_val,
                _throughput(sps, sps * segment_seconds), result.model_dir)
    return result
