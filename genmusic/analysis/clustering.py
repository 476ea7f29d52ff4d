"""K-means sweeps of latents, scored against the genres (homogeneity, completeness, V-measure, adjusted
Rand index) and without them (silhouette, inertia)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .._checks import valid_labels, valid_matrix

__all__ = ["DEFAULT_KS", "UNLABELLED_KS", "usable_labels", "default_ks", "ClusterSweep", "kmeans_sweep"]

#: Cluster counts of :func:`kmeans_sweep` after the number of genres (the earlier projects' grid).
DEFAULT_KS: Tuple[int, ...] = (10, 12, 15, 20, 25, 30)
#: Small cluster counts added when the number of genres is unknown (no labels, or one genre).
UNLABELLED_KS: Tuple[int, ...] = (2, 3, 4, 5)


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
        y, why = usable_labels(valid_labels(labels, n, "labels"))
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
