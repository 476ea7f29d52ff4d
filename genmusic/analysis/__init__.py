"""Studying the latent space: projections, K-means sweeps, genre probes, the MFCC baseline.

Most functions take arrays and return plain results (dataclasses with a ``to_dict()`` of JSON-friendly
numbers), so they work in a notebook or inside scikit-learn code as well as in the report. Every public
name of the submodules is importable from ``genmusic.analysis``:

* :mod:`~genmusic.encoding.latents` -- :func:`encode_store` / :func:`encode_files`: a model's latents of a
  spectrogram store or of new audio files, per segment and pooled per song (:class:`LatentSet`, saved as
  ``.npz`` + ``.csv``, no pickle).
* :mod:`~genmusic.analysis.projections` -- :func:`pca_projection`, :func:`tsne_projection`: 2-D / 3-D views
  (:class:`Projection`).
* :mod:`~genmusic.analysis.clustering` -- :func:`kmeans_sweep`: K-means for several ``k`` with homogeneity,
  completeness, V-measure, adjusted Rand index, silhouette and inertia (:class:`ClusterSweep`).
* :mod:`~genmusic.analysis.probes` -- :func:`classify`, :func:`cross_validate_songs`,
  :func:`segment_vote_score`: genre classifiers on latents; :func:`mfcc_features` / :func:`mfcc_baseline`:
  the classic baseline; :func:`nearest_songs`, :func:`predict_genres`: music from outside the data set.
* :mod:`~genmusic.analysis.listening` -- the report's sound: test songs four ways, the latent map's clips,
  an interpolation strip and :func:`genre_pieces` (new music per genre), compressed into the report folder.
* :mod:`~genmusic.analysis.study` -- :func:`study_model`: all of the above for one model and one store
  (:class:`ModelStudy`).
* :mod:`~genmusic.analysis.report` -- :func:`run_analysis`: several models and the report
  (``report.md``, ``report.html``, ``results.json``; the page is a :mod:`~genmusic.analysis.document`).
"""

from __future__ import annotations

from .._lazy import lazy_names
from ..encoding.latents import LATENT_FILE_VERSION, POOLINGS, LatentSet, encode_files, encode_store, pool_segments
from .clustering import DEFAULT_KS, UNLABELLED_KS, ClusterSweep, default_ks, kmeans_sweep, usable_labels
from .listening import ClipWriter, GenrePiece, ListeningOptions, genre_pieces
from .probes import (CLASSIFIERS, Classification, ClassifierScore, MfccBaseline, classify, cross_validate_songs,
                     mfcc_baseline, mfcc_features, nearest_songs, predict_genres, score_predictions,
                     segment_vote_score)
from .projections import Projection, pca_projection, tsne_projection
from .report import AnalysisReport, default_spectrograms, model_names, run_analysis, write_report
from .study import ModelStudy, study_model

__all__ = [
    "LATENT_FILE_VERSION", "POOLINGS", "LatentSet", "pool_segments", "encode_store", "encode_files",
    "Projection", "pca_projection", "tsne_projection",
    "DEFAULT_KS", "UNLABELLED_KS", "usable_labels", "default_ks", "ClusterSweep", "kmeans_sweep",
    "CLASSIFIERS", "ClassifierScore", "Classification", "score_predictions", "classify", "segment_vote_score",
    "cross_validate_songs", "mfcc_features", "MfccBaseline", "mfcc_baseline", "nearest_songs", "predict_genres",
    "ModelStudy", "study_model", "run_analysis", "model_names", "default_spectrograms", "AnalysisReport", "write_report",
    "ListeningOptions", "ClipWriter", "GenrePiece", "genre_pieces",
]

# genmusic.analysis.latents (now genmusic.encoding.latents) as an attribute, with a FutureWarning
__getattr__, _ = lazy_names(__name__, {})
