"""Issue 11, one clear error for every bad value (cases 6-8): the message names the setting, what it must be
and what it is; no traceback; nothing is computed or written first.

6. Wrong-typed values in a ``--config`` JSON file.
7. A model folder whose ``genmusic.json`` or ``model.keras`` is not what genmusic wrote.
8. Command-line values: NaN / inf / negative seeds, and a list with one bad value.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from genmusic.commands import analyze, generate, preprocess, train as train_command
from genmusic.config import GenmusicConfig, TrainConfig
from genmusic.errors import ModelFolderError, ParameterError
from genmusic.generation.modes import GenerateOptions
from genmusic.models.modelio import META_FILE, MODEL_FILE, load_bundle
from tests.failures._helpers import SMALL, audio_folder

# --------------------------------------------------------------------------------------------------
# 6. --config JSON


@pytest.mark.parametrize("content, expected", [
    ({"train": {"epochs": "ten"}}, "[train]: epochs must be an integer, got 'ten' (a string)"),
    ({"train": {"epochs": None}}, "[train]: epochs must be an integer, got None (null)"),
    ({"train": {"epochs": 1.5}}, "[train]: epochs must be an integer, got 1.5 (a number)"),
    ({"train": "abc"}, "[train]: section must be a JSON object, got str"),
    ({"model": {"conv_filters": 16}}, "[model]: conv_filters must be a list of integers, got 16 (an integer)"),
    ({"model": {"conv_strides": [[2, 2], 2.5]}}, "conv_strides must be a list of [frequency, time] integer pairs"),
    ({"model": {"beta": "1e-6"}}, "[model]: beta must be a finite number, got '1e-6' (a string)"),
    ({"model": {"batch_norm": "yes"}}, "[model]: batch_norm must be true or false, got 'yes'"),
    ({"train": {"learning_rate": [0.1]}}, "[train]: learning_rate must be a finite number, got [0.1] (a list)"),
    ({"train": {"max_train_segments": "all"}}, "max_train_segments must be an integer or null"),
    ({"train": {"seed": -3}}, "[train]: seed must be an integer >= 0 and <= 4294967295, got -3"),
    ([1, 2, 3], "expected a JSON object, got list"),
])
def test_6_config_values_of_the_wrong_type_name_the_key_and_the_type(tiny_store, tmp_path, capsys, content,
                                                                      expected):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(content))
    rc = train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(tmp_path / "m"),
                             "--config", str(config)])
    err = capsys.readouterr().err
    assert rc == 1 and str(config) in err and expected in err, err
    assert not (tmp_path / "m").exists()


def test_6_a_binary_config_file_is_refused(tiny_store, tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_bytes(bytes(range(256)) * 4)
    for main, extra in ((train_command.main, ["--spectrograms", str(tiny_store.path), "--model-dir",
                                              str(tmp_path / "m")]),
                        (preprocess.main, ["--input", str(tmp_path), "--output", str(tmp_path / "o")])):
        assert main([*extra, "--config", str(config)]) == 1
        assert f"{config}: not a text file (a config is a JSON file)" in capsys.readouterr().err
    assert not (tmp_path / "m").exists() and not (tmp_path / "o").exists()


def test_6_python_api_is_checked_the_same_way():
    with pytest.raises(ParameterError, match=r"epochs must be an integer, got 1.5"):
        TrainConfig(epochs=1.5)
    with pytest.raises(ParameterError, match=r"seed must be an integer >= 0"):
        GenmusicConfig().replace(split={"seed": -1})
    with pytest.raises(ParameterError, match=r"sample_rate must be an integer >= 1000 and <= 384000, got 1"):
        GenmusicConfig.from_dict({"audio": {"sample_rate": 1}})


# --------------------------------------------------------------------------------------------------
# 7. the model folder


@pytest.fixture
def model_copy(tiny_model_folder, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_folder, copy)
    return copy


def _edit_meta(folder, edit):
    meta = json.loads((folder / META_FILE).read_text())
    (folder / META_FILE).write_text(json.dumps(edit(meta)))


@pytest.mark.parametrize("edit, expected", [
    (lambda meta: [meta], "genmusic.json: expected a JSON object, got list"),
    (lambda meta: {k: v for k, v in meta.items() if k != "config"},
     "field 'config' must be a JSON object (the GenmusicConfig), got '(missing)'"),
    (lambda meta: {**meta, "config": {**meta["config"], "model": {"latent_dim": "16"}}},
     "field 'config' [model]: latent_dim must be an integer, got '16'"),
    (lambda meta: {**meta, "stats": {**meta["stats"], "db_min": "-80"}},
     "field 'stats.db_min' must be a finite number (dB), got '-80'"),
    (lambda meta: {**meta, "stats": "none"}, "field 'stats' must be a JSON object"),
    (lambda meta: {**meta, "latent_dim": "16"}, "field 'latent_dim' must be an integer equal to config.model"),
    (lambda meta: {**meta, "input_shape": [64, "16", 1]}, "field 'input_shape' must be a list of three positive"),
    (lambda meta: {**meta, "genres": "bass"}, "field 'genres' must be a list of genre names"),
])
def test_7_broken_metadata_names_the_field(model_copy, tmp_path, capsys, edit, expected):
    _edit_meta(model_copy, edit)
    with pytest.raises(ModelFolderError, match="genmusic.json"):
        load_bundle(model_copy)
    out = tmp_path / "out"
    assert generate.main(["--model", str(model_copy), "--mode", "sample", "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err
    assert not out.exists()


def test_7_a_foreign_keras_model_is_refused(model_copy, tmp_path, capsys):
    import keras

    foreign = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    foreign.save(model_copy / MODEL_FILE)
    assert generate.main(["--model", str(model_copy), "--mode", "sample", "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "model.keras holds a Sequential, not a genmusic Autoencoder or VAE" in err
    (model_copy / MODEL_FILE).write_bytes(b"PK\x03\x04 not really a zip")
    assert generate.main(["--model", str(model_copy), "--mode", "sample", "--output", str(tmp_path / "o")]) == 1
    assert "model.keras: cannot load the model" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# 8. command-line values, all checked before any work


@pytest.mark.parametrize("bad, expected", [
    (["--mode", "noise", "--sigma", "nan"], "--sigma must be finite numbers >= 0 and <= 100, got nan"),
    (["--mode", "noise", "--sigma", "0.1", "-1"], "--sigma must be finite numbers >= 0 and <= 100, got -1.0"),
    (["--mode", "scale", "--factor", "nan"], "--factor must be finite numbers >= -100 and <= 100, got nan"),
    (["--mode", "scale", "--factor", "0.5", "inf"], "--factor must be finite numbers >= -100 and <= 100, got inf"),
    (["--mode", "sample", "--seed", "-1"], "--seed must be an integer >= 0 and <= 4294967295, got -1"),
    (["--mode", "sample", "--temperature", "nan"], "--temperature must be a finite number >= 0 and <= 10, got nan"),
    (["--mode", "sample", "--seconds", "100000"], "--seconds must be a number of seconds >= 0.01 and <= 21600"),
    (["--mode", "sample", "--seconds", "-2"], "--seconds must be a number of seconds >= 0.01"),
    (["--mode", "reconstruct", "--overlap", "1"], "--overlap must be a number in [0, 1), got 1.0"),
    (["--mode", "interpolate", "--steps", "1"], "--steps must be an integer >= 2"),
    (["--mode", "smooth", "--width", "0"], "--width must be an integer >= 1 and <= 1000, got 0"),
    (["--mode", "resynth", "--n-iter", "-1"], "--n-iter must be an integer >= 0 and <= 10000, got -1"),
    (["--mode", "resynth", "--n", "0"], "--n must be None or an integer >= 1 and <= 1000, got 0"),
])
def test_8_generate_values_are_checked_before_any_work(tiny_model_folder, tmp_path, capsys, bad, expected):
    out = tmp_path / "out"
    assert generate.main(["--model", str(tiny_model_folder), "--output", str(out), *bad]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err
    assert not out.exists()  # --sigma 0.1 -1 used to write the 0.1 outputs, then fail


def test_8_generate_options_refuse_before_the_model_is_opened(tmp_path):
    with pytest.raises(ParameterError, match="sigma"):
        GenerateOptions(sigma=(0.1, float("nan")))
    with pytest.raises(ParameterError, match="seed"):
        GenerateOptions(seed=2 ** 32)


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_8_train_seed_out_of_range(tiny_store, tmp_path, capsys, seed):
    rc = train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(tmp_path / "m"),
                             "--seed", seed])
    err = capsys.readouterr().err
    assert rc == 1 and f"--seed must be an integer >= 0 and <= 4294967295, got {seed}" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("argv, expected", [
    (["--workers", "0"], "--workers must be an integer >= 1"),
    (["--workers", "-1"], "--workers must be an integer >= 1"),
    (["--duration", "nan"], "duration must be a finite number or null, got nan"),
    (["--sample-rate", "1"], "--sample-rate must be an integer >= 1000 and <= 384000, got 1"),
])
def test_8_preprocess_values(tmp_path, capsys, argv, expected):
    rc = preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(tmp_path / "o"),
                          *SMALL, *argv])
    err = capsys.readouterr().err
    assert rc == 1 and expected in err, err
    assert not (tmp_path / "o").exists()


def test_8_analyze_seed(tiny_model_folder, tiny_store, tmp_path, capsys):
    rc = analyze.main(["--model", str(tiny_model_folder), "--spectrograms", str(tiny_store.path), "--output",
                       str(tmp_path / "r"), "--seed", "-1"])
    assert rc == 1 and "--seed must be an integer >= 0" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
