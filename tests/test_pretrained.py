"""genmusic.pretrained: installed models by name, ``genmusic models``, fine-tuning (``init_from``), and the model
shipped in the package (realmusic-v1)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

import genmusic
from genmusic import pretrained
from genmusic.errors import InstalledModelError, ModelFolderError, ParameterError, SettingsMismatchError

from tests.conftest import _tiny_song, train_config

NAME = "tiny-v1"
SHIPPED = "realmusic-v1"


@pytest.fixture
def installed(tiny_model_folder, tmp_path, monkeypatch):
    """An installed-models folder holding the tiny VAE as ``tiny-v1`` (with a card), and the working folder
    moved to an empty ``tmp_path/work``: returns the installed model's folder."""
    root = tmp_path / "installed"
    shutil.copytree(tiny_model_folder, root / NAME)
    (root / NAME / "MODEL_CARD.md").write_text("# tiny-v1\n")
    (root / "not-a-model").mkdir()  # a folder without genmusic.json is no installed model
    monkeypatch.setattr(pretrained, "ROOT", root)
    monkeypatch.setattr(pretrained, "_warned", set())
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return root / NAME


# -- resolution ----------------------------------------------------------------------------------------------


def test_a_name_resolves_to_the_installed_folder_and_loads(installed):
    assert pretrained.names() == [NAME]
    assert pretrained.resolve(NAME) == installed
    bundle = genmusic.load_bundle(NAME)
    assert bundle.folder == installed and bundle.model.latent_dim == 16
    gen = genmusic.SoundGenerator.from_folder(NAME)
    assert gen.bundle.folder == installed


def test_paths_are_never_names(installed, tmp_path):
    for given in (f"sub/{NAME}", str(tmp_path / "work" / NAME), ".", ".."):
        assert pretrained.resolve(given) == Path(given)


def test_a_folder_of_the_same_name_wins_once_with_a_warning_naming_both(installed, tiny_model_folder, caplog):
    shutil.copytree(tiny_model_folder, NAME)  # ./tiny-v1 in the working folder
    with caplog.at_level(logging.WARNING, logger="genmusic"):
        assert pretrained.resolve(NAME) == Path(NAME)
        assert genmusic.load_bundle(NAME).folder == Path(NAME)
    warnings = [r.getMessage() for r in caplog.records if "installed model" in r.getMessage()]
    assert len(warnings) == 1  # said once, not by every layer that resolves the name
    assert str(Path(NAME).resolve()) in warnings[0] and str(installed) in warnings[0]
    assert "the folder is used" in warnings[0] and "full path" in warnings[0]


def test_neither_a_folder_nor_a_name_lists_the_installed_models(installed):
    with pytest.raises(ModelFolderError, match=rf"nope does not exist, nor is it the name of an installed model "
                                               rf"\(installed: {NAME};"):
        genmusic.load_bundle("nope")
    with pytest.raises(ModelFolderError, match=rf"installed models \(usable by name\) are: {NAME}"):
        genmusic.load_bundle("somewhere/nope")
    with pytest.raises(ModelFolderError, match=rf"no installed model is named 'nope'; installed: {NAME}"):
        pretrained.path_of("nope")


def test_the_commands_take_a_name(installed, tiny_store, tmp_path, capsys, monkeypatch):
    import soundfile as sf

    from genmusic.analysis import report
    from genmusic.commands import analyze, encode, generate

    (tmp_path / "audio" / "mid").mkdir(parents=True)
    sf.write(tmp_path / "audio" / "mid" / "tune.wav", _tiny_song(1, 0, 8000, 1.0), 8000)
    assert generate.main(["--model", NAME, "--mode", "reconstruct", "--input", str(tmp_path / "audio" / "mid" / "tune.wav"),
                          "--n-iter", "2", "--output", str(tmp_path / "gen")]) == 0
    assert (tmp_path / "gen" / "tune_reconstruct.wav").is_file()
    # its training store is not installed with it (genmusic.json names a folder of the machine that made it)
    assert generate.main(["--model", NAME, "--mode", "reconstruct", "--output", str(tmp_path / "gen2")]) == 1
    assert f"error: {NAME} is an installed model: the spectrograms it was trained on are not installed with it; " \
           f"no --input given: pass --input FILE ..." in capsys.readouterr().err
    assert encode.main(["--model", NAME, "--input", str(tmp_path / "audio"), "--output", str(tmp_path / "z"),
                        "--no-progress"]) == 0
    seen = {}

    def study(folders, names, *args, **kwargs):  # the analysis itself has tests of its own
        seen.update(folders=folders, names=names)
        raise genmusic.GenmusicError("stopped here")

    monkeypatch.setattr(report, "_analyse", study)
    assert analyze.main(["--model", NAME, "--spectrograms", str(tiny_store.path), "--output", str(tmp_path / "r")]) == 1
    assert seen == {"folders": [installed], "names": [NAME]}
    latents = genmusic.load_latents(tmp_path / "z")
    assert latents.song_vectors.shape == (1, 32) and latents.meta["model"] == str(installed)


# -- genmusic models -----------------------------------------------------------------------------------------


def test_genmusic_models_lists_each_installed_model(installed, capsys):
    from genmusic import cli

    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    size = sum(p.stat().st_size for p in installed.rglob("*") if p.is_file()) / 1e6
    assert f"  {NAME}: vae, {size:.1f} MB, latent 16 floats per 0.13 s, 8000 Hz, 3 styles: bass, mid, treble;" in out
    assert "generate --mode sample: no (no prior fitted)" in out
    assert f"model card: {installed / 'MODEL_CARD.md'}" in out
    assert "not-a-model" not in out
    assert f"--model {NAME}" in out and f"--init-from {NAME}" in out


def test_genmusic_models_says_when_none_is_installed(tmp_path, monkeypatch, capsys):
    from genmusic.commands import models

    monkeypatch.setattr(pretrained, "ROOT", tmp_path / "none")
    assert models.main([]) == 0
    assert "no installed models" in capsys.readouterr().out


# -- installed models are read-only --------------------------------------------------------------------------


def test_nothing_writes_into_an_installed_model(installed, tiny_store):
    from genmusic.generation.composer import fit_priors
    from genmusic.models.training import train

    before = sorted(p.name for p in installed.iterdir())
    with pytest.raises(InstalledModelError, match=rf"{NAME} is an installed model .* copy it first"):
        fit_priors(NAME, tiny_store.path, overwrite=True)
    with pytest.raises(InstalledModelError, match="resuming its training"):
        train(tiny_store, NAME, train_config(tiny_store), resume=True, progress=None)
    with pytest.raises(InstalledModelError, match="training into it"):
        train(tiny_store, installed, train_config(tiny_store), overwrite=True, progress=None)
    with pytest.raises(InstalledModelError, match="saving a model"):
        genmusic.save_model(genmusic.load_bundle(NAME).model, installed / "sub", tiny_store)
    assert sorted(p.name for p in installed.iterdir()) == before


def test_the_commands_refuse_to_write_into_an_installed_model(installed, tiny_store, capsys):
    from genmusic.commands import fit_prior, train

    assert fit_prior.main(["--model-dir", NAME, "--overwrite", "--spectrograms", str(tiny_store.path)]) == 1
    assert f"error: {NAME} is an installed model" in capsys.readouterr().err
    assert train.main(["--spectrograms", str(tiny_store.path), "--model-dir", NAME, "--resume", "--epochs", "9"]) == 1
    assert "copy it first" in capsys.readouterr().err


# -- fine-tuning ---------------------------------------------------------------------------------------------


def test_fine_tuning_starts_from_the_weights_records_the_source_and_resumes(installed, tiny_store,
                                                                              tiny_model_folder, tmp_path, capsys):
    """train_vae.py --init-from (genmusic.models.training.train(..., init_from=...)): 1 epoch at a learning rate
    so small that no weight can move visibly, so the model written is the source's weights; then resumed."""
    from genmusic.commands import train

    source = genmusic.load_bundle(NAME)
    folder = tmp_path / "tuned"
    args = ["--spectrograms", str(tiny_store.path), "--model-dir", str(folder), "--batch-size", "8", "--no-progress"]
    assert train.main([*args, "--init-from", NAME, "--epochs", "1", "--learning-rate", "1e-9"]) == 0
    assert f"fine-tuning {NAME}" in capsys.readouterr().out
    tuned = genmusic.load_bundle(folder)
    assert tuned.config.model == source.config.model  # the source's architecture, not the store's config's
    ours, theirs = tuned.model.get_weights(), source.model.get_weights()
    assert len(ours) == len(theirs) and all(np.allclose(a, b, atol=1e-6) for a, b in zip(ours, theirs))
    from genmusic.models import build_model

    fresh = build_model(source.config.model, tiny_store.segment_shape, seed=1)
    assert not all(np.allclose(a, b, atol=1e-3) for a, b in zip(fresh.get_weights(), theirs))
    assert tuned.meta["init_from"] == {"model": NAME, "folder": str(installed.resolve()), "installed": True,
                                       "genmusic_version": source.meta["genmusic_version"], "epochs_run": None}
    assert tuned.meta["stats"] == tiny_store.stats  # the user's store's statistics
    assert tuned.meta["config"]["train"]["learning_rate"] == 1e-9  # the user's training settings

    # resume: another source is refused, the same one continues (and stays recorded)
    assert train.main([*args, "--resume", "--epochs", "2", "--init-from", str(tiny_model_folder)]) == 1
    assert f"--init-from {tiny_model_folder} with --resume: the model in {folder} started from {NAME}" \
        in capsys.readouterr().err
    assert train.main([*args, "--resume", "--epochs", "2", "--init-from", NAME]) == 0
    assert json.loads((folder / "genmusic.json").read_text())["init_from"]["model"] == NAME
    assert json.loads((folder / "genmusic.json").read_text())["epochs_run"] == 2


def test_fine_tuning_refuses_architecture_flags_and_another_kind(installed, tiny_store, tmp_path, capsys):
    from genmusic.commands import train

    args = ["--spectrograms", str(tiny_store.path), "--model-dir", str(tmp_path / "m"), "--init-from", NAME]
    assert train.main([*args, "--latent-dim", "8", "--preset", "large"]) == 1
    assert "--preset and --latent-dim cannot go with --init-from" in capsys.readouterr().err
    assert train.main(args, kind="autoencoder") == 1
    assert f"--init-from {NAME} is a vae, but kind='autoencoder'" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_init_from_refuses_other_spectrogram_settings_naming_each(installed, tiny_store, tmp_path):
    from genmusic.models.training import train

    meta = json.loads((installed / "genmusic.json").read_text())
    meta["config"]["spectrogram"]["top_db"] = 80.0
    meta["config"]["audio"]["sample_rate"] = 16000
    (installed / "genmusic.json").write_text(json.dumps(meta))
    with pytest.raises(SettingsMismatchError) as err:
        train(tiny_store, tmp_path / "tuned", train_config(tiny_store), init_from=NAME, progress=None)
    message = str(err.value)
    assert "audio.sample_rate: 16000 (model) vs 8000 (store)" in message
    assert "spectrogram.top_db: 80.0 (model) vs 120.0 (store)" in message
    assert f"init_from={NAME} (the installed model {NAME})" in message and "preprocess your audio again" in message
    assert not (tmp_path / "tuned").exists()


# -- the model shipped in the package ------------------------------------------------------------------------


def test_the_shipped_model_encodes_and_decodes_a_chord():
    folder = Path(genmusic.__file__).parent / "pretrained" / SHIPPED
    if not (folder / "model.keras").is_file():
        pytest.skip(f"the shipped model is not in this checkout ({folder / 'model.keras'} is missing: "
                    f"scripts/make_pretrained.py writes it)")
    assert SHIPPED in pretrained.names()
    gen = genmusic.SoundGenerator.from_folder(SHIPPED, n_iter=32)
    assert gen.bundle.folder.resolve() == folder.resolve()
    sr = gen.sample_rate
    t = np.arange(int(3.0 * sr)) / sr
    chord = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.00)).astype(np.float32)
    song = gen.encode_song(chord)
    assert song.latents.shape[1] == gen.bundle.config.model.latent_dim and np.isfinite(song.latents).all()
    audio = gen.decode_song(song)
    assert audio.shape == chord.shape and np.isfinite(audio).all() and np.abs(audio).max() > 1e-3
    # the notes survive: the rebuilt chord's three strongest pitch classes (CQT chroma) are C, E and G
    import librosa

    chroma = librosa.feature.chroma_cqt(y=audio[sr // 2:-sr // 2], sr=sr).mean(axis=1)
    assert set(np.argsort(chroma)[-3:]) == {0, 4, 7}, np.round(chroma, 2)


def test_fine_tuning_without_a_learning_rate_uses_the_fine_tuning_one(installed, tiny_store, tmp_path, capsys):
    from genmusic.commands import train

    folder = tmp_path / "tuned"
    assert train.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(folder), "--batch-size", "8",
                       "--no-progress", "--init-from", NAME, "--epochs", "1"]) == 0
    assert f"learning rate {train.FINETUNE_LEARNING_RATE:g}" in capsys.readouterr().out
    assert genmusic.load_bundle(folder).meta["config"]["train"]["learning_rate"] == train.FINETUNE_LEARNING_RATE
