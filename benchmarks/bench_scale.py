#!/usr/bin/env python
"""Files per second of preprocessing and encoding: the local engine vs Ray (1 and 2 CPUs), and the naive loop.

Every variant runs in a fresh subprocess on the same folder of synthetic 30 s songs (22050 Hz mono WAV), so
start-up (imports, pool or Ray start) is paid as a user pays it. Ray's start (``ray.init``) is timed apart
from the work; ``x naive`` compares wall times with the tutorial's sequential loop (librosa.load -> stft ->
amplitude_to_db -> min-max -> np.save). CPU seconds include the workers' (Ray workers' CPU is not visible
to ``getrusage`` and is left out). Encoding uses an untrained model of the default architecture: speed does
not depend on the weights.

    nice -n 15 python benchmarks/bench_scale.py --songs 100
    nice -n 15 python benchmarks/bench_scale.py --songs 100 --only naive local2     # a subset
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

VARIANTS = ("naive", "local1", "local2", "ray1", "ray2", "encode-local1", "encode-ray2")


def _cpu_s() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _naive(audio_dir: str, out_dir: str) -> int:
    import librosa
    import numpy as np

    from genmusic.data.pipeline import find_audio_files

    _, files = find_audio_files(audio_dir)
    for path, _ in files:
        y, _ = librosa.load(path, sr=22050, mono=True)
        db = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=1024, hop_length=256)))
        np.save(os.path.join(out_dir, path.stem + ".npy"), ((db - db.min()) / (db.max() - db.min())).astype(np.float64))
    return len(files)


def run_variant(variant: str, audio_dir: str, out_dir: str, model_dir: str) -> dict:
    """Runs inside a fresh subprocess; everything after the interpreter's start is timed."""
    start, cpu = time.perf_counter(), _cpu_s()
    ray_start = 0.0
    engine = "ray" if "ray" in variant else "local"
    workers = int(variant[-1]) if variant != "naive" else 1
    if engine == "ray":
        import ray

        ray.init(num_cpus=workers, include_dashboard=False, configure_logging=False, log_to_driver=False)
        ray_start = time.perf_counter() - start
    if variant == "naive":
        n = _naive(audio_dir, out_dir)
    elif variant.startswith("encode"):
        from genmusic.encoding.folder import encode_folder

        n = len(encode_folder(model_dir, audio_dir, out_dir, engine=engine, workers=workers).processed)
    else:
        from genmusic.data.pipeline import PreprocessingPipeline

        n = len(PreprocessingPipeline().run(audio_dir, out_dir, engine=engine, workers=workers).processed)
    wall = time.perf_counter() - start
    return {"variant": variant, "files": n, "wall_s": wall, "ray_start_s": ray_start, "cpu_s": _cpu_s() - cpu}


def make_model(folder: Path) -> Path:
    """An untrained model of the default settings, saved as a model folder."""
    if (folder / "model.keras").is_file():
        return folder
    from genmusic.config import GenmusicConfig
    from genmusic.models.modelio import write_model_metadata
    from genmusic.models import build_model

    config = GenmusicConfig()
    model = build_model(config.model, config.spectrogram.segment_shape, seed=0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.keras")
    write_model_metadata(folder, config, stats={"db_min": -80.0, "db_max": 0.0}, genres=[])
    return folder


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--songs", type=int, default=100, help="files in the folder (30 s songs)")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--only", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    p.add_argument("--repeats", type=int, default=1, help="runs per variant (the median is shown)")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "genmusic-bench-scale")
    p.add_argument("--_child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        print(json.dumps(run_variant(*args._child)))
        return 0

    from genmusic.data.synthetic import GENRES, make_synthetic

    per_genre = -(-args.songs // len(GENRES))
    audio = make_synthetic(args.cache / f"audio_{per_genre}x{args.seconds:g}", n_per_genre=per_genre,
                           duration=args.seconds)
    model = make_model(args.cache / "model") if any(v.startswith("encode") for v in args.only) else ""
    rows = []
    for variant in args.only:
        runs = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as out:
                proc = subprocess.run([sys.executable, __file__, "--_child", variant, str(audio), out, str(model)],
                                      capture_output=True, text=True)
                if proc.returncode:
                    print(proc.stderr[-3000:], file=sys.stderr)
                    return 1
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        rows.append(sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2])
    naive = next((r["wall_s"] for r in rows if r["variant"] == "naive"), None)
    print(f"{'variant':<14} {'files':>6} {'wall s':>8} {'ray start s':>12} {'files/s':>8} {'files/s*':>9} "
          f"{'x naive':>8} {'cpu s':>7}")
    for r in rows:
        work = r["wall_s"] - r["ray_start_s"]
        ratio = f"{naive / r['wall_s']:.2f}" if naive and not r["variant"].startswith("encode") else "-"
        print(f"{r['variant']:<14} {r['files']:>6} {r['wall_s']:>8.2f} {r['ray_start_s']:>12.2f} "
              f"{r['files'] / r['wall_s']:>8.2f} {r['files'] / work:>9.2f} {ratio:>8} {r['cpu_s']:>7.2f}")
    print(f"(files/s* leaves Ray's start out; cores: {os.cpu_count()}; load average "
          f"{os.getloadavg()[0]:.1f}; {args.seconds:g} s songs at 22050 Hz, n_fft 1024, hop 256)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
