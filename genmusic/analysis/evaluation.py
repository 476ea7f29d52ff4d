"""How well a model rebuilds held-out music: spectrogram error and the mel distance of what you hear.

* :func:`evaluate_reconstruction` -- for a few songs of a split: the model's reconstruction made audible
  with Griffin-Lim and compared with the original audio (:func:`genmusic.metrics.mel_distance`), beside
  the *resynthesis ceiling*: the stored spectrogram itself made audible the same way, the best any model
  predicting these spectrograms can reach.
* :class:`PCABaseline` -- principal components with as many floats per segment as the model's latent,
  with the model's ``encode`` / ``decode`` / ``reconstruct``: the linear baseline a model must beat.
* :func:`sweep_latent_sizes` -- the latent-size study: one model trained per latent size, each measured
  as above, tabulated in ``sweep.csv`` / ``sweep.md``. With the ``"conv"`` bottleneck the latent keeps the
  time axis: ``latent_dim`` must be a multiple of the time steps of the encoder's last feature map; a size
  that is not is moved to the nearest multiple (:func:`latent_sizes`).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .._checks import check_integer, check_number, require
from .._io import atomic_write_text
from ..config import GenmusicConfig
from ..errors import AudioLoadError, DataError, ParameterError
from ..data.store import SongRecord, SpectrogramStore
from ..features.inversion import frames_to_audio
from ..features.windows import overlap_add

__all__ = ["evaluate_reconstruction", "select_songs", "PCABaseline", "LatentSize",
           "latent_time_steps", "latent_sizes", "sweep_latent_sizes", "write_sweep_tables", "SWEEP_COLUMNS"]

logger = logging.getLogger("genmusic")

#: ``on_song(record, audio)`` of :func:`evaluate_reconstruction`: the signals it made for one song.
SongAudioHook = Callable[[SongRecord, Dict[str, Optional[np.ndarray]]], None]


def select_songs(store: SpectrogramStore, split: Optional[str], max_songs: Optional[int], *,
                 seed: int = 0) -> List[SongRecord]:
    """Up to ``max_songs`` songs of a split, dealt round-robin over the genres (sorted), deterministic.

    Within each genre the songs (sorted by id) are shuffled with ``np.random.default_rng([seed, k])``.
    """
    songs = store.songs_in(split)
    if not songs:
        counts = {s: len(store.songs_in(s)) for s in ("train", "validation", "test")}
        raise DataError(f"{store.path} has no songs in the {split!r} split (songs per split: {counts}); "
                        f"evaluate another split")
    by_genre: Dict[str, List[SongRecord]] = defaultdict(list)
    for record in sorted(songs, key=lambda r: r.song_id):
        by_genre[record.genre].append(record)
    queues = []
    for k, genre in enumerate(sorted(by_genre)):
        records = by_genre[genre]
        order = np.random.default_rng([seed, k]).permutation(len(records))
        queues.append([records[i] for i in order])
    limit = len(songs) if max_songs is None else max(0, int(max_songs))
    chosen: List[SongRecord] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen


def _mean(values) -> Optional[float]:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else None


def evaluate_reconstruction(model, store: SpectrogramStore, *, split: Optional[str] = "test",
                            max_songs: Optional[int] = 8, max_seconds: Optional[float] = None, n_iter: int = 32,
                            seed: int = 0, batch_size: int = 32, baselines: Optional[Mapping[str, object]] = None,
                            ceiling: bool = True, on_song: Optional[SongAudioHook] = None) -> dict:
    """Rebuild songs through a model and measure how far the result sounds from the original.

    For every chosen song (see :func:`select_songs`):

    * reference: the original audio (``Loader(store.config.audio).load(record.source)``, its first
      ``n_samples``);
    * estimate: the model's reconstruction, denormalised with the song's own statistics and made audible
      by Griffin-Lim (:func:`genmusic.features.inversion.frames_to_audio`, ``n_iter`` iterations, ``seed``);
      the same for each of ``baselines`` (e.g. ``{"pca": PCABaseline(...)}``);
    * ceiling: the stored spectrogram made audible the same way (``resynth``).

    When a song's source file is gone, its reference is the resynthesis of the stored spectrogram: its
    ``mel_distance`` then measures only what the model loses, it has no ceiling, and it is flagged
    (``"reference": "resynth"``, listed in ``"missing_sources"``).

    Parameters
    ----------
    model : object with ``reconstruct`` or None
        An Autoencoder / VAE, a :class:`PCABaseline`; None measures the resynthesis ceiling only.
    store : SpectrogramStore
    split : {"train", "validation", "test"} or None
        None: all songs.
    max_songs : int or None
    max_seconds : float, optional
        Use only the first seconds of every song (whole segments).
    n_iter : int
        Griffin-Lim iterations.
    seed : int
        Song choice and Griffin-Lim's initial phase.
    baselines : mapping of str to model, optional
        More models measured on the same songs; ``NAME`` gives ``NAME_mel_distance`` and ``NAME_mse``.
    ceiling : bool
        Measure the resynthesis ceiling (one more Griffin-Lim per song). Without it ``resynth_mel_distance``
        is None and the resynthesis is made only for songs whose source is gone.
    on_song : callable, optional
        ``on_song(record, audio)`` after each song, ``audio`` mapping ``"original"`` (None when the source
        is gone), ``"resynth"`` (None without ``ceiling``), ``"model"`` and each baseline's name to
        [shape=(n_samples,)] signals: what the report's players play.

    Returns
    -------
    dict with
        ``mel_distance`` (mean over songs; None without a model), ``resynth_mel_distance`` (the ceiling),
        ``mse`` (mean normalised-spectrogram MSE; None without a model), ``NAME_mel_distance`` and
        ``NAME_mse`` per baseline, ``n_songs``, ``per_song`` (song_id -> dict with genre, seconds,
        mel_distance, resynth_mel_distance, mse, the baselines' numbers, reference), ``missing_sources``,
        ``split``, ``n_iter``.
    """
    from ..audio import Loader
    from ..metrics import mel_distance

    if max_seconds is not None and not max_seconds > 0:
        raise ParameterError(f"max_seconds must be None or > 0, got {max_seconds!r}")
    rebuilders = dict(baselines or {})
    if model is not None:
        rebuilders = {"": model, **rebuilders}
    config = store.config
    sr = config.audio.sample_rate
    spec = config.spectrogram
    loader = Loader(config.audio)
    per_song: Dict[str, dict] = {}
    missing: List[str] = []
    for record in select_songs(store, split, max_songs, seed=seed):
        n_samples = int(record.n_samples)
        n_seg = record.n_segments
        if max_seconds is not None:
            n_samples = min(n_samples, int(round(max_seconds * sr)))
            n_seg = min(n_seg, -(-n_samples // spec.segment_samples))
        stored = np.asarray(store.song_array(record.song_id)[:n_seg], dtype=np.float32)
        normaliser = record.normaliser

        def audible(segments: np.ndarray) -> np.ndarray:
            frames = overlap_add(segments, spec.segment_frames)
            return frames_to_audio(frames, normaliser, spec, n_samples, n_iter=n_iter, seed=seed)

        resynth = audible(stored) if ceiling else None
        path, why = store.source_path(record)
        try:
            if path is None:
                raise AudioLoadError(f"{record.source} {why}")
            reference = loader.load(path, duration=n_samples / sr)[:n_samples]
            source = "original"
        except AudioLoadError as exc:
            logger.warning("%s: %s; comparing with the resynthesis of its stored spectrogram instead",
                           record.song_id, exc)
            resynth = audible(stored) if resynth is None else resynth
            reference, source = resynth, "resynth"
            missing.append(record.song_id)
        row = {"genre": record.genre, "seconds": n_samples / sr, "reference": source,
               "resynth_mel_distance": mel_distance(reference, resynth, sr) if ceiling and source == "original"
               else None, "mel_distance": None, "mse": None}
        heard = {"original": reference if source == "original" else None, "resynth": resynth}
        for name, rebuilder in rebuilders.items():
            prefix = f"{name}_" if name else ""
            rebuilt = np.asarray(rebuilder.reconstruct(stored, batch_size=batch_size), dtype=np.float32)
            heard[name or "model"] = audio = audible(rebuilt)
            row[f"{prefix}mse"] = float(np.mean((rebuilt - stored) ** 2))
            row[f"{prefix}mel_distance"] = mel_distance(reference, audio, sr)
        per_song[record.song_id] = row
        if on_song is not None:
            on_song(record, heard)
    result = {
        "mel_distance": _mean(r["mel_distance"] for r in per_song.values()) if model is not None else None,
        "resynth_mel_distance": _mean(r["resynth_mel_distance"] for r in per_song.values()),
        "mse": _mean(r["mse"] for r in per_song.values()) if model is not None else None,
    }
    for name in baselines or {}:
        for key in (f"{name}_mel_distance", f"{name}_mse"):
            result[key] = _mean(r[key] for r in per_song.values())
    result.update({
        "n_songs": len(per_song),
        "per_song": per_song,
        "missing_sources": missing,
        "split": split,
        "n_iter": n_iter,
    })
    return result


class PCABaseline:
    """Principal components of flattened spectrogram segments, used like a model.

    ``fit`` keeps memory bounded: it uses at most ``max_fit_segments`` segments, a seeded random subset
    of those given, so the data matrix never exceeds ``max_fit_segments * n_freq * n_frames`` floats.

    Parameters
    ----------
    latent_dim : int
        Components kept: floats per segment, as a model's ``latent_dim``.
    max_fit_segments : int
        Cap on the segments the components are fitted on.
    clip : bool
        Clip reconstructions to [0, 1], the range of normalised spectrograms (and of a model's sigmoid).
    seed : int
        Seeds the subset and the randomised SVD.

    Attributes
    ----------
    pca_ : sklearn.decomposition.PCA
        Exists after :meth:`fit`.
    segment_shape_ : (int, int)
    n_components_ : int
        Components actually kept: ``min(latent_dim, n_segments, n_freq * n_frames)``.

    Examples
    --------
    >>> pca = PCABaseline(128).fit_store(store)                         # doctest: +SKIP
    >>> evaluate_reconstruction(pca, store, split="test")["mel_distance"]  # doctest: +SKIP
    """

    def __init__(self, latent_dim: int, *, max_fit_segments: int = 2048, clip: bool = True, seed: int = 0) -> None:
        if int(latent_dim) < 1:
            raise ParameterError(f"latent_dim must be >= 1, got {latent_dim!r}")
        if int(max_fit_segments) < 1:
            raise ParameterError(f"max_fit_segments must be >= 1, got {max_fit_segments!r}")
        self.latent_dim = int(latent_dim)
        self.max_fit_segments = int(max_fit_segments)
        self.clip = bool(clip)
        self.seed = int(seed)

    def fit(self, segments: np.ndarray) -> "PCABaseline":
        """Fit the components.

        Parameters
        ----------
        segments : np.ndarray [shape=(n, n_freq, n_frames)] (a memory map is fine)
        """
        from sklearn.decomposition import PCA

        if np.ndim(segments) != 3 or len(segments) == 0:
            raise ParameterError(f"segments must have shape (n, n_freq, n_frames) with n >= 1, "
                                 f"got {np.shape(segments)}")
        n = len(segments)
        rows = np.arange(n)
        if n > self.max_fit_segments:
            rows = np.sort(np.random.default_rng(self.seed).choice(n, self.max_fit_segments, replace=False))
        shape = tuple(int(v) for v in np.shape(segments)[1:])
        size = shape[0] * shape[1]
        # float64 where it is affordable (exact round trips), float32 otherwise.
        dtype = np.float64 if len(rows) * size <= 2 ** 25 else np.float32
        x = np.asarray(segments[rows], dtype=dtype).reshape(len(rows), size)
        if not np.all(np.isfinite(x)):
            raise DataError("cannot fit PCA: the segments hold NaN or infinite values")
        k = min(self.latent_dim, len(rows), size)
        if k < self.latent_dim:
            logger.warning("PCA keeps %d components, not latent_dim=%d: only %d segments of %d values", k,
                           self.latent_dim, len(rows), size)
        self.pca_ = PCA(n_components=k, svd_solver="full" if dtype == np.float64 else "randomized",
                        random_state=self.seed).fit(x)
        self.segment_shape_ = shape
        self.n_components_ = k
        return self

    def fit_store(self, store: SpectrogramStore, split: str = "train") -> "PCABaseline":
        """Fit on (a seeded subset of at most ``max_fit_segments``) segments of a store's split."""
        index = store.segment_index(split)
        if len(index) == 0:
            raise DataError(f"{store.path} has no segments in the {split!r} split to fit PCA on")
        if len(index) > self.max_fit_segments:
            keep = np.random.default_rng(self.seed).choice(len(index), self.max_fit_segments, replace=False)
            index = index[np.sort(keep)]
        return self.fit(store.load_segments(index))

    def _check_fitted(self) -> None:
        if not hasattr(self, "pca_"):
            raise ParameterError("this PCABaseline is not fitted yet: call fit(segments) or fit_store(store)")

    def encode(self, segments: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Component scores of segments.

        Parameters
        ----------
        segments : np.ndarray [shape=(n, n_freq, n_frames)] or [shape=(n, n_freq, n_frames, 1)]

        Returns
        -------
        np.ndarray [shape=(n, n_components_)], float32
        """
        self._check_fitted()
        x = np.asarray(segments)
        if x.ndim == 4 and x.shape[-1] == 1:
            x = x[..., 0]
        if x.ndim != 3 or x.shape[1:] != self.segment_shape_:
            raise ParameterError(f"segments must have shape (n, {self.segment_shape_[0]}, {self.segment_shape_[1]}), "
                                 f"got {x.shape}")
        size = x.shape[1] * x.shape[2]
        out = [self.pca_.transform(x[i:i + batch_size].reshape(-1, size).astype(self.pca_.components_.dtype))
               for i in range(0, len(x), batch_size)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.n_components_), np.float32)

    def decode(self, latents: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Segments from component scores.

        Returns
        -------
        np.ndarray [shape=(n, n_freq, n_frames)], float32 (in [0, 1] with ``clip``)
        """
        self._check_fitted()
        z = np.asarray(latents)
        if z.ndim != 2 or z.shape[1] != self.n_components_:
            raise ParameterError(f"latents must have shape (n, {self.n_components_}), got {z.shape}")
        out = [self.pca_.inverse_transform(z[i:i + batch_size].astype(self.pca_.components_.dtype))
               for i in range(0, len(z), batch_size)]
        x = (np.concatenate(out) if out else np.zeros((0, int(np.prod(self.segment_shape_))))).reshape(
            -1, *self.segment_shape_)
        if self.clip:
            x = np.clip(x, 0.0, 1.0)
        return x.astype(np.float32)

    def reconstruct(self, segments: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """``decode(encode(segments))`` [shape=(n, n_freq, n_frames)]."""
        return self.decode(self.encode(segments, batch_size), batch_size)


# --------------------------------------------------------------------------------------------------
# the latent-size study

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
    base = check_integer(base_latent_dim, "base_latent_dim", minimum=1)
    require(len(factors) > 0, "factors needs at least one factor")
    sizes: List[LatentSize] = []
    notes: List[str] = []
    seen = set()
    for factor in factors:
        check_number(factor, "factors", minimum=0, exclusive_minimum=True, what="numbers > 0")
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
