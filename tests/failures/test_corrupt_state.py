"""Issue 20, corrupt state: stores, priors and model folders are checked when opened, with one error that
names the file and the fix (no traceback, no silent nonsense).

* ``manifest.csv`` cut mid-line, full of random bytes, with ``db_min=nan`` or ``n_segments=-5``;
  ``stats.json`` holding NaN / inf; a song file deleted, truncated or replaced during training (a clean
  DataError, not TensorFlow's "Graph execution error" around it);
* ``prior.npz`` empty or of the wrong shape; ``fit-prior --spectrograms`` of a store made with another hop;
  ``demo --workdir`` a file; ``fit-prior`` killed while fitting the sequence model (its files are one unit: a
  rerun completes them without ``--overwrite``, and ``sample`` never silently draws independently);
* a full disk during ``analyze``: one line, no traceback.
"""

from __future__ import annotations

import errno
import json
import shutil

import keras
import numpy as np
import pytest

from genmusic.commands import analyze, demo, fit_prior, generate, preprocess, train as train_command
from genmusic.data.store import SpectrogramStore
from genmusic.errors import DataError, ModelFolderError
from genmusic.generation.prior import LatentPrior
from genmusic.models.dataset import SpectrogramDataset
from genmusic.models.modelio import PRIOR_FILE, PRIORS_SUMMARY_FILE, SEQUENCE_FILE
from genmusic.models.training import train
from tests.conftest import train_config
from tests.failures._helpers import SMALL, audio_folder

FULL = OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def store_copy(tiny_store, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(tiny_store.path, copy)
    return copy


def _refused(store, *words):
    with pytest.raises(DataError) as info:
        SpectrogramStore(store)
    message = str(info.value)
    for word in words:
        assert word in message, message
    return message


# --------------------------------------------------------------------------------------------------
# the store


def test_a_manifest_cut_mid_line_or_of_random_bytes_is_refused(store_copy, capsys):
    manifest = store_copy / "manifest.csv"
    text = manifest.read_bytes()
    manifest.write_bytes(text[: len(text) // 2])  # a copy that stopped half way
    _refused(store_copy, "manifest.csv", "cut short", "preprocess again")
    manifest.write_bytes(text[: text.rindex(b"\n", 0, len(text) - 1) + 1])  # whole lines, one song short
    _refused(store_copy, "manifest.csv", "lists 11 segment(s) of song", "but the song has 12")
    manifest.write_bytes(np.random.default_rng(0).bytes(3000))
    _refused(store_copy, "manifest.csv", "not a manifest genmusic wrote")
    assert train_command.main(["--spectrograms", str(store_copy), "--model-dir", str(store_copy.parent / "m"),
                               "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "manifest.csv" in err and "Traceback" not in err


@pytest.mark.parametrize("column, value, words", [
    ("db_min", "nan", "db_min must be a finite number of dB, got 'nan'"),
    ("db_max", "-inf", "db_max must be a finite number of dB"),
    ("n_segments", "-5", "n_segments must be an integer >= 1, got '-5'"),
    ("n_samples", "x", "n_samples must be an integer >= 1, got 'x'"),
    ("split", "holdout", "split must be one of"),
    ("offset_samples", "7", "offset_samples 7 does not match segment"),
    ("file", "../../elsewhere.npy", "file must be songs/"),
])
def test_manifest_fields_are_checked(store_copy, column, value, words):
    lines = (store_copy / "manifest.csv").read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index(column)] = value
    (store_copy / "manifest.csv").write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    _refused(store_copy, "manifest.csv line 2", words)


@pytest.mark.parametrize("key, value", [("db_min", "NaN"), ("db_max", "Infinity"), ("global_db_min", "-Infinity")])
def test_stats_holding_nan_or_inf_are_refused(store_copy, key, value):
    text = (store_copy / "stats.json").read_text()
    stats = json.loads(text)
    (store_copy / "stats.json").write_text(text.replace(f'"{key}": {json.dumps(stats[key])}', f'"{key}": {value}'))
    _refused(store_copy, "stats.json", f"{key} must be a finite number", "preprocess again")


def test_a_song_file_missing_when_the_store_is_opened_is_named(store_copy):
    song = SpectrogramStore(store_copy).songs[0].song_id
    (store_copy / "songs" / f"{song}.npy").unlink()
    _refused(store_copy, f"songs/{song}.npy", "is missing", "preprocess again")


def test_a_song_file_deleted_during_training_is_a_clean_data_error(store_copy, tmp_path):
    store = SpectrogramStore(store_copy)
    victim = store_copy / "songs" / f"{store.songs_in('train')[0].song_id}.npy"

    class Delete(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            victim.unlink(missing_ok=True)

    with pytest.raises(DataError, match=rf"{victim.name}: cannot read \(it is gone\).*preprocess again") as info:
        train(store, tmp_path / "m", train_config(store, epochs=3), progress=None, extra_callbacks=[Delete()])
    assert "Graph execution" not in str(info.value)


@pytest.mark.parametrize("damage", ["truncated", "replaced"])
def test_a_song_file_truncated_or_replaced_after_opening_is_a_clean_data_error(store_copy, damage):
    store = SpectrogramStore(store_copy)
    ds = SpectrogramDataset(store, "train", batch_size=64, shuffle=False)
    ds[0]
    path = store_copy / "songs" / f"{store.songs[int(ds.index[0, 0])].song_id}.npy"
    if damage == "truncated":
        with open(path, "r+b") as handle:
            handle.truncate(path.stat().st_size // 2)
        match = "is shorter than its header says"
    else:
        np.save(path, np.zeros((3, 8, 8), np.float32))
        match = r"shape \(3, 8, 8\) float32 does not match"
    with pytest.raises(DataError, match=match):
        ds[0]
    assert ds.last_error is not None


# --------------------------------------------------------------------------------------------------
# the prior and the sequence model


@pytest.fixture
def model_with_prior(tiny_model_folder, tiny_store, tmp_path):
    """A copy of the tiny model with a prior fitted on its latents (no sequence model: fast)."""
    from genmusic.encoding.latents import encode_store
    from genmusic.models.modelio import load_bundle, model_ledger

    model = tmp_path / "model"
    shutil.copytree(tiny_model_folder, model)
    encoded = encode_store(load_bundle(model).model, tiny_store, split="train")
    prior = LatentPrior(max_components=1, seed=0)
    genres = [tiny_store.songs[i].genre for i in encoded.segment_song]
    prior.fit(encoded.segment_latents, np.array(genres))
    model_ledger(model).claim(model / PRIOR_FILE, model / SEQUENCE_FILE, model / PRIORS_SUMMARY_FILE)  # as fit-prior does
    prior.save(model / PRIOR_FILE)
    (model / PRIORS_SUMMARY_FILE).write_text(json.dumps({"files": [PRIOR_FILE], "prior": prior.describe()}))
    return model


def _sample(model, tmp_path, capsys):
    rc = generate.main(["--model", str(model), "--mode", "sample", "--n", "1", "--n-iter", "1",
                        "--output", str(tmp_path / "gen"), "--overwrite"])
    return rc, capsys.readouterr()


def test_an_empty_or_misshapen_prior_is_refused_by_name(model_with_prior, tmp_path, capsys):
    assert _sample(model_with_prior, tmp_path, capsys)[0] == 0
    good = (model_with_prior / PRIOR_FILE).read_bytes()
    (model_with_prior / PRIOR_FILE).write_bytes(b"")
    rc, out = _sample(model_with_prior, tmp_path, capsys)
    assert rc == 1 and f"{PRIOR_FILE}: cannot read the prior" in out.err and "fit-prior" in out.err
    (model_with_prior / PRIOR_FILE).write_bytes(good)
    with np.load(model_with_prior / PRIOR_FILE) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["means_0"] = arrays["means_0"][:, :8]  # latents of 8 floats: another model's
    np.savez(model_with_prior / PRIOR_FILE, **arrays)
    rc, out = _sample(model_with_prior, tmp_path, capsys)
    assert rc == 1 and "means_0 has shape (1, 8)" in out.err and "(1, 16)" in out.err
    assert "Traceback" not in out.err and out.err.count("error:") == 1


def test_a_fit_prior_killed_in_the_sequence_model_is_completed_by_a_rerun(model_with_prior, tmp_path, capsys):
    """As reported: prior.npz without sequence.keras (nor priors.json, written last); the rerun refused without
    --overwrite while ``sample`` silently drew independent segments."""
    (model_with_prior / PRIORS_SUMMARY_FILE).unlink()
    rc, out = _sample(model_with_prior, tmp_path, capsys)
    assert rc == 1 and "fit-prior did not finish" in out.err and "run `genmusic fit-prior" in out.err
    assert "--overwrite" not in out.err.split("fit-prior did not finish")[1].split(";")[0]
    assert fit_prior.main(["--model-dir", str(model_with_prior), "--epochs", "1", "--components", "1"]) == 0
    assert (model_with_prior / SEQUENCE_FILE).is_file()
    summary = json.loads((model_with_prior / PRIORS_SUMMARY_FILE).read_text())
    assert summary["files"] == [PRIOR_FILE, SEQUENCE_FILE]
    assert _sample(model_with_prior, tmp_path, capsys)[0] == 0
    (model_with_prior / SEQUENCE_FILE).unlink()  # listed by priors.json, gone: never independent draws quietly
    rc, out = _sample(model_with_prior, tmp_path, capsys)
    assert rc == 1 and f"{SEQUENCE_FILE}" in out.err and "is missing" in out.err


def test_fit_prior_refuses_a_store_made_with_another_hop(tiny_model_folder, tmp_path, capsys):
    other = tmp_path / "hop32"
    assert preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(other), "--workers",
                            "1", "--sample-rate", "8000", "--n-fft", "128", "--hop-length", "32",
                            "--segment-frames", "16", "--no-progress"]) == 0  # the same segment shape, 64 x 16
    model = tmp_path / "model"
    shutil.copytree(tiny_model_folder, model)
    assert fit_prior.main(["--model-dir", str(model), "--spectrograms", str(other), "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "spectrogram.hop_length: 64 (model) vs 32 (spectrograms)" in err and not (model / PRIOR_FILE).exists()


def test_demo_refuses_a_workdir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert demo.main(["--workdir", str(tmp_path / "notes.txt"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: --workdir {tmp_path / 'notes.txt'} is a file, not a folder; choose a folder (it is made if " \
                  f"needed)\n"
    assert (tmp_path / "notes.txt").read_text() == "mine"


# --------------------------------------------------------------------------------------------------
# a full disk during analyze


def test_a_full_disk_during_analyze_is_one_line(tiny_model_folder, tiny_store, tmp_path, monkeypatch, capsys):
    import soundfile as sf

    def fills_up(self, data):
        raise FULL

    monkeypatch.setattr(sf.SoundFile, "write", fills_up)
    assert analyze.main(["--model", str(tiny_model_folder), "--spectrograms", str(tiny_store.path), "--output",
                         str(tmp_path / "R"), "--no-tsne", "--max-eval-songs", "1", "--clip-seconds", "0.5"]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "Traceback" not in err and "No space left on device" in err, err
    assert err.splitlines()[-1].startswith("error: cannot write")
