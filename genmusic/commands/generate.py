"""``python scripts/generate.py``: sound from a trained model -> WAVs, spectrogram pictures, JSON sidecars.

The modes and what they write are :mod:`genmusic.generation.modes`; this command parses the options, calls
:func:`genmusic.generation.modes.plan` and :meth:`~genmusic.generation.modes.Plan.write`, and prints.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import List, Optional

from ..features.griffinlim import METHODS
from ..generation.latent_ops import AVERAGE_MODES
from ..generation.modes import INTERPOLATIONS, MODES, GenerateOptions
from .._io import shown
from . import cli_words, run_main, setup_logging

DEFAULT_MODEL = Path("saved_models") / "vae"
DEFAULT_OUTPUT_ROOT = Path("generated")
DEFAULTS = GenerateOptions()
#: Library phrases and the options that say the same on the command line.
CLI_PHRASES = {"files=[FILE, ...]": "--input FILE ...", "files=[A, B]": "--input A B", "files are given": "--input is given",
               "no files given": "no --input given", "another output_dir": "another --output",
               "files must be": "--input must be"}


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="generate",
        description="Make sound with a trained model: reconstruct or resynthesise songs, compose new pieces "
                    "(sample) or continue songs, interpolate, average, remix, or change songs' latents (noise, scale, smooth). Writes WAV + PNG "
                    "+ JSON per output.",
        epilog="Without --input, inputs are songs of the spectrogram store the model was trained on (test split, "
               "or --genre).")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model folder (default: %(default)s)")
    p.add_argument("--mode", required=True, choices=tuple(MODES), help="what to make")
    p.add_argument("--input", type=Path, nargs="+", metavar="FILE",
                   help="audio files (any format, rate, channels); default: songs of the training store")
    p.add_argument("--genre", help="sample, continue: compose in this genre (needs `genmusic fit-prior`); other "
                                   "modes without --input: take songs of this genre from the training store")
    p.add_argument("--output", type=Path, help="output folder (default: generated/<mode>)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--normalise-peak", action="store_true",
                   help="scale each output to a peak of -1 dBFS (default: keep the level it was made at; the WAVs "
                        "are 32-bit float, so nothing clips)")
    p.add_argument("--n", type=int, help="sample: sounds (default 4); average: songs averaged (default: all of the "
                                         "genre); other modes without --input: songs taken from the store (default 2 "
                                         "for reconstruct/resynth, 1 for noise/scale/smooth)")
    p.add_argument("--steps", type=int, default=DEFAULTS.steps,
                   help="interpolate: points, both songs included (default: %(default)s)")
    p.add_argument("--interpolation", choices=INTERPOLATIONS, default=DEFAULTS.interpolation,
                   help="interpolate: path between the latents; 'prior': through latents the fitted prior finds "
                        "likely (default: %(default)s)")
    p.add_argument("--average-mode", choices=AVERAGE_MODES, default=DEFAULTS.average_mode,
                   help="average: segment-wise over the shortest song, or each song's mean tiled "
                        "(default: %(default)s)")
    p.add_argument("--temperature", type=float, default=DEFAULTS.temperature,
                   help="sample, continue: spread of the prior and sequence-model draws (0: their means; "
                        "default: %(default)s)")
    p.add_argument("--sigma", type=float, nargs="+", default=list(DEFAULTS.sigma),
                   help="noise: standard deviations, one output each (default: %(default)s)")
    p.add_argument("--factor", type=float, nargs="+", default=list(DEFAULTS.factor),
                   help="scale: factors, one output each (default: %(default)s)")
    p.add_argument("--width", type=int, default=DEFAULTS.width, help="smooth: segments averaged (default: %(default)s)")
    p.add_argument("--overlap", type=float, default=DEFAULTS.overlap,
                   help="reconstruct: fraction shared by consecutive windows, crossfaded (default: %(default)s)")
    p.add_argument("--seed", type=int, default=DEFAULTS.seed, help="seed of sampling, noise and Griffin-Lim (default: %(default)s)")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations (default: %(default)s)")
    p.add_argument("--method", choices=METHODS, default="librosa",
                   help="Griffin-Lim implementation (default: %(default)s)")
    p.add_argument("--seconds", type=float,
                   help="sample: length of each piece (default: one segment); continue: seconds added after "
                        "the input (default: 10); other modes: use only the first SECONDS of each input")
    p.add_argument("--start-seconds", type=float,
                   help="continue: use only the first START_SECONDS of the input (default: all of it)")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    program = argv is None  # run as a program, not called by a test or another command
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = get_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, program=program)

    def body() -> int:
        from ..generation.modes import plan

        options = GenerateOptions(n=args.n, steps=args.steps, interpolation=args.interpolation,
                                  average_mode=args.average_mode, temperature=args.temperature, sigma=args.sigma,
                                  factor=args.factor, width=args.width, overlap=args.overlap, seed=args.seed,
                                  seconds=args.seconds, start_seconds=args.start_seconds)
        out_dir = args.output or DEFAULT_OUTPUT_ROOT / args.mode
        # long inputs are spooled beside the outputs (the nearest folder that exists), not in memory
        spool = next((p for p in (out_dir, *out_dir.resolve().parents) if p.is_dir()), None)
        outputs = plan(args.model, args.mode, files=args.input or (), genre=args.genre, options=options,
                       n_iter=args.n_iter, method=args.method, spool_dir=spool)
        for note in outputs.notes:
            print(f"note: {shown(cli_words(note, parser, CLI_PHRASES))}")
        n_written = 0
        for written in outputs.write(out_dir, overwrite=args.overwrite, normalise_peak=args.normalise_peak,
                                     command=["generate", *argv]):
            n_written += 1
            if written.peak_normalised:
                level = " (peak-normalised to -1 dBFS)"
            elif written.peak > 1.0:
                level = (f" (peak {20 * math.log10(written.peak):+.1f} dBFS, kept: the float WAV holds it, a player "
                         f"may clip it; --normalise-peak scales to -1 dBFS)")
            else:
                level = ""
            print(f"wrote {written.wav}{level}")
        print(f"{args.mode}: {n_written} WAV file(s), each with a spectrogram picture (.png) and a sidecar (.json), "
              f"in {out_dir}")
        return 0

    return run_main(body, parser, CLI_PHRASES)


if __name__ == "__main__":
    raise SystemExit(main())
