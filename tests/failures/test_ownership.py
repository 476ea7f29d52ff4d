"""Issue 20, deletes and overwrites: genmusic removes or replaces only what its ledger says it wrote.

Each test is a reproduction from the issue: a manifest id that walks out of the store, a report folder
holding the user's music (or a link to it), a command pointed at another command's folder, two reports
into one folder, files that merely look like genmusic's, a latent index naming files elsewhere, and a
folder written before genmusic kept a ledger.
"""

from __future__ import annotations

import csv
import json
import os
import shutil

import numpy as np
import pytest
import soundfile as sf

from genmusic._io import LEDGER_FILE, SCRATCH_DIR, Ledger
from genmusic.commands import analyze, encode, generate, preprocess, train as train_command
from genmusic.encoding.folder import load_latents
from genmusic.errors import DataError
from genmusic.models.modelio import TENSORBOARD_DIR
from tests.failures._helpers import SMALL, audio_folder, lock_held_elsewhere, snapshot

#: The songs of a store made by :func:`_store` (a, b, c).
SONGS = {"a.npy", "a.json", "b.npy", "b.json", "c.npy", "c.json"}


def _store(tmp_path, name="store", *extra):
    out = tmp_path / name
    assert preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(out), "--workers", "1",
                            *SMALL, *extra]) == 0
    return out


def _edit_manifest(store, song_id):
    """Every row of song ``a`` renamed to ``song_id`` (an edited, or hostile, manifest)."""
    with open(store / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["song_id"] == "a":
            row["song_id"] = song_id
    with open(store / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# --------------------------------------------------------------------------------------------------
# ids read back from a manifest are never joined onto a path


@pytest.mark.parametrize("hostile", ["../../victim/important", "ABSOLUTE"])
def test_overwrite_never_deletes_outside_the_store_whatever_the_manifest_says(tmp_path, hostile, capsys):
    store = _store(tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    for ext in (".npy", ".json"):
        (victim / f"important{ext}").write_text("the user's")
    song_id = str(victim / "important") if hostile == "ABSOLUTE" else hostile
    _edit_manifest(store, song_id)
    assert (store / "songs" / f"{song_id}.npy").resolve() == (victim / "important.npy").resolve()
    assert preprocess.main(["--input", str(tmp_path / "in"), "--output", str(store), "--workers", "1",
                            "--overwrite", *SMALL]) == 0
    assert sorted(p.name for p in victim.iterdir()) == ["important.json", "important.npy"]
    assert (victim / "important.npy").read_text() == "the user's"
    assert {p.name for p in (store / "songs").iterdir()} == SONGS


# --------------------------------------------------------------------------------------------------
# a report folder holding the user's music, or a link to it; two reports into one folder


@pytest.fixture(scope="module")
def report_argv(tiny_model_folder, tiny_store):
    return ["--model", str(tiny_model_folder), "--spectrograms", str(tiny_store.path), "--no-tsne",
            "--max-eval-songs", "1", "--clip-seconds", "0.5"]


def _ogg(path, seconds=0.2):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.sin(np.arange(int(8000 * seconds)) * 0.1).astype(np.float32) * 0.3, 8000, format="OGG",
             subtype="VORBIS")


def test_a_report_keeps_the_users_clips_and_never_writes_through_a_link(report_argv, tmp_path, capsys):
    report = tmp_path / "R"
    mine = {name: report / "audio" / name for name in ("mine.ogg", "x/y.ogg")}
    for path in mine.values():
        _ogg(path)
    before = {name: path.read_bytes() for name, path in mine.items()}
    assert analyze.main([*report_argv, "--output", str(report)]) == 0
    err = capsys.readouterr().err
    assert "removed" not in err and "kept 2 file(s) genmusic did not write: mine.ogg, x/y.ogg" in err
    assert {name: mine[name].read_bytes() for name in before} == before
    clips = json.loads((report / "results.json").read_text())["audio"]
    assert clips["n_files"] > 0 and not clips["missing"]

    library = tmp_path / "library"
    _ogg(library / "song.ogg")
    linked = tmp_path / "R2"
    linked.mkdir()
    (linked / "audio").symlink_to(library)
    assert analyze.main([*report_argv, "--output", str(linked)]) == 1
    err = capsys.readouterr().err
    assert f"{linked / 'audio'} is a symbolic link (to {library})" in err and "Traceback" not in err
    assert sorted(p.name for p in library.iterdir()) == ["song.ogg"]


def test_a_second_analyze_into_the_same_folder_is_refused_while_the_first_runs(report_argv, tmp_path, capsys):
    report = tmp_path / "R"
    with lock_held_elsewhere(report, "analysis") as pid:
        assert analyze.main([*report_argv, "--output", str(report)]) == 1
        err = capsys.readouterr().err
        assert f"is in use by another genmusic run (analysis, pid {pid}" in err
        assert sorted(p.name for p in report.iterdir()) == [".genmusic.lock"]


# --------------------------------------------------------------------------------------------------
# a command pointed at another command's folder


def test_encode_into_a_store_and_preprocess_into_a_latent_folder_are_refused(tiny_model_folder, tmp_path, capsys):
    store = _store(tmp_path)
    before = snapshot(store)
    assert encode.main(["--model", str(tiny_model_folder), "--input", str(tmp_path / "in"), "--output", str(store),
                        "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"{store} is a spectrogram store (it holds manifest.csv, written by genmusic preprocess)" in err
    assert "choose another --output" in err
    assert snapshot(store) == before

    latents = tmp_path / "latents"
    assert encode.main(["--model", str(tiny_model_folder), "--input", str(tmp_path / "in"), "--output", str(latents),
                        "--no-progress"]) == 0
    before = snapshot(latents)
    assert preprocess.main(["--input", str(tmp_path / "in"), "--output", str(latents), *SMALL]) == 1
    assert "is a latent folder (it holds latents.json, written by genmusic encode)" in capsys.readouterr().err
    assert snapshot(latents) == before
    for command in (lambda: generate.main(["--model", str(tiny_model_folder), "--mode", "resynth", "--n", "1",
                                           "--n-iter", "1", "--output", str(store)]),
                    lambda: train_command.main(["--spectrograms", str(store), "--model-dir", str(latents),
                                                "--epochs", "1", "--no-progress"])):
        assert command() == 1
        assert "choose another" in capsys.readouterr().err
    assert snapshot(latents) == before and (store / "manifest.csv").is_file()


# --------------------------------------------------------------------------------------------------
# --overwrite removes what the ledger records, not what looks like genmusic's


def test_preprocess_overwrite_keeps_files_that_look_like_songs(tmp_path, capsys):
    store = _store(tmp_path)
    np.save(store / "songs" / "mine.npy", np.zeros((2, 64, 16), np.float16))  # shaped like a song array
    (store / "songs" / ".backup.tmp.npy").write_bytes(b"a user's hidden backup")
    (store / "songs" / "mine.json").write_text(json.dumps({"song_id": "mine"}))
    assert preprocess.main(["--input", str(tmp_path / "in"), "--output", str(store), "--overwrite", *SMALL]) == 0
    assert {p.name for p in (store / "songs").iterdir()} == SONGS | {"mine.npy", ".backup.tmp.npy", "mine.json"}
    assert (store / "songs" / ".backup.tmp.npy").read_bytes() == b"a user's hidden backup"
    assert "kept 3 file(s) genmusic did not write" in capsys.readouterr().err


def test_encode_overwrite_keeps_a_users_json_in_songs(tiny_model_folder, tmp_path):
    audio_folder(tmp_path / "in")
    out = tmp_path / "latents"
    argv = ["--model", str(tiny_model_folder), "--input", str(tmp_path / "in"), "--output", str(out), "--no-progress"]
    assert encode.main(argv) == 0
    (out / "songs" / "userfile.json").write_text(json.dumps({"song_id": "userfile"}))
    np.save(out / "songs" / "userfile.npy", np.zeros((1, 16), np.float32))
    assert encode.main([*argv, "--overwrite"]) == 0
    assert json.loads((out / "songs" / "userfile.json").read_text()) == {"song_id": "userfile"}
    assert (out / "songs" / "userfile.npy").is_file() and len(load_latents(out).song_ids) == 3


def test_train_overwrite_keeps_another_experiments_logs_and_drafts(trained, tiny_store, tmp_path, capsys):
    *_, folder = trained
    model = tmp_path / "model"
    shutil.copytree(folder, model)
    old_run = model / TENSORBOARD_DIR / "old" / "events.out.tfevents.1700000000.host.1.v2"
    old_run.parent.mkdir(parents=True)
    old_run.write_bytes(b"another experiment")
    (model / ".draft.tmp.txt").write_text("a draft")
    ours = [p for p in (model / TENSORBOARD_DIR).rglob("events.out.tfevents.*") if p != old_run]
    assert ours  # genmusic's own logs of the first run, recorded in the ledger as they appeared
    assert train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(model), "--epochs", "1",
                               "--batch-size", "8", "--no-progress", "--overwrite"]) == 0
    assert old_run.read_bytes() == b"another experiment" and (model / ".draft.tmp.txt").read_text() == "a draft"
    assert not any(p.exists() for p in ours)  # the earlier run's logs are genmusic's: they go
    assert "kept 2 file(s) genmusic did not write: .draft.tmp.txt, tensorboard/old/" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# load_latents reads its own folder only


def test_load_latents_never_reads_outside_its_folder(tiny_model_folder, tmp_path):
    audio_folder(tmp_path / "in")
    out = tmp_path / "latents"
    assert encode.main(["--model", str(tiny_model_folder), "--input", str(tmp_path / "in"), "--output", str(out),
                        "--no-progress"]) == 0
    secret = tmp_path / "secret.npy"
    np.save(secret, np.arange(16, dtype=np.float32)[None])
    index = (out / "index.csv").read_text()
    (out / "index.csv").write_text(index.replace("songs/a.npy", str(secret)))
    with pytest.raises(DataError, match=r"index.csv line 2: song 'a' names the file .*secret.npy.*not its own "
                                        r"songs/a.npy"):
        load_latents(out)
    (out / "index.csv").write_text(index.replace("a,", "../../secret,", 1))
    with pytest.raises(DataError, match="line 2: song '../../secret'"):
        load_latents(out)
    (out / "index.csv").write_text(index)
    (out / "songs" / "a.npy").unlink()
    (out / "songs" / "a.npy").symlink_to(secret)
    with pytest.raises(DataError, match="is a link to .*secret.npy, outside the latent folder"):
        load_latents(out)


# --------------------------------------------------------------------------------------------------
# folders written before genmusic kept a ledger: read as before, nothing of theirs removed


def test_a_store_without_a_ledger_is_read_and_nothing_of_it_is_removed(tmp_path, capsys):
    store = _store(tmp_path)
    (store / LEDGER_FILE).unlink()  # as genmusic 0.1 left it
    np.save(store / "songs" / "mine.npy", np.zeros((2, 64, 16), np.float16))
    before = snapshot(store / "songs")
    assert preprocess.main(["--input", str(tmp_path / "in"), "--output", str(store), *SMALL]) == 0  # resumed: reads
    assert snapshot(store / "songs") == before
    assert preprocess.main(["--input", str(tmp_path / "in"), "--output", str(store), "--overwrite", *SMALL]) == 1
    err = capsys.readouterr().err
    assert "kept 7 file(s) genmusic cannot prove it wrote (the store was written before genmusic recorded its files)" in err
    assert "songs/a.npy is from a store written before genmusic recorded its files" in err
    assert "delete the old songs yourself" in err
    assert snapshot(store / "songs") == before


def test_the_ledger_records_before_writing_and_removes_inside_its_folder_only(tmp_path):
    folder = tmp_path / "out"
    ledger = Ledger(folder, "spectrograms")
    assert not ledger.found and ledger.owned() == []
    with pytest.raises(ValueError, match="is not a path inside"):
        ledger.claim(tmp_path / "elsewhere.npy")
    (folder / "songs").mkdir(parents=True)
    ledger.claim(folder / "songs" / "a.npy", folder / "songs" / "b.npy")
    (folder / "songs" / "a.npy").write_text("a")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.npy").write_text("not genmusic's")
    os.rename(folder / "songs", folder / "songs_moved")
    (folder / "songs").symlink_to(outside)  # a folder on the way became a link: never entered
    again = Ledger(folder, "spectrograms")
    assert again.found and not again.owns(folder / "songs" / "b.npy")
    assert again.remove() == [] and (outside / "b.npy").read_text() == "not genmusic's"
    assert (folder / "songs_moved" / "a.npy").is_file()
    assert Ledger(folder, "spectrograms").owned() == []  # forgotten once removed (or given up)
    assert (folder / LEDGER_FILE).read_text().startswith('{"genmusic_ledger": 1, "kind": "spectrograms"')
    assert Ledger(folder, "spectrograms").scratch() == folder / SCRATCH_DIR
