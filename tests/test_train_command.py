"""The training and latent-sweep commands, called through ``main([...])``."""

from __future__ import annotations

import csv
import json

import pytest

from genmusic.commands import sweep
from genmusic.commands import train as train_command


@pytest.mark.parametrize("kind", ["vae", "autoencoder"])
def test_train_main_writes_a_model_folder(kind, tiny_store, tmp_path, capsys):
    folder = tmp_path / kind
    rc = train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(folder), "--epochs", "1",
                             "--batch-size", "8", "--learning-rate", "0.002", "--latent-dim", "8", "--seed", "3",
                             "--no-progress"], kind=kind)
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "best validation loss" in out and "segments/s" in out and str(folder) in out
    meta = json.loads((folder / "genmusic.json").read_text())
    assert meta["kind"] == kind and meta["latent_dim"] == 8 and meta["epochs_run"] == 1
    assert meta["config"]["train"]["seed"] == 3 and meta["config"]["train"]["learning_rate"] == 0.002
    assert meta["input_shape"] == [64, 16, 1]

    # the same command again: refused, with the fix
    rc = train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(folder), "--epochs", "1"],
                            kind=kind)
    assert rc == 1 and "--resume" in capsys.readouterr().err

    # --resume reads the saved settings back (latent_dim 8) and trains one more epoch
    rc = train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(folder), "--epochs", "2",
                             "--resume", "--no-progress"], kind=kind)
    assert rc == 0, capsys.readouterr().err
    assert json.loads((folder / "genmusic.json").read_text())["epochs_run"] == 2


def test_partial_config_takes_the_store_spectrogram(tiny_store, tmp_path):
    path = tmp_path / "partial.json"
    path.write_text(json.dumps({"model": {"latent_dim": 8, "conv_filters": [4, 8], "conv_kernels": [3, 3],
                                          "conv_strides": [[2, 2], [2, 2]]}}))
    args = train_command.get_parser("vae").parse_args(["--config", str(path), "--beta", "0.01"])
    config = train_command.config_from_args(args, tiny_store, kind="vae")
    assert config.spectrogram == tiny_store.config.spectrogram
    assert config.model.latent_dim == 8 and config.model.beta == 0.01 and config.model.kind == "vae"


def test_latent_sizes_are_adjusted_to_the_time_steps():
    from genmusic.analysis.sweep import latent_sizes

    sizes, notes = latent_sizes(128, [0.25, 0.5, 1, 2], steps=8)
    assert [s.latent_dim for s in sizes] == [32, 64, 128, 256] and not notes
    assert [s.layout for s in sizes] == ["8x4", "8x8", "8x16", "8x32"]
    sizes, notes = latent_sizes(16, [0.3, 0.25, 1], steps=4)
    assert [s.latent_dim for s in sizes] == [4, 16]
    assert notes == ["latent_dim 5 (x0.3) is not a multiple of the 4 latent time steps of the conv bottleneck: using 4",
                     "skipping x0.25: latent_dim 4 was already trained in this sweep"]


def test_sweep_main(tiny_store, tmp_path, capsys):
    out_dir = tmp_path / "sweep"
    rc = sweep.main(["--spectrograms", str(tiny_store.path), "--output", str(out_dir), "--base-latent-dim", "16",
                     "--factors", "0.5", "1", "--epochs", "1", "--eval-songs", "1", "--eval-seconds", "0.5",
                     "--n-iter", "2", "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    with open(out_dir / "sweep.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["latent_dim"]) for r in rows] == [8, 16]
    assert float(rows[0]["compression_ratio"]) == 2 * float(rows[1]["compression_ratio"])
    for row in rows:
        assert float(row["best_val_loss"]) > 0 and float(row["mel_distance"]) > 0 and row["epochs_run"] == "1"
    assert (out_dir / "latent_8" / "model.keras").is_file()
    assert "| 8 | 4x2 |" in (out_dir / "sweep.md").read_text()
    # run again: the finished sizes are reused, not retrained
    rc = sweep.main(["--spectrograms", str(tiny_store.path), "--output", str(out_dir), "--base-latent-dim", "16",
                     "--factors", "1", "--epochs", "1", "--eval-songs", "1", "--eval-seconds", "0.5",
                     "--n-iter", "2", "--no-progress"])
    assert rc == 0 and "reusing the finished model" in capsys.readouterr().out
