#!/usr/bin/env python
"""Peak memory against the length of the audio: preprocessing, reconstruction and sampling.

Prints one table; not a test. Each task runs as the command a user types (``preprocess``, ``generate
--mode reconstruct``, ``generate --mode sample --seconds``), in a fresh process of its own, on one song of
each length, and reports that process's peak resident memory (``VmHWM``; ``ru_maxrss`` where there is no
``/proc``, which on Linux would also count the parent's memory at the fork) and its wall time. Long audio
is decoded, resampled, analysed, encoded, decoded and turned back into sound (Griffin-Lim) in blocks, so
the peak should not grow with the length.

* Input: a 44.1 kHz stereo 16-bit WAV of each length (the case that used to take 684 MB for 10 minutes),
  made of the embedded synthetic songs back to back, written block by block.
* Model: a default-config VAE, built fresh (untrained: memory and time are real, the sound is not).
* Griffin-Lim runs ``--n-iter`` iterations (default 4: memory does not depend on it, time does).

Usage::

    python benchmarks/bench_memory.py                          # 1, 10 and 60 minutes
    python benchmarks/bench_memory.py --minutes 1 5 --tasks preprocess sample
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TASKS = ("preprocess", "reconstruct", "sample")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0, 60.0], help="lengths (default: %(default)s)")
    p.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS), help="default: all")
    p.add_argument("--n-iter", type=int, default=4, help="Griffin-Lim iterations (default: %(default)s)")
    p.add_argument("--workdir", type=Path, help="where inputs and outputs go (default: a temporary folder)")
    p.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return p


def write_long_wav(path: Path, minutes: float, sr: int = 44100) -> None:
    """``minutes`` of synthetic songs back to back, 44.1 kHz stereo 16-bit, written block by block."""
    import numpy as np
    import soundfile as sf

    from genmusic.data.synthetic import GENRES, synthesize_song

    pieces = [synthesize_song(genre, 0, duration=30.0, sample_rate=sr, seed=0) for genre in GENRES[:4]]
    total, done, k = int(minutes * 60 * sr), 0, 0
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=2, subtype="PCM_16") as out:
        while done < total:
            y = pieces[k % len(pieces)][: total - done]
            out.write(np.stack([y, np.roll(y, 441)], axis=1))  # a slightly different right channel
            done, k = done + len(y), k + 1


def make_model(folder: Path) -> None:
    """An untrained default-config VAE in a model folder."""
    from genmusic.config import GenmusicConfig
    from genmusic.models.modelio import write_model_metadata
    from genmusic.models import build_model

    config = GenmusicConfig()
    build_model(config.model, config.spectrogram.segment_shape, seed=0).save(folder / "model.keras")
    write_model_metadata(folder, config, stats={"db_min": -100.0, "db_max": 20.0}, genres=[], spectrograms=None)


def peak_mib() -> float:
    """This process's peak resident memory in MiB since it started its program (``VmHWM``)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(task: str, wav: str, minutes: str, model: str, out: str, n_iter: str) -> None:
    """Run one task in this process and print ``peak_mib seconds``."""
    start = time.perf_counter()
    if task == "preprocess":
        from genmusic.commands import preprocess

        folder = Path(out) / "input"
        folder.mkdir(parents=True)
        os.symlink(wav, folder / Path(wav).name)
        rc = preprocess.main(["--input", str(folder), "--output", str(Path(out) / "store"), "--workers", "1",
                              "--no-progress"])
    else:
        from genmusic.commands import generate

        extra = (["--input", wav] if task == "reconstruct" else
                 ["--n", "1", "--seconds", str(float(minutes) * 60)])
        rc = generate.main(["--model", model, "--mode", task, *extra, "--output", str(Path(out) / task),
                            "--n-iter", n_iter])
    seconds = time.perf_counter() - start
    if rc != 0:
        raise SystemExit(f"{task} failed with status {rc}")
    print(f"{peak_mib():.0f} {seconds:.1f}")


def main(argv=None) -> int:
    args = get_parser().parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_memory_"))
    work.mkdir(parents=True, exist_ok=True)
    model = work / "model"
    if not (model / "model.keras").is_file():
        model.mkdir(exist_ok=True)
        make_model(model)
    results = {}
    for minutes in args.minutes:
        wav = work / f"song_{minutes:g}min.wav"
        if not wav.is_file():
            print(f"writing {wav} ...", flush=True)
            write_long_wav(wav, minutes)
        for task in args.tasks:
            out = Path(tempfile.mkdtemp(prefix=f"{task}_{minutes:g}min_", dir=work))
            done = subprocess.run([sys.executable, __file__, "--child", task, str(wav), str(minutes), str(model),
                                   str(out), str(args.n_iter)], capture_output=True, text=True, cwd=ROOT)
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-4000:], sep="\n")
                return 1
            peak, seconds = done.stdout.split()[-2:]
            results[task, minutes] = (float(peak), float(seconds))
            print(f"{task:<12} {minutes:5g} min: peak {float(peak):6.0f} MiB, {float(seconds):7.1f} s", flush=True)
    print(f"\npeak resident memory (MiB) of each command, one song of each length (44.1 kHz stereo input; "
          f"Griffin-Lim {args.n_iter} iterations)\n")
    print("| task | " + " | ".join(f"{m:g} min" for m in args.minutes) + " |")
    print("| --- |" + " --- |" * len(args.minutes))
    for task in args.tasks:
        print(f"| {task} | " + " | ".join(f"{results[task, m][0]:.0f} MiB ({results[task, m][1]:.0f} s)"
                                        for m in args.minutes) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
