#!/usr/bin/env python
"""Where preprocessing's CPU goes, stage by stage: genmusic's per-file path against the tutorial's naive loop.

Each side runs in a fresh process over the same folder; each stage's user and system CPU seconds, minor page
faults and wall time are summed over the files (``getrusage``), imports apart. Then each side runs again as
a whole command (``scripts/preprocess.py --workers 1`` and ``--workers 2``, the naive loop), children
included, as a user pays it. Stages of genmusic's path (what ``PreprocessingPipeline.process_file`` does):

* decode -- ``Loader.open`` (soundfile blocks, mix-down, soxr when the rate differs, the signal buffer);
* statistics pass -- ``SongFrames`` (the block-wise STFT of ``LogSpectrogramExtractor.db_frames``, the dB
  floor, min and max), with the STFT's share shown on its own line;
* normalise -- ``SongFrames.segment_blocks`` (min-max, clip, segments);
* write -- float16 conversion and the atomic ``.npy`` write; the record's ``.json``;
* finalise -- the records again, ``manifest.csv``, ``stats.json``.

    python benchmarks/profile_preprocess.py --audio /work/realmusic
    python benchmarks/profile_preprocess.py --audio DIR --only stages        # the stage tables only

(Written for issue 21: the causes it found are in the README, "GPUs and clusters".)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_TOTALS: dict = defaultdict(lambda: [0.0, 0.0, 0, 0.0])  # user s, system s, minor faults, wall s


class stage:
    """Adds the CPU, faults and wall time of its block to the stage ``name``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        self.usage, self.start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()

    def __exit__(self, *exc) -> None:
        now, total = resource.getrusage(resource.RUSAGE_SELF), _TOTALS[self.name]
        total[0] += now.ru_utime - self.usage.ru_utime
        total[1] += now.ru_stime - self.usage.ru_stime
        total[2] += now.ru_minflt - self.usage.ru_minflt
        total[3] += time.perf_counter() - self.start


def print_stages(title: str, nested: tuple = ()) -> None:
    print(f"\n{title}\n{'stage':<40} {'user s':>7} {'sys s':>7} {'cpu s':>7} {'minflt':>9} {'wall s':>7}")
    sums = [0.0, 0.0, 0, 0.0]
    for name, (user, system, faults, wall) in _TOTALS.items():
        print(f"{name:<40} {user:>7.2f} {system:>7.2f} {user + system:>7.2f} {faults:>9d} {wall:>7.2f}")
        if name not in nested:
            sums = [sums[0] + user, sums[1] + system, sums[2] + faults, sums[3] + wall]
    print(f"{'total':<40} {sums[0]:>7.2f} {sums[1]:>7.2f} {sums[0] + sums[1]:>7.2f} {sums[2]:>9d} {sums[3]:>7.2f}")
    _TOTALS.clear()


def naive_stages(audio: Path, out: Path) -> None:
    with stage("import numpy, librosa"):
        import librosa
        import numpy as np
    files = sorted(p for p in audio.rglob("*") if p.suffix.lower() in (".wav", ".mp3", ".flac", ".ogg"))
    with stage("first stft (librosa's lazy imports, numba)"):
        librosa.stft(np.zeros(4096, np.float32), n_fft=1024, hop_length=256)
    with stage("first load (librosa's audio module)"):
        librosa.load(files[0], sr=22050, mono=True)
    for path in files:
        with stage("load (librosa.load)"):
            y, _ = librosa.load(path, sr=22050, mono=True)
        with stage("stft, abs"):
            magnitude = np.abs(librosa.stft(y, n_fft=1024, hop_length=256))
        with stage("amplitude_to_db"):
            db = librosa.amplitude_to_db(magnitude)
        with stage("min-max, float64"):
            x = ((db - db.min()) / (db.max() - db.min())).astype(np.float64)
        with stage("np.save"):
            np.save(out / f"{path.stem}.npy", x)
    print_stages(f"naive loop, {len(files)} files")


def genmusic_stages(audio: Path, out: Path) -> None:
    from dataclasses import asdict

    with stage("import genmusic.data.pipeline"):
        import numpy as np

        from genmusic._io import atomic_save_npy_blocks, atomic_write_json
        from genmusic.audio import n_segments_for
        from genmusic.data.engines import reuse_freed_memory
        from genmusic.data.pipeline import PreprocessingPipeline, find_audio_files
        from genmusic.data.store import STORE_DTYPE, Saver, SongRecord, make_song_ids
        from genmusic.features.spectrogram import SongFrames
    reuse_freed_memory()  # as every worker (and a one-worker run) does
    pipeline = PreprocessingPipeline()
    config = pipeline.config
    root, files = find_audio_files(audio)
    with stage("first db_frames (its imports)"):
        from genmusic.audio import AudioSignal

        pipeline.extractor.db_frames(AudioSignal.from_array(np.ones(4096, np.float32), 22050), 0, 4)
    saver = Saver(out, config)
    db_frames = pipeline.extractor.db_frames

    def timed_db_frames(*args, **kwargs):
        with stage("  of which the STFT (db_frames)"):
            return db_frames(*args, **kwargs)

    pipeline.extractor.db_frames = timed_db_frames
    records = []
    for (path, genre), song_id in zip(files, make_song_ids([p for p, _ in files], root)):
        with stage("decode (Loader.open)"):
            signal = pipeline.loader.open(path, spool_dir=saver.songs_dir)
        with stage("statistics pass (SongFrames)"):
            song = SongFrames(pipeline.extractor, signal, n_segments_for(signal.n_samples, config.spectrogram))
        with stage("normalise (segment_blocks)"):
            blocks = list(song.segment_blocks())
        record = SongRecord(song_id=song_id, source=str(path), genre=genre, n_samples=signal.n_samples,
                            n_segments=song.n_segments, db_min=song.db_min, db_max=song.db_max)
        with stage("float16, .npy write (atomic)"):
            atomic_save_npy_blocks(saver.song_path(song_id), (record.n_segments, *config.spectrogram.segment_shape),
                                   STORE_DTYPE, blocks)
        with stage("record .json (atomic)"):
            atomic_write_json(saver.songs_dir / f"{song_id}.json", asdict(record))
        signal.close()
        records.append(record)
    with stage("finalise (records, manifest, stats)"):
        saver.finalise(records, [], input_folder=root)
    print_stages(f"genmusic's per-file path (what --workers 1 runs), {len(files)} files",
                 nested=("  of which the STFT (db_frames)",))


def whole_runs(audio: Path, repeats: int) -> None:
    """Each command in a fresh process: wall, user and system CPU (children included), minor faults."""
    commands = {
        "naive loop": [sys.executable, __file__, "--audio", str(audio), "--_naive"],
        "genmusic --workers 1": [sys.executable, str(ROOT / "scripts" / "preprocess.py"), "--input", str(audio),
                                 "--workers", "1", "--no-progress"],
        "genmusic --workers 2": [sys.executable, str(ROOT / "scripts" / "preprocess.py"), "--input", str(audio),
                                 "--workers", "2", "--no-progress"],
    }
    rows = defaultdict(list)
    for _ in range(repeats):
        for name, command in commands.items():  # interleaved, so that load changes hit every command alike
            with tempfile.TemporaryDirectory() as out:
                if name.startswith("genmusic"):
                    command = command + ["--output", out]
                else:
                    command = command + ["--_out", out]
                before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                rows[name].append((time.perf_counter() - start, after.ru_utime - before.ru_utime,
                                   after.ru_stime - before.ru_stime, after.ru_minflt - before.ru_minflt))
    print(f"\nwhole commands, median of {repeats} (cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")
    print(f"{'command':<22} {'wall s':>7} {'user s':>7} {'sys s':>7} {'cpu s':>7} {'minflt':>9}")
    for name, runs in rows.items():
        wall, user, system, faults = sorted(runs)[len(runs) // 2]
        print(f"{name:<22} {wall:>7.2f} {user:>7.2f} {system:>7.2f} {user + system:>7.2f} {faults:>9d}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--audio", type=Path, required=True, help="a folder of audio files (genre sub-folders allowed)")
    p.add_argument("--only", choices=("stages", "whole"), help="one part only")
    p.add_argument("--repeats", type=int, default=3, help="runs of each whole command (the median is shown)")
    p.add_argument("--_naive", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--_stages", choices=("naive", "genmusic"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._naive:  # the naive loop as a command, for the whole runs
        import librosa
        import numpy as np

        for path in sorted(q for q in args.audio.rglob("*") if q.suffix.lower() in (".wav", ".mp3", ".flac", ".ogg")):
            y, _ = librosa.load(path, sr=22050, mono=True)
            db = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=1024, hop_length=256)))
            np.save(args._out / f"{path.stem}.npy", ((db - db.min()) / (db.max() - db.min())).astype(np.float64))
        return 0
    if args._stages:
        with tempfile.TemporaryDirectory() as out:
            (naive_stages if args._stages == "naive" else genmusic_stages)(args.audio, Path(out))
        return 0
    if args.only != "whole":
        for side in ("naive", "genmusic"):
            subprocess.run([sys.executable, __file__, "--audio", str(args.audio), "--_stages", side], check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    if args.only != "stages":
        whole_runs(args.audio, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
