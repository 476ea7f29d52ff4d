"""The latent-space study's figures (matplotlib, Agg backend: no screen needed), each saved atomically.

* :func:`plot_projection`, :func:`plot_projection_3d` -- songs in a 2-D / 3-D view, coloured by genre
  (:func:`genre_colours`, which the report's interactive map uses too).
* :func:`plot_elbow`, :func:`plot_cluster_scores` -- K-means sweeps.
* :func:`plot_confusions` -- confusion matrices of genre classifiers.
* :func:`plot_study` -- every figure of one model's latent-space study, for the report.

Spectrogram pictures and loss curves are drawn by :mod:`genmusic._plot` (generation and training use them);
its names are importable from here too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .._plot import plot_history, plot_spectrograms, pyplot, save_figure, spectrogram_figure

__all__ = ["save_figure", "plot_spectrograms", "spectrogram_figure", "plot_history", "plot_projection",
           "plot_projection_3d", "plot_elbow", "plot_cluster_scores", "plot_confusions", "plot_study", "genre_colours",
           "NO_GENRE", "SPACE_TITLES", "KMEANS_COLUMNS"]

#: How figures and the report name the spaces K-means runs in.
SPACE_TITLES = {"latent": "full latent space", "pca3": "3-D PCA space", "pca2": "2-D PCA space"}
#: The K-means scores, by key, with the names figures and the report show.
KMEANS_COLUMNS = (("k", "k"), ("homogeneity", "homogeneity"), ("completeness", "completeness"),
                  ("v_measure", "V-measure"), ("adjusted_rand", "adjusted Rand"), ("silhouette", "silhouette"),
                  ("inertia", "inertia"))


# --------------------------------------------------------------------------------------------------
# the latent-space study


#: How figures and the report's latent map name songs without a genre.
NO_GENRE = "(no genre)"


def genre_colours(genres: Sequence[str]) -> Dict[str, str]:
    """One colour per distinct genre (``""``: no genre), in sorted order: ``{genre: "#rrggbb"}``.

    matplotlib's ``tab10`` (``tab20`` beyond ten genres): the PNG figures and the report's interactive
    latent map colour a genre alike.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    names = sorted(set(np.asarray(genres, dtype=str).tolist()))
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {g: to_hex(cmap(i % cmap.N)) for i, g in enumerate(names)}


def _genre_groups(genres: np.ndarray) -> List[Tuple[str, np.ndarray, str]]:
    """(name shown, mask, colour) per genre."""
    genres = np.asarray(genres, dtype=str)
    return [(g or NO_GENRE, genres == g, colour) for g, colour in genre_colours(genres).items()]


def plot_projection(coords: np.ndarray, genres: Sequence[str], path: str | os.PathLike, *, title: str,
                    splits: Optional[Sequence[str]] = None, new_coords: Optional[np.ndarray] = None,
                    new_names: Sequence[str] = (), axis_labels: Tuple[str, str] = ("1", "2")) -> Path:
    """A 2-D scatter of songs coloured by genre (test songs as triangles), new songs as labelled stars.

    Parameters
    ----------
    coords : np.ndarray [shape=(n_songs, >=2)]
    genres, splits : sequence of str [len=n_songs]
    new_coords : np.ndarray [shape=(n_new, >=2)], optional
    """
    plt = pyplot()
    coords = np.asarray(coords)
    splits = np.asarray(splits if splits is not None else ["train"] * len(coords), dtype=str)
    groups = _genre_groups(np.asarray(genres, dtype=str))
    fig, ax = plt.subplots(figsize=(7.2, 5.6))
    for genre, mask, colour in groups:
        for marker, sel, label in (("o", mask & (splits != "test"), genre), ("^", mask & (splits == "test"), None)):
            if np.any(sel):
                ax.scatter(coords[sel, 0], coords[sel, 1], s=36, marker=marker, color=colour, alpha=0.85,
                           edgecolors="white", linewidths=0.4, label=label)
    if new_coords is not None and len(new_coords):
        new_coords = np.asarray(new_coords)
        ax.scatter(new_coords[:, 0], new_coords[:, 1], s=220, marker="*", color="black", edgecolors="yellow",
                   linewidths=0.8, label="new music", zorder=5)
        for (x, y), name in zip(new_coords[:, :2], new_names):
            ax.annotate(str(name), (x, y), textcoords="offset points", xytext=(6, 6), fontsize=8, weight="bold")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title + ("\n(triangles: test songs)" if np.any(splits == "test") else ""), fontsize=10)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return save_figure(fig, path)


def plot_projection_3d(coords: np.ndarray, genres: Sequence[str], path: str | os.PathLike, *, title: str,
                       axis_labels: Tuple[str, str, str] = ("PC1", "PC2", "PC3")) -> Path:
    """A 3-D scatter of songs coloured by genre."""
    plt = pyplot()
    coords = np.asarray(coords)
    groups = _genre_groups(np.asarray(genres, dtype=str))
    fig = plt.figure(figsize=(7.2, 5.8))
    ax = fig.add_subplot(projection="3d")
    for genre, mask, colour in groups:
        ax.scatter(coords[mask, 0], coords[mask, 1], coords[mask, 2], s=26, color=colour, alpha=0.85, label=genre)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_zlabel(axis_labels[2])
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.08, 0.5), frameon=False)
    return save_figure(fig, path)


def plot_elbow(sweeps: Dict[str, dict], path: str | os.PathLike, *, title: str = "") -> Path:
    """Inertia against k, one panel per space (``{space: ClusterSweep.to_dict()}``)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(sweeps), figsize=(4.0 * len(sweeps), 3.4), squeeze=False, layout="constrained")
    for ax, (space, sweep) in zip(axes[0], sweeps.items()):
        rows = sweep["rows"]
        ax.plot([r["k"] for r in rows], [r["inertia"] for r in rows], "o-", color="tab:blue")
        ax.set_title(SPACE_TITLES.get(space, space), fontsize=10)
        ax.set_xlabel("k (clusters)")
        ax.set_ylabel("inertia")
        ax.grid(alpha=0.25)
    fig.suptitle(title or "K-means elbow")
    return save_figure(fig, path)


def plot_cluster_scores(sweeps: Dict[str, dict], path: str | os.PathLike, *, title: str = "",
                        n_genres: Optional[int] = None) -> Path:
    """Homogeneity, completeness, V-measure and adjusted Rand index against k, one panel per space."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(sweeps), figsize=(4.0 * len(sweeps) + 1.2, 3.5), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, (space, sweep) in zip(axes[0], sweeps.items()):
        rows = [r for r in sweep["rows"] if r["v_measure"] is not None]
        ks = [r["k"] for r in rows]
        for key, style in (("homogeneity", "o-"), ("completeness", "s-"), ("v_measure", "D-"),
                           ("adjusted_rand", "x--")):
            ax.plot(ks, [r[key] for r in rows], style, label=dict(KMEANS_COLUMNS)[key], markersize=4)
        if n_genres:
            ax.axvline(n_genres, color="grey", lw=0.8, ls=":")
        ax.set_title(SPACE_TITLES.get(space, space), fontsize=10)
        ax.set_xlabel("k (clusters)")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.25)
    axes[0, 0].set_ylabel("score")
    axes[0, -1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(title or "K-means against genres")
    return save_figure(fig, path)


def plot_confusions(panels: Sequence[Tuple[str, Sequence[str], np.ndarray]], path: str | os.PathLike, *,
                    title: str = "", max_columns: int = 3) -> Path:
    """Confusion matrices in a grid: ``(title, labels, matrix [shape=(n, n)])`` per panel, counts written in
    the cells (rows: true genre, columns: predicted)."""
    import textwrap

    plt = pyplot()
    n = len(panels)
    n_cols = min(n, max_columns)
    n_rows = -(-n // n_cols)
    n_labels = max(len(p[1]) for p in panels)
    size = max(3.0, 0.4 * n_labels + 1.8)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, (size + 0.5) * n_rows), squeeze=False,
                             layout="constrained")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, (name, labels, matrix) in zip(axes.flat, panels):
        matrix = np.asarray(matrix)
        ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1, matrix.max()))
        ticks = np.arange(len(labels))
        ax.set_xticks(ticks, labels, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(ticks, labels, fontsize=8)
        for i in range(matrix.shape[0]):
            for j in range(matrix.shape[1]):
                if matrix[i, j]:
                    ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8,
                            color="white" if matrix[i, j] > 0.5 * matrix.max() else "black")
        ax.set_title("\n".join(textwrap.wrap(name, 30)), fontsize=9)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("true genre", fontsize=8)
    fig.suptitle(title or "confusion matrices (test songs)")
    return save_figure(fig, path)


def plot_study(study, fig_dir: Path, baseline=None) -> Dict[str, Path]:
    """Every figure of one model's study (:class:`genmusic.analysis.ModelStudy`) into ``fig_dir``.

    Returns
    -------
    dict
        Figure key (``pca2d``, ``pca3d``, ``tsne``, ``elbow``, ``clusters``, ``confusion``) -> path; a figure
        whose data is missing (no t-SNE, no labels, no classifier) is left out.
    """
    name = study.name
    lat = study.latents
    figs: Dict[str, Path] = {}
    ev = study.pca2.explained_variance_ratio
    new = study.new_latents
    figs["pca2d"] = plot_projection(
        study.pca2.coords, lat.genres, fig_dir / f"{name}_pca2d.png", splits=lat.splits,
        title=f"{name}: song latents, PCA 2-D",
        new_coords=None if new is None else np.array([s["pca2"] for s in study.new_songs]),
        new_names=[] if new is None else [s["name"] for s in study.new_songs],
        axis_labels=(f"PC1 ({100 * ev[0]:.1f}% of variance)", f"PC2 ({100 * ev[1]:.1f}%)"))
    ev3 = study.pca3.explained_variance_ratio
    figs["pca3d"] = plot_projection_3d(study.pca3.coords, lat.genres, fig_dir / f"{name}_pca3d.png",
                                       title=f"{name}: song latents, PCA 3-D",
                                       axis_labels=tuple(f"PC{i + 1} ({100 * v:.1f}%)" for i, v in enumerate(ev3)))
    if study.tsne is not None:
        figs["tsne"] = plot_projection(study.tsne.coords, lat.genres, fig_dir / f"{name}_tsne.png", splits=lat.splits,
                                       title=f"{name}: song latents, t-SNE (perplexity "
                                             f"{study.tsne.params['perplexity']:.3g})",
                                       axis_labels=("t-SNE 1", "t-SNE 2"))
    sweeps = {space: sweep.to_dict() for space, sweep in study.kmeans.items() if sweep.rows}
    if sweeps:
        figs["elbow"] = plot_elbow(sweeps, fig_dir / f"{name}_elbow.png", title=f"{name}: K-means elbow")
        labelled = {s: d for s, d in sweeps.items() if d["labelled"]}
        if labelled:
            figs["clusters"] = plot_cluster_scores(labelled, fig_dir / f"{name}_clusters.png", n_genres=study.n_genres,
                                                   title=f"{name}: K-means clusters against genres")
    panels = []
    if study.classification is not None and study.classification.scores:
        for key, score in study.classification.scores.items():
            panels.append((f"latents: {score.name}", study.classification.labels, score.confusion))
    if baseline is not None and baseline.classification is not None and baseline.classification.scores:
        score = baseline.classification.scores["logistic_regression"]
        panels.append((f"MFCC: {score.name}", baseline.classification.labels, score.confusion))
    if panels:
        figs["confusion"] = plot_confusions(panels, fig_dir / f"{name}_confusion.png",
                                            title=f"{name}: genre confusion on test songs")
    return figs
