"""``python scripts/sweep_latent.py``: how the latent size trades compression for sound.

Trains one model per latent size (``--base-latent-dim`` times each of ``--factors``) into
``OUTPUT/latent_<n>/``, measures each one on a few held-out songs (:func:`genmusic.evaluation.evaluate_reconstruction`:
mel distance after Griffin-Lim) and writes ``OUTPUT/sweep.csv`` and ``OUTPUT/sweep.md`` (rewritten after
every size, so an interrupted sweep still leaves its table). A size whose model is already finished in
its folder is reused and one with a checkpoint is resumed, so running the same command again completes
an interrupted sweep.

With the ``"conv"`` bottleneck the latent keeps the time axis: ``latent_dim`` must be a multiple of the
time steps of the encoder's last feature map; a size that is not is moved to the nearest multiple, and
the log says so.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..config import GenmusicConfig
from ..errors import ParameterError
from . import run_main, setup_logging
from .train import add_training_arguments, config_from_args

COLUMNS = ("latent_dim", "latent_layout", "compression_ratio", "best_val_loss", "mel_distance",
           "resynth_mel_distance", "mse", "pca_mel_distance", "epochs_run", "train_seconds", "model_dir")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sweep_latent",
        description="Train one model per latent size and tabulate compression ratio, validation loss and the mel "
                    "distance of the rebuilt audio after Griffin-Lim (sweep.csv, sweep.md).")
    add_training_arguments(p)
    p.add_argument("--output", type=Path, required=True, help="folder for the models and the tables")
    p.add_argument("--kind", choices=("vae", "autoencoder"), default="vae", help="default: %(default)s")
    p.add_argument("--base-latent-dim", type=int, default=128, help="default: %(default)s")
    p.add_argument("--factors", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0],
                   help="latent sizes as multiples of --base-latent-dim (default: %(default)s)")
    p.add_argument("--eval-split", choices=("validation", "test"), default="validation",
                   help="songs the mel distance is measured on (default: %(default)s; the other one when it is empty)")
    p.add_argument("--eval-songs", type=int, default=4, help="songs per evaluation (default: %(default)s)")
    p.add_argument("--eval-seconds", type=float, default=10.0,
                   help="seconds of each song evaluated (default: %(default)s)")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations (default: %(default)s)")
    p.add_argument("--pca", action="store_true", help="also measure PCA with the same number of floats per segment")
    p.add_argument("--overwrite", action="store_true", help="retrain sizes whose folder already holds a model")
    return p


@dataclass(frozen=True)
class LatentSize:
    """One size of the sweep: the factor asked for, the size used, and why it differs (if it does)."""

    factor: float
    latent_dim: int
    steps: int
    note: str = ""

    @property
    def layout(self) -> str:
        """``"<time steps>x<channels>"`` for the conv bottleneck, ``"<n>"`` for the dense one."""
        return f"{self.steps}x{self.latent_dim // self.steps}" if self.steps > 1 else str(self.latent_dim)


def latent_time_steps(config: GenmusicConfig) -> int:
    """Time steps the latent keeps: those of the encoder's last feature map (``"conv"``), else 1."""
    from ..models import plan_architecture

    m = config.model
    if m.bottleneck != "conv":
        return 1
    plan = plan_architecture(config.spectrogram.segment_shape, m.conv_filters, m.conv_strides, 1, "dense")
    return plan.feature_shapes[-1][1]


def latent_sizes(base: int, factors: Sequence[float], steps: int = 1) -> List[LatentSize]:
    """The latent sizes of a sweep, each a multiple of ``steps``, without repeats.

    ``round(base * factor)`` is moved to the nearest multiple of ``steps`` (at least ``steps``) when it is
    not one; a size that comes out equal to an earlier one is dropped, with a note.

    Examples
    --------
    >>> [s.latent_dim for s in latent_sizes(128, [0.25, 0.5, 1, 2], steps=8)]
    [32, 64, 128, 256]
    """
    if int(base) < 1:
        raise ParameterError(f"--base-latent-dim must be >= 1, got {base!r}")
    if not factors:
        raise ParameterError("--factors needs at least one factor")
    sizes: List[LatentSize] = []
    seen = set()
    for factor in factors:
        if not factor > 0:
            raise ParameterError(f"--factors must be > 0, got {factor!r}")
        wanted = max(1, int(round(base * factor)))
        size = max(steps, int(round(wanted / steps)) * steps)
        note = ""
        if size != wanted:
            note = (f"latent_dim {wanted} (x{factor:g}) is not a multiple of the {steps} latent time steps of the conv "
                    f"bottleneck: using {size}")
        if size in seen:
            print(f"skipping x{factor:g}: {note or f'latent_dim {size}'} was already trained in this sweep")
            continue
        if note:
            print(note)
        seen.add(size)
        sizes.append(LatentSize(float(factor), size, steps, note))
    return sizes


def _fmt(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def write_tables(rows: List[dict], output: Path, *, title: str) -> Tuple[Path, Path]:
    """Write ``sweep.csv`` and ``sweep.md`` (atomically)."""
    from .._io import atomic_write_text

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in COLUMNS})
    csv_path = atomic_write_text(output / "sweep.csv", buf.getvalue())
    heads = ("latent floats / segment", "layout (steps x channels)", "audio samples per latent float",
             "best val loss", "mel distance", "resynth ceiling", "spectrogram MSE", "PCA mel distance", "epochs")
    keys = COLUMNS[:9]
    lines = [f"# {title}", "", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(k)) for k in keys) + " |")
    lines += ["", "Mel distance: multi-resolution log-mel L1 between the original audio and the model's "
                  "reconstruction made audible with Griffin-Lim (lower is better). The resynth ceiling is the "
                  "stored spectrogram itself through the same Griffin-Lim: no model can do better.", ""]
    notes = [row["note"] for row in rows if row.get("note")]
    if notes:
        lines += ["Notes:", ""] + [f"* {n}" for n in notes] + [""]
    md_path = atomic_write_text(output / "sweep.md", "\n".join(lines))
    return csv_path, md_path


def _train_or_reuse(store, folder: Path, config: GenmusicConfig, *, overwrite: bool, progress: bool):
    """Train a size, resume it, or reuse a finished model; returns (model, meta, seconds)."""
    from ..modelio import CHECKPOINT_DIR, META_FILE, MODEL_FILE, STATE_FILE, load_bundle, read_model_metadata
    from ..training import train

    if not overwrite and (folder / META_FILE).is_file():
        meta = read_model_metadata(folder)
        same = GenmusicConfig.from_dict(meta["config"]).model == config.model
        if same and meta.get("status") == "finished" and (folder / MODEL_FILE).is_file():
            print(f"reusing the finished model in {folder}")
            bundle = load_bundle(folder)
            return bundle.model, bundle.meta, float(meta.get("wall_seconds") or 0.0)
        if same and (folder / CHECKPOINT_DIR / STATE_FILE).is_file():
            print(f"resuming the unfinished model in {folder}")
            result = train(store, folder, config, resume=True, progress=progress)
            return result.model, read_model_metadata(folder), result.wall_seconds
    result = train(store, folder, config, overwrite=overwrite, progress=progress)
    return result.model, read_model_metadata(folder), result.wall_seconds


def run_sweep(store, output: Path, config: GenmusicConfig, sizes: Sequence[LatentSize], *, eval_split: str,
              eval_songs: int, eval_seconds: Optional[float], n_iter: int, pca: bool = False,
              overwrite: bool = False, progress: bool = True) -> List[dict]:
    """Train, evaluate and tabulate every size; returns the table rows."""
    from ..evaluation import PCABaseline, evaluate_reconstruction
    from ..modelio import compression_ratio

    output.mkdir(parents=True, exist_ok=True)
    split = eval_split if store.songs_in(eval_split) else ("test" if eval_split == "validation" else "validation")
    if split != eval_split:
        print(f"the store has no {eval_split} songs: evaluating on the {split} split")
    rows: List[dict] = []
    title = (f"Latent-size sweep: {config.model.kind}, {store.path}, input {tuple(store.segment_shape)}, "
             f"evaluated on {eval_songs} {split} song(s)")
    for size in sizes:
        cfg = config.replace(model={"latent_dim": size.latent_dim})
        folder = output / f"latent_{size.latent_dim}"
        print(f"--- latent_dim {size.latent_dim} ({size.layout}), compression {compression_ratio(cfg):.1f} samples "
              f"per float -> {folder}")
        start = time.perf_counter()
        model, meta, seconds = _train_or_reuse(store, folder, cfg, overwrite=overwrite, progress=progress)
        report = evaluate_reconstruction(model, store, split=split, max_songs=eval_songs, max_seconds=eval_seconds,
                                         n_iter=n_iter, seed=cfg.train.seed)
        row = {"latent_dim": size.latent_dim, "latent_layout": size.layout,
               "compression_ratio": compression_ratio(cfg), "best_val_loss": meta.get("best_val_loss"),
               "mel_distance": report["mel_distance"], "resynth_mel_distance": report["resynth_mel_distance"],
               "mse": report["mse"], "epochs_run": meta.get("epochs_run"), "train_seconds": round(seconds, 1),
               "model_dir": str(folder), "note": size.note}
        if pca:
            baseline = PCABaseline(size.latent_dim, seed=cfg.train.seed).fit_store(store)
            row["pca_mel_distance"] = evaluate_reconstruction(
                baseline, store, split=split, max_songs=eval_songs, max_seconds=eval_seconds, n_iter=n_iter,
                seed=cfg.train.seed)["mel_distance"]
        rows.append(row)
        write_tables(rows, output, title=title)
        print(f"latent_dim {size.latent_dim}: best val loss {_fmt(row['best_val_loss'])}, mel distance "
              f"{_fmt(row['mel_distance'])} (ceiling {_fmt(row['resynth_mel_distance'])})"
              + (f", PCA {_fmt(row['pca_mel_distance'])}" if pca else "")
              + f" [{time.perf_counter() - start:.0f} s]")
    return rows


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    setup_logging(args.verbose)

    def body() -> int:
        from ..store import SpectrogramStore

        store = SpectrogramStore(args.spectrograms)
        config = config_from_args(args, store, kind=args.kind)
        sizes = latent_sizes(args.base_latent_dim, args.factors, latent_time_steps(config))
        rows = run_sweep(store, args.output, config, sizes, eval_split=args.eval_split, eval_songs=args.eval_songs,
                         eval_seconds=args.eval_seconds, n_iter=args.n_iter, pca=args.pca, overwrite=args.overwrite,
                         progress=not args.no_progress)
        print(f"{len(rows)} latent size(s): tables in {args.output / 'sweep.csv'} and {args.output / 'sweep.md'}")
        return 0

    return run_main(body)


if __name__ == "__main__":
    raise SystemExit(main())
