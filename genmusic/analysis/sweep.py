"""The latent-size study: how the latent size trades compression for sound.

:func:`sweep_latent_sizes` trains one model per latent size, measures each
(:func:`~genmusic.analysis.evaluation.evaluate_reconstruction`: mel distance after Griffin-Lim, and PCA
with the same floats when asked) and tabulates them in ``sweep.csv`` / ``sweep.md``. With the ``"conv"``
bottleneck the latent keeps the time axis: ``latent_dim`` must be a multiple of the time steps of the
encoder's last feature map; a size that is not is moved to the nearest multiple (:func:`latent_sizes`).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from .._checks import LIMITS, check_integer, check_number, require
from .._io import atomic_write_text
from ..config import GenmusicConfig
from ..data.store import SpectrogramStore
from .evaluation import PCABaseline, evaluate_reconstruction

__all__ = ["LatentSize", "latent_time_steps", "latent_sizes", "sweep_latent_sizes", "write_sweep_tables",
           "SWEEP_COLUMNS"]

logger = logging.getLogger("genmusic")

#: Columns of ``sweep.csv``.
SWEEP_COLUMNS = ("latent_dim", "latent_layout", "compression_ratio", "best_val_loss", "mel_distance",
                 "resynth_mel_distance", "mse", "pca_mel_distance", "epochs_run", "train_seconds", "model_dir")


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


def latent_sizes(base_latent_dim: int, factors: Sequence[float], steps: int = 1) -> Tuple[List[LatentSize],
                                                                                          List[str]]:
    """The latent sizes of a sweep, each a multiple of ``steps``, without repeats.

    ``round(base_latent_dim * factor)`` is moved to the nearest multiple of ``steps`` (at least ``steps``)
    when it is not one; a size that comes out equal to an earlier one is dropped.

    Returns
    -------
    sizes : list of LatentSize
    notes : list of str
        One line per size moved or dropped, and why.

    Examples
    --------
    >>> [s.latent_dim for s in latent_sizes(128, [0.25, 0.5, 1, 2], steps=8)[0]]
    [32, 64, 128, 256]
    """
    base = check_integer(base_latent_dim, "base_latent_dim", minimum=1, limit="latent_dim")
    bound, why = LIMITS["sweep_sizes"]
    require(0 < len(factors) <= bound, f"factors must list 1 to {bound} factors, got {len(factors)}; {bound} is "
                                       f"genmusic's bound on {why}")
    sizes: List[LatentSize] = []
    notes: List[str] = []
    seen = set()
    for factor in factors:
        check_number(factor, "factors", minimum=0, exclusive_minimum=True, limit="latent_factor",
                     what=f"numbers > 0 and <= {LIMITS['latent_factor'][0]:g}")
        wanted = max(1, int(round(base * factor)))
        size = max(steps, int(round(wanted / steps)) * steps)
        note = ""
        if size != wanted:
            note = (f"latent_dim {wanted} (x{factor:g}) is not a multiple of the {steps} latent time steps of the conv "
                    f"bottleneck: using {size}")
        if size in seen:
            notes.append(f"skipping x{factor:g}: {note or f'latent_dim {size}'} was already trained in this sweep")
            continue
        if note:
            notes.append(note)
        seen.add(size)
        sizes.append(LatentSize(float(factor), size, steps, note))
    return sizes, notes


def _fmt(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def write_sweep_tables(rows: List[dict], output: Path, *, title: str) -> Tuple[Path, Path]:
    """Write ``sweep.csv`` and ``sweep.md`` (atomically)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SWEEP_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in SWEEP_COLUMNS})
    csv_path = atomic_write_text(output / "sweep.csv", buf.getvalue())
    heads = ("latent floats / segment", "layout (steps x channels)", "audio samples per latent float",
             "best val loss", "mel distance", "resynth ceiling", "spectrogram MSE", "PCA mel distance", "epochs")
    keys = SWEEP_COLUMNS[:9]
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


def _train_or_reuse(store, folder: Path, config: GenmusicConfig, *, overwrite: bool, progress: bool,
                    report: Callable[[str], None]):
    """Train a size, resume it, or reuse a finished model; returns (model, meta, seconds)."""
    from ..models.modelio import CHECKPOINT_DIR, META_FILE, MODEL_FILE, STATE_FILE, load_bundle, read_model_metadata
    from ..models.training import train

    if not overwrite and (folder / META_FILE).is_file():
        meta = read_model_metadata(folder)
        same = GenmusicConfig.from_dict(meta["config"]).model == config.model
        if same and meta.get("status") == "finished" and (folder / MODEL_FILE).is_file():
            report(f"reusing the finished model in {folder}")
            bundle = load_bundle(folder)
            return bundle.model, bundle.meta, float(meta.get("wall_seconds") or 0.0)
        if same and (folder / CHECKPOINT_DIR / STATE_FILE).is_file():
            report(f"resuming the unfinished model in {folder}")
            result = train(store, folder, config, resume=True, progress=progress)
            return result.model, read_model_metadata(folder), result.wall_seconds
    result = train(store, folder, config, overwrite=overwrite, progress=progress)
    return result.model, read_model_metadata(folder), result.wall_seconds


def sweep_latent_sizes(store: SpectrogramStore, output: str | os.PathLike, config: GenmusicConfig, *,
                       base_latent_dim: int = 128, factors: Sequence[float] = (0.25, 0.5, 1.0, 2.0),
                       eval_split: str = "validation", eval_songs: int = 4, eval_seconds: Optional[float] = 10.0,
                       n_iter: int = 32, pca: bool = False, overwrite: bool = False, progress: bool = True,
                       report: Optional[Callable[[str], None]] = None) -> List[dict]:
    """The latent-size study: train one model per latent size, measure each, tabulate.

    One model per size (``base_latent_dim`` times each of ``factors``, see :func:`latent_sizes`) is trained
    into ``output/latent_<n>/`` with ``config``, measured on a few songs of ``eval_split``
    (:func:`evaluate_reconstruction`: mel distance after Griffin-Lim) and tabulated in ``output/sweep.csv``
    and ``output/sweep.md``, rewritten after every size so an interrupted sweep still leaves its table. A
    size whose model is already finished in its folder is reused and one with a checkpoint is resumed, so
    running the same sweep again completes an interrupted one.

    Parameters
    ----------
    store : SpectrogramStore
    output : path-like
    config : GenmusicConfig
        Model and training settings; ``model.latent_dim`` is replaced by each size.
    base_latent_dim : int
    factors : sequence of float > 0
    eval_split : {"validation", "test"}
        Songs the mel distance is measured on (the other split when this one is empty).
    eval_songs : int
        Songs per evaluation.
    eval_seconds : float or None
        Seconds of each song evaluated (None: whole songs).
    n_iter : int
        Griffin-Lim iterations.
    pca : bool
        Also measure PCA with the same number of floats per segment.
    overwrite : bool
        Retrain sizes whose folder already holds a model.
    progress : bool
        Keras' progress bar while training.
    report : callable str -> None, optional
        Where progress lines go (default: the ``genmusic`` logger at INFO).

    Returns
    -------
    list of dict
        The table rows (see :data:`SWEEP_COLUMNS`).
    """
    from ..models.modelio import compression_ratio

    report = report or logger.info
    output = Path(output)
    check_integer(eval_songs, "eval_songs", minimum=1, limit="max_eval_songs", allow_none=True)
    check_number(eval_seconds, "eval_seconds", minimum=0, exclusive_minimum=True, limit="seconds", allow_none=True)
    check_integer(n_iter, "n_iter", minimum=0, limit="n_iter")
    sizes, notes = latent_sizes(base_latent_dim, factors, latent_time_steps(config))
    for note in notes:
        report(note)
    output.mkdir(parents=True, exist_ok=True)
    split = eval_split if store.songs_in(eval_split) else ("test" if eval_split == "validation" else "validation")
    if split != eval_split:
        report(f"the store has no {eval_split} songs: evaluating on the {split} split")
    rows: List[dict] = []
    title = (f"Latent-size sweep: {config.model.kind}, {store.path}, input {tuple(store.segment_shape)}, "
             f"evaluated on {eval_songs} {split} song(s)")
    for size in sizes:
        cfg = config.replace(model={"latent_dim": size.latent_dim})
        folder = output / f"latent_{size.latent_dim}"
        report(f"--- latent_dim {size.latent_dim} ({size.layout}), compression {compression_ratio(cfg):.1f} samples "
              f"per float -> {folder}")
        start = time.perf_counter()
        model, meta, seconds = _train_or_reuse(store, folder, cfg, overwrite=overwrite, progress=progress,
                                               report=report)
        measured = evaluate_reconstruction(model, store, split=split, max_songs=eval_songs, max_seconds=eval_seconds,
                                         n_iter=n_iter, seed=cfg.train.seed)
        row = {"latent_dim": size.latent_dim, "latent_layout": size.layout,
               "compression_ratio": compression_ratio(cfg), "best_val_loss": meta.get("best_val_loss"),
               "mel_distance": measured["mel_distance"],
               "resynth_mel_distance": measured["resynth_mel_distance"], "mse": measured["mse"], "epochs_run": meta.get("epochs_run"), "train_seconds": round(seconds, 1),
               "model_dir": str(folder), "note": size.note}
        if pca:
            baseline = PCABaseline(size.latent_dim, seed=cfg.train.seed).fit_store(store)
            row["pca_mel_distance"] = evaluate_reconstruction(
                baseline, store, split=split, max_songs=eval_songs, max_seconds=eval_seconds, n_iter=n_iter,
                seed=cfg.train.seed)["mel_distance"]
        rows.append(row)
        write_sweep_tables(rows, output, title=title)
        report(f"latent_dim {size.latent_dim}: best val loss {_fmt(row['best_val_loss'])}, mel distance "
              f"{_fmt(row['mel_distance'])} (ceiling {_fmt(row['resynth_mel_distance'])})"
              + (f", PCA {_fmt(row['pca_mel_distance'])}" if pca else "")
              + f" [{time.perf_counter() - start:.0f} s]")
    return rows
