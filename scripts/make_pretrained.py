#!/usr/bin/env python
"""The recipe of the pretrained model shipped in the package (``realmusic-v1``): rebuild it from the corpus.

Nobody has to trust a blob: given the same corpus, seed and machine, this script writes the same model.

1. Build the corpus (whole tracks of 8 styles of freely licensed soundtrack music from Debian packages;
   needs apt and ffmpeg)::

       LEN=full ../shared/realmusic/make_dev_corpus.sh /data/realmusic_full

2. Run the recipe (about an hour on 2 CPU cores)::

       python scripts/make_pretrained.py --corpus /data/realmusic_full --work-dir /tmp/realmusic-v1

   It preprocesses the corpus with genmusic's defaults and a seeded song split (10 % validation, 20 % test:
   the same songs as ``bench_quality.py``'s split of the 30 s clips, so the clips of the test tracks are
   unseen by the model), trains the default VAE for a fixed number of epochs (44) (TensorFlow's deterministic
   ops, a fixed seed; each epoch draws ``--segments-per-epoch`` training segments), fits the latent prior
   and the sequence model on the training songs, and copies the model folder to ``--install`` (default:
   ``genmusic/pretrained/realmusic-v1``).

``benchmarks/bench_pretrained.py`` measures it (zero-shot, fine-tuned, from scratch) for the model card.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ROOT = Path(__file__).resolve().parent.parent
#: What goes into the package: the model and everything `generate --mode sample` reads.
SHIPPED = ("model.keras", "genmusic.json", "history.csv", "prior.npz", "sequence.keras", "priors.json")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make_pretrained", description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, required=True, help="the LEN=full dev corpus (GTZAN layout)")
    p.add_argument("--work-dir", type=Path, required=True, help="store and model folder (reused by a rerun)")
    p.add_argument("--epochs", type=int, default=44, help="training epochs (default: %(default)s)")
    p.add_argument("--segments-per-epoch", type=int, default=2048,
                   help="training segments drawn per epoch (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="split, weights and prior seed (default: %(default)s)")
    p.add_argument("--install", type=Path, default=ROOT / "genmusic" / "pretrained" / "realmusic-v1",
                   help="where the finished model folder is copied (default: %(default)s)")
    return p


def _finish_metadata(model_dir: Path, epochs: int) -> None:
    """A run stopped (killed) right after epoch ``epochs`` and rerun with ``--epochs`` that number: its weights are
    those of a run asked for ``epochs`` epochs from the start; its ``genmusic.json`` says so (finished)."""
    from genmusic._io import atomic_write_json
    from genmusic.config import GenmusicConfig
    from genmusic.models.modelio import META_FILE, read_model_metadata

    meta = read_model_metadata(model_dir)
    if meta.get("status") == "finished":
        return
    state = json.loads((model_dir / "checkpoint" / "state.json").read_text())
    meta["config"] = GenmusicConfig.from_dict(meta["config"]).replace(train={"epochs": epochs}).to_dict()
    meta.update(status="finished", epochs_run=int(state["epoch"]), best_val_loss=state["best_val_loss"])
    atomic_write_json(model_dir / META_FILE, meta)


def main(argv=None) -> int:
    args = get_parser().parse_args(argv)
    import keras

    from genmusic.config import GenmusicConfig, SplitConfig, TrainConfig
    from genmusic.data.pipeline import PreprocessingPipeline
    from genmusic.data.store import SpectrogramStore
    from genmusic.generation.composer import fit_priors, fitted_unit
    from genmusic.models.training import train

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    corpus = args.corpus / "genres_original" if (args.corpus / "genres_original").is_dir() else args.corpus
    store_dir, model_dir = args.work_dir / "store", args.work_dir / "model"
    config = GenmusicConfig(split=SplitConfig(validation_fraction=0.1, test_fraction=0.2, seed=args.seed),
                            train=TrainConfig(epochs=args.epochs, max_train_segments=args.segments_per_epoch,
                                              seed=args.seed, lr_patience=4, patience=12, minutes=None))
    t0 = time.time()
    if not (store_dir / "stats.json").is_file():
        PreprocessingPipeline(config).run(corpus, store_dir, workers=2)
    store = SpectrogramStore(store_dir)
    print({s: len(store.songs_in(s)) for s in ("train", "validation", "test")}, f"{time.time() - t0:.0f} s", flush=True)
    state = model_dir / "checkpoint" / "state.json"
    done = json.loads(state.read_text())["epoch"] if state.is_file() else 0
    if done > args.epochs:
        raise SystemExit(f"{model_dir} was trained for {done} epochs, more than --epochs {args.epochs}: use another "
                         f"--work-dir")
    if done < args.epochs:  # a killed run resumes where it stopped, with the same result
        result = train(store, model_dir, config, resume=done > 0, progress=False)
        print(f"trained: {result.epochs_run} epochs, {result.wall_seconds / 60:.1f} min", flush=True)
    else:
        _finish_metadata(model_dir, args.epochs)
    if not fitted_unit(model_dir).complete:
        fit_priors(model_dir, store_dir, seed=args.seed, overwrite=True)
    args.install.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED:
        shutil.copy2(model_dir / name, args.install / name)
    print(f"installed {args.install} ({sum((args.install / n).stat().st_size for n in SHIPPED) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
