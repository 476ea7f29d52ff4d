"""``python scripts/sweep_latent.py``: how the latent size trades compression for sound.

The study itself is :func:`genmusic.analysis.sweep.sweep_latent_sizes`; this command parses the options,
calls it and prints its progress.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import List, Optional

from ..analysis.sweep import sweep_latent_sizes
from . import run_main, setup_logging
from .train import add_training_arguments, config_from_args

#: The library's defaults, shown and used by the options.
DEFAULTS = {name: p.default for name, p in inspect.signature(sweep_latent_sizes).parameters.items()}


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sweep_latent",
        description="Train one model per latent size and tabulate compression ratio, validation loss and the mel "
                    "distance of the rebuilt audio after Griffin-Lim (sweep.csv, sweep.md).")
    add_training_arguments(p)
    p.add_argument("--output", type=Path, required=True, help="folder for the models and the tables")
    p.add_argument("--kind", choices=("vae", "autoencoder"), default="vae", help="default: %(default)s")
    p.add_argument("--base-latent-dim", type=int, default=DEFAULTS["base_latent_dim"], help="default: %(default)s")
    p.add_argument("--factors", type=float, nargs="+", default=list(DEFAULTS["factors"]),
                   help="latent sizes as multiples of --base-latent-dim (default: %(default)s)")
    p.add_argument("--eval-split", choices=("validation", "test"), default=DEFAULTS["eval_split"],
                   help="songs the mel distance is measured on (default: %(default)s; the other one when it is empty)")
    p.add_argument("--eval-songs", type=int, default=DEFAULTS["eval_songs"], help="songs per evaluation (default: %(default)s)")
    p.add_argument("--eval-seconds", type=float, default=DEFAULTS["eval_seconds"],
                   help="seconds of each song evaluated (default: %(default)s)")
    p.add_argument("--n-iter", type=int, default=DEFAULTS["n_iter"], help="Griffin-Lim iterations (default: %(default)s)")
    p.add_argument("--pca", action="store_true", help="also measure PCA with the same number of floats per segment")
    p.add_argument("--overwrite", action="store_true", help="retrain sizes whose folder already holds a model")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    program = argv is None  # run as a program, not called by a test or another command
    parser = get_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, program=program)

    def body() -> int:
        from ..data.store import SpectrogramStore

        store = SpectrogramStore(args.spectrograms)
        config = config_from_args(args, store, kind=args.kind)
        rows = sweep_latent_sizes(store, args.output, config, base_latent_dim=args.base_latent_dim,
                                  factors=args.factors, eval_split=args.eval_split, eval_songs=args.eval_songs,
                                  eval_seconds=args.eval_seconds, n_iter=args.n_iter, pca=args.pca,
                                  overwrite=args.overwrite, progress=not args.no_progress and sys.stdout.isatty(),
                                  report=print)
        print(f"{len(rows)} latent size(s): tables in {args.output / 'sweep.csv'} and {args.output / 'sweep.md'}")
        return 0

    return run_main(body, parser)


if __name__ == "__main__":
    raise SystemExit(main())
