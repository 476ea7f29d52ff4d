"""The analysis report: figures, ``report.md``, a self-contained ``report.html`` and ``results.json``.

:func:`run_analysis` is the whole job behind ``python scripts/analyze.py``: it loads the store and every
model folder, runs :func:`genmusic.analysis.study_model` on each, computes the MFCC baseline once, saves
each model's latents, draws the figures and writes the report. A model that cannot be analysed (another
version, settings that do not match the spectrograms) is reported as an error while the other models
are still analysed.

The report is built once as a list of blocks (headings, paragraphs, tables, images) and rendered twice,
to Markdown and to HTML, so both always hold the same numbers; every number in them is formatted by
:func:`format_number` from the values saved in ``results.json``.

Output folder::

    report.md, report.html, results.json
    figures/<model>_pca2d.png, _pca3d.png, _tsne.png, _elbow.png, _clusters.png, _confusion.png
    latents_<model>.npz, songs_<model>.csv
"""

from __future__ import annotations

import base64
import html
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .analysis import MfccBaseline, ModelStudy, mfcc_baseline, study_model
from .errors import GenmusicError, ParameterError
from .plotting import _plt, save_figure
from ._io import atomic_write_json, atomic_write_text, unique_safe_names
from .store import SPLITS, SpectrogramStore

__all__ = ["REPORT_VERSION", "AnalysisReport", "format_number", "run_analysis", "write_report",
           "default_spectrograms", "model_names", "plot_projection", "plot_projection_3d", "plot_elbow",
           "plot_cluster_scores", "plot_confusions"]

logger = logging.getLogger("genmusic")

#: Version of the ``results.json`` layout.
REPORT_VERSION = 1

SPACE_TITLES = {"latent": "full latent space", "pca3": "3-D PCA space", "pca2": "2-D PCA space"}
KMEANS_COLUMNS = (("k", "k"), ("homogeneity", "homogeneity"), ("completeness", "completeness"),
                  ("v_measure", "V-measure"), ("adjusted_rand", "adjusted Rand"), ("silhouette", "silhouette"),
                  ("inertia", "inertia"))
RECONSTRUCTION_LABELS = {
    "mse": "MSE of normalised spectrograms (model reconstruction)",
    "mel_distance": "mel distance, model reconstruction -> Griffin-Lim audio vs original",
    "resynth_mel_distance": "mel distance, original spectrogram -> Griffin-Lim (resynthesis ceiling)",
    "n_songs": "test songs evaluated",
}


def format_number(value, digits: int = 3) -> str:
    """How the report writes a number: ``None``/NaN -> ``n/a``, integers as they are, floats with
    ``digits`` decimals (one decimal from 1000 up)."""
    if value is None or isinstance(value, str):
        return "n/a" if value is None else value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.1f}" if abs(value) >= 1000 else f"{value:.{digits}f}"


# --------------------------------------------------------------------------------------------------
# figures


def _colours(n: int):
    plt = _plt()
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(max(n, 1))]


def _genre_groups(genres: np.ndarray) -> List[Tuple[str, np.ndarray]]:
    genres = np.asarray(genres, dtype=str)
    return [(g or "(no genre)", genres == g) for g in sorted(set(genres.tolist()))]


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
    for (genre, mask), colour in zip(groups, _colours(len(groups))):
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
    for (genre, mask), colour in zip(groups, _colours(len(groups))):
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


# --------------------------------------------------------------------------------------------------
# the document: blocks rendered to Markdown and HTML


class _Doc:
    def __init__(self) -> None:
        self.blocks: List[tuple] = []

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def ul(self, items: Sequence[str]) -> None:
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.blocks.append(("table", list(header), [list(r) for r in rows]))

    def img(self, path: Path, rel: str, alt: str) -> None:
        self.blocks.append(("img", Path(path), rel, alt))

    def markdown(self) -> str:
        out = []
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                out.append("#" * block[1] + " " + block[2])
            elif kind == "p":
                out.append(block[1])
            elif kind == "ul":
                out.append("\n".join(f"- {item}" for item in block[1]))
            elif kind == "table":
                header, rows = block[1], block[2]
                cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
                lines = ["| " + " | ".join(cell(h) for h in header) + " |",
                         "|" + "|".join(" --- " for _ in header) + "|"]
                lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
                out.append("\n".join(lines))
            elif kind == "img":
                out.append(f"![{block[3]}]({block[2]})")
        return "\n\n".join(out) + "\n"

    def html(self, title: str) -> str:
        e = html.escape
        body = []
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                body.append(f"<h{block[1]}>{e(block[2])}</h{block[1]}>")
            elif kind == "p":
                body.append(f"<p>{e(block[1])}</p>")
            elif kind == "ul":
                body.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in block[1]) + "</ul>")
            elif kind == "table":
                head = "".join(f"<th>{e(str(h))}</th>" for h in block[1])
                rows = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in block[2])
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            elif kind == "img":
                data = base64.b64encode(block[1].read_bytes()).decode("ascii")
                body.append(f'<figure><img alt="{e(block[3])}" src="data:image/png;base64,{data}">'
                            f"<figcaption>{e(block[3])}</figcaption></figure>")
        return _HTML_TEMPLATE.format(title=e(title), body="\n".join(body))


_HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }}
h1 {{ border-bottom: 2px solid #444; padding-bottom: .2em; }}
h2 {{ border-bottom: 1px solid #bbb; margin-top: 2em; }}
table {{ border-collapse: collapse; margin: .8em 0; font-size: .92em; }}
th, td {{ border: 1px solid #ccc; padding: .25em .6em; text-align: left; }}
th {{ background: #f0f0f0; }}
tbody tr:nth-child(even) {{ background: #fafafa; }}
figure {{ margin: 1em 0; }}
img {{ max-width: 100%; border: 1px solid #ddd; }}
figcaption {{ font-size: .85em; color: #666; }}
li {{ margin: .15em 0; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


# --------------------------------------------------------------------------------------------------
# the run


@dataclass
class AnalysisReport:
    """What :func:`run_analysis` wrote.

    Attributes
    ----------
    output_dir : Path
    markdown, html, results_path : Path
        ``report.md``, ``report.html``, ``results.json``.
    results : dict
        The content of ``results.json``.
    errors : list of str
        One message per model that could not be analysed.
    """

    output_dir: Path
    markdown: Path
    html: Path
    results_path: Path
    results: dict
    errors: List[str] = field(default_factory=list)
    studies: List[ModelStudy] = field(default_factory=list, repr=False)


def model_names(folders: Sequence[str | os.PathLike]) -> List[str]:
    """File-safe, unique names of model folders (their folder names; ``_2``, ``_3`` for repeats)."""
    return unique_safe_names((Path(folder).resolve().name for folder in folders), fallback="model")


def default_spectrograms(model_folders: Sequence[str | os.PathLike], fallback: str = "spectrograms") -> Path:
    """The store the first model was trained on (``spectrograms`` in its ``genmusic.json``) where that
    folder exists, else ``fallback``."""
    from .modelio import read_model_metadata

    for folder in model_folders:
        try:
            named = read_model_metadata(folder).get("spectrograms")
        except GenmusicError:
            continue
        if named and Path(named).is_dir():
            return Path(named)
    return Path(fallback)


def _dataset_summary(store: SpectrogramStore) -> dict:
    songs = store.songs
    genres = sorted({r.genre for r in songs if r.genre})
    return {
        "path": str(store.path),
        "n_songs": len(songs),
        "n_genres": len(genres),
        "genres": genres,
        "songs_per_genre": {g: sum(1 for r in songs if r.genre == g) for g in genres},
        "unlabelled_songs": sum(1 for r in songs if not r.genre),
        "n_segments": int(sum(r.n_segments for r in songs)),
        "songs_per_split": {s: sum(1 for r in songs if r.split == s) for s in SPLITS},
        "segments_per_split": {s: int(sum(r.n_segments for r in songs if r.split == s)) for s in SPLITS},
        "sample_rate": int(store.config.audio.sample_rate),
        "segment_shape": [int(v) for v in store.segment_shape],
        "segment_seconds": store.config.spectrogram.segment_samples / store.config.audio.sample_rate,
        "seconds_of_audio": float(sum(r.n_samples for r in songs) / store.config.audio.sample_rate),
    }


def run_analysis(model_folders: Sequence[str | os.PathLike], output_dir: str | os.PathLike, *,
                 spectrograms: Optional[str | os.PathLike] = None, inputs: Sequence[str | os.PathLike] = (),
                 seed: int = 0, max_eval_songs: int = 4, tsne: bool = True, n_iter: int = 32,
                 pooling: str = "mean") -> AnalysisReport:
    """Analyse one or more models on a spectrogram store and write the report.

    Parameters
    ----------
    model_folders : sequence of path-like
        Model folders (``genmusic.json`` + ``model.keras``).
    output_dir : path-like
    spectrograms : path-like, optional
        The store; default :func:`default_spectrograms`.
    inputs : sequence of path-like
        Audio files from outside the data set, placed among the songs of every model.
    seed : int
    max_eval_songs : int
        Test songs used for the reconstruction figures.
    tsne : bool
    pooling : {"mean", "mean_std"}
        Song latent from segment latents.

    Returns
    -------
    AnalysisReport
        ``errors`` lists the models that could not be analysed (their sections say why); the others are
        in the report.

    Raises
    ------
    DataError
        The store cannot be read (without data there is no report).
    """
    from .modelio import load_bundle

    if not model_folders:
        raise ParameterError("model_folders is empty: give at least one model folder")
    store = SpectrogramStore(spectrograms if spectrograms is not None else default_spectrograms(model_folders))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    studies: List[ModelStudy] = []
    failures: List[dict] = []
    for folder, name in zip(model_folders, model_names(model_folders)):
        logger.info("analysing model %s on %s", folder, store.path)
        try:
            bundle = load_bundle(folder)
            study = study_model(bundle, store, name=name, seed=seed, tsne=tsne, max_eval_songs=max_eval_songs,
                                n_iter=n_iter, inputs=inputs, pooling=pooling)
        except GenmusicError as exc:
            failures.append({"name": name, "folder": str(folder), "status": "error", "error": str(exc)})
            continue
        except Exception as exc:  # noqa: BLE001 - one model's failure must not lose the others' report
            logger.exception("model %s: unexpected failure", folder)
            failures.append({"name": name, "folder": str(folder), "status": "error",
                             "error": f"unexpected {type(exc).__name__}: {exc}"})
            continue
        study.latents.save(output_dir / f"latents_{name}.npz", output_dir / f"songs_{name}.csv")
        if study.new_latents is not None:
            study.new_latents.save(output_dir / f"latents_{name}_inputs.npz", output_dir / f"songs_{name}_inputs.csv")
        studies.append(study)
    baseline = mfcc_baseline(store, seed=seed) if studies else None
    return write_report(output_dir, store, studies, failures=failures, baseline=baseline, seed=seed,
                        inputs=[str(p) for p in inputs])


def _figures(study: ModelStudy, fig_dir: Path, baseline: Optional[MfccBaseline]) -> Dict[str, Path]:
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


def _classification_rows(source: str, result: Optional[dict]) -> List[List[str]]:
    if result is None or not result["scores"]:
        return []
    return [[source, score["name"], format_number(score["accuracy"]), format_number(score["macro_f1"])]
            for score in result["scores"].values()]


def _comparison(models: List[dict]) -> List[dict]:
    rows = []
    for m in models:
        if m["status"] != "ok":
            continue
        rec = m["reconstruction"]
        cls = m["classification"]
        lr = cls["scores"].get("logistic_regression") if cls else None
        rows.append({"name": m["name"], "kind": m["kind"], "latent_dim": m["latent_dim"],
                     "compression_ratio": m["compression_ratio"], "mse": rec.get("mse"),
                     "mel_distance": rec.get("mel_distance"), "resynth_mel_distance": rec.get("resynth_mel_distance"),
                     "accuracy": None if lr is None else lr["accuracy"],
                     "macro_f1": None if lr is None else lr["macro_f1"],
                     "cv_accuracy": (m["cross_validation"] or {}).get("accuracy"),
                     "v_measure_at_n_genres": m["v_measure_at_n_genres"]})
    return rows


def write_report(output_dir: str | os.PathLike, store: SpectrogramStore, studies: Sequence[ModelStudy], *,
                 failures: Sequence[dict] = (), baseline: Optional[MfccBaseline] = None, seed: int = 0,
                 inputs: Sequence[str] = ()) -> AnalysisReport:
    """Draw the figures and write ``report.md``, ``report.html`` and ``results.json`` (all atomically).

    Parameters
    ----------
    studies : sequence of ModelStudy
    failures : sequence of dict
        ``{"name", "folder", "error"}`` per model that could not be analysed.
    baseline : MfccBaseline, optional
    """
    from . import __version__

    output_dir = Path(output_dir)
    fig_dir = output_dir / "figures"
    dataset = _dataset_summary(store)
    models: List[dict] = []
    figures: Dict[str, Dict[str, Path]] = {}
    for study in studies:
        entry = study.to_dict()
        figures[study.name] = _figures(study, fig_dir, baseline)
        entry["figures"] = {k: str(p.relative_to(output_dir)) for k, p in figures[study.name].items()}
        entry["files"] = {"latents": f"latents_{study.name}.npz", "songs": f"songs_{study.name}.csv"}
        models.append(entry)
    models += [dict(f, status="error") for f in failures]
    results = {
        "genmusic_report_version": REPORT_VERSION,
        "genmusic_version": __version__,
        "seed": int(seed),
        "dataset": dataset,
        "inputs": list(inputs),
        "baseline_mfcc": None if baseline is None else baseline.to_dict(),
        "models": models,
        "comparison": _comparison(models),
        "errors": [f"{f['folder']}: {f['error']}" for f in failures],
    }
    doc = _build_document(results, figures, output_dir)
    md_path = atomic_write_text(output_dir / "report.md", doc.markdown())
    html_path = atomic_write_text(output_dir / "report.html", doc.html("genmusic latent-space analysis"))
    json_path = atomic_write_json(output_dir / "results.json", _json_safe(results))
    return AnalysisReport(output_dir=output_dir, markdown=md_path, html=html_path, results_path=json_path,
                          results=results, errors=list(results["errors"]), studies=list(studies))


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value


def _build_document(results: dict, figures: Dict[str, Dict[str, Path]], output_dir: Path) -> _Doc:
    f = format_number
    doc = _Doc()
    ds = results["dataset"]
    doc.h(1, "genmusic latent-space analysis")
    doc.p(f"genmusic {results['genmusic_version']}, seed {results['seed']}. Every number here is also in "
          f"results.json. Song latents are the mean of each song's segment latents (a VAE's posterior means) "
          f"unless a model section says otherwise.")
    if results["errors"]:
        doc.h(2, "Errors")
        doc.ul(results["errors"])

    doc.h(2, "Dataset")
    sp, sg = ds["songs_per_split"], ds["segments_per_split"]
    doc.table(["quantity", "value"], [
        ["spectrograms", ds["path"]],
        ["songs", f(ds["n_songs"])],
        ["genres", f"{ds['n_genres']}: " + ", ".join(f"{g} ({n})" for g, n in ds["songs_per_genre"].items())
         if ds["genres"] else "0 (unlabelled)"],
        ["unlabelled songs", f(ds["unlabelled_songs"])],
        ["segments", f(ds["n_segments"])],
        ["songs train / validation / test", " / ".join(f(sp[s]) for s in SPLITS)],
        ["segments train / validation / test", " / ".join(f(sg[s]) for s in SPLITS)],
        ["sample rate (Hz)", f(ds["sample_rate"])],
        ["segment shape (frequency bins x frames)", " x ".join(map(str, ds["segment_shape"]))],
        ["segment length (s)", f(ds["segment_seconds"])],
        ["audio (s)", f(ds["seconds_of_audio"], 1)],
    ])

    comparison = results["comparison"]
    if len(comparison) >= 2:
        doc.h(2, "Models compared")
        doc.p("Reconstruction on the test split; accuracy of logistic regression on song latents "
              "(train + validation songs -> test songs); V-measure of K-means with k = number of genres in the "
              "full latent space. Compression ratio: audio samples per latent float.")
        doc.table(["model", "kind", "latent size", "compression ratio", "test MSE", "mel distance",
                   "resynth ceiling", "accuracy", "macro F1", "CV accuracy", "V-measure (k = genres)"],
                  [[r["name"], r["kind"], f(r["latent_dim"]), f(r["compression_ratio"], 1), f(r["mse"], 4),
                    f(r["mel_distance"]), f(r["resynth_mel_distance"]), f(r["accuracy"]), f(r["macro_f1"]),
                    f(r["cv_accuracy"]), f(r["v_measure_at_n_genres"])] for r in comparison])

    baseline = results["baseline_mfcc"]
    for m in results["models"]:
        doc.h(2, f"Model {m['name']}")
        if m["status"] != "ok":
            doc.p(f"Not analysed: {m['error']}")
            continue
        figs = figures.get(m["name"], {})
        rel = {k: str(p.relative_to(output_dir)) for k, p in figs.items()}
        doc.table(["quantity", "value"], [
            ["folder", m["folder"]],
            ["kind", m["kind"]],
            ["latent size (floats per segment)", f(m["latent_dim"])],
            ["parameters", f(m["n_params"])],
            ["compression ratio (audio samples per latent float)", f(m["compression_ratio"], 1)],
            ["song latent", {"mean": "mean of the segment latents",
                             "mean_std": "mean and std of the segment latents"}[m["song_pooling"]]],
            ["songs / segments encoded", f"{m['n_songs']} / {m['n_segments']}"],
        ])
        doc.ul([f"note: {n}" for n in ([m["label_note"]] if m["label_note"] else []) + m["notes"]])

        doc.h(3, "Latent space views")
        ev2, ev3 = m["pca"]["2d"]["explained_variance_ratio"], m["pca"]["3d"]["explained_variance_ratio"]
        doc.p(f"PCA explained variance: 2-D {f(sum(ev2))} ({', '.join(f(v) for v in ev2)}), "
              f"3-D {f(sum(ev3))} ({', '.join(f(v) for v in ev3)}).")
        for key, alt in (("pca2d", "PCA 2-D of song latents, coloured by genre"),
                         ("pca3d", "PCA 3-D of song latents, coloured by genre"),
                         ("tsne", "t-SNE of song latents, coloured by genre")):
            if key in figs:
                doc.img(figs[key], rel[key], f"{m['name']}: {alt}")

        doc.h(3, "K-means clustering of song latents")
        doc.p("Homogeneity: each cluster holds one genre; completeness: each genre falls in one cluster; "
              "V-measure: their harmonic mean; adjusted Rand: agreement with the genres corrected for chance; "
              "silhouette: separation of the clusters (no labels needed); inertia: sum of squared distances "
              "to the cluster centres.")
        for space, sweep in m["kmeans"].items():
            dims = m["latent_dim"] * (2 if m["song_pooling"] == "mean_std" else 1) if space == "latent" else \
                int(space[-1])
            doc.h(4, f"K-means in the {SPACE_TITLES[space]} ({dims} dimensions)")
            if sweep["rows"]:
                doc.table([c[1] for c in KMEANS_COLUMNS],
                          [[f(r[key]) for key, _ in KMEANS_COLUMNS] for r in sweep["rows"]])
            doc.ul([f"note: {n}" for n in sweep["notes"]])
        for key, alt in (("elbow", "K-means inertia against k (elbow)"),
                         ("clusters", "homogeneity, completeness, V-measure and adjusted Rand against k")):
            if key in figs:
                doc.img(figs[key], rel[key], f"{m['name']}: {alt}")

        doc.h(3, "Genre classification")
        cls = m["classification"]
        base_cls = baseline["classification"] if baseline else None
        if cls is None:
            doc.p(f"Skipped: {m['label_note'] or 'the songs do not carry at least two genre labels'}.")
        else:
            doc.p(f"Song level: classifiers trained on the {cls['n_train']} train + validation songs, scored on the "
                  f"{cls['n_test']} test songs (no segment of a test song is seen in training). Latents: the song "
                  f"latents; MFCC: mean and std of 20 MFCCs of the song's audio (the classic baseline). Chance: share "
                  f"of the most frequent genre among the test songs.")
            rows = _classification_rows("latents", cls) + _classification_rows("MFCC", base_cls)
            if rows:
                rows.append(["chance", "most frequent genre", f(cls["chance"]), "n/a"])
                doc.table(["features", "classifier", "accuracy", "macro F1"], rows)
            cv, base_cv = m["cross_validation"] or {}, (baseline or {}).get("cross_validation") or {}
            if cv.get("accuracy") is not None:
                line = (f"Cross-validated song-level accuracy over all songs ({cv['classifier']}, "
                        f"{cv['n_splits']} stratified folds): latents {f(cv['accuracy'])}")
                if base_cv.get("accuracy") is not None:
                    line += f", MFCC {f(base_cv['accuracy'])}"
                doc.p(line + ".")
            notes = list(cls["notes"]) + [n for n in (cv.get("note"),) if n]
            if baseline:
                notes += baseline["notes"] + (base_cls["notes"] if base_cls else [])
            doc.ul([f"note: {n}" for n in notes])
            if "confusion" in figs:
                doc.img(figs["confusion"], rel["confusion"], f"{m['name']}: confusion matrices on the test songs")

        doc.h(3, "Reconstruction on the test split")
        rec = m["reconstruction"]
        if not rec.get("available"):
            doc.p(rec.get("note") or "reconstruction not available")
        else:
            doc.p(f"Test songs: at most {rec['max_songs']}; Griffin-Lim: {rec['n_iter']} iterations. The resynthesis "
                  "ceiling is the mel distance Griffin-Lim alone reaches from the original spectrogram: the model "
                  "cannot do better than it.")
            rows = [[RECONSTRUCTION_LABELS.get(k, k), f(v, 4 if k == "mse" else 3)] for k, v in rec.items()
                    if k not in ("available", "max_songs", "n_iter", "seed") and
                    (v is None or isinstance(v, (int, float))) and not isinstance(v, bool)]
            doc.table(["metric", "value"], rows)
            if rec.get("missing_sources"):
                doc.ul([f"note: source audio missing for {', '.join(map(str, rec['missing_sources']))}: their "
                        "reference is the resynthesis of the stored spectrogram (no ceiling)"])

        if m["new_songs"] or results["inputs"]:
            doc.h(3, "New music")
            if m["new_songs"]:
                doc.p("Files from outside the data set, encoded with the model's settings and placed in the PCA "
                      "view (stars). Nearest songs: the closest train + validation songs by cosine distance "
                      "between song latents. Genre: logistic regression on those songs' latents.")
                doc.table(["file", "segments", "predicted genre", "probability", "nearest songs (cosine distance)"],
                          [[s["name"], f(s["n_segments"]), s["predicted_genre"] or "n/a", f(s["probability"]),
                            ", ".join(f"{n['song_id']} ({f(n['distance'])})" for n in s["nearest"])]
                           for s in m["new_songs"]])
            else:
                doc.p("None of the input files could be used (see the notes above).")
    return doc
