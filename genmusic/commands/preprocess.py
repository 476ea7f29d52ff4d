"""``python scripts/preprocess.py``: audio folder -> spectrogram store (the embedded dataset by default)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional

from ..config import GenmusicConfig
from . import add_engine_arguments, option_names, run_main, setup_logging

DEFAULT_OUTPUT = "spectrograms"
DEFAULT_SYNTHETIC_DIR = os.path.join("data", "synthetic")
#: make_synthetic's parameters and the options that set them.
SYNTHETIC_OPTIONS = {"n_per_genre": "--songs-per-genre", "duration": "--song-seconds", "seed": "--seed",
                     "sample_rate": "--sample-rate"}


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="preprocess",
        description="Turn a folder of audio (GTZAN layout genres_original/<genre>/*.wav, or any folder of "
                    "WAV/FLAC/OGG/MP3) into normalised log spectrograms. Without --input, generates the "
                    "embedded synthetic dataset (once) and preprocesses it.")
    p.add_argument("--input", type=Path, help="audio folder (default: the embedded synthetic dataset)")
    p.add_argument("--output", type=Path, default=Path(DEFAULT_OUTPUT), help="store folder (default: %(default)s)")
    p.add_argument("--config", type=Path, help="GenmusicConfig JSON (a partial one is fine)")
    p.add_argument("--workers", type=int, default=None, help="parallel processes (default: number of cores)")
    add_engine_arguments(p)
    p.add_argument("--overwrite", action="store_true", help="start afresh instead of resuming")
    p.add_argument("--sample-rate", type=int, help="override audio.sample_rate")
    p.add_argument("--n-fft", type=int, help="override spectrogram.n_fft")
    p.add_argument("--hop-length", type=int, help="override spectrogram.hop_length")
    p.add_argument("--segment-frames", type=int, help="override spectrogram.segment_frames")
    p.add_argument("--duration", type=float, help="read at most this many seconds of each file")
    g = p.add_argument_group("embedded dataset (used without --input)")
    g.add_argument("--synthetic-dir", type=Path, default=Path(DEFAULT_SYNTHETIC_DIR),
                   help="where the synthetic songs are written (default: %(default)s)")
    g.add_argument("--songs-per-genre", type=int, default=10, help="default: %(default)s")
    g.add_argument("--song-seconds", type=float, default=30.0, help="default: %(default)s")
    g.add_argument("--seed", type=int, default=0, help="dataset seed (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def config_from_args(args: argparse.Namespace) -> GenmusicConfig:
    config = GenmusicConfig.load(args.config) if args.config else GenmusicConfig()
    audio = {k: v for k, v in (("sample_rate", args.sample_rate), ("duration", args.duration)) if v is not None}
    spec = {k: v for k, v in (("n_fft", args.n_fft), ("hop_length", args.hop_length),
                              ("segment_frames", args.segment_frames)) if v is not None}
    return config.replace(audio=audio, spectrogram=spec)


def main(argv: Optional[List[str]] = None) -> int:
    program = argv is None  # run as a program, not called by a test or another command
    parser = get_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, program=program)

    def body() -> int:
        from ..data.pipeline import PreprocessingPipeline

        config = config_from_args(args)
        input_dir = args.input
        if input_dir is None:
            from ..data.synthetic import make_synthetic

            # one folder per setting, so a different --song-seconds never meets songs of another length
            where = args.synthetic_dir / (f"{args.songs_per_genre}x{args.song_seconds:g}s"
                                          f"_{config.audio.sample_rate}hz_seed{args.seed}")
            print(f"no --input: using the embedded synthetic dataset in {where} "
                  f"({args.songs_per_genre} songs per genre, {args.song_seconds:g} s each)")
            with option_names(SYNTHETIC_OPTIONS):
                input_dir = make_synthetic(where, n_per_genre=args.songs_per_genre,
                                           duration=args.song_seconds, sample_rate=config.audio.sample_rate,
                                           seed=args.seed, progress=not args.no_progress)
        report = PreprocessingPipeline(config).run(input_dir, args.output, workers=args.workers,
                                                   overwrite=args.overwrite,
                                                   progress=not args.no_progress and sys.stderr.isatty(),
                                                   engine=args.engine, address=args.address)
        print(report.summary())
        return 0

    return run_main(body, parser, {"another output_dir": "another --output"})


if __name__ == "__main__":
    raise SystemExit(main())
