"""Issue 11, data loss (cases 1-4): each case as it was reported, shown harmless.

1. ``preprocess --overwrite`` removed every file in ``DIR/songs/``, the user's included.
2. ``train --model-dir DIR`` removed ``checkpoint/``, ``tensorboard/`` and ``history.csv`` without
   ``--overwrite`` whenever ``DIR`` had no ``model.keras``; a folder holding anything genmusic did not write
   must be refused unless ``--overwrite``, and even then only genmusic's files go.
3. ``train --overwrite --seed -1`` removed the old model, then failed on the seed.
4. Two runs into one output folder: the second deleted the first one's temporary files.
"""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest

from genmusic._io import LOCK_FILE, Ledger, folder_lock
from genmusic.commands import generate, preprocess, train as train_command
from genmusic.errors import FolderLockedError
from genmusic.models.modelio import CHECKPOINT_DIR, HISTORY_FILE, LAST_MODEL_FILE, MODEL_FILE, STATE_FILE, TENSORBOARD_DIR
from genmusic.data.store import SpectrogramStore
from tests.failures._helpers import SMALL, audio_folder, dead_pid, lock_held_elsewhere, run_python, snapshot


# --------------------------------------------------------------------------------------------------
# 1. preprocess --overwrite


def _user_files(songs):
    (songs / "my_song.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEmine")
    (songs / "notes.txt").write_text("mine")
    (songs / "drafts").mkdir()
    (songs / "drafts" / "idea.txt").write_text("mine too")
    np.save(songs / "my_features.npy", np.arange(5.0))  # a .npy genmusic did not write
    return {"my_song.wav", "notes.txt", "drafts/idea.txt", "my_features.npy"}


def test_1_overwrite_removes_only_what_genmusic_wrote(tmp_path, capsys):
    out = tmp_path / "store"
    first = audio_folder(tmp_path / "first", ("a", "b", "c"))
    assert preprocess.main(["--input", str(first), "--output", str(out), "--workers", "1", *SMALL]) == 0
    mine = _user_files(out / "songs")
    user_before = {k: v for k, v in snapshot(out / "songs").items() if k in mine}

    second = audio_folder(tmp_path / "second", ("d", "e"))  # other songs: a, b, c must go, d, e come
    assert preprocess.main(["--input", str(second), "--output", str(out), "--workers", "2", "--overwrite",
                            *SMALL]) == 0
    after = snapshot(out / "songs")
    assert {k: v for k, v in after.items() if k in mine} == user_before  # every byte of the user's files
    assert set(after) - mine == {"d.npy", "d.json", "e.npy", "e.json"}
    assert [s.song_id for s in SpectrogramStore(out).songs] == ["d", "e"]
    err = capsys.readouterr().err
    assert "kept 4 file(s) genmusic did not write" in err and "drafts/" in err


def test_1_store_files_of_other_origin_are_never_replaced(tmp_path, capsys):
    out = tmp_path / "store"
    out.mkdir()
    (out / "manifest.csv").write_text("my,own,table\n1,2,3\n")
    rc = preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(out), "--overwrite", *SMALL])
    assert rc == 1
    assert "manifest.csv, which genmusic did not write" in capsys.readouterr().err
    assert (out / "manifest.csv").read_text() == "my,own,table\n1,2,3\n" and not (out / "songs").exists()


def test_1_a_song_never_replaces_a_file_genmusic_did_not_write(tmp_path, capsys):
    out = tmp_path / "store"
    (out / "songs").mkdir(parents=True)
    np.save(out / "songs" / "a.npy", np.arange(3.0))  # the user's a.npy, where song "a" would go
    rc = preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(out), *SMALL])
    assert rc == 1 and "a.npy was not written by genmusic" in capsys.readouterr().err
    np.testing.assert_array_equal(np.load(out / "songs" / "a.npy"), np.arange(3.0))


# --------------------------------------------------------------------------------------------------
# 2. train into a folder that is not (only) a finished model


@pytest.fixture
def model_copy(trained, tmp_path):
    *_, folder = trained
    copy = tmp_path / "model"
    shutil.copytree(folder, copy)
    return copy


def _train(store, model_dir, *extra):
    return train_command.main(["--spectrograms", str(store.path), "--model-dir", str(model_dir), "--epochs", "1",
                               "--batch-size", "8", "--no-progress", *extra])


def test_2_checkpoint_logs_and_history_are_kept_without_overwrite(model_copy, tiny_store, capsys):
    (model_copy / MODEL_FILE).unlink()  # as reported: no model.keras, but a checkpoint, logs and a history
    assert (model_copy / CHECKPOINT_DIR / LAST_MODEL_FILE).is_file() and (model_copy / TENSORBOARD_DIR).is_dir()
    before = snapshot(model_copy)
    assert _train(tiny_store, model_copy) == 1
    err = capsys.readouterr().err
    assert "already holds a trained model" in err and "--resume" in err and "--overwrite" in err
    assert snapshot(model_copy) == before

    (model_copy / CHECKPOINT_DIR / LAST_MODEL_FILE).unlink()  # a history of trained epochs is enough
    (model_copy / CHECKPOINT_DIR / STATE_FILE).unlink()
    before = snapshot(model_copy)
    assert _train(tiny_store, model_copy) == 1
    assert snapshot(model_copy) == before


def test_2_foreign_files_refused_and_kept_even_with_overwrite(model_copy, tiny_store, capsys):
    (model_copy / "notes.txt").write_text("mine")
    (model_copy / CHECKPOINT_DIR / "my_weights.h5").write_bytes(b"mine")
    (model_copy / TENSORBOARD_DIR / "my_run").mkdir()
    (model_copy / TENSORBOARD_DIR / "my_run" / "events.txt").write_text("mine")
    before = snapshot(model_copy)
    for extra in ([], ["--resume"]):
        rc = _train(tiny_store, model_copy, *extra)
        assert rc == 1
    capsys.readouterr()
    assert snapshot(model_copy) == before  # resume: epochs 1 < 4 already trained, refused before any write

    empty_but_mine = model_copy.parent / "other"
    empty_but_mine.mkdir()
    (empty_but_mine / "notes.txt").write_text("mine")
    assert _train(tiny_store, empty_but_mine) == 1
    err = capsys.readouterr().err
    assert "holds files genmusic did not write (notes.txt)" in err and "--overwrite" in err
    assert sorted(p.name for p in empty_but_mine.iterdir()) == ["notes.txt"]

    assert _train(tiny_store, model_copy, "--overwrite") == 0
    after = snapshot(model_copy)
    for name in ("notes.txt", "checkpoint/my_weights.h5", "tensorboard/my_run/events.txt"):
        assert after[name] == before[name]
    assert after[MODEL_FILE] != before[MODEL_FILE]  # the model itself was replaced
    assert len(json.loads(after["genmusic.json"])["config"]) > 0
    assert "kept 3 file(s) genmusic did not write" in capsys.readouterr().err


def test_2_a_run_killed_before_its_first_epoch_ended_leaves_nothing_to_protect(tiny_store, tmp_path):
    """What such a run leaves, each file recorded in the folder's ledger before it was written."""
    folder = tmp_path / "model"
    events = folder / TENSORBOARD_DIR / "train" / "events.out.tfevents.1.host"
    Ledger(folder, "model").claim(folder / HISTORY_FILE, folder / "genmusic.json", events)
    events.parent.mkdir(parents=True)
    events.write_bytes(b"x")
    (folder / HISTORY_FILE).write_text("epoch,loss,val_loss\n")  # header only: no epoch finished
    (folder / "genmusic.json").write_text("{}")
    assert _train(tiny_store, folder) == 0
    assert (folder / MODEL_FILE).is_file() and not events.exists()


# --------------------------------------------------------------------------------------------------
# 3. every setting is checked before anything on disk is touched


@pytest.mark.parametrize("bad", [["--seed", "-1"], ["--seed", "4294967296"], ["--batch-size", "0"],
                                 ["--learning-rate", "nan"], ["--epochs", "0"], ["--latent-dim", "15"],
                                 ["--beta", "inf"], ["--patience", "-2"], ["--max-train-segments", "0"]])
def test_3_bad_settings_with_overwrite_remove_nothing(model_copy, tiny_store, capsys, bad):
    before = snapshot(model_copy)
    assert _train(tiny_store, model_copy, "--overwrite", *bad) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and bad[0] in err and "Traceback" not in err
    assert snapshot(model_copy) == before


# --------------------------------------------------------------------------------------------------
# 4. one run per output folder


def test_4_a_second_preprocess_run_is_refused_while_the_first_works(tmp_path, capsys):
    """As reported: two runs into one folder. The first is slowed down (0.3 s per file) in another process;
    the second is refused with the lock file and the first run's pid named, and deletes nothing; the first
    finishes with all its songs in the manifest."""
    first_in = audio_folder(tmp_path / "first", tuple("abcdefgh"))
    second_in = audio_folder(tmp_path / "second", ("x", "y"))
    out = tmp_path / "store"
    code = ("import sys, time\nfrom genmusic.data.pipeline import PreprocessingPipeline\n"
            "slow = PreprocessingPipeline.process_file\n"
            "def process_file(self, *a, **k):\n    time.sleep(0.3)\n    return slow(self, *a, **k)\n"
            "PreprocessingPipeline.process_file = process_file\n"
            "from genmusic.commands.preprocess import main\nraise SystemExit(main(sys.argv[1:]))\n")
    first = run_python(code, "--input", first_in, "--output", out, "--workers", "1", *SMALL)
    deadline = time.time() + 60
    while not (out / "songs" / "a.json").is_file() and first.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, first.communicate()
    (out / "songs" / ".b.inflight.tmp.npy").write_bytes(b"the first run's file in progress")
    assert preprocess.main(["--input", str(second_in), "--output", str(out), *SMALL]) == 1
    err = capsys.readouterr().err
    assert f"{out} is in use by another genmusic run (preprocessing, pid {first.pid}" in err
    assert str(out / LOCK_FILE) in err
    assert (out / "songs" / ".b.inflight.tmp.npy").is_file()  # the second run touched nothing
    (out / "songs" / ".b.inflight.tmp.npy").unlink()
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert [s.song_id for s in SpectrogramStore(out).songs] == list("abcdefgh")
    assert not (out / LOCK_FILE).exists()


def test_4_training_and_generation_folders_are_locked_too(tiny_store, tiny_model_folder, tmp_path, capsys):
    model_dir = tmp_path / "model"
    with lock_held_elsewhere(model_dir, "training") as pid:
        assert _train(tiny_store, model_dir) == 1
        err = capsys.readouterr().err
        assert f"(training, pid {pid}" in err and LOCK_FILE in err
        assert sorted(p.name for p in model_dir.iterdir()) == [LOCK_FILE]
    out = tmp_path / "gen"
    with lock_held_elsewhere(out, "generation") as pid:
        assert generate.main(["--model", str(tiny_model_folder), "--mode", "resynth", "--output", str(out),
                              "--n-iter", "2"]) == 1
        assert f"(generation, pid {pid}" in capsys.readouterr().err
        assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]


def test_4_a_stale_lock_is_detected_and_taken_over(tmp_path, capsys):
    out = tmp_path / "store"
    out.mkdir()
    pid = dead_pid()  # a run killed with kill -9 leaves its lock file behind
    (out / LOCK_FILE).write_text(json.dumps({"pid": pid, "host": "h", "purpose": "preprocessing",
                                             "started": "2024-01-01 00:00:00"}))
    assert preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(out), *SMALL]) == 0
    assert f"took over a stale lock left by pid {pid} (preprocessing" in capsys.readouterr().err
    assert not (out / LOCK_FILE).exists()


def test_4_the_lock_names_its_owner_in_process_too(tmp_path):
    with folder_lock(tmp_path / "x", purpose="preprocessing") as lock:
        with pytest.raises(FolderLockedError, match=r"in use by another genmusic run \(preprocessing, pid \d+"):
            with folder_lock(tmp_path / "x", purpose="generation"):
                pass
        assert json.loads(lock.read_text())["purpose"] == "preprocessing"
    with folder_lock(tmp_path / "x", purpose="generation"):  # released: free again
        pass
