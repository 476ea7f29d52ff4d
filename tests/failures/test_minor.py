"""Issue 11 case 12, the minor ones (the truncated WAV is in test_damaged_audio.py, ``--workers 0`` in
test_settings.py):

* a manifest ``song_id`` of ``../../x`` made ``generate`` read a ``.npy`` outside the store, and a manifest
  ``source`` of ``/etc/passwd`` was opened: every path stays inside the store, every source inside the
  folder the store was made from;
* atomically written files got mode 0600 whatever the umask;
* ``analyze --input`` of a non-audio file said so only inside report.md.
"""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from genmusic import _io
from genmusic.commands import analyze, generate, preprocess
from genmusic.errors import DataError
from genmusic.data.store import SpectrogramStore
from tests.conftest import edited_store_copy
from tests.failures._helpers import SMALL, audio_folder


def test_12_a_song_id_leading_out_of_the_store_is_refused(tiny_store, tiny_model_folder, tmp_path, capsys):
    outside = tmp_path / "x.npy"
    np.save(outside, np.zeros((1, 64, 16), np.float16))
    first = tiny_store.songs[0].song_id

    def edit(row):
        if row["song_id"] == first:
            row["song_id"] = "../../x"

    store, model = edited_store_copy(tiny_store, tiny_model_folder, tmp_path, edit)
    with pytest.raises(DataError, match=r"manifest.csv line 2: song_id '../../x' is not a plain file name"):
        SpectrogramStore(store)
    assert generate.main(["--model", str(model), "--mode", "resynth", "--output", str(tmp_path / "o")]) == 1
    assert "song_id '../../x' is not a plain file name" in capsys.readouterr().err


@pytest.mark.parametrize("source", ["/etc/passwd", "elsewhere"])
def test_12_a_manifest_source_outside_the_input_folder_is_not_opened(tiny_store, tiny_model_folder, tmp_path,
                                                                     capsys, source):
    if source == "elsewhere":  # a real audio file, but not under the folder the store was made from
        source = str(audio_folder(tmp_path / "elsewhere", ("z",)) / "z.wav")

    def edit(row):
        row["source"] = source

    store, model = edited_store_copy(tiny_store, tiny_model_folder, tmp_path, edit)
    record = SpectrogramStore(store).songs[0]
    path, why = SpectrogramStore(store).source_path(record)
    assert path is None and ("not an audio file" in why or "outside the folder the store was made from" in why)
    out = tmp_path / "o"
    assert generate.main(["--model", str(model), "--mode", "resynth", "--n", "1", "--n-iter", "2",
                          "--output", str(out)]) == 0
    (meta,) = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert meta["inputs"][0]["from"] == "stored spectrogram" and "not opened" in meta["notes"][0]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_12_written_files_get_the_umask_mode(tmp_path, umask):
    old = os.umask(umask)
    try:
        _io.atomic_write_text(tmp_path / "a.txt", "x")
        assert preprocess.main(["--input", str(audio_folder(tmp_path / "in")), "--output", str(tmp_path / "s"),
                                *SMALL]) == 0
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == expected
    for path in [p for p in (tmp_path / "s").rglob("*") if p.is_file()]:
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_12_analyze_says_on_the_terminal_when_an_input_is_not_audio(tiny_model_folder, tiny_store, tmp_path,
                                                                    capsys):
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n" * 10)
    rc = analyze.main(["--model", str(tiny_model_folder), "--spectrograms", str(tiny_store.path), "--output",
                       str(tmp_path / "r"), "--input", str(text), "--no-tsne"])
    err = capsys.readouterr().err
    assert rc == 0 and f"warning: input {text} skipped" in err and "not a readable audio file" in err
