"""Issue 11 cases 9-11: failures on the output side, killed processes.

9. A full disk or a read-only folder stops the run with one clear message and a non-zero exit, leaves no
   temporary file, and never blames the inputs.
10. Worker processes die with their parent (``kill -9`` included); a worker that dies is reported and its
    file tried again, or named when it dies again.
11. A run killed while saving its first epoch leaves a folder that ``--resume`` continues.
"""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from genmusic import _io
from genmusic.commands import generate, preprocess, train as train_command
from genmusic.models.modelio import CHECKPOINT_DIR, HISTORY_FILE, LAST_MODEL_FILE, MODEL_FILE, STATE_FILE
from genmusic.data.engines import WORKER_DIED
from genmusic.data.pipeline import PreprocessingPipeline
from genmusic.data.store import SpectrogramStore
from tests.failures._helpers import SMALL, audio_folder, run_python

FULL = OSError(errno.ENOSPC, "No space left on device")


def leftovers(folder: Path):
    """Temporary files (in the scratch folder or beside their targets) and lock files under ``folder``."""
    return [p for p in folder.rglob("*") if p.match(_io.TEMPORARY_GLOB) or p.name == _io.LOCK_FILE
            or _io.SCRATCH_DIR in p.parent.parts]


# --------------------------------------------------------------------------------------------------
# 9. output-side failures


def test_9_a_full_disk_stops_preprocessing_without_blaming_the_inputs(tmp_path, monkeypatch, capsys):
    """As reported: 38 of 40 inputs were "skipped: unexpected OSError" and the run exited 0."""
    import genmusic.data.store

    real = genmusic.data.store.atomic_save_npy_blocks
    calls = []

    def fills_up(path, shape, dtype, blocks):
        calls.append(path)
        if len(calls) <= 2:
            return real(path, shape, dtype, blocks)

        def write(handle):
            handle.write(b"\x93NUMPY partial")
            raise FULL
        return _io.atomic_write(path, write)

    monkeypatch.setattr(genmusic.data.store, "atomic_save_npy_blocks", fills_up)
    inputs = audio_folder(tmp_path / "in", tuple("abcdefgh"))
    out = tmp_path / "store"
    assert preprocess.main(["--input", str(inputs), "--output", str(out), "--workers", "2", *SMALL]) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot write" in errors[0] and "No space left on device" in errors[0]
    assert "(the inputs are fine)" in errors[0]
    assert "skipped" not in captured.err + captured.out
    assert leftovers(out) == []
    # what was finished is kept, and the run resumes once there is space again
    monkeypatch.undo()
    assert preprocess.main(["--input", str(inputs), "--output", str(out), "--workers", "1", *SMALL]) == 0
    assert len(SpectrogramStore(out).songs) == 8


def test_9_a_read_only_output_folder_is_one_clear_message(tmp_path, monkeypatch, capsys):
    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(_io.tempfile, "mkstemp", refused)  # what a read-only folder does, even to root
    assert preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(tmp_path / "store"),
                            *SMALL]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "Permission denied" in err and "Traceback" not in err
    assert leftovers(tmp_path / "store") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_9_a_really_read_only_folder(tmp_path, capsys):
    out = tmp_path / "store"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(out), *SMALL]) == 1
        assert "Permission denied" in capsys.readouterr().err
    finally:
        out.chmod(0o755)


def test_9_a_full_disk_while_training_leaves_no_temporary_model(tiny_store, tmp_path, monkeypatch, capsys):
    import keras

    def fills_up(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PK partial model")
        raise FULL

    monkeypatch.setattr(keras.Model, "save", fills_up)
    folder = tmp_path / "model"
    rc = train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(folder), "--epochs", "1",
                             "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and "cannot write" in err and "model.keras: No space left on device" in err
    assert leftovers(folder) == [] and not (folder / MODEL_FILE).exists()


def test_9_a_full_disk_while_generating(tiny_model_folder, tmp_path, monkeypatch, capsys):
    import soundfile as sf

    def fills_up(self, data):
        raise FULL

    monkeypatch.setattr(sf.SoundFile, "write", fills_up)
    out = tmp_path / "gen"
    assert generate.main(["--model", str(tiny_model_folder), "--mode", "resynth", "--n", "1", "--n-iter", "2",
                          "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "No space left on device" in err and "(the inputs are fine)" in err
    assert leftovers(out) == [] and [p.name for p in out.iterdir()] == [_io.LEDGER_FILE]


# --------------------------------------------------------------------------------------------------
# 10. worker processes


def _running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid: int):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_10_workers_die_with_their_parent(tmp_path):
    """As reported: after kill -9 of a preprocessing run both workers lived on (240 MB each)."""
    inputs = audio_folder(tmp_path / "in", tuple("abcdefghijkl"))
    code = ("import sys, time\nfrom genmusic.data.pipeline import PreprocessingPipeline\n"
            "slow = PreprocessingPipeline.process_file\n"
            "def process_file(self, *a, **k):\n    time.sleep(2)\n    return slow(self, *a, **k)\n"
            "PreprocessingPipeline.process_file = process_file\n"
            "from genmusic.commands.preprocess import main\nraise SystemExit(main(sys.argv[1:]))\n")
    parent = run_python(code, "--input", inputs, "--output", tmp_path / "store", "--workers", "2", *SMALL)
    deadline = time.time() + 60
    workers = []
    while len(workers) < 2 and time.time() < deadline and parent.poll() is None:
        time.sleep(0.1)
        workers = _children(parent.pid)
    assert len(workers) >= 2, (workers, parent.poll())
    parent.kill()  # SIGKILL: no clean-up of any kind
    parent.wait()
    deadline = time.time() + 10
    while any(_running(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert [pid for pid in workers if _running(pid)] == []


def test_10_a_worker_killed_once_is_retried_and_one_killed_twice_is_named(tmp_path, monkeypatch, capsys):
    """A killed worker used to end the run with a BrokenProcessPool traceback."""
    real = PreprocessingPipeline.process_file
    marker = tmp_path / "killed_once"

    def process_file(self, path, *args, **kwargs):
        name = Path(path).name
        if name == "c.wav" or (name == "e.wav" and not marker.exists()):
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)  # the out-of-memory killer, say
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(PreprocessingPipeline, "process_file", process_file)
    inputs = audio_folder(tmp_path / "in", tuple("abcdefg"))
    out = tmp_path / "store"
    assert preprocess.main(["--input", str(inputs), "--output", str(out), "--workers", "2", *SMALL]) == 0
    captured = capsys.readouterr()
    assert "a worker process died" in captured.err and "Traceback" not in captured.err
    assert f"skipped {inputs / 'c.wav'}: {WORKER_DIED}" in captured.err
    assert sorted(s.song_id for s in SpectrogramStore(out).songs) == ["a", "b", "d", "e", "f", "g"]
    assert "c.wav" in (out / "skipped.csv").read_text()


# --------------------------------------------------------------------------------------------------
# 11. killed while saving the first epoch


def _train(store, folder, *extra):
    return train_command.main(["--spectrograms", str(store.path), "--model-dir", str(folder), "--batch-size", "8",
                               "--no-progress", *extra])


@pytest.mark.parametrize("lost", [[STATE_FILE], [STATE_FILE, LAST_MODEL_FILE]])
def test_11_killed_while_saving_the_first_epoch_resumes(tiny_store, tmp_path, capsys, lost):
    """As reported: --resume said "train without --resume" and a plain run said "pass --resume". The folder
    is made the way such a kill leaves it (model.keras written, the checkpoint not, or only half)."""
    folder = tmp_path / "model"
    assert _train(tiny_store, folder, "--epochs", "1") == 0
    for name in lost:
        (folder / CHECKPOINT_DIR / name).unlink()
    capsys.readouterr()
    assert _train(tiny_store, folder, "--epochs", "2") == 1
    assert "--resume" in capsys.readouterr().err
    assert _train(tiny_store, folder, "--epochs", "2", "--resume") == 0
    err = capsys.readouterr().err
    assert "stopped while saving its first epoch" in err and "the first epoch is trained again" in err
    rows = (folder / HISTORY_FILE).read_text().strip().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1"]
    assert (folder / CHECKPOINT_DIR / STATE_FILE).is_file()


def test_11_a_real_kill_in_the_first_checkpoint(tiny_store, tmp_path, capsys):
    """The kill itself: the training process dies (SIGKILL) right after writing checkpoint/last.keras."""
    folder = tmp_path / "model"
    code = ("import os, signal, sys\nimport genmusic.models.callbacks as cb\nreal = cb.atomic_write_json\n"
            "def dies(path, data):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
            "cb.atomic_write_json = dies\n"
            "from genmusic.commands.train import main\nraise SystemExit(main(sys.argv[1:]))\n")
    proc = run_python(code, "--spectrograms", tiny_store.path, "--model-dir", folder, "--epochs", "1",
                      "--batch-size", "8", "--no-progress")
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert (folder / CHECKPOINT_DIR / LAST_MODEL_FILE).is_file() and not (folder / CHECKPOINT_DIR / STATE_FILE).exists()
    assert _train(tiny_store, folder, "--epochs", "1", "--resume") == 0
    assert "stopped while saving its first epoch" in capsys.readouterr().err
    assert np.isfinite(float((folder / HISTORY_FILE).read_text().strip().splitlines()[-1].split(",")[1]))
