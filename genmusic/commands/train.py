"""``python scripts/train_vae.py`` / ``python scripts/train_autoencoder.py``: spectrogram store -> model folder.

The settings are built in this order (:func:`genmusic.models.training.layered_config`), each step overriding
the one before:

1. the store's config (or, with ``--resume``, the config saved in the model folder);
2. ``--config FILE`` (a partial GenmusicConfig JSON is fine; its spectrogram settings, when it has any,
   must match the store's);
3. ``--preset NAME`` (replaces the model architecture);
4. the single-setting flags (``--epochs``, ``--latent-dim``, ...); the script sets the model kind.

``--init-from MODEL`` fine-tunes: the model is built from MODEL's architecture (a model folder, or an installed
model's name such as ``realmusic-v1``) and starts from its weights; the training settings are built as above
(the model settings come from MODEL, so ``--preset``, ``--latent-dim`` and ``--beta`` are refused with it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from ..config import GenmusicConfig
from ..errors import ParameterError
from . import run_main, setup_logging

DEFAULT_SPECTROGRAMS = "spectrograms"
DEFAULT_MODEL_DIRS = {"vae": "saved_models/vae", "autoencoder": "saved_models/autoencoder"}
KINDS = tuple(DEFAULT_MODEL_DIRS)


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    """The options shared by training and the latent-size sweep."""
    p.add_argument("--spectrograms", type=Path, default=Path(DEFAULT_SPECTROGRAMS),
                   help="spectrogram store written by preprocess (default: %(default)s)")
    p.add_argument("--config", type=Path, help="GenmusicConfig JSON (a partial one is fine)")
    p.add_argument("--preset", choices=("default", "large", "tutorial"), help="named model architecture (large: 4x the latent floats)")
    p.add_argument("--epochs", type=int, help="override train.epochs")
    p.add_argument("--batch-size", type=int, help="override train.batch_size (the global batch over all devices)")
    p.add_argument("--learning-rate", type=float, help="override train.learning_rate")
    p.add_argument("--seed", type=int, help="override train.seed")
    p.add_argument("--patience", type=int, help="override train.patience (0: no early stopping)")
    p.add_argument("--minutes", type=float, help="override train.minutes (the wall-time budget of training)")
    p.add_argument("--max-train-segments", type=int, help="override train.max_train_segments (segments per epoch)")
    p.add_argument("--beta", type=float, help="override model.beta (VAE only)")
    p.add_argument("--mixed-precision", choices=("auto", "on", "off"), help="override train.mixed_precision")
    p.add_argument("--distribution", choices=("auto", "none", "mirrored", "multi_worker", "data_parallel"),
                   help="override train.distribution")
    p.add_argument("--no-progress", action="store_true",
                   help="one line per epoch instead of a progress bar (the default when stdout is not a terminal)")
    p.add_argument("-v", "--verbose", action="store_true")


def get_parser(kind: str = "vae") -> argparse.ArgumentParser:
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {KINDS}, got {kind!r}")
    p = argparse.ArgumentParser(
        prog=f"train_{kind}",
        description=f"Train the {'variational autoencoder' if kind == 'vae' else 'plain autoencoder'} on a "
                    f"spectrogram store and write a model folder (model.keras, genmusic.json, history.csv, "
                    f"loss.png, checkpoint/).")
    add_training_arguments(p)
    p.add_argument("--model-dir", type=Path, default=Path(DEFAULT_MODEL_DIRS[kind]),
                   help="model folder (default: %(default)s)")
    p.add_argument("--latent-dim", type=int, help="override model.latent_dim")
    p.add_argument("--init-from", metavar="MODEL",
                   help="fine-tune: start from the weights (and architecture) of this model folder or installed model "
                        "(`genmusic models` lists them, e.g. realmusic-v1) instead of random weights; the store's "
                        "spectrogram settings must be the model's; the learning rate is then "
                        f"{FINETUNE_LEARNING_RATE:g} unless --learning-rate or --config gives one")
    p.add_argument("--resume", action="store_true",
                   help="continue the model in --model-dir from its last checkpoint (raise --epochs to train longer)")
    p.add_argument("--overwrite", action="store_true", help="replace a model already in --model-dir")
    p.add_argument("--fit-prior", action="store_true",
                   help="after training, fit the latent prior and sequence model for `generate --mode sample` "
                        "(same as `genmusic fit-prior --model-dir M --overwrite`)")
    return p


def config_from_args(args: argparse.Namespace, store, *, kind: str,
                     base: Optional[GenmusicConfig] = None) -> GenmusicConfig:
    """The GenmusicConfig that the command line asks for (:func:`genmusic.models.training.layered_config`;
    see the module docstring for the order)."""
    from ..models.training import layered_config

    train = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                               ("learning_rate", args.learning_rate), ("seed", args.seed),
                               ("patience", args.patience), ("max_train_segments", args.max_train_segments),
                               ("minutes", args.minutes),
                               ("mixed_precision", args.mixed_precision), ("distribution", args.distribution))
             if v is not None}
    model = {k: v for k, v in (("latent_dim", getattr(args, "latent_dim", None)), ("beta", args.beta))
             if v is not None}
    if args.beta is not None and kind != "vae":
        print(f"note: --beta weighs the VAE's KL term; the {kind} has none, so it changes nothing")
    return layered_config(store, base=base, config_file=args.config, preset=args.preset, train=train, model=model,
                          kind=kind)


#: ``--init-from``'s learning rate unless ``--learning-rate`` or ``--config`` gives one: a quarter of the
#: default from-scratch rate.
FINETUNE_LEARNING_RATE = 5e-4

#: Library phrases and the options that say the same on the command line.
CLI_PHRASES = {"another model_dir": "another --model-dir", "config.train.epochs": "--epochs",
               "config.train.learning_rate": "--learning-rate"}


def main(argv: Optional[List[str]] = None, kind: str = "vae") -> int:
    program = argv is None  # run as a program, not called by a test or another command
    parser = get_parser(kind)
    args = parser.parse_args(argv)
    setup_logging(args.verbose, program=program)

    def body() -> int:
        from ..models.modelio import META_FILE, read_model_metadata
        from ..data.store import SpectrogramStore
        from ..models.training import train

        architecture = [flag for flag, value in (("--preset", args.preset), ("--latent-dim", args.latent_dim),
                                                 ("--beta", args.beta)) if value is not None]
        if args.init_from and architecture:
            raise ParameterError(f"{' and '.join(architecture)} cannot go with --init-from: the model settings come "
                                 f"from {args.init_from} (its weights fit only its own architecture); leave "
                                 f"{'them' if len(architecture) > 1 else 'it'} out, or train from scratch without "
                                 f"--init-from")
        store = SpectrogramStore(args.spectrograms)
        base = None
        if args.resume and (args.model_dir / META_FILE).is_file():
            meta = read_model_metadata(args.model_dir)
            base = GenmusicConfig.from_dict(meta["config"], where=str(args.model_dir / META_FILE))
        config = config_from_args(args, store, kind=kind, base=base)
        m = config.model
        if args.init_from and not args.resume:
            if args.learning_rate is None and args.config is None:
                # from-scratch steps would throw away much of what the weights know (bench_pretrained.py)
                config = config.replace(train={"learning_rate": FINETUNE_LEARNING_RATE})
            print(f"fine-tuning {args.init_from} (its architecture and weights) on {store} for up to "
                  f"{config.train.epochs} epoch(s), learning rate {config.train.learning_rate:g} -> {args.model_dir}")
        else:
            print(f"training a {kind} (latent_dim={m.latent_dim}, {m.bottleneck} bottleneck, "
                  f"filters {list(m.conv_filters)}) "
                  f"on {store} for up to {config.train.epochs} epoch(s) -> {args.model_dir}")
        # a progress bar on a terminal; one line per epoch in a log file or a pipe
        result = train(store, args.model_dir, config, kind=kind, resume=args.resume, overwrite=args.overwrite,
                       progress=not args.no_progress and sys.stdout.isatty(), init_from=args.init_from)
        print(result.summary())
        if args.fit_prior:
            from ..generation.composer import fit_priors

            fit_priors(args.model_dir, args.spectrograms, overwrite=True)
            print(f"fitted the latent prior and sequence model into {args.model_dir}")
        return 0

    return run_main(body, parser, CLI_PHRASES)


if __name__ == "__main__":
    raise SystemExit(main())
