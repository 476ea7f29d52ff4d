"""``genmusic models``: the models installed with genmusic, usable by name wherever a model folder goes."""

from __future__ import annotations

import argparse
from typing import List, Optional

from .._io import shown
from . import run_main, setup_logging


def get_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="models",
        description="List the trained models installed with genmusic: name, size, latent size, sample rate, "
                    "styles and model card. Pass a name wherever a model folder goes (generate / encode / analyze "
                    "--model NAME, train-vae --init-from NAME, genmusic.load_bundle(NAME)).")


def main(argv: Optional[List[str]] = None) -> int:
    get_parser().parse_args(argv)
    setup_logging(False)

    def body() -> int:
        from .. import pretrained

        names = pretrained.names()
        if not names:
            print(f"no installed models (none in {shown(pretrained.ROOT)}): this genmusic was installed without them")
            return 0
        print(f"installed models ({shown(pretrained.ROOT)}):")
        for name in names:
            m = pretrained.describe(name)
            latent = f"{m.latent_dim} floats" if m.latent_dim is not None else "? floats"
            if m.segment_seconds is not None:
                latent += f" per {m.segment_seconds:.2f} s"
            rate = f"{m.sample_rate} Hz" if m.sample_rate is not None else "? Hz"
            print(f"  {name}: {m.kind or 'model'}, {m.size_bytes / 1e6:.1f} MB, latent {latent}, {rate}, "
                  f"{len(m.styles)} styles: {', '.join(m.styles) or 'none recorded'}; "
                  f"generate --mode sample: {'yes' if m.sampling else 'no (no prior fitted)'}")
            print(f"    model card: {shown(m.card) if m.card else 'none'}")
        print(f"use one by name, e.g. genmusic generate --model {names[0]} --mode reconstruct --input my_song.wav; "
              f"fine-tune one: genmusic train-vae --init-from {names[0]} --spectrograms STORE --model-dir DIR")
        return 0

    return run_main(body)


if __name__ == "__main__":
    raise SystemExit(main())
