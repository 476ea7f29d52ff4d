#!/usr/bin/env python
"""Preprocessing throughput and peak memory: genmusic's pipeline (1 and 2 workers) vs a naive baseline.

The naive baseline is the tutorial's approach: one process, per file ``librosa.load`` -> ``stft`` ->
``amplitude_to_db`` -> min-max -> ``np.save`` of float64. Each variant runs in its own subprocess so
its peak memory (max RSS of the process and its workers) is measured alone.

    python benchmarks/bench_preprocess.py --songs 24            # prints a table
    python benchmarks/bench_preprocess.py --songs 24 48         # memory must not grow with songs
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def run_variant(variant: str, audio_dir: str, out_dir: str) -> dict:
    """Runs inside a fresh subprocess."""
    import librosa  # imports are outside the timed part, for both variants
    import numpy as np

    from genmusic.config import SpectrogramConfig
    from genmusic.data.pipeline import PreprocessingPipeline, find_audio_files

    start = time.perf_counter()
    if variant == "naive":
        cfg = SpectrogramConfig()
        _, files = find_audio_files(audio_dir)
        os.makedirs(out_dir, exist_ok=True)
        for path, _ in files:
            y, _ = librosa.load(path, sr=22050, mono=True)
            db = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length)))
            norm = (db - db.min()) / (db.max() - db.min())
            np.save(os.path.join(out_dir, Path(path).stem + ".npy"), norm.astype(np.float64))
        n = len(files)
    else:
        report = PreprocessingPipeline().run(audio_dir, out_dir, workers=int(variant.split("=")[1]), overwrite=True)
        n = len(report.processed)
    wall = time.perf_counter() - start
    return {"variant": variant, "songs": n, "wall_s": wall, "songs_per_s": n / wall, "peak_mb": _peak_mb()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--songs", type=int, nargs="+", default=[24], help="dataset sizes (30 s songs)")
    p.add_argument("--seconds", type=float, default=30.0, help="song length")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "genmusic-bench-preprocess")
    p.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        print(json.dumps(run_variant(*args._child)))
        return 0

    from genmusic.data.synthetic import GENRES, make_synthetic

    rows = []
    for n_songs in args.songs:
        per_genre = max(1, -(-n_songs // len(GENRES)))
        audio = make_synthetic(args.cache / f"audio_{per_genre}x{args.seconds:g}", n_per_genre=per_genre,
                               duration=args.seconds)
        for variant in ("naive", "workers=1", "workers=2"):
            with tempfile.TemporaryDirectory() as out:
                proc = subprocess.run([sys.executable, __file__, "--_child", variant, str(audio), out],
                                      capture_output=True, text=True, check=True)
                rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    naive = {r["songs"]: r["songs_per_s"] for r in rows if r["variant"] == "naive"}
    print(f"{'variant':<10} {'songs':>6} {'wall s':>8} {'songs/s':>8} {'x naive':>8} {'peak MB':>8}")
    for r in rows:
        print(f"{r['variant']:<10} {r['songs']:>6} {r['wall_s']:>8.2f} {r['songs_per_s']:>8.2f} "
              f"{r['songs_per_s'] / naive[r['songs']]:>8.2f} {r['peak_mb']:>8.0f}")
    print(f"(cores: {os.cpu_count()}; {args.seconds:g} s songs at 22050 Hz; n_fft 1024, hop 256)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
