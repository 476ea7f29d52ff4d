"""``python scripts/encode.py``: audio folder -> each song's segment latents and song vector (a trained model)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional

from . import add_engine_arguments, run_main, setup_logging


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="encode",
        description="Encode every audio file under a folder (any format, rate, channels; genre = first sub-folder) "
                    "with a trained model: per song, the latent of every segment and the song vector (mean and "
                    "standard deviation of the segment latents), as .npy files plus index.csv. A rerun resumes.",
        epilog="Read the folder back with genmusic.load_latents(OUTPUT).")
    p.add_argument("--model", type=Path, required=True, help="trained model folder")
    p.add_argument("--input", type=Path, required=True, help="audio folder")
    p.add_argument("--output", type=Path, required=True, help="latent folder to write")
    p.add_argument("--workers", type=int, default=None,
                   help="local: processes, each loading the model once and using its share of the cores (default "
                        "1: the model then uses every core); ray: CPUs of a Ray instance started here (default: "
                        "number of cores), one model per CPU")
    add_engine_arguments(p)
    p.add_argument("--batch-size", type=int, default=64, help="segments per model call (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="start afresh instead of resuming")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    parser = get_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)

    def body() -> int:
        from ..encoding.folder import encode_folder

        report = encode_folder(args.model, args.input, args.output, engine=args.engine, workers=args.workers,
                               address=args.address, batch_size=args.batch_size, overwrite=args.overwrite,
                               progress=not args.no_progress)
        print(report.summary())
        return 0

    return run_main(body, parser, {"another output_dir": "another --output"})


if __name__ == "__main__":
    raise SystemExit(main())
