"""``python scripts/analyze.py``: study the latent space of trained models and write a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from .._io import shown
from . import run_main, setup_logging

DEFAULT_MODEL = str(Path("saved_models") / "vae")
DEFAULT_OUTPUT = str(Path("reports") / "analysis")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="analyze",
        description="Encode a spectrogram store with one or more trained models and study the latent space: "
                    "PCA and t-SNE views, K-means sweeps against the genres, genre classification from latents "
                    "against an MFCC baseline, reconstruction quality, and (with --input) where new music lands. "
                    "Writes report.md, report.html (self-contained), results.json, figures and latents.")
    p.add_argument("--model", dest="models", action="append", type=Path, metavar="DIR",
                   help=f"model folder; repeat to compare models (default: {DEFAULT_MODEL})")
    p.add_argument("--spectrograms", type=Path, metavar="DIR",
                   help="spectrogram store (default: the one named in the first model's genmusic.json, "
                        "else 'spectrograms')")
    p.add_argument("--output", type=Path, default=Path(DEFAULT_OUTPUT), metavar="DIR",
                   help="report folder (default: %(default)s)")
    p.add_argument("--input", dest="inputs", action="extend", nargs="+", type=Path, default=[], metavar="FILE",
                   help="audio files from outside the data set to place among the songs (any format, rate, channels)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of PCA, t-SNE, K-means and classifiers (default: %(default)s)")
    p.add_argument("--max-eval-songs", type=int, default=4, metavar="N",
                   help="test songs used for the reconstruction figures (default: %(default)s)")
    p.add_argument("--no-tsne", action="store_true", help="skip the t-SNE view (slow on large data sets)")
    p.add_argument("--no-audio", action="store_true",
                   help="no sound in the report (no players, a silent latent map; faster, smaller)")
    p.add_argument("--clip-seconds", type=float, default=10.0, metavar="S",
                   help="length of the latent map's clips and of the interpolation strip (default: %(default)s)")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    program = argv is None  # run as a program, not called by a test or another command
    parser = get_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, program=program)

    def body() -> int:
        from ..analysis import ListeningOptions, run_analysis

        models = args.models or [Path(DEFAULT_MODEL)]
        listening = ListeningOptions(clip_seconds=args.clip_seconds)
        report = run_analysis(models, args.output, spectrograms=args.spectrograms, inputs=args.inputs,
                              seed=args.seed, max_eval_songs=args.max_eval_songs, tsne=not args.no_tsne,
                              audio=not args.no_audio, listening=listening)
        for model in report.results["models"]:
            for song in model.get("new_songs", []):
                genre = song["predicted_genre"] or "n/a"
                nearest = ", ".join(n["song_id"] for n in song["nearest"])
                print(f"{model['name']}: {song['name']} -> genre {genre}; nearest songs: {nearest}")
        for model in report.results["models"]:  # an --input file that could not be used (not audio, ...)
            for note in model.get("notes", []):
                if note.startswith("input "):
                    print(f"warning: {shown(note)}", file=sys.stderr)
        for error in report.errors:
            print(f"error: {shown(error)}", file=sys.stderr)
        audio = report.results["audio"]
        print(f"report: {report.markdown}")
        print(f"results: {report.results_path}")
        print(f"report folder: {report.output_dir} ({report.folder_bytes() / 1e6:.1f} MB; audio: {audio['n_files']} "
              f"clips, {audio['bytes'] / 1e6:.1f} MB)")
        print(f"report (HTML, open in a browser): {report.html}")
        return 1 if report.errors else 0

    return run_main(body, parser)


if __name__ == "__main__":
    raise SystemExit(main())
