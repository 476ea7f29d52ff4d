"""The callbacks of a training run.

* :class:`NaNGuard` -- stop at the first non-finite loss, and remember where.
* :class:`ThroughputMeter` -- samples per second, compile time excluded.
* :class:`TimeLimit` -- train for a fixed wall time.
* :class:`BestModel` -- the one tracker of the best validation loss: saves ``model.keras`` when it improves,
  keeps those weights in memory, counts the epochs since, and stops training after ``patience`` of them
  (early stopping).
* :class:`EpochLine` -- one line per epoch on stdout (logs and pipes, where a progress bar is noise).
* :class:`ResumeCheckpoint` -- ``checkpoint/last.keras`` (model and optimizer) and ``checkpoint/state.json``
  after every clean epoch, for ``train(..., resume=True)``.
* :class:`AveragedWeights` -- with a weight-averaging optimizer (``TrainConfig.ema``), the averages are in the
  model from the end of an epoch to the start of the next: validation, the best model and the checkpoint see them.
* :class:`RecordNewFiles` -- records the files other callbacks name themselves (TensorBoard's event files)
  in the model folder's ledger as they appear, so that ``overwrite`` can remove them and nothing else.

Every file is written under a temporary name and renamed (:func:`genmusic._io.atomic_path`), so a killed
run never leaves a broken model.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import List, Optional, Tuple

import keras
import numpy as np

from .._checks import check_number
from .._io import atomic_path, atomic_write_json, json_float
from .modelio import CHECKPOINT_DIR, LAST_MODEL_FILE, STATE_FILE

__all__ = ["NaNGuard", "ThroughputMeter", "TimeLimit", "BestModel", "ResumeCheckpoint", "EpochLine", "RecordNewFiles",
           "AveragedWeights"]


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
        self.seconds = check_number(seconds, "seconds", minimum=0, exclusive_minimum=True)
        self.stopped = False
        self._start = 0.0

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self._start >= self.seconds:
            self.stopped = True
            self.model.stop_training = True


class AveragedWeights(keras.callbacks.SwapEMAWeights):
    """Keras' ``SwapEMAWeights(swap_on_epoch=True)``, without its last-epoch shortcut.

    At the end of every epoch the model takes the optimizer's moving averages and the optimizer keeps the raw
    weights; the next epoch swaps them back. Keras' callback, at the configured last epoch, also copies the
    averages over the raw weights (so that ``fit``'s closing ``finalize_variable_values`` leaves the averages in
    the model): the resume checkpoint written then would hold no raw weights, and a resumed run would go on from
    the averages. Here the raw weights stay in the checkpoint (``train`` swaps them back on resume) and the best
    model's weights are restored after ``fit`` instead. Put it first, before the callbacks that read the weights.
    """

    def __init__(self) -> None:
        super().__init__(swap_on_epoch=True)

    @classmethod
    def swap_back(cls, model) -> None:
        """Give a model loaded from a resume checkpoint its raw weights back, and the optimizer its averages
        (the checkpoint was written with them swapped, at an epoch's end), by the same swap that swapped them."""
        averaging = cls()
        averaging.set_model(model)
        averaging._swap_variables()

    def on_epoch_end(self, epoch, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True


class BestModel(keras.callbacks.Callback):
    """Track the best validation loss: the one place that decides which epoch is the best.

    After an epoch whose ``monitor`` value is finite and lower than :attr:`best`, that value becomes the
    best, its weights are kept in memory (:attr:`best_weights`) and, with a ``path``, the model is saved
    there (atomically). Any other epoch adds one to :attr:`wait`; with ``patience > 0`` training stops once
    :attr:`wait` reaches ``patience`` (early stopping, never in the first epoch of ``fit``). An epoch in
    which ``guard`` tripped counts for nothing.

    Parameters
    ----------
    path : path-like, optional
        Where the best model is saved (``model.keras`` of a model folder).
    monitor : str
        The logged value to minimise.
    best : float
        Best value of earlier runs (``inf`` for a fresh one).
    wait : int
        Epochs since the best one, from earlier runs.
    patience : int
        Epochs without improvement before stopping (0: never stop).
    guard : NaNGuard, optional
    """

    def __init__(self, path=None, *, monitor: str = "val_loss", best: float = float("inf"), wait: int = 0,
                 patience: int = 0, guard: Optional[NaNGuard] = None) -> None:
        super().__init__()
        self.path = None if path is None else Path(path)
        self.monitor = monitor
        self.best = float(best)
        self.wait = int(wait)
        self.patience = int(patience)
        self.guard = guard
        self.best_weights: Optional[list] = None
        self.stopped_early = False

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.tripped is not None:
            return
        current = (logs or {}).get(self.monitor)
        if current is not None and np.isfinite(current) and current < self.best:
            self.best = float(current)
            self.wait = 0
            self.best_weights = [np.array(w) for w in self.model.get_weights()]
            if self.path is not None:
                with atomic_path(self.path) as tmp:
                    self.model.save(tmp, overwrite=True)
            return
        self.wait += 1
        if self.patience and self.wait >= self.patience and epoch > 0:
            self.stopped_early = True
            self.model.stop_training = True


class ResumeCheckpoint(keras.callbacks.Callback):
    """After every clean epoch write ``checkpoint/last.keras`` (model and optimizer) and ``state.json``.

    Both files are written under temporary names and renamed, model first, so a killed run leaves the
    previous pair (or, killed between the two renames, a model one epoch ahead of its state: the
    resumed run then trains that epoch once more). An epoch in which :class:`NaNGuard` tripped is not
    saved. The best validation loss and the wait count come from ``tracker``.

    Parameters
    ----------
    folder : path-like
        The model folder.
    seed : int
    tracker : BestModel
    guard : NaNGuard, optional
    """

    def __init__(self, folder, *, seed: int, tracker: BestModel, guard: Optional[NaNGuard] = None) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.seed = int(seed)
        self.tracker = tracker
        self.guard = guard
        self.epochs_done: Optional[int] = None

    def on_epoch_end(self, epoch, logs=None):
        if self.guard is not None and self.guard.tripped is not None:
            return
        self.epochs_done = epoch + 1
        checkpoint = self.folder / CHECKPOINT_DIR
        with atomic_path(checkpoint / LAST_MODEL_FILE) as tmp:
            self.model.save(tmp, overwrite=True)
        atomic_write_json(checkpoint / STATE_FILE, self.state())

    def state(self) -> dict:
        return {"epoch": self.epochs_done, "best_val_loss": json_float(self.tracker.best), "wait": self.tracker.wait,
                "seed": self.seed}


class EpochLine(keras.callbacks.Callback):
    """Print one line per epoch: ``epoch 3/30: loss 0.0123, val_loss 0.0145 (12.3 s)``.

    What training shows when its output goes to a file or a pipe (or with ``--no-progress``), instead of a
    progress bar redrawn many times a second.

    Parameters
    ----------
    epochs : int
        Total epochs, for the ``k/n`` count.
    print_fn : callable str -> None
        Where the lines go (default: ``print`` with flush).
    """

    def __init__(self, epochs: int, print_fn=None) -> None:
        super().__init__()
        self.epochs = int(epochs)
        self.print_fn = print_fn or (lambda line: print(line, flush=True))
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        shown = ", ".join(f"{key} {float(value):.4g}" for key, value in sorted((logs or {}).items())
                          if np.ndim(value) == 0 and key.endswith("loss"))
        self.print_fn(f"epoch {epoch + 1}/{self.epochs}: {shown} ({time.perf_counter() - self._start:.1f} s)")


class RecordNewFiles(keras.callbacks.Callback):
    """Record in ``ledger`` the files that appear under ``folder`` during training (TensorBoard's event files,
    which TensorFlow names), after every epoch and at the end: the run holds the folder's lock, so what
    appears there is this run's.

    Parameters
    ----------
    ledger : genmusic._io.Ledger
    folder : path-like
        A folder inside the ledger's output folder.
    """

    def __init__(self, ledger, folder) -> None:
        super().__init__()
        self.ledger, self.folder = ledger, Path(folder)
        self._before = self._files()

    def _files(self) -> set:
        if not self.folder.is_dir() or self.folder.is_symlink():
            return set()
        return {Path(root) / name for root, _, files in os.walk(self.folder) for name in files}

    def record(self) -> None:
        new = self._files() - self._before
        if new:
            self.ledger.claim(*sorted(new))
            self._before |= new

    def on_train_begin(self, logs=None):  # TensorBoard opens its training log here
        self.record()

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:
            self.record()

    def on_epoch_end(self, epoch, logs=None):
        self.record()

    def on_train_end(self, logs=None):
        self.record()
