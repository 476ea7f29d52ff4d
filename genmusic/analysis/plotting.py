"""Every figure genmusic draws (matplotlib, Agg backend: no screen needed), each saved atomically.

* :func:`plot_spectrograms` -- spectrograms stacked on a shared colour scale (generation's pictures).
* :func:`plot_history` -- loss curves of a training run (``loss.png``).
* :func:`plot_projection`, :func:`plot_projection_3d` -- songs in a 2-D / 3-D view, coloured by genre
  (:func:`genre_colours`, which the report's interactive map uses too).
* :func:`plot_elbow`, :func:`plot_cluster_scores` -- K-means sweeps.
* :func:`plot_confusions` -- confusion matrices of genre classifiers.
* :func:`plot_study` -- every figure of one model's latent-space study, for the report.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .._io import atomic_path

__all__ = ["save_figure", "plot_spectrograms", "spectrogram_figure", "plot_history", "plot_projection",
           "plot_projection_3d", "plot_elbow", "plot_cluster_scores", "plot_confusions", "plot_study", "genre_colours",
           "NO_GENRE", "SPACE_TITLES", "KMEANS_COLUMNS"]

#: How figures and the report name the spaces K-means runs in.
SPACE_TITLES = {"latent": "full latent space", "pca3": "3-D PCA space", "pca2": "2-D PCA space"}
#: The K-means scores, by key, with the names figures and the report show.
KMEANS_COLUMNS = (("k", "k"), ("homogeneity", "homogeneity"), ("completeness", "completeness"),
                  ("v_measure", "V-measure"), ("adjusted_rand", "adjusted Rand"), ("silhouette", "silhouette"),
                  ("inertia", "inertia"))


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike, *, dpi: int = 110) -> Path:
    """Save a figure atomically (temporary name, then rename) and close it."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    finally:
        _plt().close(fig)
    return path


def plot_spectrograms(panels: Sequence[np.ndarray], path: str | os.PathLike, *, titles: Optional[Sequence[str]] = None,
                      sample_rate: int = 22050, hop_length: int = 256, n_fft: int = 1024,
                      suptitle: Optional[str] = None, vmin: Optional[float] = None,
                      vmax: Optional[float] = None, unit: str = "dB") -> Path:
    """Stack spectrograms vertically with time (s) and frequency (kHz) axes on a shared colour scale.

    Parameters
    ----------
    panels : sequence of np.ndarray [shape=(n_freq, n_frames)]
        dB (or normalised) spectrograms, e.g. source then result.
    """
    return save_figure(spectrogram_figure(panels, titles=titles, sample_rate=sample_rate, hop_length=hop_length,
                                          n_fft=n_fft, suptitle=suptitle, vmin=vmin, vmax=vmax, unit=unit), path)


#: Space above the top panel, in inches: the panel's title, and the figure's title above it.
_PANEL_TITLE_INCHES = 0.35
_SUPTITLE_INCHES = 0.4


def spectrogram_figure(panels: Sequence[np.ndarray], *, titles: Optional[Sequence[str]] = None,
                       sample_rate: int = 22050, hop_length: int = 256, n_fft: int = 1024,
                       suptitle: Optional[str] = None, vmin: Optional[float] = None,
                       vmax: Optional[float] = None, unit: str = "dB"):
    """The figure of :func:`plot_spectrograms`, not saved.

    The figure's title gets a band of its own above the top panel's title (fixed in inches, so it
    never overlaps the panel title however few panels there are).
    """
    plt = _plt()
    panels = [np.asarray(p, dtype=np.float32) for p in panels]
    titles = list(titles or [f"#{i}" for i in range(len(panels))])
    lo = vmin if vmin is not None else float(min(p.min() for p in panels))
    hi = vmax if vmax is not None else float(max(p.max() for p in panels))
    head = _PANEL_TITLE_INCHES + (_SUPTITLE_INCHES if suptitle else 0.0)
    height = 2.6 * len(panels) + head
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, height), squeeze=False)
    # room for each panel's title below the tick labels above it, and for the titles above the top panel
    fig.subplots_adjust(hspace=0.5, top=1.0 - head / height)
    image = None
    for ax, panel, title in zip(axes[:, 0], panels, titles):
        seconds = panel.shape[1] * hop_length / sample_rate
        top_khz = panel.shape[0] * sample_rate / n_fft / 1000
        image = ax.imshow(panel, origin="lower", aspect="auto", cmap="magma", vmin=lo, vmax=hi,
                          extent=(0, seconds, 0, top_khz))
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("kHz")
    axes[-1, 0].set_xlabel("time (s)")
    if suptitle:
        fig.suptitle(suptitle, y=1.0 - 0.08 / height, va="top")
    fig.colorbar(image, ax=axes[:, 0].tolist(), label=unit, fraction=0.025, pad=0.01)
    return fig


def plot_history(history: Dict[str, Sequence[float]], path: str | os.PathLike, *, title: str = "training") -> Path:
    """Loss curves: every ``*loss`` key, training solid and validation dashed, one panel per loss."""
    plt = _plt()
    names = [k for k in history if k.endswith("loss") and not k.startswith("val_")]
    fig, axes = plt.subplots(1, max(1, len(names)), figsize=(4.2 * max(1, len(names)), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        values = np.asarray(history[name], dtype=float)
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, label="train")
        if f"val_{name}" in history:
            ax.plot(epochs, np.asarray(history[f"val_{name}"], dtype=float), "--", label="validation")
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.set_xlabel("epoch")
        if np.all(values[np.isfinite(values)] > 0):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    fig.suptitle(title, y=1.04)
    return save_figure(fig, path)


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
    plt = _plt()
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
    plt = _plt()
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
    plt = _plt()
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
    plt = _plt()
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

    plt = _plt()
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
