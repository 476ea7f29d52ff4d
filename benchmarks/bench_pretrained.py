#!/usr/bin/env python
"""Benchmark: the pretrained model on held-out and unseen real music, zero-shot, fine-tuned and from scratch.

For each set of music (GTZAN layout, ``NAME=FOLDER``):

1. preprocess it with genmusic's defaults and ``bench_quality.py``'s seeded song split (10 % validation, 20 %
   test) into ``--work-dir/NAME/store``;
2. rebuild its test songs (never trained on) with PCA with the same floats per segment (fitted on the set's
   training songs) and with the pretrained model as it is (zero-shot);
3. unless the set is named in ``--zero-shot-only`` (e.g. the dev corpus's 30 s clips, whose test tracks the
   pretrained model held out, while it trained on the others' whole tracks): fine-tune the pretrained model
   on the set's training songs (``train(..., init_from=...)``, learning rate ``--finetune-lr``) for
   ``max(--minutes)`` minutes, keeping the best-on-validation weights at each budget, and train the default
   model from scratch with ``train_vae.py``'s defaults (its 30-minute budget, early stopping), with the same
   snapshots; rebuild the test songs with each;
4. measure every row with the independent ears of ``_ears.py`` (mel distance, chroma similarity, partials kept,
   the music tagger's style recognition and FAD against the set's other real songs).

    python benchmarks/bench_pretrained.py --model realmusic-v1 \\
        --set heldout=/data/realmusic --set unseen=/data/unseen_styles --zero-shot-only heldout \\
        --work-dir /tmp/bench-pretrained --minutes 5 10

Prints one Markdown table per set and writes ``pretrained.json`` in ``--work-dir``. Timings are wall time
of ``fit`` on this machine (2 CPU cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench_pretrained", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="realmusic-v1", help="installed model name or folder (default: %(default)s)")
    p.add_argument("--set", action="append", required=True, metavar="NAME=FOLDER", help="a set of music (repeat)")
    p.add_argument("--zero-shot-only", nargs="*", default=[], metavar="NAME", help="sets only measured zero-shot")
    p.add_argument("--work-dir", type=Path, required=True)
    p.add_argument("--minutes", type=float, nargs="+", default=[5.0, 10.0], help="fine-tuning budgets")
    p.add_argument("--finetune-lr", type=float, default=5e-4, help="fine-tuning learning rate (default: %(default)s)")
    p.add_argument("--scratch-model", action="append", default=[], metavar="NAME=FOLDER",
                   help="the from-scratch row of set NAME from a model folder trained already (e.g. while the "
                        "machine was shared: train_vae.py's defaults without the wall-time budget) instead of "
                        "training it here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations (default: %(default)s)")
    return p


def _train(store, folder, config, budgets_min, **kw):
    """Train with snapshots at each budget; returns {label: (weights, epochs, val, seconds)} and the result."""
    from bench_quality import Snapshots

    from genmusic.models.callbacks import TimeLimit
    from genmusic.models.training import train

    snaps = Snapshots([60 * m for m in budgets_min], config.train.epochs)
    limit = TimeLimit(60 * max(budgets_min))
    result = train(store, folder, config, overwrite=True, progress=False, extra_callbacks=[snaps.callback, limit], **kw)
    points = {f"{m:g} min": snaps.weights.get(60 * m) for m in budgets_min}
    if snaps.best[1] is not None:
        points["end of run"] = (snaps.best[1], result.epochs_run, snaps.best[0], result.wall_seconds)
    return points, result


def main(argv=None) -> int:
    args = get_parser().parse_args(argv)
    from bench_quality import _Listening, _corpus_root

    from genmusic.analysis.evaluation import PCABaseline, evaluate_reconstruction
    from genmusic.config import GenmusicConfig, SplitConfig
    from genmusic.data.pipeline import PreprocessingPipeline
    from genmusic.data.store import SpectrogramStore
    from genmusic.models import build_model
    from genmusic.models.modelio import load_bundle, read_history

    bundle = load_bundle(args.model)
    pretrained = bundle.model
    out = {"model": str(args.model), "sets": {}}
    for spec in args.set:
        name, folder = spec.split("=", 1)
        work = args.work_dir / name
        work.mkdir(parents=True, exist_ok=True)
        config = GenmusicConfig(split=SplitConfig(validation_fraction=0.1, test_fraction=0.2, seed=args.seed))
        PreprocessingPipeline(config).run(_corpus_root(Path(folder)), work / "store", workers=2)
        store = SpectrogramStore(work / "store")
        n = {s: len(store.songs_in(s)) for s in ("train", "validation", "test")}
        print(f"\n## {name}: {len(store)} songs {n}", flush=True)
        kw = dict(split="test", max_songs=None, n_iter=args.n_iter, seed=args.seed)
        ears = _Listening(store, work, args.seed)
        pca = PCABaseline(pretrained.latent_dim, seed=args.seed).fit_store(store, "train")
        evaluate_reconstruction(pca, store, **kw, on_song=ears.hook(f"PCA, {pretrained.latent_dim} floats", ceiling=True))
        evaluate_reconstruction(pretrained, store, **kw, ceiling=False, on_song=ears.hook("pretrained, zero-shot"))
        timings = {}
        if name not in args.zero_shot_only:
            model = build_model(bundle.config.model, store.segment_shape, seed=args.seed,
                                sample_rate=store.config.audio.sample_rate, db_range=store.config.spectrogram.top_db)
            ft_config = store.config.replace(model=bundle.config.model,
                                             train={"epochs": 100000, "seed": args.seed, "minutes": None,
                                                    "learning_rate": args.finetune_lr})
            scratch = dict(s.split("=", 1) for s in args.scratch_model).get(name)
            runs = [("fine-tuned", _train(store, work / "finetuned", ft_config, args.minutes, init_from=args.model))]
            if scratch is None:
                runs.append(("from scratch (train_vae.py defaults)",
                             _train(store, work / "scratch", store.config.replace(train={"seed": args.seed}),
                                    sorted({*args.minutes, store.config.train.minutes or 30.0}))))
            else:
                val = read_history(Path(scratch) / "history.csv")["val_loss"]
                best = min(range(len(val)), key=val.__getitem__)
                runs.append(("from scratch (train_vae.py defaults)",
                             ({f"best of {len(val)} epochs": (load_bundle(scratch).model.get_weights(), best + 1,
                                                              val[best], float("nan"))}, None)))
            for label, (points, result) in runs:
                if result is not None:
                    timings[label] = {"epochs": result.epochs_run, "minutes": result.wall_seconds / 60}
                    print(f"{label}: {result.epochs_run} epochs in {result.wall_seconds / 60:.1f} min", flush=True)
                for budget, snap in points.items():
                    if snap is None or snap[0] is None:
                        continue
                    weights, epochs, val, secs = snap
                    model.set_weights(weights)
                    row = (f"{label}, {budget} ({secs / 60:.1f} min, {epochs} epochs)" if secs == secs
                           else f"{label}, {budget} (epoch {epochs})")
                    timings[row] = {"epochs": epochs, "minutes": secs / 60, "val_loss": val}
                    evaluate_reconstruction(model, store, **kw, ceiling=False, on_song=ears.hook(row))
        from _ears import Ears

        summary = ears.finish()
        table = Ears.table(summary, {"real vs real (two halves of the set)": ears.real_vs_real})
        print(table, flush=True)
        out["sets"][name] = {"songs": n, "rows": summary, "timings": timings, "real_vs_real": ears.real_vs_real,
                             "tagger_cv": ears.tagger_cv, "table": table}
        (args.work_dir / "pretrained.json").write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
