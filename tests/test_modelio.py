"""genmusic.models.modelio: the model folder (genmusic.json + model.keras), written, read back and refused when broken."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genmusic._io import LEDGER_FILE, SCRATCH_DIR
from genmusic._version import __version__
from genmusic.config import GenmusicConfig, ModelConfig, SpectrogramConfig
from genmusic.errors import ModelFolderError
from genmusic.models.modelio import (HISTORY_FILE, META_FILE, MODEL_FILE, compression_ratio, load_bundle, prepare_folder,
                              read_history, truncate_history, write_model_metadata)

STATS = {"db_min": -95.0, "db_max": -5.0, "n_songs": 3}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A model folder with a small, untrained VAE."""
    from genmusic.models import build_model

    config = GenmusicConfig(spectrogram=SpectrogramConfig(n_fft=64, hop_length=16, segment_frames=16),
                            model=ModelConfig(conv_filters=(4, 8), conv_kernels=(3, 3), conv_strides=((2, 2), (2, 2)),
                                              latent_dim=8))
    path = tmp_path_factory.mktemp("model")
    model = build_model(config.model, config.spectrogram.segment_shape, seed=1)
    model.save(path / MODEL_FILE)
    write_model_metadata(path, config, stats=STATS, genres=["jazz", "rock"], spectrograms="somewhere",
                         extra={"epochs_run": 3})
    return path, config, model


def test_compression_ratio_is_audio_samples_per_latent_float():
    assert compression_ratio(GenmusicConfig()) == 32768 / 128  # 128 frames x hop 256 over 128 floats
    config = GenmusicConfig().replace(spectrogram={"hop_length": 512}, model={"latent_dim": 64})
    assert compression_ratio(config) == 128 * 512 / 64


def test_metadata_records_what_generation_and_analysis_read_back(folder):
    path, config, _ = folder
    meta = json.loads((path / META_FILE).read_text())
    assert meta["genmusic_model_version"] == 1 and meta["genmusic_version"] == __version__
    assert meta["kind"] == "vae" and meta["latent_dim"] == 8 and meta["input_shape"] == [32, 16, 1]
    assert meta["compression_ratio"] == 16 * 16 / 8
    assert GenmusicConfig.from_dict(meta["config"]) == config
    assert meta["stats"] == STATS and meta["genres"] == ["jazz", "rock"] and meta["spectrograms"] == "somewhere"
    assert meta["epochs_run"] == 3
    assert not list(path.glob(".*"))  # written atomically: no temporary file left


def test_load_bundle_gives_the_same_model_and_its_settings(folder):
    path, config, model = folder
    bundle = load_bundle(path)
    assert type(bundle.model) is type(model) and bundle.model.model_config == config.model
    assert bundle.config == config and bundle.genres == ["jazz", "rock"] and bundle.input_shape == (32, 16)
    for a, b in zip(bundle.model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    norm = bundle.dataset_normaliser()
    assert (norm.data_min_, norm.data_max_) == (-95.0, -5.0)


def test_prepare_folder_keeps_removes_or_refuses(folder, tmp_path):
    import shutil

    path, _, _ = folder
    copy = tmp_path / "copy"
    shutil.copytree(path, copy)
    (copy / "notes.txt").write_text("mine")
    with pytest.raises(ModelFolderError, match="already holds a trained model.*resume=True.*overwrite=True"):
        prepare_folder(copy, resume=False, overwrite=False)
    prepare_folder(copy, resume=True, overwrite=False)
    assert (copy / MODEL_FILE).is_file()
    prepare_folder(copy, resume=False, overwrite=True)
    # only the model folder's own files go (its ledger stays: the record of what genmusic writes there)
    assert sorted(p.name for p in copy.iterdir() if p.name not in (LEDGER_FILE, SCRATCH_DIR)) == ["notes.txt"]
    with pytest.raises(ModelFolderError, match=r"holds files genmusic did not write \(notes.txt\).*overwrite=True"):
        prepare_folder(copy, resume=False, overwrite=False)
    assert (copy / "notes.txt").read_text() == "mine"


def test_history_is_read_back_and_truncated_to_finished_epochs(tmp_path):
    path = tmp_path / HISTORY_FILE
    path.write_text("epoch,loss,val_loss\n0,0.5,0.6\n1,0.4,nan\n2,0.3,0.35\n")
    assert read_history(path)["loss"] == [0.5, 0.4, 0.3]
    assert np.isnan(read_history(path)["val_loss"][1])
    truncate_history(path, 2)
    assert read_history(path) == {"loss": [0.5, 0.4], "val_loss": [0.6, pytest.approx(float("nan"), nan_ok=True)]}
    assert read_history(tmp_path / "none.csv") == {}
