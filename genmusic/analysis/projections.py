"""Low-dimensional views of latents: PCA (2-D / 3-D, able to place new points) and t-SNE."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from .._checks import valid_matrix
from ..errors import ParameterError

__all__ = ["Projection", "pca_projection", "tsne_projection"]


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
