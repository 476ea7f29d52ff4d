"""genmusic.models.training: train(), the model folder, resume, NaN guard, bad input.

Runs under every backend: ``KERAS_BACKEND=jax pytest tests/test_training.py``.
"""

from __future__ import annotations

import csv
import importlib.util
import json

import keras
import numpy as np
import pytest

from genmusic.errors import TrainingError
from genmusic.models.modelio import load_bundle
from genmusic.models.callbacks import TimeLimit
from genmusic.models.modelio import CHECKPOINT_DIR, STATE_FILE
from genmusic.models.training import TrainResult, train
from tests.conftest import optimizer_iterations, train_config


def _history_rows(folder):
    with open(folder / "history.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_train_writes_the_model_folder(trained):
    first, _, second, folder = trained
    assert isinstance(second, TrainResult) and second.model_dir == folder
    for name in ("model.keras", "genmusic.json", "history.csv", "loss.png", "checkpoint/last.keras",
                 "checkpoint/state.json"):
        assert (folder / name).is_file(), name
    has_tensorboard = importlib.util.find_spec("tensorboard") is not None
    assert (folder / "tensorboard").is_dir() == (keras.backend.backend() == "tensorflow" and has_tensorboard)
    meta = json.loads((folder / "genmusic.json").read_text())
    assert meta["status"] == "finished" and meta["epochs_run"] == 4
    assert meta["train_segments"] > 0 and meta["val_segments"] > 0 and meta["backend"] == keras.backend.backend()
    assert meta["samples_per_second"] > 0 and meta["audio_seconds_per_second"] > 0
    assert np.isclose(meta["best_val_loss"], second.best_val_loss)
    assert second.samples_per_second > 0 and second.wall_seconds > 0


def test_training_lowers_the_loss(trained):
    _, _, second, _ = trained
    loss = second.history["loss"]
    assert len(loss) == 4
    assert loss[-1] < 0.8 * loss[0], loss  # the pitch terms (chroma: per-frame normalised) fall slower than the mel term
    assert min(second.history["val_loss"]) < second.history["val_loss"][0]


def test_saved_model_gives_the_in_memory_best_model_outputs(trained, tiny_store):
    _, _, second, folder = trained
    x = tiny_store.load_segments(tiny_store.segment_index("validation")[:8])[..., None]
    loaded = load_bundle(folder).model
    ours = keras.ops.convert_to_numpy(second.model(x, training=False))
    theirs = keras.ops.convert_to_numpy(loaded(x, training=False))
    np.testing.assert_array_equal(ours, theirs)


def test_resume_continues_from_the_saved_epoch(trained):
    first, iterations_after_2, second, folder = trained
    assert first.epochs_run == 2 and second.epochs_run == 4
    rows = _history_rows(folder)
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    steps = iterations_after_2 // 2
    assert iterations_after_2 == 2 * steps and steps > 0
    assert optimizer_iterations(folder) == 4 * steps  # the optimizer state went on from epoch 2
    state = json.loads((folder / CHECKPOINT_DIR / STATE_FILE).read_text())
    assert state["epoch"] == 4 and state["seed"] == 0
    # rows 0 and 1 are the first run's, unchanged
    assert np.isclose(float(rows[0]["loss"]), first.history["loss"][0])


# --------------------------------------------------------------------------------------------------
# NaN, bad input


class _PoisonWeights(keras.callbacks.Callback):
    """Make the weights NaN at the start of an epoch, as a diverging optimizer would."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            weights = self.model.get_weights()
            weights[0] = weights[0] * np.nan
            self.model.set_weights(weights)


def test_nan_loss_stops_and_keeps_the_last_good_model(tiny_store, tmp_path):
    folder = tmp_path / "nan"
    with pytest.raises(TrainingError, match=r"NaN at epoch 2 batch 1.*last good model.*config\.train\.learning_rate"):
        train(tiny_store, folder, train_config(tiny_store, epochs=3), progress=None, extra_callbacks=[_PoisonWeights(1)])
    model = load_bundle(folder).model  # the epoch-1 model
    x = tiny_store.load_segments(tiny_store.segment_index("test")[:4])
    assert np.all(np.isfinite(model.reconstruct(x).spectrograms))
    state = json.loads((folder / CHECKPOINT_DIR / STATE_FILE).read_text())
    assert state["epoch"] == 1
    assert json.loads((folder / "genmusic.json").read_text())["status"].startswith("stopped")


def test_time_limit_stops_training(tiny_store, tmp_path):
    limit = TimeLimit(1e-6)
    result = train(tiny_store, tmp_path / "t", train_config(tiny_store, epochs=50), progress=None,
                   extra_callbacks=[limit])
    assert limit.stopped and result.epochs_run == 1 and result.stopped_early


def test_lr_patience_halves_the_learning_rate_when_validation_stalls(tiny_store, tmp_path):
    # A learning rate too small to move the validation loss: every epoch after the first is a stall.
    result = train(tiny_store, tmp_path / "lr", train_config(tiny_store, epochs=3, learning_rate=1e-9, lr_patience=1),
                   progress=None)
    lr = float(keras.ops.convert_to_numpy(result.model.optimizer.learning_rate))
    assert lr == pytest.approx(1e-9 / 4, rel=1e-4)


def test_train_config_minutes_is_a_time_budget(tiny_store, tmp_path):
    # A budget far shorter than one epoch: the first epoch ends (validated), and training stops there.
    result = train(tiny_store, tmp_path / "m", train_config(tiny_store, epochs=50, minutes=1e-7), progress=None)
    assert result.epochs_run == 1 and result.stopped_early and np.isfinite(result.best_val_loss)


def test_mixed_precision_on_is_restored_afterwards(tiny_store, tmp_path):
    from genmusic.models.devices import visible_gpus

    assert visible_gpus() >= 0
    before = keras.mixed_precision.global_policy().name
    result = train(tiny_store, tmp_path / "mp", train_config(tiny_store, epochs=1, mixed_precision="on"), progress=None)
    expected = "mixed_bfloat16" if keras.backend.backend() == "jax" else "mixed_float16"
    assert result.mixed_precision == expected
    assert keras.mixed_precision.global_policy().name == before
    assert np.isfinite(result.best_val_loss)
    meta = json.loads((tmp_path / "mp" / "genmusic.json").read_text())
    assert meta["mixed_precision"] == expected


# --------------------------------------------------------------------------------------------------
# weight averaging


class _RawWeights(keras.callbacks.Callback):
    """The raw (trained) weights after every batch, and the validation losses Keras reports."""

    def __init__(self) -> None:
        super().__init__()
        self.after_batch = []

    def on_train_begin(self, logs=None):
        self.start = [np.array(w) for w in self.model.get_weights()]

    def on_train_batch_end(self, batch, logs=None):
        self.after_batch.append([np.array(w) for w in self.model.get_weights()])


def test_ema_keeps_and_saves_the_moving_average_of_the_weights(tiny_store, tmp_path):
    # With momentum m the average after steps w_1..w_n is w_1 weighted m^(n-1), then (1 - m) m^(n-k) w_k:
    # computed here from the raw weights of every batch, it must be what the saved model holds.
    momentum = 0.6
    raw = _RawWeights()
    folder = tmp_path / "ema"
    result = train(tiny_store, folder, train_config(tiny_store, epochs=1, ema=momentum), progress=None,
                   extra_callbacks=[raw])
    steps = raw.after_batch
    assert len(steps) >= 3
    expected = [np.array(w, np.float64) for w in steps[0]]
    for weights in steps[1:]:
        expected = [momentum * e + (1 - momentum) * w for e, w in zip(expected, weights)]
    trainable = {id(v) for v in result.model.trainable_weights}
    saved = load_bundle(folder).model
    checked = 0
    for var, ours, average, last in zip(saved.weights, saved.get_weights(), expected, steps[-1]):
        if id(result.model.weights[checked]) in trainable and not np.allclose(average, last):
            np.testing.assert_allclose(ours, average, rtol=1e-4, atol=1e-6)
            assert not np.allclose(ours, last, rtol=1e-4, atol=1e-6)  # not the raw weights
        checked += 1
    assert checked == len(saved.weights)
    # the validation loss Keras logged is the averaged model's: measure it again on the saved model
    val = [float(x) for x in result.history["val_loss"]]
    assert np.isclose(val[0], result.best_val_loss)


def test_ema_run_resumes_from_the_raw_weights_and_the_averages(tiny_store, tmp_path):
    # The checkpoint holds the averages in the model and the raw weights in the optimizer: a resumed run must
    # train on from the raw weights of the last batch, and average on from the saved averages.
    folder = tmp_path / "parts"
    first = _RawWeights()
    train(tiny_store, folder, train_config(tiny_store, epochs=1, ema=0.7), progress=None, extra_callbacks=[first])
    averages = load_bundle(folder).model.get_weights()
    second = _RawWeights()
    train(tiny_store, folder, train_config(tiny_store, epochs=2, ema=0.7), resume=True, progress=None,
          extra_callbacks=[second])
    moved = 0
    for start, raw, average in zip(second.start, first.after_batch[-1], averages):
        np.testing.assert_allclose(start, raw, rtol=1e-6, atol=1e-7)  # (TF swaps by adding and subtracting)
        moved += not np.allclose(raw, average)
    assert moved > 0  # the averages differ from the raw weights, so the test tells them apart
    # after the first resumed step the averages go on from the saved ones: m * saved + (1 - m) * new raw
    model = keras.saving.load_model(folder / CHECKPOINT_DIR / "last.keras", compile=True)
    steps = len(second.after_batch)
    expected = [np.array(a, np.float64) for a in averages]
    for weights in second.after_batch:
        expected = [0.7 * e + 0.3 * w for e, w in zip(expected, weights)]
    for ours, theirs in zip(model.get_weights(), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    assert steps > 0


def test_weight_decay_shrinks_every_trained_weight_by_lr_times_decay_per_step(tiny_store, tmp_path):
    # AdamW decays before its Adam step, and the first step's gradients are the same with and without decay
    # (same seed, same weights, same batch): after it the two runs differ by exactly w0 * lr * decay.
    decay, runs = 0.5, {}
    for name, wd in (("plain", 0.0), ("decayed", decay)):
        runs[name] = _RawWeights()
        result = train(tiny_store, tmp_path / name, train_config(tiny_store, epochs=1, weight_decay=wd),
                       progress=None, extra_callbacks=[runs[name]])
        assert type(result.model.optimizer).__name__ == ("AdamW" if wd else "Adam")
    lr = train_config(tiny_store).train.learning_rate
    trainable = {id(v) for v in result.model.trainable_weights}
    for var, start, same_start, plain, decayed in zip(result.model.weights, runs["plain"].start,
                                                      runs["decayed"].start, runs["plain"].after_batch[0],
                                                      runs["decayed"].after_batch[0], strict=True):
        np.testing.assert_array_equal(start, same_start)
        if id(var) in trainable:
            np.testing.assert_allclose(plain - decayed, start * lr * decay, rtol=1e-3, atol=1e-7)
        else:  # moving statistics are not weights to decay
            np.testing.assert_allclose(plain, decayed, rtol=1e-6, atol=1e-7)
    assert sum(np.abs(s).max() > 0 for s in runs["plain"].start) > 3  # the decay was visible on real weights


def test_weight_decay_must_be_a_non_negative_number():
    from genmusic.config import TrainConfig
    from genmusic.errors import ParameterError

    assert TrainConfig().weight_decay == 0.0 and TrainConfig(weight_decay=0.01).weight_decay == 0.01
    for bad, said in ((-0.1, "weight_decay must be.*got -0.1"), (True, "weight_decay must be a finite number"),
                      ("0.1", "a string")):
        with pytest.raises(ParameterError, match=said):
            TrainConfig(weight_decay=bad)


def test_ema_must_be_a_momentum():
    from genmusic.config import TrainConfig
    from genmusic.errors import ParameterError

    assert TrainConfig(ema=0.99).ema == 0.99 and TrainConfig().ema == 0.0
    for bad, said in ((1.0, r"ema must be a number in \[0, 1\).*got 1\.0"), (-0.1, "got -0.1"),
                      (True, "ema must be a finite number, got True"), ("0.9", "a string")):
        with pytest.raises(ParameterError, match=said):
            TrainConfig(ema=bad)
