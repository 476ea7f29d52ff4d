"""genmusic.models.callbacks: the best-model tracker (the end-to-end runs are in test_training.py)."""

from __future__ import annotations

import numpy as np


def test_best_model_saves_on_improvement_and_stops_after_patience(tmp_path):
    import keras

    from genmusic.models.callbacks import BestModel

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.stop_training = False
    cb = BestModel(tmp_path / "model.keras", best=1.0, patience=2)
    cb.set_model(model)
    cb.on_epoch_end(0, {"val_loss": 2.0})
    assert not (tmp_path / "model.keras").exists() and (cb.best, cb.wait) == (1.0, 1)
    cb.on_epoch_end(1, {"val_loss": float("nan")})  # never an improvement; the second epoch without one
    assert not (tmp_path / "model.keras").exists() and cb.wait == 2 and model.stop_training
    model.stop_training = False
    cb.on_epoch_end(2, {"val_loss": 0.5})
    assert (tmp_path / "model.keras").is_file() and (cb.best, cb.wait) == (0.5, 0) and not model.stop_training
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]  # no temporary file left
    np.testing.assert_array_equal(cb.best_weights[0], model.get_weights()[0])
