"""Studying the latent space: projections, K-means sweeps, genre probes, the MFCC baseline.

Most functions take arrays and return plain results (dataclasses with a ``to_dict()`` of JSON-friendly
numbers), so they work in a notebook or inside scikit-learn code as well as in the report:

* :func:`encode_store` / :func:`encode_files` -- a model's latents of a spectrogram store or of new audio
  files, per segment and pooled per song (:class:`LatentSet`, saved as ``.npz`` + ``.csv``, no pickle).
* :func:`pca_projection`, :func:`tsne_projection` -- 2-D / 3-D views (:class:`Projection`).
* :func:`kmeans_sweep` -- K-means for several ``k`` with homogeneity, completeness, V-measure, adjusted
  Rand index, silhouette and inertia (:class:`ClusterSweep`).
* :func:`classify` -- logistic regression, k-nearest neighbours and a small MLP trained on one set of
  songs and scored on another (:class:`Classification`); :func:`cross_validate_songs` for small data sets;
  :func:`segment_vote_score` for segment-level training with song-level voting.
* :func:`mfcc_features` -- the classic baseline: mean (and std) MFCCs of each song's source audio.
* :func:`nearest_songs`, :func:`predict_genres` -- for music from outside the data set.
* :func:`study_model` -- all of the above for one model and one store (:class:`ModelStudy`), the content
  of :mod:`genmusic.report`.

Edge cases never raise inside :func:`study_model`: a part that cannot be computed (one genre only, fewer
songs than clusters, fewer than two test songs, no ``genmusic.evaluation``) is skipped and says why in
its ``notes``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .config import GenmusicConfig
from .errors import DataError, GenmusicError, ModelFolderError, ParameterError
from ._checks import valid_matrix
from ._io import atomic_save_npz, atomic_write_text
from .store import SpectrogramStore

__all__ = [
    "LATENT_FILE_VERSION",
    "DEFAULT_KS",
    "CLASSIFIERS",
    "LatentSet",
    "Projection",
    "ClusterSweep",
    "ClassifierScore",
    "Classification",
    "ModelStudy",
    "check_compatible",
    "pool_segments",
    "encode_store",
    "encode_files",
    "pca_projection",
    "tsne_projection",
    "usable_labels",
    "default_ks",
    "kmeans_sweep",
    "score_predictions",
    "classify",
    "segment_vote_score",
    "cross_validate_songs",
    "mfcc_features",
    "MfccBaseline",
    "mfcc_baseline",
    "nearest_songs",
    "predict_genres",
    "study_model",
]

logger = logging.getLogger("genmusic")

#: Version of the ``latents_<name>.npz`` layout written by :meth:`LatentSet.save`.
LATENT_FILE_VERSION = 1

#: Cluster counts of :func:`kmeans_sweep` after the number of genres (the earlier projects' grid).
DEFAULT_KS: Tuple[int, ...] = (10, 12, 15, 20, 25, 30)
#: Small cluster counts added when the number of genres is unknown (no labels, or one genre).
UNLABELLED_KS: Tuple[int, ...] = (2, 3, 4, 5)

#: Classifiers of :func:`classify`, by key, with the names the report shows.
CLASSIFIERS: Dict[str, str] = {
    "logistic_regression": "logistic regression",
    "knn": "k-nearest neighbours",
    "mlp": "MLP",
}

POOLINGS = ("mean", "mean_std")


# --------------------------------------------------------------------------------------------------
# validation


def _as_labels(y, n: int, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ParameterError(f"{name} must be a 1-D array of {n} labels (one per row), got shape {y.shape}")
    return y


def _finite_or_none(value) -> Optional[float]:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


# --------------------------------------------------------------------------------------------------
# latents


@dataclass
class LatentSet:
    """Latent vectors of songs: one per segment, and one per song.

    Attributes
    ----------
    segment_latents : np.ndarray [shape=(n_segments, latent_dim), dtype=float32]
        The model's latent of every segment (a VAE's posterior mean), songs in order, segments in time order.
    segment_song : np.ndarray [shape=(n_segments,), dtype=int64]
        Index into ``song_ids`` of each segment's song.
    song_ids, genres, splits : np.ndarray [shape=(n_songs,), dtype=str]
        Per song; ``genres`` is ``""`` for an unlabelled song, ``splits`` is ``"new"`` for music from
        outside the data set.
    song_latents : np.ndarray [shape=(n_songs, latent_dim) or (n_songs, 2 * latent_dim), dtype=float32]
        Each song's segment latents pooled (see :func:`pool_segments`): their mean (``pooling="mean"``),
        or their mean then their standard deviation (``"mean_std"``).
    pooling : {"mean", "mean_std"}
    meta : dict
        JSON-friendly metadata saved with the set (model folder, store, latent size).
    """

    segment_latents: np.ndarray
    segment_song: np.ndarray
    song_ids: np.ndarray
    genres: np.ndarray
    splits: np.ndarray
    song_latents: np.ndarray
    pooling: str = "mean"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.segment_latents = np.asarray(self.segment_latents, dtype=np.float32)
        self.segment_song = np.asarray(self.segment_song, dtype=np.int64)
        self.song_ids = np.asarray(self.song_ids, dtype=str)
        self.genres = np.asarray(self.genres, dtype=str)
        self.splits = np.asarray(self.splits, dtype=str)
        self.song_latents = np.asarray(self.song_latents, dtype=np.float32)
        n = len(self.song_ids)
        if not (len(self.genres) == len(self.splits) == self.song_latents.shape[0] == n):
            raise ParameterError(f"LatentSet: song_ids, genres, splits and song_latents must have one entry per "
                                 f"song, got {n}, {len(self.genres)}, {len(self.splits)}, {self.song_latents.shape[0]}")
        if self.segment_latents.ndim != 2 or self.segment_song.shape != (self.segment_latents.shape[0],):
            raise ParameterError(f"LatentSet: segment_latents must be (n_segments, latent_dim) and segment_song "
                                 f"(n_segments,), got {self.segment_latents.shape} and {self.segment_song.shape}")
        if self.pooling not in POOLINGS:
            raise ParameterError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")

    @property
    def n_songs(self) -> int:
        return len(self.song_ids)

    @property
    def latent_dim(self) -> int:
        """Latent floats per segment."""
        return int(self.segment_latents.shape[1])

    def mask(self, *splits: str) -> np.ndarray:
        """Boolean mask of the songs in any of ``splits`` (e.g. ``mask("train", "validation")``)."""
        return np.isin(self.splits, list(splits))

    def segment_mask(self, song_mask: np.ndarray) -> np.ndarray:
        """Boolean mask of the segments of the songs selected by ``song_mask``."""
        return np.asarray(song_mask, dtype=bool)[self.segment_song]

    def save(self, path_npz: str | os.PathLike, path_csv: Optional[str | os.PathLike] = None) -> Path:
        """Write the arrays as ``.npz`` (no pickle: strings as fixed-width unicode) and, optionally, a
        ``song_id,genre,split`` CSV. Both writes are atomic.

        Returns
        -------
        Path of the ``.npz``.
        """
        arrays = {
            "latent_file_version": np.array(LATENT_FILE_VERSION, dtype=np.int64),
            "segment_latents": self.segment_latents,
            "segment_song": self.segment_song,
            "song_ids": np.array(list(self.song_ids), dtype=str),
            "genres": np.array(list(self.genres), dtype=str),
            "splits": np.array(list(self.splits), dtype=str),
            "song_latents": self.song_latents,
            "pooling": np.array(self.pooling, dtype=str),
            "meta_json": np.array(json.dumps(self.meta), dtype=str),
        }
        path_npz = Path(path_npz)
        if path_npz.suffix != ".npz":
            raise ParameterError(f"path_npz must end in .npz (np.savez adds it otherwise), got {path_npz}")
        atomic_save_npz(path_npz, **arrays)
        if path_csv is not None:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(("song_id", "genre", "split"))
            writer.writerows(zip(self.song_ids.tolist(), self.genres.tolist(), self.splits.tolist()))
            atomic_write_text(path_csv, buf.getvalue())
        return path_npz

    @classmethod
    def load(cls, path_npz: str | os.PathLike) -> "LatentSet":
        """Read a file written by :meth:`save` (refusing other format versions)."""
        path_npz = Path(path_npz)
        if not path_npz.is_file():
            raise DataError(f"latent file {path_npz} does not exist")
        try:
            with np.load(path_npz, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise DataError(f"{path_npz}: not a readable latent file ({exc})") from None
        version = int(arrays.get("latent_file_version", -1))
        if version != LATENT_FILE_VERSION:
            raise DataError(f"{path_npz}: latent file version {version}; this genmusic reads version "
                            f"{LATENT_FILE_VERSION}: run the analysis again")
        return cls(segment_latents=arrays["segment_latents"], segment_song=arrays["segment_song"],
                   song_ids=arrays["song_ids"], genres=arrays["genres"], splits=arrays["splits"],
                   song_latents=arrays["song_latents"], pooling=str(arrays["pooling"]),
                   meta=json.loads(str(arrays["meta_json"])))


def pool_segments(segment_latents: np.ndarray, segment_song: np.ndarray, n_songs: int, *,
                  pooling: str = "mean") -> np.ndarray:
    """One vector per song from its segments' latents.

    Parameters
    ----------
    segment_latents : np.ndarray [shape=(n_segments, d)]
    segment_song : np.ndarray [shape=(n_segments,)]
        Song index of each segment, in ``[0, n_songs)``; every song needs at least one segment.
    pooling : {"mean", "mean_std"}
        ``"mean"``: the mean of the song's segment latents (a song-level summary that ignores order).
        ``"mean_std"``: that mean followed by the per-dimension standard deviation (0 for a one-segment song).

    Returns
    -------
    np.ndarray [shape=(n_songs, d) or (n_songs, 2 * d), dtype=float32]
    """
    if pooling not in POOLINGS:
        raise ParameterError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    Z = np.asarray(segment_latents, dtype=np.float64)
    song = np.asarray(segment_song, dtype=np.int64)
    counts = np.bincount(song, minlength=n_songs).astype(np.float64)
    if len(counts) > n_songs or np.any(counts == 0):
        raise ParameterError(f"segment_song must give every one of the {n_songs} songs at least one segment "
                             f"and index no other song")
    sums = np.zeros((n_songs, Z.shape[1]))
    np.add.at(sums, song, Z)
    mean = sums / counts[:, None]
    if pooling == "mean":
        return mean.astype(np.float32)
    sq = np.zeros_like(sums)
    np.add.at(sq, song, (Z - mean[song]) ** 2)
    std = np.sqrt(sq / counts[:, None])
    return np.concatenate([mean, std], axis=1).astype(np.float32)


def check_compatible(model_config: GenmusicConfig, store_config: GenmusicConfig, *, model_name: str = "the model",
                     store_name: str = "the spectrograms") -> None:
    """Refuse a model and spectrograms made with different audio / spectrogram settings.

    The sample rate, mono mixing and every spectrogram setting (FFT size, hop, segment length, dB floor,
    window) must agree: a model reads spectrograms of one exact shape and scale.

    Raises
    ------
    ModelFolderError
        Naming both, every setting that differs and its two values.
    """
    diffs = []
    for section, names in (("audio", ("sample_rate", "mono")),
                           ("spectrogram", tuple(f.name for f in dataclasses.fields(store_config.spectrogram)))):
        a, b = getattr(model_config, section), getattr(store_config, section)
        for name in names:
            va, vb = getattr(a, name), getattr(b, name)
            if va != vb:
                diffs.append(f"{section}.{name}: {va!r} (model) vs {vb!r} (spectrograms)")
    if diffs:
        shape_m, shape_s = model_config.spectrogram.segment_shape, store_config.spectrogram.segment_shape
        raise ModelFolderError(
            f"model {model_name} and spectrograms {store_name} were made with different settings "
            f"({'; '.join(diffs)}; segment shape {shape_m} at {model_config.audio.sample_rate} Hz vs {shape_s} at "
            f"{store_config.audio.sample_rate} Hz). Analyse the model with the spectrograms it was trained on "
            f"(--spectrograms), or preprocess the audio again with the model's genmusic.json settings")


def _model_shape(model) -> Optional[tuple]:
    shape = getattr(model, "spectrogram_shape", None)
    return tuple(int(v) for v in shape) if shape is not None else None


def encode_store(model, store: SpectrogramStore, *, batch_size: int = 64, pooling: str = "mean",
                 split: Optional[str] = None) -> LatentSet:
    """Encode every segment of a store, song by song.

    Parameters
    ----------
    model : Autoencoder or VAE
        Anything with ``encode(x [shape=(n, n_freq, n_frames)]) -> (n, latent_dim)``; a VAE gives its
        posterior means.
    store : SpectrogramStore
    batch_size : int
    pooling : {"mean", "mean_std"}
        How segment latents become a song latent (:func:`pool_segments`).
    split : str, optional
        Only the songs of this split.

    Returns
    -------
    LatentSet
        Songs in the store's (manifest) order.
    """
    shape = _model_shape(model)
    if shape is not None and shape != tuple(store.segment_shape):
        raise ParameterError(f"the model reads spectrograms of shape {shape} but {store.path} holds segments of "
                             f"shape {tuple(store.segment_shape)}; use the store the model was trained on")
    records = store.songs_in(split)
    if not records:
        raise DataError(f"{store.path} has no songs in split {split!r}")
    latents, owners = [], []
    for i, record in enumerate(records):
        z = np.asarray(model.encode(np.asarray(store.song_array(record.song_id)), batch_size=batch_size))
        latents.append(z)
        owners.append(np.full(z.shape[0], i, dtype=np.int64))
    Z = np.concatenate(latents).astype(np.float32)
    song = np.concatenate(owners)
    return LatentSet(segment_latents=Z, segment_song=song, song_ids=[r.song_id for r in records],
                     genres=[r.genre for r in records], splits=[r.split for r in records],
                     song_latents=pool_segments(Z, song, len(records), pooling=pooling), pooling=pooling,
                     meta={"store": str(store.path), "latent_dim": int(Z.shape[1])})


def encode_files(model, config: GenmusicConfig, paths: Sequence[str | os.PathLike], *, batch_size: int = 64,
                 pooling: str = "mean") -> Tuple[Optional[LatentSet], List[str]]:
    """Encode audio files from outside the data set, the way preprocessing treats its files.

    Each file is decoded with ``Loader(config.audio)`` (any format, rate or channel count) and turned
    into normalised segments by ``PreprocessingPipeline(config).process_signal``.

    Returns
    -------
    latents : LatentSet or None
        The files that could be used (``song_ids`` are the file names, ``splits`` ``"new"``); None if none.
    notes : list of str
        One line per file that could not be used, naming it and the reason.
    """
    from .pipeline import PreprocessingPipeline

    pipeline = PreprocessingPipeline(config)
    latents, owners, names, used, notes = [], [], [], [], []
    for path in paths:
        try:
            y = pipeline.loader.load(path)
            segments, _, _, _ = pipeline.process_signal(y, name=str(path))
        except GenmusicError as exc:
            notes.append(f"input {path} skipped: {exc}")
            continue
        z = np.asarray(model.encode(segments, batch_size=batch_size))
        owners.append(np.full(z.shape[0], len(names), dtype=np.int64))
        latents.append(z)
        names.append(Path(path).name)
        used.append(str(path))
    if not names:
        return None, notes
    Z = np.concatenate(latents).astype(np.float32)
    song = np.concatenate(owners)
    return LatentSet(segment_latents=Z, segment_song=song, song_ids=names, genres=[""] * len(names),
                     splits=["new"] * len(names), song_latents=pool_segments(Z, song, len(names), pooling=pooling),
                     pooling=pooling, meta={"sources": used}), notes


# --------------------------------------------------------------------------------------------------
# projections


@dataclass
class Projection:
    """A low-dimensional view of latents.

    Attributes
    ----------
    method : {"pca", "tsne"}
    coords : np.ndarray [shape=(n_samples, n_components)]
    explained_variance_ratio : np.ndarray [shape=(n_components,)] or None
        PCA only: the share of the variance each axis holds.
    params : dict
        Settings actually used (e.g. the capped perplexity).
    notes : list of str
    """

    method: str
    coords: np.ndarray
    explained_variance_ratio: Optional[np.ndarray] = None
    params: dict = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    estimator: object = field(default=None, repr=False)

    @property
    def n_components(self) -> int:
        return int(self.coords.shape[1])

    def transform(self, X) -> np.ndarray:
        """Place new points in a PCA view (t-SNE has no transform).

        Returns
        -------
        np.ndarray [shape=(n, n_components)]
        """
        if self.method != "pca" or self.estimator is None:
            raise ParameterError(f"only a PCA projection can place new points, this one is {self.method!r}")
        out = np.zeros((len(X), self.n_components))
        fitted = self.estimator.transform(valid_matrix(X, "X"))
        out[:, :fitted.shape[1]] = fitted
        return out

    def to_dict(self) -> dict:
        return {"method": self.method, "n_components": self.n_components,
                "explained_variance_ratio": None if self.explained_variance_ratio is None
                else [float(v) for v in self.explained_variance_ratio],
                "params": dict(self.params), "notes": list(self.notes)}


def pca_projection(X, n_components: int = 2, *, seed: int = 0) -> Projection:
    """Principal components of ``X``.

    Parameters
    ----------
    X : np.ndarray [shape=(n_samples, n_features)]
    n_components : {2, 3}
    seed : int
        For the randomised solver sklearn may pick on large inputs.

    Returns
    -------
    Projection
        ``coords`` always has ``n_components`` columns; when ``X`` has fewer samples or features than that,
        the missing axes are zero (with a note) and their explained variance is 0.
    """
    from sklearn.decomposition import PCA

    if n_components not in (2, 3):
        raise ParameterError(f"n_components must be 2 or 3, got {n_components!r}")
    X = valid_matrix(X, "X", min_rows=1)
    usable = min(n_components, X.shape[0], X.shape[1])
    notes = []
    if usable < n_components:
        notes.append(f"only {usable} principal component(s) exist for {X.shape[0]} sample(s) of "
                     f"{X.shape[1]} feature(s); the other axes are zero")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # one sample or constant data: 0 / 0 variance ratios
        pca = PCA(n_components=usable, random_state=seed).fit(X)
    coords = np.zeros((X.shape[0], n_components))
    coords[:, :usable] = pca.transform(X)
    ratio = np.zeros(n_components)
    ratio[:usable] = np.nan_to_num(pca.explained_variance_ratio_)
    return Projection("pca", coords, ratio, {"n_components": n_components}, notes, pca)


def tsne_projection(X, n_components: int = 2, *, seed: int = 0, perplexity: float = 30.0,
                    max_iter: int = 1000) -> Projection:
    """t-SNE embedding of ``X`` (PCA initialisation, automatic learning rate).

    Parameters
    ----------
    X : np.ndarray [shape=(n_samples, n_features)], n_samples >= 3
    perplexity : float
        Capped at ``(n_samples - 1) / 3`` (and at least 1), since t-SNE needs ``perplexity < n_samples``
        and is meant to see about ``3 * perplexity`` neighbours; a capped value is noted.
    """
    from sklearn.manifold import TSNE

    X = valid_matrix(X, "X")
    n = X.shape[0]
    if n < 3:
        raise ParameterError(f"t-SNE needs at least 3 samples, got {n}")
    if not perplexity > 0:
        raise ParameterError(f"perplexity must be > 0, got {perplexity!r}")
    used = float(min(perplexity, max(1.0, (n - 1) / 3.0)))
    notes = [] if used == perplexity else [f"t-SNE perplexity capped from {perplexity:g} to {used:.3g} "
                                            f"for {n} samples"]
    tsne = TSNE(n_components=n_components, perplexity=used, init="pca", learning_rate="auto",
                max_iter=max(250, int(max_iter)), random_state=seed)
    coords = tsne.fit_transform(X)
    return Projection("tsne", np.asarray(coords, dtype=np.float64), None,
                      {"n_components": n_components, "perplexity": used, "max_iter": int(max_iter)}, notes)


# --------------------------------------------------------------------------------------------------
# clustering


def usable_labels(labels) -> Tuple[Optional[np.ndarray], Optional[str]]:
    """Labels fit for label-based metrics, or None and the reason.

    Labels are unusable when missing, when any is empty (``""``: an unlabelled song), or when there are
    fewer than two distinct classes (homogeneity and V-measure are then trivially 1, and no classifier
    can be trained).
    """
    if labels is None:
        return None, "no genre labels: label-based metrics (homogeneity, completeness, V-measure, ARI) are skipped"
    labels = np.asarray(labels)
    if labels.dtype.kind in "US" and np.any(labels == ""):
        return None, (f"{int(np.sum(labels == ''))} of {len(labels)} songs have no genre label: "
                      "label-based metrics are skipped")
    classes = np.unique(labels)
    if len(classes) < 2:
        only = f" ({classes[0]!s})" if len(classes) else ""
        return None, (f"only one genre{only}: label-based metrics (homogeneity, completeness, V-measure, ARI, "
                      "classification) are skipped, they need at least two genres")
    return labels, None


def default_ks(n_genres: Optional[int] = None) -> Tuple[int, ...]:
    """``(n_genres, 10, 12, 15, 20, 25, 30)`` without repeats, ascending; without a number of genres (or
    with one genre), ``(2, 3, 4, 5, 10, 12, 15, 20, 25, 30)`` so that the elbow has small ``k`` too."""
    ks = set(DEFAULT_KS)
    if n_genres is not None and n_genres >= 2:
        ks.add(int(n_genres))
    else:
        ks.update(UNLABELLED_KS)
    return tuple(sorted(ks))


@dataclass
class ClusterSweep:
    """K-means for several numbers of clusters.

    Attributes
    ----------
    rows : list of dict
        One per computed ``k``: ``k``, ``homogeneity``, ``completeness``, ``v_measure``, ``adjusted_rand``
        (None without usable labels), ``silhouette`` (None where undefined: fewer than 2 or as many
        clusters as samples) and ``inertia`` (sum of squared distances to the nearest centre).
    notes : list of str
        Skipped ``k`` and parts, and why.
    labelled : bool
        Whether label-based metrics were computed.
    """

    rows: List[dict]
    notes: List[str] = field(default_factory=list)
    labelled: bool = False
    n_samples: int = 0
    assignments: Dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def row(self, k: int) -> Optional[dict]:
        """The row of ``k``, or None if it was not computed."""
        return next((r for r in self.rows if r["k"] == k), None)

    def to_dict(self) -> dict:
        return {"n_samples": self.n_samples, "labelled": self.labelled, "rows": [dict(r) for r in self.rows],
                "notes": list(self.notes)}


def kmeans_sweep(X, labels=None, ks: Optional[Sequence[int]] = None, *, seed: int = 0, n_init: int = 10,
                 silhouette_sample: int = 5000) -> ClusterSweep:
    """Cluster ``X`` with K-means for every ``k`` in ``ks`` and score each clustering.

    Parameters
    ----------
    X : np.ndarray [shape=(n_samples, n_features)]
        E.g. song latents, or their 2-D / 3-D PCA coordinates. Used as given (no scaling).
    labels : array-like [shape=(n_samples,)], optional
        True classes (genres). Without them, or with fewer than two classes, only silhouette and inertia
        are computed, with a note.
    ks : sequence of int, optional
        Default :func:`default_ks` of the number of classes. A ``k`` below 2 or above ``n_samples`` is
        skipped with a note.
    seed : int
        ``random_state`` of every K-means run (and of the silhouette subsample).
    n_init : int
        K-means restarts per ``k``; the best (lowest inertia) is kept.
    silhouette_sample : int
        The silhouette is computed on at most this many samples (it costs ``n_samples ** 2``).

    Returns
    -------
    ClusterSweep
    """
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure, silhouette_score

    X = valid_matrix(X, "X")
    n = X.shape[0]
    notes: List[str] = []
    y = None
    if labels is not None:
        y, why = usable_labels(_as_labels(labels, n, "labels"))
    else:
        why = usable_labels(None)[1]
    if why:
        notes.append(why)
    if ks is None:
        ks = default_ks(len(np.unique(y)) if y is not None else None)
    ks = [int(k) for k in ks]
    too_small = [k for k in ks if k < 2]
    too_big = [k for k in ks if k > n]
    if too_small:
        notes.append(f"k={', '.join(map(str, too_small))} skipped: K-means needs at least 2 clusters")
    if too_big:
        notes.append(f"k={', '.join(map(str, too_big))} skipped: more clusters than the {n} samples")
    rows: List[dict] = []
    assignments: Dict[int, np.ndarray] = {}
    for k in ks:
        if k < 2 or k > n or any(r["k"] == k for r in rows):
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X)
        pred = km.labels_
        n_found = len(np.unique(pred))
        if n_found < k or any(issubclass(w.category, ConvergenceWarning) for w in caught):
            notes.append(f"k={k}: K-means found only {n_found} distinct clusters (repeated points)")
        row = {"k": k, "homogeneity": None, "completeness": None, "v_measure": None, "adjusted_rand": None,
               "silhouette": None, "inertia": float(km.inertia_)}
        if y is not None:
            h, c, v = homogeneity_completeness_v_measure(y, pred)
            row.update(homogeneity=float(h), completeness=float(c), v_measure=float(v),
                       adjusted_rand=float(adjusted_rand_score(y, pred)))
        if 2 <= n_found <= n - 1:
            size = silhouette_sample if n > silhouette_sample else None
            row["silhouette"] = float(silhouette_score(X, pred, sample_size=size, random_state=seed))
        else:
            notes.append(f"k={k}: silhouette undefined for {n_found} cluster(s) of {n} samples")
        rows.append(row)
        assignments[k] = pred
    return ClusterSweep(rows=rows, notes=notes, labelled=y is not None, n_samples=n, assignments=assignments)


# --------------------------------------------------------------------------------------------------
# classification


@dataclass
class ClassifierScore:
    """Test-set scores of one classifier.

    Attributes
    ----------
    accuracy, macro_f1 : float
    confusion : np.ndarray [shape=(n_labels, n_labels), dtype=int64]
        Rows: true class, columns: predicted class, both in the order of :attr:`Classification.labels`.
    predictions : np.ndarray [shape=(n_test,)]
    """

    name: str
    accuracy: float
    macro_f1: float
    confusion: np.ndarray
    predictions: np.ndarray = field(repr=False, default=None)

    def to_dict(self) -> dict:
        return {"name": self.name, "accuracy": float(self.accuracy), "macro_f1": float(self.macro_f1),
                "confusion": np.asarray(self.confusion).astype(int).tolist(),
                "predictions": [str(p) for p in np.asarray(self.predictions).tolist()]
                if self.predictions is not None else None}


@dataclass
class Classification:
    """Scores of several classifiers trained on one set and tested on another.

    Attributes
    ----------
    labels : list of str
        Class order of every confusion matrix (sorted union of training and test classes).
    chance : float or None
        Share of the most frequent class in the test set: the best accuracy a constant guess can get.
    scores : dict key -> ClassifierScore
    notes : list of str
    skipped : bool
        True when nothing could be trained or scored (then ``scores`` is empty).
    """

    labels: List[str]
    chance: Optional[float]
    scores: Dict[str, ClassifierScore] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    n_train: int = 0
    n_test: int = 0
    skipped: bool = False

    def accuracy(self, key: str = "logistic_regression") -> Optional[float]:
        score = self.scores.get(key)
        return None if score is None else float(score.accuracy)

    def to_dict(self) -> dict:
        return {"labels": list(self.labels), "chance": _finite_or_none(self.chance), "n_train": self.n_train,
                "n_test": self.n_test, "skipped": self.skipped,
                "scores": {k: s.to_dict() for k, s in self.scores.items()}, "notes": list(self.notes)}


def score_predictions(y_true, y_pred, labels: Sequence, *, name: str = "") -> ClassifierScore:
    """Accuracy, macro F1 (over the classes in ``labels``) and the confusion matrix of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like [shape=(n,)]
    labels : sequence
        Class order of the confusion matrix rows (true) and columns (predicted).
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise ParameterError(f"y_true and y_pred must be 1-D arrays of the same non-zero length, got "
                             f"{y_true.shape} and {y_pred.shape}")
    labels = list(labels)
    present = [c for c in labels if np.any(y_true == c)]
    return ClassifierScore(name=name, accuracy=float(accuracy_score(y_true, y_pred)),
                           macro_f1=float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
                           confusion=confusion_matrix(y_true, y_pred, labels=labels).astype(np.int64),
                           predictions=y_pred)


def _make_classifier(key: str, n_train: int, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if key == "logistic_regression":
        clf = LogisticRegression(max_iter=5000, C=1.0, random_state=seed)
    elif key == "knn":
        clf = KNeighborsClassifier(n_neighbors=max(1, min(5, n_train)))
    elif key == "mlp":
        # lbfgs converges well on the few hundred to few thousand rows of a song-level probe.
        clf = MLPClassifier(hidden_layer_sizes=(64,), solver="lbfgs", alpha=0.1, max_iter=500, random_state=seed)
    else:
        raise ParameterError(f"unknown classifier {key!r}; choose from {sorted(CLASSIFIERS)}")
    return make_pipeline(StandardScaler(), clf)


def _fit_quietly(estimator, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def classify(X_train, y_train, X_test, y_test, *, seed: int = 0,
             classifiers: Sequence[str] = tuple(CLASSIFIERS)) -> Classification:
    """Train genre classifiers on one set of songs and score them on another.

    Every classifier standardises the features first (``StandardScaler``, so MFCCs and latents of any scale
    are treated alike): logistic regression, k-nearest neighbours (``k = min(5, n_train)``, Euclidean) and
    an MLP with one hidden layer of 64 units. Standardising gives nearly constant latent dimensions (a
    VAE's unused ones) unit scale too, which mostly hurts k-nearest neighbours.

    Parameters
    ----------
    X_train : np.ndarray [shape=(n_train, n_features)]
    y_train : array-like [shape=(n_train,)]
    X_test : np.ndarray [shape=(n_test, n_features)]
    y_test : array-like [shape=(n_test,)]
        Keep songs apart: no segment of a test song may be in the training set.
    seed : int
    classifiers : sequence of str
        Keys of :data:`CLASSIFIERS`.

    Returns
    -------
    Classification
        Skipped (with a note) when there are fewer than 2 test samples or fewer than 2 training classes;
        a test class absent from the training set is noted (its samples count as errors).
    """
    X_train = valid_matrix(X_train, "X_train")
    X_test = valid_matrix(X_test, "X_test")
    if X_train.shape[1] != X_test.shape[1]:
        raise ParameterError(f"X_train and X_test must have the same number of features, got "
                             f"{X_train.shape[1]} and {X_test.shape[1]}")
    y_train = _as_labels(y_train, X_train.shape[0], "y_train")
    y_test = _as_labels(y_test, X_test.shape[0], "y_test")
    unknown = [c for c in classifiers if c not in CLASSIFIERS]
    if unknown:
        raise ParameterError(f"unknown classifier(s) {unknown}; choose from {sorted(CLASSIFIERS)}")
    train_classes = np.unique(y_train)
    labels = sorted(set(train_classes.tolist()) | set(np.unique(y_test).tolist()), key=str)
    result = Classification(labels=[str(c) for c in labels], chance=None, n_train=len(y_train), n_test=len(y_test))
    if len(y_test) < 2:
        result.skipped = True
        result.notes.append(f"classification skipped: {len(y_test)} test song(s), at least 2 are needed")
        return result
    _, counts = np.unique(y_test, return_counts=True)
    result.chance = float(counts.max() / len(y_test))
    if len(train_classes) < 2:
        result.skipped = True
        result.notes.append(f"classification skipped: the training set holds {len(train_classes)} class(es), "
                            "at least 2 are needed")
        return result
    missing = sorted(set(np.unique(y_test).tolist()) - set(train_classes.tolist()), key=str)
    if missing:
        result.notes.append(f"class(es) {', '.join(map(str, missing))} have test songs but no training songs: "
                            "those test songs cannot be classified correctly")
    for key in classifiers:
        model = _fit_quietly(_make_classifier(key, len(y_train), seed), X_train, y_train)
        score = score_predictions(y_test, model.predict(X_test), labels, name=CLASSIFIERS[key])
        result.scores[key] = score
    return result


def segment_vote_score(seg_X_train, seg_y_train, seg_X_test, seg_song_test, y_test_songs, labels: Sequence, *,
                       seed: int = 0) -> ClassifierScore:
    """Logistic regression trained on segments, each test song predicted by soft voting of its segments.

    Parameters
    ----------
    seg_X_train : np.ndarray [shape=(n_train_segments, d)]
    seg_y_train : array-like [shape=(n_train_segments,)]
        Genre of each training segment's song.
    seg_X_test : np.ndarray [shape=(n_test_segments, d)]
    seg_song_test : np.ndarray [shape=(n_test_segments,)]
        Index in ``[0, n_test_songs)`` of each test segment's song.
    y_test_songs : array-like [shape=(n_test_songs,)]
    labels : sequence
        Class order of the confusion matrix.

    Returns
    -------
    ClassifierScore
        The song's class is the argmax of the mean predicted probability over its segments.
    """
    seg_X_train = valid_matrix(seg_X_train, "seg_X_train")
    seg_X_test = valid_matrix(seg_X_test, "seg_X_test")
    y_test_songs = np.asarray(y_test_songs)
    model = _fit_quietly(_make_classifier("logistic_regression", len(seg_X_train), seed), seg_X_train,
                         np.asarray(seg_y_train))
    proba = model.predict_proba(seg_X_test)
    song = np.asarray(seg_song_test, dtype=np.int64)
    sums = np.zeros((len(y_test_songs), proba.shape[1]))
    np.add.at(sums, song, proba)
    pred = model.classes_[np.argmax(sums, axis=1)]
    return score_predictions(y_test_songs, pred, labels, name="logistic regression (segments, song vote)")


def cross_validate_songs(X, y, *, seed: int = 0, n_splits: int = 5,
                         classifier: str = "logistic_regression") -> dict:
    """Stratified k-fold accuracy over all songs (each song is in exactly one test fold).

    Useful when the held-out test split is too small for a stable figure. ``n_splits`` is lowered to the
    size of the smallest class.

    Returns
    -------
    dict
        ``accuracy`` (mean over folds, or None), ``fold_accuracies``, ``n_splits``, ``classifier``, ``note``.
    """
    from sklearn.model_selection import StratifiedKFold

    X = valid_matrix(X, "X")
    y = _as_labels(y, X.shape[0], "y")
    classes, counts = np.unique(y, return_counts=True)
    out = {"classifier": CLASSIFIERS.get(classifier, classifier), "accuracy": None, "fold_accuracies": [],
           "n_splits": 0, "note": None}
    if classifier not in CLASSIFIERS:
        raise ParameterError(f"unknown classifier {classifier!r}; choose from {sorted(CLASSIFIERS)}")
    k = int(min(n_splits, counts.min())) if len(classes) else 0
    if len(classes) < 2 or k < 2:
        out["note"] = ("cross-validation skipped: it needs at least 2 classes with at least 2 songs each "
                       f"(got {len(classes)} class(es), smallest {int(counts.min()) if len(counts) else 0})")
        return out
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    accs = []
    for train, test in folds.split(X, y):
        model = _fit_quietly(_make_classifier(classifier, len(train), seed), X[train], y[train])
        accs.append(float(np.mean(model.predict(X[test]) == y[test])))
    out.update(accuracy=float(np.mean(accs)), fold_accuracies=accs, n_splits=k)
    return out


# --------------------------------------------------------------------------------------------------
# the MFCC baseline


def mfcc_features(source: Union[SpectrogramStore, Sequence[Tuple[np.ndarray, int]]], *, n_mfcc: int = 20,
                  include_std: bool = True) -> np.ndarray:
    """Mean (and standard deviation) of each song's MFCCs: the classic genre-classification baseline.

    Parameters
    ----------
    source : SpectrogramStore or sequence of (audio [shape=(n,)], sample_rate)
        A store's songs are decoded from their source files with ``Loader(store.config.audio)`` (the
        settings preprocessing used), in the store's song order.
    n_mfcc : int
    include_std : bool

    Returns
    -------
    np.ndarray [shape=(n_songs, n_mfcc) or (n_songs, 2 * n_mfcc), dtype=float32]

    Raises
    ------
    AudioLoadError
        A store's source file is missing or unreadable (the message names it).
    """
    import librosa

    from ._checks import valid_audio
    from .audio import Loader

    if int(n_mfcc) < 1:
        raise ParameterError(f"n_mfcc must be >= 1, got {n_mfcc!r}")
    if isinstance(source, SpectrogramStore):
        loader = Loader(source.config.audio)
        sr = source.config.audio.sample_rate
        signals = ((loader.load(record.source), sr, record.source) for record in source.songs)
    else:
        signals = ((valid_audio(y, name=f"signal {i}"), int(rate), f"signal {i}") for i, (y, rate) in enumerate(source))
    rows = []
    for y, rate, _name in signals:
        n_fft = int(min(2048, 2 ** int(np.floor(np.log2(max(len(y), 64))))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # short signals and low rates: librosa warns about empty mel bands
            m = librosa.feature.mfcc(y=np.asarray(y, dtype=np.float32), sr=rate, n_mfcc=int(n_mfcc), n_fft=n_fft,
                                     hop_length=n_fft // 4)
        parts = [m.mean(axis=1)] + ([m.std(axis=1)] if include_std else [])
        rows.append(np.concatenate(parts))
    width = int(n_mfcc) * (2 if include_std else 1)
    return np.asarray(rows, dtype=np.float32).reshape(-1, width)


@dataclass
class MfccBaseline:
    """The MFCC baseline of a store: the classifiers of :func:`classify` on :func:`mfcc_features`, with the
    same song-level split as the latent probes (train + validation songs -> test songs)."""

    n_mfcc: int
    features: Optional[np.ndarray] = field(default=None, repr=False)
    classification: Optional[Classification] = None
    cross_validation: Optional[dict] = None
    notes: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"n_mfcc": self.n_mfcc, "features": f"mean and standard deviation of {self.n_mfcc} MFCCs per song",
                "classification": None if self.classification is None else self.classification.to_dict(),
                "cross_validation": self.cross_validation, "notes": list(self.notes)}


def mfcc_baseline(store: SpectrogramStore, *, seed: int = 0, n_mfcc: int = 20) -> MfccBaseline:
    """Classify a store's songs from mean + std MFCCs of their source audio (never raises for bad data:
    missing labels or unreadable sources become notes)."""
    out = MfccBaseline(n_mfcc=int(n_mfcc))
    genres = np.array([r.genre for r in store.songs], dtype=str)
    splits = np.array([r.split for r in store.songs], dtype=str)
    labels, why = usable_labels(genres)
    if why:
        out.notes.append(f"MFCC baseline skipped: {why}")
        return out
    try:
        features = mfcc_features(store, n_mfcc=n_mfcc)
    except GenmusicError as exc:
        out.notes.append(f"MFCC baseline not available: {exc}")
        return out
    out.features = features
    train, test = np.isin(splits, ["train", "validation"]), splits == "test"
    out.classification = classify(features[train], labels[train], features[test], labels[test], seed=seed)
    out.cross_validation = cross_validate_songs(features, labels, seed=seed)
    return out


# --------------------------------------------------------------------------------------------------
# new music


def nearest_songs(query_latents, song_latents, song_ids: Sequence[str], *, k: int = 5,
                  metric: str = "cosine") -> List[List[dict]]:
    """The ``k`` songs closest to each query.

    Parameters
    ----------
    query_latents : np.ndarray [shape=(n_queries, d)]
    song_latents : np.ndarray [shape=(n_songs, d)]
    song_ids : sequence of str [len=n_songs]
    k : int
        At most ``n_songs``.
    metric : {"cosine", "euclidean"}
        ``"cosine"`` (the default) compares directions, ignoring the latents' overall size, which makes it
        robust to loudness-like offsets; ``"euclidean"`` is the distance K-means uses.

    Returns
    -------
    list (per query) of list of {"song_id", "distance"}, nearest first
    """
    from sklearn.metrics import pairwise_distances

    if metric not in ("cosine", "euclidean"):
        raise ParameterError(f"metric must be 'cosine' or 'euclidean', got {metric!r}")
    Q = valid_matrix(query_latents, "query_latents")
    S = valid_matrix(song_latents, "song_latents", min_rows=1)
    if Q.shape[1] != S.shape[1]:
        raise ParameterError(f"query_latents and song_latents must have the same width, got {Q.shape[1]} and "
                             f"{S.shape[1]}")
    if len(song_ids) != S.shape[0]:
        raise ParameterError(f"song_ids must name the {S.shape[0]} songs, got {len(song_ids)}")
    if int(k) < 1:
        raise ParameterError(f"k must be >= 1, got {k!r}")
    k = min(int(k), S.shape[0])
    D = pairwise_distances(Q, S, metric=metric)
    out = []
    for row in D:
        order = np.argsort(row, kind="stable")[:k]
        out.append([{"song_id": str(song_ids[j]), "distance": float(row[j])} for j in order])
    return out


def predict_genres(X_train, y_train, X_query, *, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Genre of new songs from a logistic regression trained on song latents.

    Returns
    -------
    genres : np.ndarray [shape=(n_queries,)]
    probability : np.ndarray [shape=(n_queries,)]
        The predicted genre's probability.
    """
    X_train = valid_matrix(X_train, "X_train")
    y_train = _as_labels(y_train, X_train.shape[0], "y_train")
    if len(np.unique(y_train)) < 2:
        raise ParameterError("predict_genres needs training songs of at least 2 genres")
    model = _fit_quietly(_make_classifier("logistic_regression", len(y_train), seed), X_train, y_train)
    proba = model.predict_proba(valid_matrix(X_query, "X_query"))
    best = np.argmax(proba, axis=1)
    return model.classes_[best], proba[np.arange(len(best)), best]


# --------------------------------------------------------------------------------------------------
# one model, one store


@dataclass
class ModelStudy:
    """Everything :func:`study_model` found about one model; :mod:`genmusic.report` renders it.

    ``kmeans`` maps the space (``"latent"``, ``"pca3"``, ``"pca2"``) to its sweep; ``classification`` is
    the song-level probe on the latents (train + validation songs -> test songs); ``reconstruction`` holds
    ``genmusic.evaluation.evaluate_reconstruction``'s numbers or ``{"available": False, "note": ...}``;
    ``new_songs`` one dict per ``inputs`` file; ``label_note`` says why label-based parts were skipped
    (one genre, unlabelled songs), None when they were not.
    """

    name: str
    folder: str
    kind: str
    latent_dim: int
    compression_ratio: float
    latents: LatentSet
    pca2: Projection
    pca3: Projection
    n_params: Optional[int] = None
    tsne: Optional[Projection] = None
    kmeans: Dict[str, ClusterSweep] = field(default_factory=dict)
    classification: Optional[Classification] = None
    cross_validation: Optional[dict] = None
    reconstruction: dict = field(default_factory=dict)
    new_latents: Optional[LatentSet] = None
    new_songs: List[dict] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    label_note: Optional[str] = None

    @property
    def n_genres(self) -> int:
        labels, _ = usable_labels(self.latents.genres)
        return 0 if labels is None else len(np.unique(labels))

    def v_measure_at_n_genres(self, space: str = "latent") -> Optional[float]:
        sweep = self.kmeans.get(space)
        row = sweep.row(self.n_genres) if sweep is not None and self.n_genres else None
        return None if row is None else row["v_measure"]

    def to_dict(self) -> dict:
        return {
            "name": self.name, "folder": self.folder, "status": "ok", "kind": self.kind,
            "latent_dim": self.latent_dim, "compression_ratio": float(self.compression_ratio),
            "n_params": self.n_params, "song_pooling": self.latents.pooling,
            "n_songs": self.latents.n_songs, "n_segments": int(self.latents.segment_latents.shape[0]),
            "pca": {"2d": self.pca2.to_dict(), "3d": self.pca3.to_dict()},
            "tsne": None if self.tsne is None else self.tsne.to_dict(),
            "kmeans": {space: sweep.to_dict() for space, sweep in self.kmeans.items()},
            "v_measure_at_n_genres": _finite_or_none(self.v_measure_at_n_genres()),
            "classification": None if self.classification is None else self.classification.to_dict(),
            "cross_validation": self.cross_validation,
            "reconstruction": dict(self.reconstruction),
            "new_songs": [dict(s) for s in self.new_songs],
            "label_note": self.label_note,
            "notes": list(self.notes),
        }


def _reconstruction(model, store: SpectrogramStore, max_songs: int, n_iter: int, seed: int = 0) -> dict:
    """``evaluation.evaluate_reconstruction`` guarded: a missing or failing module becomes a note.

    Scalars are kept as they are (``mel_distance``, ``resynth_mel_distance``, ``mse``, ``n_songs``, ...),
    and so are JSON-friendly lists and dicts (``per_song``, ``missing_sources``).
    """
    import inspect

    try:
        from .evaluation import evaluate_reconstruction
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and exc.name == f"{__package__}.evaluation"
        why = "genmusic.evaluation is not installed" if missing else f"genmusic.evaluation cannot be imported ({exc})"
        return {"available": False, "note": f"reconstruction not available: {why}"}
    if not store.songs_in("test"):
        return {"available": False, "note": "reconstruction not available: the store has no test songs"}
    kwargs = {"split": "test", "max_songs": int(max_songs), "n_iter": int(n_iter)}
    try:
        if "seed" in inspect.signature(evaluate_reconstruction).parameters:
            kwargs["seed"] = int(seed)
    except (TypeError, ValueError):
        pass
    try:
        numbers = evaluate_reconstruction(model, store, **kwargs)
    except Exception as exc:  # noqa: BLE001 - another module's failure must not stop the report
        logger.debug("evaluate_reconstruction failed", exc_info=True)
        return {"available": False, "note": f"reconstruction not available: {type(exc).__name__}: {exc}"}
    out = {"available": True, "split": "test", "max_songs": int(max_songs), "n_iter": int(n_iter)}
    for key, value in dict(numbers).items():
        if isinstance(value, (bool, np.bool_)):
            out[key] = bool(value)
        elif isinstance(value, (int, np.integer)):
            out[key] = int(value)
        elif isinstance(value, (float, np.floating)):
            out[key] = _finite_or_none(value)
        elif value is None or isinstance(value, (str, list, tuple, dict)):
            out[key] = value
    return out


def study_model(bundle, store: SpectrogramStore, *, name: Optional[str] = None, seed: int = 0, tsne: bool = True,
                ks: Optional[Sequence[int]] = None, max_eval_songs: int = 4, n_iter: int = 32,
                inputs: Sequence[str | os.PathLike] = (), pooling: str = "mean", k_nearest: int = 5,
                batch_size: int = 64) -> ModelStudy:
    """Encode a store with a model and run every analysis on the song latents.

    Parameters
    ----------
    bundle : ModelBundle
        From :func:`genmusic.modelio.load_bundle`.
    store : SpectrogramStore
        Made with the same audio and spectrogram settings (checked: :func:`check_compatible`).
    seed : int
        Seeds PCA, t-SNE, K-means and the classifiers.
    tsne : bool
        Compute the t-SNE view (the slowest part on large data sets).
    ks : sequence of int, optional
        Cluster counts (default :func:`default_ks`).
    max_eval_songs, n_iter : int
        Test songs and Griffin-Lim iterations of the reconstruction figures.
    inputs : sequence of path-like
        Audio files from outside the data set to place among the songs.
    pooling : {"mean", "mean_std"}
        Song latent = mean of its segment latents, or mean and standard deviation.

    Returns
    -------
    ModelStudy

    Raises
    ------
    ModelFolderError
        The model and the store were made with different settings.
    """
    from .modelio import compression_ratio

    model = bundle.model
    name = name or Path(bundle.folder).name
    check_compatible(bundle.config, store.config, model_name=str(bundle.folder), store_name=str(store.path))
    latents = encode_store(model, store, batch_size=batch_size, pooling=pooling)
    latents.meta.update(model=str(bundle.folder), model_name=name)
    X = latents.song_latents.astype(np.float64)
    try:
        n_params = int(model.count_params())
    except Exception:  # noqa: BLE001 - a count is a nicety
        n_params = None
    study = ModelStudy(name=name, folder=str(bundle.folder), kind=bundle.config.model.kind,
                       latent_dim=int(getattr(model, "latent_dim", latents.latent_dim)),
                       compression_ratio=float(compression_ratio(bundle.config)), latents=latents,
                       pca2=pca_projection(X, 2, seed=seed), pca3=pca_projection(X, 3, seed=seed), n_params=n_params)
    study.notes += study.pca2.notes
    if tsne:
        if len(X) >= 3:
            study.tsne = tsne_projection(X, seed=seed)
            study.notes += study.tsne.notes
        else:
            study.notes.append(f"t-SNE skipped: {len(X)} song(s), at least 3 are needed")

    labels, study.label_note = usable_labels(latents.genres)
    for space, data in (("latent", X), ("pca3", study.pca3.coords), ("pca2", study.pca2.coords)):
        # The raw genres: kmeans_sweep notes why they cannot be used (one genre, unlabelled songs).
        study.kmeans[space] = kmeans_sweep(data, latents.genres, ks, seed=seed)

    if labels is not None:
        train = latents.mask("train", "validation")
        test = latents.mask("test")
        study.classification = classify(X[train], labels[train], X[test], labels[test], seed=seed)
        if not study.classification.skipped:
            seg_train = latents.segment_mask(train)
            seg_test = latents.segment_mask(test)
            test_index = -np.ones(latents.n_songs, dtype=np.int64)
            test_index[test] = np.arange(int(test.sum()))
            vote = segment_vote_score(latents.segment_latents[seg_train], labels[latents.segment_song[seg_train]],
                                      latents.segment_latents[seg_test], test_index[latents.segment_song[seg_test]],
                                      labels[test], study.classification.labels, seed=seed)
            study.classification.scores["logistic_regression_segment_vote"] = vote
        study.cross_validation = cross_validate_songs(X, labels, seed=seed)

    study.reconstruction = _reconstruction(model, store, max_eval_songs, n_iter, seed)

    if inputs:
        new, notes = encode_files(model, bundle.config, inputs, batch_size=batch_size, pooling=pooling)
        study.notes += notes
        study.new_latents = new
        if new is not None:
            ref = latents.mask("train", "validation")
            near = nearest_songs(new.song_latents, X[ref], latents.song_ids[ref], k=k_nearest)
            genres, probs = (None, None)
            if labels is not None and len(np.unique(labels[ref])) >= 2:
                genres, probs = predict_genres(X[ref], labels[ref], new.song_latents, seed=seed)
            coords = study.pca2.transform(new.song_latents)
            for i, song_id in enumerate(new.song_ids):
                study.new_songs.append({
                    "name": str(song_id), "path": new.meta["sources"][i],
                    "n_segments": int(np.sum(new.segment_song == i)),
                    "predicted_genre": None if genres is None else str(genres[i]),
                    "probability": None if probs is None else float(probs[i]),
                    "pca2": [float(v) for v in coords[i]], "nearest": near[i]})
            if genres is None:
                study.notes.append("no genre prediction for the new songs: the training songs lack two labelled genres")
    return study
