"""The ``genmusic`` console command: ``genmusic <command> [options]``; each command is also a script in
``scripts/`` and takes the same options."""

from __future__ import annotations

import importlib
import sys
from typing import List, Optional

COMMANDS = {
    "preprocess": ("preprocess", "audio folder -> normalised log spectrograms"),
    "encode": ("encode", "audio folder -> segment latents and song vectors of a trained model"),
    "train-vae": ("train", "train the VAE"),
    "train-autoencoder": ("train", "train the plain autoencoder"),
    "sweep-latent": ("sweep", "latent-size study: train x1/4 .. x2 latent sizes"),
    "fit-prior": ("fit_prior", "fit a model's latent prior and sequence model (for sampling)"),
    "generate": ("generate", "reconstruct, resynthesise, sample, interpolate, ... -> WAVs and pictures"),
    "analyze": ("analyze", "latent-space study and report"),
    "demo": ("demo", "the whole job on the embedded dataset"),
    "models": ("models", "the trained models installed with genmusic (usable by name)"),
}


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: genmusic <command> [options]\n\ncommands:")
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:<18} {text}")
        print("\n`genmusic <command> --help` shows a command's options.")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"error: unknown command {name!r}; commands are {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"genmusic.commands.{COMMANDS[name][0]}")
    if not {"-v", "--verbose"} & set(rest):
        from .commands import hide_native_logs

        hide_native_logs()
    if name == "train-vae":
        return module.main(rest, kind="vae")
    if name == "train-autoencoder":
        return module.main(rest, kind="autoencoder")
    return module.main(rest)


if __name__ == "__main__":
    raise SystemExit(main())
