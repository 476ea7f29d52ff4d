import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genmusic._io import SCRATCH_DIR
from genmusic.data.pipeline import PreprocessingPipeline, find_audio_files
from genmusic.features.spectrogram import LogSpectrogramExtractor, MinMaxNormaliser
from genmusic.data.store import SpectrogramStore
from tests.conftest import make_chirp, make_sine

ROOT = Path(__file__).resolve().parents[1]


def _write_dataset(root, config, genres=("low", "high"), n=3, seconds=1.3):
    sr = config.audio.sample_rate
    for g, f in zip(genres, (300.0, 2000.0)):
        (root / "genres_original" / g).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            y = make_sine(f * (1 + 0.05 * i), seconds + 0.2 * i, sr)
            sf.write(root / "genres_original" / g / f"{g}.{i:05d}.wav", y, sr, subtype="FLOAT")
    return root


def test_process_signal_matches_the_stages(small_config):
    pipe = PreprocessingPipeline(small_config)
    y = make_chirp(100, 3000, 1.0, small_config.audio.sample_rate)
    segs, lo, hi, n = pipe.process_signal(y)
    seg_samples = small_config.spectrogram.segment_samples
    assert n == len(y) and segs.shape[0] == -(-len(y) // seg_samples)
    assert segs.min() == 0.0 and segs.max() == pytest.approx(1.0, abs=1e-6)
    padded = np.zeros(segs.shape[0] * seg_samples, np.float32)
    padded[: len(y)] = y
    db = LogSpectrogramExtractor(small_config.spectrogram).extract_segments(padded)
    assert (lo, hi) == (float(db.min()), float(db.max()))
    np.testing.assert_allclose(MinMaxNormaliser.from_stats(lo, hi).inverse_transform(segs), db, atol=1e-4)


def test_find_audio_files_labels_by_folder(tmp_path, small_config):
    _write_dataset(tmp_path, small_config)
    sf.write(tmp_path / "genres_original" / "loose.wav", np.zeros(10), 8000)
    (tmp_path / "genres_original" / "notes.txt").write_text("x")
    root, files = find_audio_files(tmp_path)
    assert root == tmp_path / "genres_original"
    assert [(p.name, g) for p, g in files][:2] == [("high.00000.wav", "high"), ("high.00001.wav", "high")]
    assert ("loose.wav", "") in [(p.name, g) for p, g in files] and len(files) == 7


@pytest.mark.parametrize("workers", [1, 2])
def test_run_writes_a_complete_store(tmp_path, small_config, workers):
    _write_dataset(tmp_path / "in", small_config)
    report = PreprocessingPipeline(small_config).run(tmp_path / "in", tmp_path / "out", workers=workers)
    assert len(report.processed) == 6 and not report.skipped
    store = SpectrogramStore(tmp_path / "out")
    assert store.config.spectrogram == small_config.spectrogram
    assert store.genres == ["high", "low"]
    assert {r.split for r in store.songs} == {"train", "validation", "test"}
    for r in store.songs:
        seconds = r.n_samples / small_config.audio.sample_rate
        assert r.n_segments == -(-r.n_samples // small_config.spectrogram.segment_samples)
        assert 1.3 - 1e-9 <= seconds <= 1.7 + 1e-9
    x = store.load_segments(store.segment_index("train"))
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert report.n_segments == store.stats["n_segments"]


def test_interrupted_run_is_resumed(tmp_path, small_config):
    _write_dataset(tmp_path / "in", small_config)
    first = PreprocessingPipeline(small_config).run(tmp_path / "in", tmp_path / "out", workers=1)
    before = {p.name: p.read_bytes() for p in (tmp_path / "out" / "songs").glob("*.npy")}
    # what a kill leaves: no manifest yet, one song without its (last-written) metadata, a temp file
    (tmp_path / "out" / "manifest.csv").unlink()
    (tmp_path / "out" / "songs" / "low.00001.json").unlink()
    scratch = tmp_path / "out" / SCRATCH_DIR  # where genmusic writes its temporary files
    scratch.mkdir(exist_ok=True)  # what a kill leaves: genmusic removes it at the end of a run that finishes
    (scratch / ".low.00002.abc.tmp.npy").write_bytes(b"half")
    (tmp_path / "out" / "songs" / ".mine.tmp.npy").write_bytes(b"a user's file: kept")
    again = PreprocessingPipeline(small_config).run(tmp_path / "in", tmp_path / "out", workers=1)
    assert len(again.reused) == 5 and [r.song_id for r in again.processed] == ["low.00001"]
    after = {p.name: p.read_bytes() for p in (tmp_path / "out" / "songs").glob("*.npy")}
    assert after == {**before, ".mine.tmp.npy": b"a user's file: kept"}
    assert not scratch.exists()  # emptied of the killed run's file, and removed at the end
    assert len(SpectrogramStore(tmp_path / "out").songs) == len(first.processed)


def test_same_seed_same_split(tmp_path, small_config):
    _write_dataset(tmp_path / "in", small_config, n=5)
    PreprocessingPipeline(small_config).run(tmp_path / "in", tmp_path / "o1", workers=1)
    PreprocessingPipeline(small_config).run(tmp_path / "in", tmp_path / "o2", workers=2)
    m1 = (tmp_path / "o1" / "manifest.csv").read_text().replace(str(tmp_path / "o1"), "")
    m2 = (tmp_path / "o2" / "manifest.csv").read_text().replace(str(tmp_path / "o2"), "")
    assert m1 == m2
    meta = json.loads((tmp_path / "o1" / "songs" / "low.00000.json").read_text())
    assert meta["split"] in ("train", "validation", "test") and meta["genre"] == "low"


_FAULTS_SCRIPT = """
import resource, sys
import numpy as np, soundfile as sf
from genmusic.config import GenmusicConfig
from genmusic.data import engines
from genmusic.data.pipeline import PreprocessingPipeline
from genmusic.data.store import Saver
folder, tuned = sys.argv[1], sys.argv[2] == "tuned"
if tuned:
    engines.reuse_freed_memory()
t = np.arange(20 * 22050) / 22050
for i in range(4):
    sf.write(f"{folder}/{i}.wav", (0.5 * np.sin(2 * np.pi * (110 + 40 * i) * t)).astype(np.float32), 22050)
pipeline, saver = PreprocessingPipeline(), Saver(f"{folder}/out", GenmusicConfig())
pipeline.process_file(f"{folder}/0.wav", "s0", "", saver)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for i in range(1, 4):
    pipeline.process_file(f"{folder}/{i}.wav", f"s{i}", "", saver)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt: glibc only")
def test_workers_reuse_the_memory_a_song_frees(tmp_path):
    """With reuse_freed_memory (every worker calls it), the second and later songs fault in few fresh pages:
    glibc keeps what the first song freed instead of handing it back (the system time of issue 21)."""
    import subprocess

    faults = {}
    for mode in ("default", "tuned"):
        (tmp_path / mode).mkdir()
        out = subprocess.run([sys.executable, "-c", _FAULTS_SCRIPT, str(tmp_path / mode), mode], capture_output=True,
                             text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert out.returncode == 0, out.stderr[-2000:]
        faults[mode] = float(out.stdout.split()[-1])
    assert faults["tuned"] < faults["default"] / 4, faults


class _SetUpOnce:
    """A task with state: ``setup(cpus)`` writes ``setup.<pid>`` (the CPUs it was given); each file writes which
    process ran it and whether that process had been set up."""

    def __init__(self, folder):
        self.folder, self.ready = str(folder), False

    def setup(self, cpus):
        assert not self.ready, "set up twice"
        self.ready = True
        Path(self.folder, f"setup.{os.getpid()}").write_text(str(cpus))

    def __call__(self, path, song_id, genre):
        Path(self.folder, f"file.{song_id}").write_text(f"{os.getpid()} {self.ready}")
        return song_id


@pytest.mark.parametrize("workers", [1, 2])
def test_a_task_is_set_up_once_in_each_worker_with_its_share_of_the_cpus(tmp_path, workers):
    from genmusic.data.engines import map_jobs, worker_cpus

    jobs = [(f"f{i}.wav", f"s{i}", "") for i in range(8)]
    assert sorted(map_jobs(_SetUpOnce(tmp_path), jobs, workers=workers)) == sorted(j[1] for j in jobs)
    setups = {p.name.split(".")[1]: p.read_text() for p in tmp_path.glob("setup.*")}
    ran = [p.read_text().split() for p in tmp_path.glob("file.*")]
    assert len(ran) == 8 and all(ready == "True" for _, ready in ran)
    assert {pid for pid, _ in ran} <= set(setups)  # every process that ran a file was set up, once
    if workers == 1:  # in this process, with every core
        assert setups == {str(os.getpid()): "None"}
    else:  # (the pool starts its second process when the first is busy: on a loaded machine it may not)
        assert 1 <= len(setups) <= 2 and str(os.getpid()) not in setups
        assert set(setups.values()) == {str(worker_cpus(2))}
