"""One model on one store: every analysis of its latent space (:func:`study_model`); the report of several
models is :func:`genmusic.analysis.report.run_analysis`.

Edge cases never raise inside :func:`study_model`: a part that cannot be computed (one genre only, fewer
songs than clusters, fewer than two test songs) is skipped and says why in its ``notes``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .._io import json_float, shown
from .._lazy import lazy_names
from ..config import check_compatible
from ..data.store import SpectrogramStore
from ..encoding.latents import LatentSet, encode_files, encode_store
from ..errors import GenmusicError, OutputError
from .clustering import ClusterSweep, kmeans_sweep, usable_labels
from .listening import ClipWriter, ListeningOptions, evaluated_song_clips, listen
from .probes import Classification, classify, cross_validate_songs, nearest_songs, predict_genres, segment_vote_score
from .projections import Projection, pca_projection, tsne_projection

__all__ = ["ModelStudy", "study_model"]

#: The report's run lived here before; its names still resolve, with a warning.
__getattr__, _ = lazy_names(__name__, {}, deprecated={name: "genmusic.analysis.report" for name in (
    "run_analysis", "model_names", "default_spectrograms")})

logger = logging.getLogger("genmusic")


@dataclass
class ModelStudy:
    """Everything :func:`study_model` found about one model; :mod:`genmusic.analysis.report` renders it.

    ``kmeans`` maps the space (``"latent"``, ``"pca3"``, ``"pca2"``) to its sweep; ``classification`` is
    the song-level probe on the latents (train + validation songs -> test songs); ``reconstruction`` holds
    ``genmusic.analysis.evaluation.evaluate_reconstruction``'s numbers or ``{"available": False, "note": ...}``;
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
    listening: Optional[dict] = None

    def map_points(self) -> dict:
        """The songs of the latent map: ``{"songs": [{"song_id", "genre", "split", "pca2", "tsne"}],
        "new_songs": [{"name", "pca2"}]}`` (2-D coordinates; ``tsne`` None without the t-SNE view)."""
        lat = self.latents
        tsne = None if self.tsne is None else self.tsne.coords
        songs = [{"song_id": str(song_id), "genre": str(genre), "split": str(split),
                  "pca2": [float(v) for v in self.pca2.coords[i, :2]],
                  "tsne": None if tsne is None else [float(v) for v in tsne[i, :2]]}
                 for i, (song_id, genre, split) in enumerate(zip(lat.song_ids, lat.genres, lat.splits))]
        return {"songs": songs, "new_songs": [{"name": s["name"], "pca2": s["pca2"]} for s in self.new_songs]}

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
            "v_measure_at_n_genres": json_float(self.v_measure_at_n_genres()),
            "classification": None if self.classification is None else self.classification.to_dict(),
            "cross_validation": self.cross_validation,
            "reconstruction": dict(self.reconstruction),
            "new_songs": [dict(s) for s in self.new_songs],
            "label_note": self.label_note,
            "notes": list(self.notes),
            "map": self.map_points(),
            "listening": self.listening,
        }


def _pca_baseline(store: SpectrogramStore, latent_dim: int, seed: int) -> Tuple[Optional[object], Optional[str]]:
    """PCA with the model's floats per segment, fitted on (at most 512) train segments, or None and why."""
    from .evaluation import PCABaseline

    try:
        return PCABaseline(latent_dim, max_fit_segments=512, seed=seed).fit_store(store), None
    except GenmusicError as exc:
        return None, f"PCA baseline not available: {exc}"


def _reconstruction(model, store: SpectrogramStore, max_songs: int, n_iter: int, seed: int = 0, *,
                    pca: bool = True, on_song=None) -> dict:
    """:func:`genmusic.analysis.evaluation.evaluate_reconstruction` on the test split (with the PCA baseline of the
    model's latent size when ``pca``), as JSON-friendly numbers; when it cannot run (no test songs, a
    failure), ``{"available": False, "note": why}``.

    Scalars are kept as they are (``mel_distance``, ``resynth_mel_distance``, ``mse``, ``pca_mel_distance``,
    ``n_songs``, ...), and so are JSON-friendly lists and dicts (``per_song``, ``missing_sources``);
    ``pca_note`` says why PCA is missing.
    """
    from .evaluation import evaluate_reconstruction

    if not store.songs_in("test"):
        return {"available": False, "note": "reconstruction not available: the store has no test songs"}
    baseline, pca_note = _pca_baseline(store, int(model.latent_dim), seed) if pca else (None, None)
    kwargs = {"split": "test", "max_songs": int(max_songs), "n_iter": int(n_iter), "seed": int(seed),
              "baselines": {"pca": baseline} if baseline is not None else None, "on_song": on_song}
    try:
        numbers = evaluate_reconstruction(model, store, **kwargs)
    except Exception as exc:  # noqa: BLE001 - another module's failure must not stop the report
        logger.debug("evaluate_reconstruction failed", exc_info=True)
        return {"available": False, "note": f"reconstruction not available: {type(exc).__name__}: {exc}"}
    out = {"available": True, "split": "test", "max_songs": int(max_songs), "n_iter": int(n_iter)}
    if pca_note:
        out["pca_note"] = pca_note
    for key, value in dict(numbers).items():
        if isinstance(value, (bool, np.bool_)):
            out[key] = bool(value)
        elif isinstance(value, (int, np.integer)):
            out[key] = int(value)
        elif isinstance(value, (float, np.floating)):
            out[key] = json_float(value)
        elif value is None or isinstance(value, (str, list, tuple, dict)):
            out[key] = value
    return out


def study_model(bundle, store: SpectrogramStore, *, name: Optional[str] = None, seed: int = 0, tsne: bool = True,
                ks: Optional[Sequence[int]] = None, max_eval_songs: int = 4, n_iter: int = 32,
                inputs: Sequence[str | os.PathLike] = (), pooling: str = "mean_std", k_nearest: int = 5,
                batch_size: int = 64, clip_writer: Optional[ClipWriter] = None,
                listening: Optional[ListeningOptions] = None) -> ModelStudy:
    """Encode a store with a model and run every analysis on the song latents.

    Parameters
    ----------
    bundle : ModelBundle
        From :func:`genmusic.models.modelio.load_bundle`.
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
        Song latent = mean and standard deviation of its segment latents (default), or their mean.
    clip_writer : ClipWriter, optional
        Write the audio the report plays (:mod:`~genmusic.analysis.listening`) into its folder; without
        it the study has no ``listening``.
    listening : ListeningOptions, optional
        What that audio is (default ``ListeningOptions()``).

    Returns
    -------
    ModelStudy

    Raises
    ------
    SettingsMismatchError
        The model and the store were made with different settings.
    """
    from ..models.modelio import compression_ratio

    model = bundle.model
    name = name or Path(bundle.folder).name
    check_compatible(bundle.config, store.config, model_name=f"model {bundle.folder}",
                     data_name=f"spectrograms {store.path}",
                     fix="Analyse the model with the spectrograms it was trained on (spectrograms=...), or "
                         "preprocess the audio again with the model's genmusic.json settings")
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

    test_clips: Dict[str, dict] = {}
    hook = None if clip_writer is None else evaluated_song_clips(clip_writer, name, test_clips)
    study.reconstruction = _reconstruction(model, store, max_eval_songs, n_iter, seed, on_song=hook)

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
                    "name": shown(song_id), "path": new.meta["sources"][i],  # the name as people read it
                    "n_segments": int(np.sum(new.segment_song == i)),
                    "predicted_genre": None if genres is None else str(genres[i]),
                    "probability": None if probs is None else float(probs[i]),
                    "pca2": [float(v) for v in coords[i]], "nearest": near[i]})
            if genres is None:
                study.notes.append("no genre prediction for the new songs: the training songs lack two labelled genres")
    if clip_writer is not None:
        try:
            study.listening = listen(bundle, store, study, clip_writer, listening or ListeningOptions(),
                                     test_clips=test_clips, n_iter=n_iter, seed=seed)
        except OutputError:
            raise  # the disk is full: the run stops with one line, the report is not half-written
        except Exception as exc:  # noqa: BLE001 - without sound the numbers still make a report
            logger.exception("model %s: the report's audio failed", name)
            study.listening = {"notes": [f"no audio: {type(exc).__name__}: {exc}"]}
    return study
