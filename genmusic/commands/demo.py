"""``genmusic demo`` / ``make demo``: the whole job on the embedded dataset.

preprocess (synthetic GTZAN-shaped songs) -> train the VAE -> generate WAVs and pictures -> analyse the
latent space; prints where everything is. Each step is the same command a user runs by hand, and a
finished step is reused when the demo runs again.

When genmusic was installed with its pretrained model (realmusic-v1, trained on real music; ``genmusic
models``), the analysis also encodes the same songs with it, so the report compares the two models: the
table, each model's latent map and its players (``--no-pretrained`` leaves it out).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import List, Optional

from .. import pretrained
from ..errors import GenmusicError, ParameterError
from . import run_main, setup_logging

#: The installed model the demo's report compares with the model it trains (when it is installed).
PRETRAINED = "realmusic-v1"


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", type=Path, default=Path("."),
                   help="where data/, spectrograms/, saved_models/, generated/ and reports/ go (default: here)")
    p.add_argument("--songs-per-genre", type=int, default=8)
    p.add_argument("--song-seconds", type=float, default=20.0)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--max-train-segments", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--no-pretrained", action="store_true",
                   help=f"do not compare with the installed pretrained model ({PRETRAINED}) in the report")
    return p


def pretrained_for(spectrograms: Path) -> tuple:
    """``(folder, note)``: the installed pretrained model to compare in the report when it reads the store's
    spectrograms (else None), and what to say about it."""
    from ..config import GenmusicConfig, check_compatible
    from ..data.store import SpectrogramStore
    from ..models.modelio import read_model_metadata

    if PRETRAINED not in pretrained.names():
        return None, f"{PRETRAINED} is not installed: the report shows the demo's model alone"
    folder = pretrained.path_of(PRETRAINED)
    try:
        theirs = GenmusicConfig.from_dict(read_model_metadata(folder)["config"])
        check_compatible(theirs, SpectrogramStore(spectrograms).config, model_name=PRETRAINED,
                         data_name="the demo's spectrograms")
    except GenmusicError as exc:
        return None, f"{PRETRAINED} left out of the report: {exc}"
    return folder, f"the report compares the demo's model with {PRETRAINED} (trained on real music) on the same songs"


def check_args(args: argparse.Namespace) -> None:
    """Every option, before the first step starts (a bad one would otherwise stop the demo minutes in)."""
    from .._checks import check_integer, check_number, check_seed
    from ..config import TrainConfig

    if args.workdir.exists() and not args.workdir.is_dir():
        raise ParameterError(f"workdir={args.workdir} is a file, not a folder; choose a folder (it is made if "
                             f"needed)")
    check_integer(args.songs_per_genre, "songs_per_genre", minimum=1, limit="songs_per_genre")
    check_number(args.song_seconds, "song_seconds", minimum=0, exclusive_minimum=True, limit="song_seconds",
                 noun="a finite number of seconds")
    check_seed(args.seed)
    TrainConfig(epochs=args.epochs, max_train_segments=args.max_train_segments)


def main(argv: Optional[List[str]] = None) -> int:
    parser = get_parser()
    args = parser.parse_args(argv)
    setup_logging(program=argv is None)
    return run_main(lambda: _demo(args), parser)


def _demo(args: argparse.Namespace) -> int:
    from . import analyze, generate, preprocess, train

    check_args(args)
    w = args.workdir
    spectrograms, model = w / "spectrograms", w / "saved_models" / "vae"
    quiet = ["--no-progress"] if args.no_progress else []
    t0 = time.perf_counter()
    steps = []

    def step(title: str, fn, argv: List[str]) -> None:
        print(f"\n=== {title}: {' '.join(argv)}", flush=True)
        start = time.perf_counter()
        rc = fn(argv)
        steps.append((title, time.perf_counter() - start))
        if rc != 0:
            raise SystemExit(rc)

    step("1/4 preprocess", preprocess.main,
         ["--output", str(spectrograms), "--synthetic-dir", str(w / "data" / "synthetic"),
          "--songs-per-genre", str(args.songs_per_genre), "--song-seconds", str(args.song_seconds),
          "--seed", str(args.seed), *quiet])
    # --fit-prior: the per-genre prior and the sequence model that `generate --mode sample` draws from
    train_argv = ["--spectrograms", str(spectrograms), "--model-dir", str(model), "--epochs", str(args.epochs),
                  "--seed", str(args.seed), "--fit-prior", *quiet]
    if args.max_train_segments is not None:
        train_argv += ["--max-train-segments", str(args.max_train_segments)]
    if (model / "model.keras").is_file():
        train_argv += ["--resume"]
    step("2/4 train the VAE", lambda a: train.main(a, kind="vae"), train_argv)
    out = w / "generated"
    for mode, extra in (("reconstruct", []), ("resynth", []), ("sample", ["--n", "3"]),
                        ("interpolate", ["--steps", "5"]), ("average", []), ("remix", []),
                        ("noise", ["--sigma", "0.1", "0.5"]), ("smooth", [])):
        step(f"3/4 generate {mode}", generate.main,
             ["--model", str(model), "--mode", mode, "--output", str(out / mode), "--overwrite", *extra])
    report_dir = w / "reports" / "analysis"
    new_music = sorted((out / "remix").glob("*.wav"))[:1]  # music the model never saw: a star on the latent map
    compare, note = pretrained_for(spectrograms) if not args.no_pretrained else (None, None)
    if note:
        print(f"\nnote: {note}")
    step("4/4 analyse the latent space", analyze.main,
         ["--model", str(model), *(["--model", str(compare)] if compare else []), "--spectrograms", str(spectrograms),
          "--output", str(report_dir), *(["--input", *map(str, new_music)] if new_music else [])])
    print("\n=== done in {:.0f} s".format(time.perf_counter() - t0))
    for title, seconds in steps:
        print(f"  {title:<32} {seconds:6.1f} s")
    print(f"spectrograms: {spectrograms}\nmodel:        {model}\nsounds:       {out}")
    if compare:
        print(f"compared:     {PRETRAINED} ({compare})")
    print("report (open in a browser: map, players):")
    print((report_dir / "report.html").resolve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
