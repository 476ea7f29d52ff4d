"""``python scripts/fit_prior.py``: fit a trained model's latent prior and sequence model (for ``generate
--mode sample / continue`` and ``--interpolation prior``); see :func:`genmusic.generation.composer.fit_priors`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from ..generation.prior import COVARIANCE_TYPES
from . import run_main, setup_logging

DEFAULT_MODEL = Path("saved_models") / "vae"


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fit_prior",
        description="Fit a Gaussian mixture and a kernel density per genre on a trained model's segment latents "
                    "(prior.npz) and a "
                    "genre-conditioned sequence model over its songs' latent frames (sequence.keras), in the "
                    "model folder.")
    p.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL, help="model folder (default: %(default)s)")
    p.add_argument("--spectrograms", type=Path,
                   help="spectrogram store (default: the one the model was trained on, from genmusic.json)")
    p.add_argument("--split", choices=("train", "validation", "test", "all"), default="train",
                   help="songs fitted on (default: %(default)s)")
    p.add_argument("--components", type=int, default=4, help="most mixture components per genre, chosen by BIC "
                                                              "(default: %(default)s)")
    p.add_argument("--covariance", choices=COVARIANCE_TYPES, default="diag",
                   help="covariance of the components (default: %(default)s)")
    p.add_argument("--exemplars", type=int, default=512,
                   help="segment latents kept per genre as the centres of the kernel density that new segments are "
                        "drawn from; 0: draw from the mixtures (default: %(default)s)")
    p.add_argument("--bandwidth", type=float, default=0.5,
                   help="kernel width, in standard deviations of the genre's latents (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=30, help="sequence model epochs (default: %(default)s)")
    p.add_argument("--context-frames", type=int, default=128,
                   help="latent frames the sequence model reads (default: %(default)s)")
    p.add_argument("--no-sequence", action="store_true", help="fit only the prior")
    p.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace a fitted prior / sequence model")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = get_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)

    def body() -> int:
        from ..generation.composer import fit_priors

        summary = fit_priors(args.model_dir, args.spectrograms, split=None if args.split == "all" else args.split,
                             max_components=args.components, covariance_type=args.covariance,
                             max_exemplars=args.exemplars, bandwidth=args.bandwidth,
                             sequence=not args.no_sequence, epochs=args.epochs, context_frames=args.context_frames,
                             seed=args.seed, overwrite=args.overwrite)
        components = ", ".join(f"{g} {k}" for g, k in summary["prior"]["components"].items())
        print(f"prior: {summary['segments']} segments of {summary['songs']} songs; components per genre: {components}")
        if "sequence" in summary:
            print(f"sequence model: {summary['sequence']['train_windows']} windows, final loss "
                  f"{summary['sequence']['final_nll']:.3f}")
        print(f"wrote {' and '.join(str(args.model_dir / name) for name in summary['files'])}")
        return 0

    return run_main(body, parser, {"overwrite=True": "--overwrite", "max_components": "--components",
                                   "max_exemplars": "--exemplars"})


if __name__ == "__main__":
    raise SystemExit(main())
