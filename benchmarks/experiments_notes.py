#!/usr/bin/env python
"""Research runner for issue 16 ("keep the notes"): one model variant trained and judged on unseen real songs.

Every experiment uses the same store (a real-music corpus preprocessed once with genmusic's pipeline and
``bench_quality.py``'s seeded song split: 10 % validation, 20 % test, seed 0), trains with genmusic's own
:func:`~genmusic.models.training.train` and the given :class:`~genmusic.config.ModelConfig` /
:class:`~genmusic.config.TrainConfig` overrides, then rebuilds every test song whole through
:func:`genmusic.analysis.evaluation.evaluate_reconstruction` (Griffin-Lim, 32 iterations, the library defaults) and
measures, per song and overall:

* mel distance (:func:`genmusic.metrics.mel_distance`, lower is better);
* chroma similarity (frame-wise cosine of CQT chroma, original vs rebuilt; higher is better);
* LSD above 1 kHz (log-spectral distance over the bins >= 1 kHz of a 4096-point STFT, dB; lower is better);
* the genre probe of the song vectors (mean + std of segment latents, 5 seeds) against mean + std MFCCs.

It records the epochs, the best validation loss, CPU seconds (``resource.getrusage``: both cores count) and
wall seconds per epoch, writes ``<root>/<name>/results.json``, a PNG of one tonal test song (original vs
rebuilt: are the harmonic lines there?) and the rebuilt test songs as WAVs (``wavs/``) for the tagger.

    python benchmarks/experiments_notes.py prepare                    # the store, once
    python benchmarks/experiments_notes.py resynth                    # the ceiling, once
    python benchmarks/experiments_notes.py pca --latent-dim 128       # PCA, once per latent size
    python benchmarks/experiments_notes.py train NAME --epochs 40 --model '{"mel_bands": 128}'
    python benchmarks/experiments_notes.py eval NAME                  # re-measure a trained model

Run one experiment at a time, under ``nice``; compare variants at equal epochs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

CORPUS = Path("/work/realmusic")
ROOT = Path("/work/exp")
PNG_SONG = "colobot.00002"   # the most tonal test song (lowest spectral flatness, peakiest chroma)
LSD_MIN_HZ = 1000.0
LSD_FFT = 4096


# --------------------------------------------------------------------------------------------------
# Metrics: chroma similarity is genmusic.metrics'; the LSD above 1 kHz is this runner's own

def chroma_similarity(original, rebuilt, sr):
    """Frame-wise cosine of CQT chroma: :func:`genmusic.metrics.chroma_similarity`."""
    from genmusic.metrics import chroma_similarity as library_version

    return float(library_version(original, rebuilt, sr))


def lsd_above(original, rebuilt, sr, *, min_hz=LSD_MIN_HZ, n_fft=LSD_FFT):
    """Log-spectral distance (dB) over the bins >= ``min_hz`` of an ``n_fft``-point STFT (hop n_fft / 4):
    :func:`genmusic.metrics.log_spectral_distance`."""
    from genmusic.metrics import log_spectral_distance

    n = min(len(original), len(rebuilt))
    return log_spectral_distance(original[:n], rebuilt[:n], sr=sr, n_fft=n_fft, fmin=min_hz)


# --------------------------------------------------------------------------------------------------

def _store():
    from genmusic.data.store import SpectrogramStore

    return SpectrogramStore(ROOT / "store")


def prepare(args) -> None:
    from genmusic.config import GenmusicConfig, SplitConfig
    from genmusic.data.pipeline import PreprocessingPipeline

    config = GenmusicConfig(split=SplitConfig(validation_fraction=0.1, test_fraction=0.2, seed=0))
    root = CORPUS / "genres_original" if (CORPUS / "genres_original").is_dir() else CORPUS
    PreprocessingPipeline(config).run(root, ROOT / "store", workers=2)
    store = _store()
    print({s: len(store.songs_in(s)) for s in ("train", "validation", "test")})


class EpochClock:
    """Keras callback factory: CPU seconds (all threads of this process) and wall seconds of every epoch."""

    def __init__(self, snapshot_epochs=()):
        import keras

        outer = self
        self.rows = []
        self.snapshot_epochs = set(snapshot_epochs)
        self.snapshots = {}      # epoch -> best-on-validation weights so far
        self.best = (float("inf"), None)

        def cpu():
            r = resource.getrusage(resource.RUSAGE_SELF)
            return r.ru_utime + r.ru_stime

        class _Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer._t = (cpu(), time.perf_counter(), os.getloadavg()[0])

            def on_epoch_end(self, epoch, logs=None):
                c0, w0, l0 = outer._t
                logs = logs or {}
                outer.rows.append({"epoch": epoch + 1, "cpu_s": cpu() - c0, "wall_s": time.perf_counter() - w0,
                                   "load": (l0 + os.getloadavg()[0]) / 2,
                                   **{k: float(v) for k, v in logs.items() if np.isscalar(v)}})
                r = outer.rows[-1]
                val = r.get("val_loss", float("nan"))
                if np.isfinite(val) and val < outer.best[0]:
                    outer.best = (val, [w.copy() for w in self.model.get_weights()])
                if epoch + 1 in outer.snapshot_epochs:
                    outer.snapshots[epoch + 1] = outer.best[1]
                print(f"epoch {r['epoch']}: loss {r.get('loss', float('nan')):.4f} val {r.get('val_loss', float('nan')):.4f} "
                      f"cpu {r['cpu_s']:.0f}s wall {r['wall_s']:.0f}s load {r['load']:.1f}", flush=True)

        self.callback = _Callback()


def _save_png(name, original, rebuilt, sr, path: Path, seconds=12.0):
    """Original vs rebuilt of one song: linear-frequency dB spectrogram up to 4 kHz (harmonic lines)."""
    import librosa
    from genmusic.analysis.plotting import pyplot, save_figure

    plt = pyplot()
    n = int(seconds * sr)
    panels = [("original", original[:n])] + [(k, v[:n]) for k, v in rebuilt.items()]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.6 * len(panels)), sharex=True)
    for ax, (label, y) in zip(np.atleast_1d(axes), panels):
        s = librosa.amplitude_to_db(np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=2048, hop_length=256)),
                                    ref=1.0, top_db=None)
        f = librosa.fft_frequencies(sr=sr, n_fft=2048)
        keep = f <= 4000
        ax.imshow(np.maximum(s[keep], s[keep].max() - 80), origin="lower", aspect="auto", cmap="magma",
                  extent=[0, len(y) / sr, 0, f[keep][-1]])
        ax.set_ylabel("Hz")
        ax.set_title(f"{name}: {label}", fontsize=9)
    np.atleast_1d(axes)[-1].set_xlabel("seconds")
    fig.tight_layout()
    save_figure(fig, path)


def evaluate(rebuilder, name: str, *, ceiling=False, save_wavs=True, png_extra=None) -> dict:
    """Rebuild every test song, measure it, save the WAVs and the PNG; returns the metrics."""
    import soundfile as sf
    from genmusic.analysis.evaluation import evaluate_reconstruction

    store = _store()
    sr = store.config.audio.sample_rate
    out = ROOT / name
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    extra = {}
    png = {}

    def on_song(record, audio):
        original = audio["original"]
        rebuilt = audio["model"] if rebuilder is not None else audio["resynth"]
        extra[record.song_id] = {"chroma": chroma_similarity(original, rebuilt, sr),
                                 "lsd_1k": lsd_above(original, rebuilt, sr)}
        if save_wavs:
            sf.write(out / "wavs" / f"{record.song_id}.wav", rebuilt.astype(np.float32), sr, subtype="FLOAT")
        if record.song_id == PNG_SONG:
            png["original"], png["rebuilt"] = original, rebuilt

    t = time.perf_counter()
    ev = evaluate_reconstruction(rebuilder, store, split="test", max_songs=None, n_iter=32, seed=0,
                                 ceiling=ceiling, on_song=on_song)
    per_song = {k: {"genre": v["genre"], "mel": v["resynth_mel_distance"] if rebuilder is None else v["mel_distance"],
                    "mse": v.get("mse"), **extra[k]} for k, v in ev["per_song"].items()}
    res = {"mel": float(np.mean([r["mel"] for r in per_song.values()])),
           "chroma": float(np.mean([r["chroma"] for r in per_song.values()])),
           "lsd_1k": float(np.mean([r["lsd_1k"] for r in per_song.values()])),
           "mse": ev["mse"], "n_songs": len(per_song), "eval_seconds": time.perf_counter() - t, "per_song": per_song}
    if png:
        _save_png(PNG_SONG, png["original"], {name: png["rebuilt"], **(png_extra or {})}, sr, out / f"{PNG_SONG}.png")
        np.save(out / "png_song.npy", png["rebuilt"].astype(np.float32))
    print(f"{name}: mel {res['mel']:.4f} chroma {res['chroma']:.4f} lsd>1k {res['lsd_1k']:.2f} "
          f"(eval {res['eval_seconds']:.0f} s)", flush=True)
    return res


def probe(model, seeds=(0, 1, 2, 3, 4)) -> dict:
    """Genre probe of the song vectors (bench_quality's protocol), MFCC baseline cached."""
    from genmusic.analysis.latents import encode_store, pool_segments
    from genmusic.analysis.probes import cross_validate_songs, mfcc_features

    store = _store()
    y = np.array([r.genre for r in store.songs])
    latents = encode_store(model, store, pooling="mean_std")
    cache = ROOT / "mfcc_features.npy"
    if not cache.exists():
        np.save(cache, mfcc_features(store))
    features = {"latent mean+std": latents.song_latents,
                "latent mean": pool_segments(latents.segment_latents, latents.segment_song, latents.n_songs,
                                             pooling="mean"),
                "MFCC mean+std (20)": np.load(cache)}
    out = {}
    for key, X in features.items():
        accs = [cross_validate_songs(X, y, seed=s)["accuracy"] for s in seeds]
        out[key] = {"accuracy": float(np.mean(accs)), "std_over_seeds": float(np.std(accs)), "dims": int(X.shape[1])}
    print("probe: " + ", ".join(f"{k} {v['accuracy']:.3f}" for k, v in out.items()), flush=True)
    return out


def _log(name: str, res: dict, settings: str, notes: str = "") -> None:
    tr = res.get("training", {})
    line = (f"| {name} | {settings} | {tr.get('epochs', '')} | {tr.get('cpu_s', 0):.0f} | {res['mel']:.4f} | "
            f"{res['chroma']:.4f} | {res['lsd_1k']:.2f} | "
            f"{res.get('probe', {}).get('latent mean+std', {}).get('accuracy', float('nan')):.3f} | {notes} |\n")
    with open(ROOT / "LOG.md", "a") as f:
        f.write(line)


def run_train(args) -> None:
    import dataclasses
    from genmusic.config import GenmusicConfig, SplitConfig
    from genmusic.models import get_preset
    from genmusic.models.training import train

    store = _store()
    overrides = json.loads(args.model or "{}")
    model_cfg = get_preset(args.preset, **overrides)
    config = GenmusicConfig(split=SplitConfig(validation_fraction=0.1, test_fraction=0.2, seed=0), model=model_cfg)
    train_over = {"seed": 0, **json.loads(args.train or "{}")}
    if args.epochs:
        train_over["epochs"] = args.epochs
    config = config.replace(train=train_over)
    out = ROOT / args.name
    out.mkdir(parents=True, exist_ok=True)
    clock = EpochClock(args.snapshot or ())
    extra = [clock.callback]
    if args.minutes:
        from genmusic.callbacks import TimeLimit

        extra.append(TimeLimit(60 * args.minutes))
    t0 = time.perf_counter()
    result = train(store, out / "model", config, overwrite=True, progress=None, extra_callbacks=extra)
    wall = time.perf_counter() - t0
    rows = clock.rows
    best_epoch = int(np.nanargmin([r.get("val_loss", np.nan) for r in rows])) + 1 if rows else 0
    training = {"epochs": result.epochs_run, "best_epoch": best_epoch, "best_val_loss": result.best_val_loss,
                "cpu_s": float(sum(r["cpu_s"] for r in rows)), "wall_s": wall,
                "cpu_s_per_epoch": float(np.median([r["cpu_s"] for r in rows[1:]] or [np.nan])),
                "mean_load": float(np.mean([r["load"] for r in rows])) if rows else None,
                "samples_per_second": result.samples_per_second, "train_segments": result.train_segments,
                "params": int(result.model.count_params()), "per_epoch": rows}
    (out / "config.json").write_text(config.to_json())
    res = {"name": args.name, "model": dataclasses.asdict(model_cfg), "train": dataclasses.asdict(config.train),
           "training": training}
    final = [w.copy() for w in result.model.get_weights()]
    for epoch, weights in sorted(clock.snapshots.items()):
        if weights is None or epoch >= result.epochs_run:
            continue
        # What a run stopped at this epoch would have given (best-on-validation weights so far).
        result.model.set_weights(weights)
        snap = {"training": {**training, "epochs": epoch,
                             "cpu_s": float(sum(r["cpu_s"] for r in rows[:epoch]))}}
        snap.update(evaluate(result.model, f"{args.name}@{epoch}", save_wavs=False))
        res[f"at_epoch_{epoch}"] = snap
        _log(f"{args.name}@{epoch}", snap, args.note or f"{args.preset} {overrides} {train_over}")
    result.model.set_weights(final)
    res.update(evaluate(result.model, args.name))
    if not args.no_probe:
        res["probe"] = probe(result.model)
    (out / "results.json").write_text(json.dumps(res, indent=1))
    _log(args.name, res, args.note or f"{args.preset} {overrides} {train_over}")


def run_eval(args) -> None:
    import keras
    from genmusic import models  # noqa: F401

    model = keras.saving.load_model(ROOT / args.name / "model" / "model.keras", compile=False)
    path = ROOT / args.name / "results.json"
    res = json.loads(path.read_text()) if path.exists() else {"name": args.name}
    res.update(evaluate(model, args.name))
    if not args.no_probe:
        res["probe"] = probe(model)
    path.write_text(json.dumps(res, indent=1))


def run_pca(args) -> None:
    from genmusic.analysis.evaluation import PCABaseline

    name = f"pca{args.latent_dim}"
    pca = PCABaseline(args.latent_dim, seed=0).fit_store(_store(), "train")
    res = {"name": name, **evaluate(pca, name)}
    res["probe"] = probe(pca)
    (ROOT / name / "results.json").write_text(json.dumps(res, indent=1))
    _log(name, res, f"PCA {args.latent_dim} floats/segment")


def run_resynth(args) -> None:
    res = {"name": "resynth", **evaluate(None, "resynth", ceiling=True)}
    (ROOT / "resynth" / "results.json").write_text(json.dumps(res, indent=1))
    _log("resynth", res, "no model: the ceiling")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="experiments_notes", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("prepare")
    sub.add_parser("resynth")
    pp = sub.add_parser("pca")
    pp.add_argument("--latent-dim", type=int, default=128)
    t = sub.add_parser("train")
    t.add_argument("name")
    t.add_argument("--preset", default="default")
    t.add_argument("--model", help="JSON object of ModelConfig overrides")
    t.add_argument("--train", help="JSON object of TrainConfig overrides")
    t.add_argument("--epochs", type=int)
    t.add_argument("--minutes", type=float, help="wall-time limit of fit")
    t.add_argument("--note", help="settings column of LOG.md")
    t.add_argument("--snapshot", type=int, nargs="*", help="also measure the best weights up to these epochs")
    t.add_argument("--no-probe", action="store_true")
    e = sub.add_parser("eval")
    e.add_argument("name")
    e.add_argument("--no-probe", action="store_true")
    return p


def main(argv=None) -> int:
    args = get_parser().parse_args(argv)
    {"prepare": prepare, "resynth": run_resynth, "pca": run_pca, "train": run_train, "eval": run_eval}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
