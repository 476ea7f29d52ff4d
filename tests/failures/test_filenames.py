"""Issue 20, any file name: a file whose name is not valid UTF-8 (``\\xff\\xfe caf\\xe9.wav``, common on old disks
and archives) works end to end in preprocess (skipped.csv and the manifest included, and every rerun),
``generate --input``, ``encode`` and ``analyze --input``; it is shown with escapes where printed, and the
CSV and JSON files keep its bytes (read back with :func:`genmusic._io.read_text` / ``json.loads``).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genmusic._io import read_text, shown
from genmusic.commands import analyze, encode, generate, preprocess
from genmusic.data.store import SpectrogramStore
from genmusic.encoding.folder import load_latents
from tests.conftest import make_sine
from tests.failures._helpers import SMALL

#: A name as an old disk holds it (Latin-1 bytes), and how genmusic prints it.
NAME = b"\xff\xfe caf\xe9.wav"
SHOWN = "\\xff\\xfe caf\\xe9.wav"


def _odd_folder(root: Path) -> Path:
    """``root/rock/``: a good song under a non-UTF-8 name, a file of such a name that is not audio, and a
    plain one."""
    folder = root / "rock"
    folder.mkdir(parents=True)
    good = os.path.join(os.fsencode(folder), NAME)
    with open(good, "wb") as handle:
        sf.write(handle, make_sine(440.0, 0.6, 8000), 8000, format="WAV")
    with open(os.path.join(os.fsencode(folder), b"\xff not audio.wav"), "wb") as handle:
        handle.write(b"not audio\n" * 20)
    sf.write(folder / "plain.wav", make_sine(660.0, 0.6, 8000), 8000)
    return root


def _csv_rows(path: Path):
    return list(csv.DictReader(io.StringIO(read_text(path), newline="")))


def test_preprocess_keeps_any_name_in_the_manifest_and_skipped_csv(tmp_path, capsys):
    root = _odd_folder(tmp_path / "in")
    out = tmp_path / "store"
    argv = ["--input", str(root), "--output", str(out), "--workers", "1", *SMALL]
    assert preprocess.main(argv) == 0
    printed = capsys.readouterr()
    assert "\\xff not audio.wav" in printed.out and "Traceback" not in printed.err
    store = SpectrogramStore(out)
    sources = sorted(os.fsencode(r.source) for r in store.songs)
    assert [os.path.basename(s) for s in sources] == [b"plain.wav", NAME]
    assert all(os.path.isfile(s) for s in sources)
    (skipped,) = _csv_rows(out / "skipped.csv")
    assert os.path.basename(os.fsencode(skipped["source"])) == b"\xff not audio.wav"
    assert json.loads((out / "songs" / f"{store.songs[0].song_id}.json").read_text())["source"] == store.songs[0].source
    assert preprocess.main(argv) == 0  # every rerun too (it used to fail at skipped.csv each time)
    assert "2 reused" in capsys.readouterr().out


@pytest.fixture
def odd_file(tmp_path):
    root = _odd_folder(tmp_path / "in")
    return root, os.fsdecode(os.path.join(os.fsencode(root / "rock"), NAME))


def test_generate_and_encode_read_any_name(odd_file, tiny_model_folder, tmp_path, capsys):
    root, path = odd_file
    out = tmp_path / "gen"
    assert generate.main(["--model", str(tiny_model_folder), "--mode", "resynth", "--input", path, "--n-iter", "2",
                          "--output", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    (sidecar,) = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert os.fsencode(sidecar["inputs"][0]["source"]).endswith(NAME)

    latents = tmp_path / "latents"
    assert encode.main(["--model", str(tiny_model_folder), "--input", str(root), "--output", str(latents),
                        "--no-progress"]) == 0
    printed = capsys.readouterr()
    assert f"\\xff not audio.wav" in printed.out and "Traceback" not in printed.err
    loaded = load_latents(latents)
    assert sorted(os.path.basename(os.fsencode(s)) for s in loaded.sources) == [b"plain.wav", NAME]
    assert os.path.basename(os.fsencode(_csv_rows(latents / "skipped.csv")[0]["source"])) == b"\xff not audio.wav"


def test_analyze_places_a_file_of_any_name(odd_file, tiny_model_folder, tiny_store, tmp_path, capsys):
    _, path = odd_file
    out = tmp_path / "report"
    assert analyze.main(["--model", str(tiny_model_folder), "--spectrograms", str(tiny_store.path), "--output",
                         str(out), "--input", path, "--no-tsne", "--no-audio", "--max-eval-songs", "1"]) == 0
    printed = capsys.readouterr()
    assert SHOWN.replace(".wav", "") in printed.out or "caf" in printed.out
    assert "Traceback" not in printed.err
    assert SHOWN in (out / "report.md").read_text(encoding="utf-8")
    assert os.fsencode(json.loads((out / "results.json").read_text())["inputs"][0]).endswith(NAME)


def test_shown_escapes_only_what_is_not_utf8():
    assert shown(os.fsdecode(b"/music/" + NAME)) == "/music/" + SHOWN
    assert shown("/music/café ☕.wav") == "/music/café ☕.wav"
    assert shown("\ud800 lone") == "\\ud800 lone"  # a surrogate that stands for no byte (from JSON)
    assert np.array_equal(np.frombuffer(os.fsencode(os.fsdecode(NAME)), np.uint8), np.frombuffer(NAME, np.uint8))
