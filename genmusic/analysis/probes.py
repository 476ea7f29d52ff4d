"""Genre probes: what the latents know about genre, against the classic MFCC baseline.

* :func:`classify` -- logistic regression, k-nearest neighbours and a small MLP trained on one set of songs
  and scored on another (:class:`Classification`); :func:`cross_validate_songs` for small data sets;
  :func:`segment_vote_score` for segment-level training with song-level voting.
* :func:`mfcc_features`, :func:`mfcc_baseline` -- mean (and std) MFCCs of each song's source audio, through
  the same classifiers.
* :func:`nearest_songs`, :func:`predict_genres` -- for music from outside the data set.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .._checks import valid_labels, valid_matrix
from .._io import json_float
from ..data.store import SpectrogramStore
from ..errors import AudioLoadError, GenmusicError, ParameterError
from .clustering import usable_labels

__all__ = ["CLASSIFIERS", "ClassifierScore", "Classification", "score_predictions", "classify", "segment_vote_score",
           "cross_validate_songs", "mfcc_features", "MfccBaseline", "mfcc_baseline", "nearest_songs",
           "predict_genres"]

#: Classifiers of :func:`classify`, by key, with the names the report shows.
CLASSIFIERS: Dict[str, str] = {
    "logistic_regression": "logistic regression",
    "knn": "k-nearest neighbours",
    "mlp": "MLP",
}


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
        return {"labels": list(self.labels), "chance": json_float(self.chance), "n_train": self.n_train,
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
    y_train = valid_labels(y_train, X_train.shape[0], "y_train")
    y_test = valid_labels(y_test, X_test.shape[0], "y_test")
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
    y = valid_labels(y, X.shape[0], "y")
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

    from .._checks import valid_audio
    from ..audio import Loader

    if int(n_mfcc) < 1:
        raise ParameterError(f"n_mfcc must be >= 1, got {n_mfcc!r}")
    if isinstance(source, SpectrogramStore):
        loader = Loader(source.config.audio)
        sr = source.config.audio.sample_rate
        signals = ((loader.load(_source_path(source, record)), sr, record.source) for record in source.songs)
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


def _source_path(store: SpectrogramStore, record):
    path, why = store.source_path(record)
    if path is None:
        raise AudioLoadError(f"{record.source} (song {record.song_id}) {why}: the MFCC baseline needs the audio")
    return path


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
    y_train = valid_labels(y_train, X_train.shape[0], "y_train")
    if len(np.unique(y_train)) < 2:
        raise ParameterError("predict_genres needs training songs of at least 2 genres")
    model = _fit_quietly(_make_classifier("logistic_regression", len(y_train), seed), X_train, y_train)
    proba = model.predict_proba(valid_matrix(X_query, "X_query"))
    best = np.argmax(proba, axis=1)
    return model.classes_[best], proba[np.arange(len(best)), best]
