#!/usr/bin/env python
"""Benchmark: genmusic's default VAE against the tutorial's autoencoder and PCA, for the same wall time.

Steps (everything is cached in ``--work-dir``, so a second run skips the data preparation):

1. write a synthetic GTZAN-shaped dataset (:func:`genmusic.data.synthetic.make_synthetic`);
2. preprocess it twice: with genmusic's default spectrogram settings (n_fft 1024, hop 256, 128 frames ->
   512 x 128 segments) and with the tutorial's (n_fft 512, hop 256, 64 frames -> 256 x 64). Both stores
   split the same songs the same way (the split depends on song ids and genres only);
3. in a fresh subprocess each, so that peak memory is per model:
   (a) ``ours``: the ``"default"`` preset on the default store, (b) ``tutorial``: ``get_preset("tutorial")``
   on the tutorial store, each trained for ``--seconds`` of wall time (:class:`genmusic.models.training.TimeLimit`),
   and (c) ``pca``: :class:`genmusic.analysis.evaluation.PCABaseline` with the default latent size, fitted on the
   default store's training segments;
4. each subprocess then measures held-out (test split) songs with :func:`genmusic.analysis.evaluation.evaluate_reconstruction`;
5. print a side-by-side table: throughput (segments/s and seconds of audio per second), peak memory (the
   subprocess' ``ru_maxrss``), compression ratio, mel distance after Griffin-Lim, and the resynthesis
   ceilings of both spectrogram settings.

Run ``python benchmarks/bench_train.py --help`` for the options; ``--seconds 120 --songs-per-genre 4``
gives a quick look. Timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genmusic.config import TrainConfig  # noqa: E402

MODELS = ("ours", "tutorial", "pca")
TUTORIAL_SPECTROGRAM = {"n_fft": 512, "hop_length": 256, "segment_frames": 64}


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench_train", description=__doc__.split("\n\n")[0])
    p.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "genmusic-bench",
                   help="cache for the dataset, the stores and the models (default: %(default)s)")
    p.add_argument("--songs-per-genre", type=int, default=6, help="default: %(default)s")
    p.add_argument("--song-seconds", type=float, default=30.0, help="default: %(default)s")
    p.add_argument("--genres", nargs="+", help="genres of the synthetic dataset (default: all 8)")
    p.add_argument("--seconds", type=float, default=240.0, help="training wall time per model (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=TrainConfig().batch_size,
                   help="default: TrainConfig's, %(default)s")
    p.add_argument("--learning-rate", type=float, default=TrainConfig().learning_rate,
                   help="default: TrainConfig's, %(default)s")
    p.add_argument("--ours-preset", default="default", help="model preset for 'ours' (default: %(default)s)")
    p.add_argument("--ours-set", nargs="+", default=[], metavar="FIELD=VALUE",
                   help="change ModelConfig fields of 'ours', values in JSON, e.g. beta=1e-6 batch_norm=false")
    p.add_argument("--ours-learning-rate", type=float, help="learning rate of 'ours' (default: --learning-rate)")
    p.add_argument("--tutorial-learning-rate", type=float,
                   help="learning rate of 'tutorial' (default: --learning-rate)")
    p.add_argument("--eval-songs", type=int, default=8, help="held-out songs measured (default: %(default)s)")
    p.add_argument("--eval-seconds", type=float, default=10.0,
                   help="seconds of each held-out song measured (default: %(default)s)")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations (default: %(default)s)")
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS), help="default: all")
    p.add_argument("--workers", type=int, default=None, help="preprocessing processes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    p.add_argument("--child", choices=MODELS, help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return p


def prepare(args) -> dict:
    """Write the dataset and the two stores (cached); return their paths."""
    from genmusic.config import GenmusicConfig
    from genmusic.data.synthetic import make_synthetic
    from genmusic.data.pipeline import PreprocessingPipeline

    work = args.work_dir
    tag = f"{args.songs_per_genre}x{args.song_seconds:g}s" + (f"-{'-'.join(args.genres)}" if args.genres else "")
    audio = make_synthetic(work / f"audio-{tag}", n_per_genre=args.songs_per_genre, duration=args.song_seconds,
                           genres=args.genres, seed=args.seed)
    stores = {}
    for name, spec in (("default", {}), ("tutorial", TUTORIAL_SPECTROGRAM)):
        out = work / f"store-{name}-{tag}"
        if not (out / "stats.json").is_file():
            t = time.perf_counter()
            PreprocessingPipeline(GenmusicConfig().replace(spectrogram=spec)).run(audio, out, workers=args.workers)
            print(f"preprocessed {name} spectrograms in {time.perf_counter() - t:.0f} s -> {out}", flush=True)
        stores[name] = str(out)
    return stores


def _overrides(items) -> dict:
    """``["beta=1e-6", "batch_norm=false"]`` -> ``{"beta": 1e-06, "batch_norm": False}`` (values read as JSON)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--ours-set takes FIELD=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def peak_memory_mb() -> float:
    """Peak resident memory of this process, in MiB (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def child(args) -> None:
    """Train (or fit) one model, measure it, write the figures to ``args.result``."""
    import keras

    from genmusic.analysis.evaluation import PCABaseline, evaluate_reconstruction
    from genmusic.models.modelio import compression_ratio
    from genmusic.models import get_preset
    from genmusic.data.store import SpectrogramStore
    from genmusic.models.training import TimeLimit, train

    stores = json.loads(os.environ["GENMUSIC_BENCH_STORES"])
    store = SpectrogramStore(stores["tutorial" if args.child == "tutorial" else "default"])
    if args.child == "tutorial":
        model_cfg, lr = get_preset("tutorial"), args.tutorial_learning_rate or args.learning_rate
    else:
        model_cfg = get_preset(args.ours_preset, **_overrides(args.ours_set))
        lr = args.ours_learning_rate or args.learning_rate
    config = store.config.replace(model=model_cfg, train={
        "epochs": 100000, "batch_size": args.batch_size, "learning_rate": lr, "patience": 0, "seed": args.seed})
    out = {"model": args.child, "input_shape": list(store.segment_shape),
           "compression_ratio": compression_ratio(config),
           "backend": keras.backend.backend(), "learning_rate": lr,
           "model_config": {k: v for k, v in config.to_dict()["model"].items()}}
    if args.child == "pca":
        t = time.perf_counter()
        model = PCABaseline(config.model.latent_dim, seed=args.seed).fit_store(store)
        seconds = time.perf_counter() - t
        n = min(len(store.segment_index("train")), model.max_fit_segments)
        out.update(train_seconds=seconds, samples_per_second=n / seconds,
                   audio_seconds_per_second=n * config.spectrogram.segment_samples / config.audio.sample_rate / seconds,
                   epochs=1, n_params=int(model.pca_.components_.size), parameters="components")
    else:
        folder = args.work_dir / "models" / args.child
        result = train(store, folder, config, overwrite=True, progress=False,
                       extra_callbacks=[TimeLimit(args.seconds)])
        model = result.model
        out.update(train_seconds=result.wall_seconds, samples_per_second=result.samples_per_second,
                   audio_seconds_per_second=result.audio_seconds_per_second, epochs=result.epochs_run,
                   best_val_loss=result.best_val_loss, n_params=int(model.count_params()))
    out["peak_memory_mb"] = peak_memory_mb()
    t = time.perf_counter()
    report = evaluate_reconstruction(model, store, split="test", max_songs=args.eval_songs,
                                     max_seconds=args.eval_seconds, n_iter=args.n_iter, seed=args.seed)
    out.update(mel_distance=report["mel_distance"], resynth_mel_distance=report["resynth_mel_distance"],
               mse=report["mse"], eval_songs=report["n_songs"], eval_seconds=time.perf_counter() - t)
    args.result.write_text(json.dumps(out, indent=2))


def run_child(args, name: str, stores: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        argv = [sys.executable, os.path.abspath(__file__), "--child", name, "--result", str(result)]
        for key in ("work_dir", "seconds", "batch_size", "learning_rate", "ours_preset", "ours_learning_rate",
                    "tutorial_learning_rate", "eval_songs", "eval_seconds", "n_iter", "seed"):
            value = getattr(args, key)
            if value is not None:
                argv += [f"--{key.replace('_', '-')}", str(value)]
        if args.ours_set:
            argv += ["--ours-set", *args.ours_set]
        env = dict(os.environ, GENMUSIC_BENCH_STORES=json.dumps(stores), TF_CPP_MIN_LOG_LEVEL="3")
        t = time.perf_counter()
        proc = subprocess.run(argv, env=env)
        if proc.returncode != 0 or not result.is_file():
            raise SystemExit(f"the {name} run failed (exit {proc.returncode})")
        out = json.loads(result.read_text())
        print(f"{name}: done in {time.perf_counter() - t:.0f} s", flush=True)
        return out


def _f(value, fmt: str = ".3g") -> str:
    return "-" if value is None else format(value, fmt)


def table(results: dict) -> str:
    names = [n for n in MODELS if n in results]
    rows = [
        ("input (freq x frames)", lambda r: "x".join(map(str, r["input_shape"]))),
        ("parameters", lambda r: f"{r['n_params']:,}"),
        ("epochs in the time limit", lambda r: _f(r.get("epochs"), "d")),
        ("segments / s (training)", lambda r: _f(r["samples_per_second"], ".1f")),
        ("audio seconds / s (training)", lambda r: _f(r["audio_seconds_per_second"], ".1f")),
        ("peak memory (MiB)", lambda r: _f(r["peak_memory_mb"], ".0f")),
        ("audio samples per latent float", lambda r: _f(r["compression_ratio"], ".0f")),
        ("best validation loss", lambda r: _f(r.get("best_val_loss"), ".4g")),
        ("spectrogram MSE (test)", lambda r: _f(r["mse"], ".4g")),
        ("mel distance after Griffin-Lim (test)", lambda r: _f(r["mel_distance"], ".4g")),
        ("resynth ceiling of its spectrograms", lambda r: _f(r["resynth_mel_distance"], ".4g")),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [" " * width + "".join(f"{n:>14}" for n in names)]
    for label, get in rows:
        lines.append(label.ljust(width) + "".join(f"{get(results[n]):>14}" for n in names))
    if "ours" in results and "tutorial" in results:
        ratio = results["ours"]["audio_seconds_per_second"] / results["tutorial"]["audio_seconds_per_second"]
        lines.append(f"\nours / tutorial training throughput per audio second: {ratio:.1f}x")
    if "ours" in results and "pca" in results:
        diff = results["ours"]["mel_distance"] - results["pca"]["mel_distance"]
        lines.append(f"mel distance ours - PCA: {diff:+.4f} "
                     f"(negative: ours rebuilds held-out music better)")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = get_parser().parse_args(argv)
    if args.child:
        child(args)
        return 0
    args.work_dir.mkdir(parents=True, exist_ok=True)
    stores = prepare(args)
    results = {}
    for name in args.models:
        print(f"--- {name}: {'training for %g s' % args.seconds if name != 'pca' else 'fitting PCA'}", flush=True)
        results[name] = run_child(args, name, stores)
    text = table(results)
    print("\n" + text)
    for name in ("ours", "tutorial"):
        if name in results:
            m = results[name]["model_config"]
            print(f"{name}: {m['kind']}, filters {m['conv_filters']}, strides {m['conv_strides']}, {m['bottleneck']} "
                  f"bottleneck, latent_dim {m['latent_dim']}, batch_norm {m['batch_norm']}, beta {m['beta']:g}, "
                  f"learning rate {results[name]['learning_rate']:g}, batch {args.batch_size}")
    print(f"\n{os.cpu_count()} CPU core(s); timings depend on the machine and its load.")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
