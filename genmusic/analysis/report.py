"""The analysis report: ``report.md``, a self-contained ``report.html`` and ``results.json``.

:func:`write_report` renders what :func:`genmusic.analysis.run_analysis` found (one
:class:`~genmusic.analysis.ModelStudy` per model, the MFCC baseline, the models that failed); the figures
come from :func:`genmusic.analysis.plotting.plot_study`.

The report is built once as a list of blocks (headings, paragraphs, tables, images) and rendered twice,
to Markdown and to HTML, so both always hold the same numbers; every number in them is formatted by
:func:`format_number` from the values saved in ``results.json``.

Output folder::

    report.md, report.html, results.json
    figures/<model>_pca2d.png, _pca3d.png, _tsne.png, _elbow.png, _clusters.png, _confusion.png
    latents_<model>.npz, songs_<model>.csv
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from .._checks import LIMITS, check_integer, check_seed
from .._io import (OUTPUT_ERRNOS, Ledger, atomic_write_json, atomic_write_text, check_folder_kind, folder_lock,
                  inner_folder, output_failure, shown, unique_safe_names)
from .._version import __version__
from .. import pretrained
from ..data.store import SPLITS, SpectrogramStore, song_summary
from ..errors import GenmusicError, OutputError, ParameterError
from .document import Clip, Document, format_number
from .latent_map import MAP_CSS, MAP_JS, render_map
from .listening import FROM_PRIOR, ClipWriter, ListeningOptions
from .plotting import KMEANS_COLUMNS, NO_GENRE, SPACE_TITLES, genre_colours, plot_study
from .probes import MfccBaseline, mfcc_baseline
from .study import ModelStudy, study_model

__all__ = ["REPORT_VERSION", "AnalysisReport", "format_number", "write_report", "run_analysis", "model_names",
           "default_spectrograms"]

logger = logging.getLogger("genmusic")


#: Version of the ``results.json`` layout.
REPORT_VERSION = 1

RECONSTRUCTION_LABELS = {
    "mse": "MSE of normalised spectrograms (model reconstruction)",
    "mel_distance": "mel distance, model reconstruction -> Griffin-Lim audio vs original",
    "resynth_mel_distance": "mel distance, original spectrogram -> Griffin-Lim (resynthesis ceiling)",
    "pca_mse": "MSE of normalised spectrograms (PCA, same floats per segment)",
    "pca_mel_distance": "mel distance, PCA reconstruction -> Griffin-Lim audio vs original",
    "chroma_similarity": "chroma similarity (notes and chords kept), model reconstruction vs original",
    "resynth_chroma_similarity": "chroma similarity, original spectrogram -> Griffin-Lim (resynthesis ceiling)",
    "pca_chroma_similarity": "chroma similarity, PCA reconstruction vs original",
    "n_songs": "test songs evaluated",
}


# --------------------------------------------------------------------------------------------------
# the run: several models, one report


def model_names(folders: Sequence[str | os.PathLike]) -> List[str]:
    """File-safe, unique names of model folders (their folder names; ``_2``, ``_3`` for repeats)."""
    return unique_safe_names((Path(folder).resolve().name for folder in folders), fallback="model")


def default_spectrograms(model_folders: Sequence[str | os.PathLike], fallback: str = "spectrograms") -> Path:
    """The store the first model was trained on that can be found
    (:func:`~genmusic.models.modelio.find_training_store`), else ``fallback``."""
    from ..models.modelio import find_training_store

    for folder in model_folders:
        try:
            return find_training_store(folder)
        except GenmusicError:
            continue
    return Path(fallback)


def run_analysis(model_folders: Sequence[str | os.PathLike], output_dir: str | os.PathLike, *,
                 spectrograms: Optional[str | os.PathLike] = None, inputs: Sequence[str | os.PathLike] = (),
                 seed: int = 0, max_eval_songs: int = 4, tsne: bool = True, n_iter: int = 32,
                 pooling: str = "mean_std", audio: bool = True,
                 listening: Optional[ListeningOptions] = None) -> AnalysisReport:
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
        Song latent from segment latents (default: mean and standard deviation).
    audio : bool
        Put sound in the report (compressed clips under ``output_dir/audio/``: players, the latent map's
        clicks, an interpolation strip, pieces per genre; see :mod:`~genmusic.analysis.listening`).
    listening : ListeningOptions, optional
        What that sound is (default ``ListeningOptions()``).

    Returns
    -------
    genmusic.analysis.report.AnalysisReport
        ``errors`` lists the models that could not be analysed (their sections say why); the others are
        in the report.

    Raises
    ------
    DataError
        The store cannot be read (without data there is no report).
    ParameterError
        ``output_dir`` is another kind of genmusic folder (a store, a model, ...), or holds a file of the
        report's names that genmusic did not write.
    FolderLockedError
        Another run writes a report into ``output_dir``.
    OutputError
        Writing failed (disk full, read-only folder), or ``audio/`` or ``figures/`` is a symbolic link.
    """
    if not model_folders:
        raise ParameterError("model_folders is empty: give at least one model folder")
    model_folders = [pretrained.resolve(folder) for folder in model_folders]  # installed models by name
    check_integer(max_eval_songs, "max_eval_songs", minimum=1, limit="max_eval_songs")
    check_integer(n_iter, "n_iter", minimum=0, limit="n_iter")
    check_seed(seed)
    bound, why = LIMITS["max_eval_songs"]
    if len(inputs) > bound:
        raise ParameterError(f"inputs lists {len(inputs)} files; {bound} is genmusic's bound on {why}", parameter="inputs")
    store = SpectrogramStore(spectrograms if spectrograms is not None else default_spectrograms(model_folders))
    output_dir = Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise ParameterError(f"output {shown(output_dir)} exists and is not a folder; choose another output_dir")
    check_folder_kind(output_dir, "report")
    names = model_names(model_folders)
    with folder_lock(output_dir, purpose="analysis"):
        for sub in ("audio", "figures"):
            if (output_dir / sub).is_symlink():
                inner_folder(output_dir, sub)  # refused before any work, naming the link
        ledger = report_ledger(output_dir)
        ledger.scratch()
        planned = [output_dir / name for name in REPORT_FILES]
        for name in names:
            planned += [output_dir / f"{stem}_{tag}{suffix}" for stem, suffix in (("latents", ".npz"), ("songs", ".csv"))
                        for tag in (name, f"{name}_inputs")]
            planned += [output_dir / "figures" / f"{name}_{key}.png" for key in FIGURE_KEYS]
        blocked = [p for p in planned if os.path.lexists(p) and not ledger.owns(p)]
        if blocked:
            raise ParameterError(f"{shown(output_dir)} holds {', '.join(shown(p.relative_to(output_dir)) for p in blocked[:5])}, "
                                 f"which genmusic did not write (or cannot prove it wrote), and the report would "
                                 f"replace it: move it away, or choose another output_dir")
        ledger.claim(*planned)
        try:
            return _analyse(model_folders, names, output_dir, store, ledger, inputs=inputs, seed=seed,
                            max_eval_songs=max_eval_songs, tsne=tsne, n_iter=n_iter, pooling=pooling, audio=audio,
                            listening=listening)
        finally:
            ledger.close()


#: The report's files at fixed names (the figures and latents are named after each model).
REPORT_FILES = ("report.md", "report.html", "results.json")
#: The figure keys of :func:`~genmusic.analysis.plotting.plot_study`.
FIGURE_KEYS = ("pca2d", "pca3d", "tsne", "elbow", "clusters", "confusion")


def report_ledger(output_dir: Path) -> Ledger:
    """The report folder's :class:`~genmusic._io.Ledger`. A report written before genmusic kept ledgers is
    adopted as far as its ``results.json`` proves: the report's files and the files it names (figures,
    latents, clips) inside the folder; nothing else there is ever removed or replaced."""
    ledger = Ledger(output_dir, "report")
    results_path = output_dir / "results.json"
    if ledger.found or not results_path.is_file():
        return ledger
    try:
        results = json.loads(results_path.read_text())
    except (OSError, ValueError):
        return ledger
    if not (isinstance(results, dict) and "genmusic_report_version" in results):
        return ledger
    named = list(REPORT_FILES)
    for model in results.get("models") or []:
        if isinstance(model, dict):
            named += [v for v in (model.get("figures") or {}).values() if isinstance(v, str)]
            named += [v for v in (model.get("files") or {}).values() if isinstance(v, str)]
            named += _clip_paths(model.get("listening"))
    root = output_dir.resolve()
    old = []
    for rel in dict.fromkeys(named):
        path = output_dir / rel
        if Ledger._valid(rel) and path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(root):
            old.append(path)
    if old:
        ledger.claim(*old)
    return ledger


def _analyse(model_folders, names: List[str], output_dir: Path, store: SpectrogramStore, ledger: Ledger, *,
             inputs, seed: int, max_eval_songs: int, tsne: bool, n_iter: int, pooling: str, audio: bool,
             listening: Optional[ListeningOptions]) -> AnalysisReport:
    """:func:`run_analysis` inside the report folder's lock."""
    from ..models.modelio import load_bundle

    studies: List[ModelStudy] = []
    failures: List[dict] = []
    clips = ClipWriter(output_dir, store.config.audio.sample_rate, ledger)
    writer = clips if audio else None
    for folder, name in zip(model_folders, names):
        logger.info("analysing model %s on %s", folder, store.path)
        try:
            bundle = load_bundle(folder)
            study = study_model(bundle, store, name=name, seed=seed, tsne=tsne, max_eval_songs=max_eval_songs,
                                n_iter=n_iter, inputs=inputs, pooling=pooling, clip_writer=writer,
                                listening=listening)
        except OutputError:
            raise  # the disk, not the model: the run stops with one message
        except GenmusicError as exc:
            failures.append({"name": name, "folder": str(folder), "status": "error", "error": str(exc)})
            continue
        except OSError as exc:
            if exc.errno in OUTPUT_ERRNOS:
                raise output_failure(output_dir, exc) from None
            raise
        except Exception as exc:  # noqa: BLE001 - one model's failure must not lose the others' report
            logger.exception("model %s: unexpected failure", folder)
            failures.append({"name": name, "folder": str(folder), "status": "error",
                             "error": f"unexpected {type(exc).__name__}: {exc}"})
            continue
        study.latents.save(output_dir / f"latents_{name}.npz", output_dir / f"songs_{name}.csv")
        if study.new_latents is not None:
            study.new_latents.save(output_dir / f"latents_{name}_inputs.npz", output_dir / f"songs_{name}_inputs.csv")
        studies.append(study)
    clips.remove_stale()  # clips of an earlier report in this folder (other songs, --input, --no-audio now)
    baseline = mfcc_baseline(store, seed=seed) if studies else None
    return write_report(output_dir, store, studies, failures=failures, baseline=baseline, seed=seed,
                        inputs=[str(p) for p in inputs])


# --------------------------------------------------------------------------------------------------
# the report


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

    def folder_bytes(self) -> int:
        """Bytes of every file in the report folder (audio, figures, latents, the reports)."""
        return sum(p.stat().st_size for p in self.output_dir.rglob("*") if p.is_file())


def _dataset_summary(store: SpectrogramStore) -> dict:
    """:func:`~genmusic.data.store.song_summary` of the store's songs, and where and what its segments are."""
    config = store.config
    return {"path": str(store.path), **song_summary(store.songs, config.audio.sample_rate),
            "sample_rate": int(config.audio.sample_rate),
            "segment_shape": [int(v) for v in store.segment_shape],
            "segment_seconds": config.spectrogram.segment_samples / config.audio.sample_rate}


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
                     "chroma_similarity": rec.get("chroma_similarity"),
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
    output_dir = Path(output_dir)
    fig_dir = inner_folder(output_dir, "figures")
    dataset = _dataset_summary(store)
    models: List[dict] = []
    figures: Dict[str, Dict[str, Path]] = {}
    for study in studies:
        entry = study.to_dict()
        figures[study.name] = plot_study(study, fig_dir, baseline)
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
        "audio": _audio_summary(models, output_dir),
        "errors": [f"{f['folder']}: {f['error']}" for f in failures],
    }
    doc = _build_document(results, figures, output_dir)
    # file names that are not UTF-8 are shown with escapes on the page (results.json keeps their bytes)
    md_path = atomic_write_text(output_dir / "report.md", shown(doc.markdown()))
    html_path = atomic_write_text(output_dir / "report.html",
                                  shown(doc.html("genmusic latent-space analysis", css=MAP_CSS, script=MAP_JS)))
    json_path = atomic_write_json(output_dir / "results.json", _json_safe(results))
    return AnalysisReport(output_dir=output_dir, markdown=md_path, html=html_path, results_path=json_path,
                          results=results, errors=list(results["errors"]), studies=list(studies))


def _clip_paths(value) -> List[str]:
    """Every clip path (``{"path": ...}``) inside a model's ``listening``, and the map's clip paths."""
    if isinstance(value, dict):
        found = [value["path"]] if isinstance(value.get("path"), str) else []
        found += [value[k] for k in ("original", "reconstruction") if isinstance(value.get(k), str)]
        return found + [p for v in value.values() for p in _clip_paths(v)]
    if isinstance(value, list):
        return [p for v in value for p in _clip_paths(v)]
    return []


def _audio_summary(models: List[dict], output_dir: Path) -> dict:
    """How many clips the page plays and their bytes on disk."""
    paths = sorted({p for m in models for p in _clip_paths(m.get("listening"))})
    sizes = [(output_dir / p).stat().st_size for p in paths if (output_dir / p).is_file()]
    return {"n_files": len(sizes), "bytes": int(sum(sizes)),
            "missing": [p for p in paths if not (output_dir / p).is_file()]}


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


def _build_document(results: dict, figures: Dict[str, Dict[str, Path]], output_dir: Path) -> Document:
    """The report's blocks: the header, the dataset, the models compared, then one section per model."""
    doc = Document()
    doc.h(1, "genmusic latent-space analysis")
    doc.p(f"genmusic {results['genmusic_version']}, seed {results['seed']}. Every number here is also in "
          f"results.json. A song's latent is the mean and standard deviation of its segment latents (a VAE's "
          f"posterior means) unless a model section says otherwise.")
    if results["errors"]:
        doc.h(2, "Errors")
        doc.ul(results["errors"])
    audio = results["audio"]
    if audio["n_files"]:
        doc.p(f"The page plays {audio['n_files']} clips ({audio['bytes'] / 1e6:.1f} MB, in audio/); it needs no "
              "network and can be opened from a copy of this folder.")
    _dataset_section(doc, results["dataset"])
    _comparison_section(doc, results["comparison"])
    colours = genre_colours(sorted({song["genre"] for m in results["models"] if m["status"] == "ok"
                                    for song in m["map"]["songs"]}))
    for m in results["models"]:
        doc.h(2, f"Model {m['name']}")
        if m["status"] != "ok":
            doc.p(f"Not analysed: {m['error']}")
            continue
        figs = figures.get(m["name"], {})
        rel = {k: str(p.relative_to(output_dir)) for k, p in figs.items()}
        map_html = _model_header(doc, m, colours)
        _listening_section(doc, m)
        _views_section(doc, m, figs, rel, map_html)
        _kmeans_section(doc, m, figs, rel)
        _classification_section(doc, m, results["baseline_mfcc"], figs, rel)
        _reconstruction_section(doc, m)
        _new_music_section(doc, m, results["inputs"])
    return doc


def _dataset_section(doc: Document, ds: dict) -> None:
    f = format_number
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



def _comparison_section(doc: Document, comparison: List[dict]) -> None:
    f = format_number
    if len(comparison) >= 2:
        doc.h(2, "Models compared")
        doc.p("Reconstruction on the test split; accuracy of logistic regression on song latents "
              "(train + validation songs -> test songs); V-measure of K-means with k = number of genres in the "
              "full latent space. Compression ratio: audio samples per latent float.")
        doc.table(["model", "kind", "latent size", "compression ratio", "test MSE", "mel distance",
                   "resynth ceiling", "chroma similarity", "accuracy", "macro F1", "CV accuracy",
                   "V-measure (k = genres)"],
                  [[r["name"], r["kind"], f(r["latent_dim"]), f(r["compression_ratio"], 1), f(r["mse"], 4),
                    f(r["mel_distance"]), f(r["resynth_mel_distance"]), f(r["chroma_similarity"]),
                    f(r["accuracy"]), f(r["macro_f1"]),
                    f(r["cv_accuracy"]), f(r["v_measure_at_n_genres"])] for r in comparison])



def _model_header(doc: Document, m: dict, colours: Dict[str, str]) -> Optional[str]:
    """The model's table, notes and interactive map; returns the map's HTML (None without one)."""
    f = format_number
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

    map_html = render_map(m, colours, no_genre=NO_GENRE)
    if map_html:
        doc.h(3, "Latent map: point, listen, filter")
        doc.p("Every song's latent in 2-D, coloured by genre (triangles: test songs; stars: new music). Hover "
              "over a point to see the song; click it to hear the song's first seconds, then the model's "
              "reconstruction of them; click a genre in the legend to hide or show it.")
        doc.raw(map_html, "The interactive map (hover, click to listen, legend to filter genres) is in "
                          "report.html; the static views are below.")
    return map_html


def _views_section(doc: Document, m: dict, figs: Dict[str, Path], rel: Dict[str, str],
                   map_html: Optional[str]) -> None:
    f = format_number
    doc.h(3, "Latent space views")
    ev2, ev3 = m["pca"]["2d"]["explained_variance_ratio"], m["pca"]["3d"]["explained_variance_ratio"]
    doc.p(f"PCA explained variance: 2-D {f(sum(ev2))} ({', '.join(f(v) for v in ev2)}), "
          f"3-D {f(sum(ev3))} ({', '.join(f(v) for v in ev3)}).")
    for key, alt in (("pca2d", "PCA 2-D of song latents, coloured by genre"),
                     ("pca3d", "PCA 3-D of song latents, coloured by genre"),
                     ("tsne", "t-SNE of song latents, coloured by genre")):
        if key in figs:  # the interactive map shows the 2-D views in the page
            doc.img(figs[key], rel[key], f"{m['name']}: {alt}", html=not (map_html and key in ("pca2d", "tsne")))



def _kmeans_section(doc: Document, m: dict, figs: Dict[str, Path], rel: Dict[str, str]) -> None:
    f = format_number
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



def _classification_section(doc: Document, m: dict, baseline: Optional[dict], figs: Dict[str, Path],
                            rel: Dict[str, str]) -> None:
    f = format_number
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



def _reconstruction_section(doc: Document, m: dict) -> None:
    f = format_number
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



def _new_music_section(doc: Document, m: dict, inputs: Sequence[str]) -> None:
    f = format_number
    if m["new_songs"] or inputs:
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


def _mel(clip: Optional[dict]) -> str:
    """A clip's caption: its mel distance and chroma similarity to the original, where measured."""
    parts = []
    for key, label in (("mel_distance", "mel distance"), ("chroma_similarity", "chroma")):
        value = None if clip is None else clip.get(key)
        if value is not None:
            parts.append(f"{label} {format_number(value)}")
    return ", ".join(parts)


def _listening_section(doc: Document, m: dict) -> None:
    """The players of one model: test songs four ways, the interpolation strip, new pieces per genre."""
    f = format_number
    lis = m.get("listening")
    doc.h(3, "Listen")
    if lis is None:
        doc.p("No sound: the report was made without audio (--no-audio).")
        return
    missing = lis.get("missing") or {}
    if "test_songs" not in lis:  # the audio failed as a whole
        doc.ul([f"note: {n}" for n in lis.get("notes", [])])
        return
    doc.p(f"Audio is {lis['format']} in the report's audio/ folder. Mel distance: from the original audio, lower "
          "is better; chroma: how much of the notes and chords survive (1 = all, about 0.7 for another song), "
          "higher is better (the report's reconstruction table holds the means).")
    doc.h(4, "Test songs: original, model, PCA, resynthesis ceiling")
    if lis["test_songs"]:
        doc.p("Whole test songs: the original; the model's reconstruction; PCA's reconstruction with the same "
              f"number of floats per segment ({f(m['latent_dim'])}); the stored spectrogram through the same "
              "Griffin-Lim without any model (the ceiling no model can beat).")
        rows = []
        for song in lis["test_songs"]:
            clips = song["clips"]
            cells = [f"{song['song_id']} ({song['genre'] or 'no genre'}, {f(song['seconds'], 1)} s)"]
            for kind, caption in (("original", "original"), ("model", "model"), ("pca", "PCA"),
                                  ("resynth", "resynthesis")):
                clip = clips.get(kind)
                cells.append("missing" if clip is None else Clip(clip["path"], f"{song['song_id']} {caption}",
                                                                 _mel(clip)))
            rows.append(cells)
        doc.table(["song", "original", f"{m['name']} reconstruction", "PCA reconstruction", "resynthesis ceiling"],
                  rows)
    else:
        doc.p(f"Missing: {missing.get('test_songs', 'no test songs')}.")
    doc.h(4, "Interpolation between two songs")
    strip = lis.get("interpolation")
    if strip:
        a, b = strip["from"], strip["to"]
        doc.p(f"From {a['song_id']} ({a['genre'] or 'no genre'}) to {b['song_id']} ({b['genre'] or 'no genre'}) in "
              f"{len(strip['clips'])} steps ({strip['interpolation']} between their latent sequences, "
              f"{f(strip['clips'][0]['seconds'], 1)} s each); the ends are the two songs' reconstructions.")
        doc.clips([Clip(c["path"], f"t = {c['t']:.2f}" + (f" ({a['song_id']})" if c["t"] == 0 else
                                                          f" ({b['song_id']})" if c["t"] == 1 else ""))
                   for c in strip["clips"]])
    else:
        doc.p(f"Missing: {missing.get('interpolation', 'no interpolation')}.")
    doc.h(4, "New pieces per genre")
    pieces = lis.get("pieces")
    if pieces and pieces[0].get("source") == FROM_PRIOR:
        sequence, draws, focus = pieces[0].get("sequence"), pieces[0].get("draws"), pieces[0].get("focus")
        kernel = bool(draws) and draws.startswith("kernel")
        source = "kernel density" if kernel else "mixture"
        how = (f"every segment is an independent draw from its genre's {source} (no sequence model)"
               if sequence in (None, "independent prior draws") else
               f"the first segment is drawn from its genre's {source}; after it, {sequence} (the sequence model "
               "chooses)")
        if focus and focus > 1:
            how += f"; each draw is the most genre-typical of {focus} (by the genre mixtures)"
        prior = (f"a Gaussian mixture per genre over the segment latents, and a {draws}" if kernel else
                 "a Gaussian mixture per genre over the segment latents")
        doc.p(f"Made as `generate --mode sample --genre G` makes them, from the model's fitted prior ({prior}): "
              f"{how}; decoded with the genre's typical dB range.")
        doc.clips([Clip(p["path"], p["genre"] or NO_GENRE) for p in pieces])
    elif pieces:
        # The genres the probe was trained on: those of the labelled train + validation songs.
        genres = sorted({song["genre"] for song in (m.get("map") or {}).get("songs", [])
                         if song["genre"] and song["split"] in ("train", "validation")})
        covered = sorted({p["genre"] for p in pieces if p["genre"]})
        gaps = [g for g in genres if g not in covered]
        doc.p("The model has no fitted prior (`genmusic fit-prior`), so these are draws from the VAE's nominal "
              "prior N(0, I), sorted into genres by a probe trained on the songs' segment latents: a genre's piece "
              "is the draws the probe is surest of, in sequence. Probability: the probe's mean confidence."
              + (f" Pieces for {len(covered)} of {len(genres)} genres: no prior draw was classified as "
                 f"{', '.join(gaps)} (the prior does not cover every genre; see the notes)." if gaps else ""))
        doc.clips([Clip(p["path"], p["genre"] or NO_GENRE,
                        "" if p["probability"] is None else f"probability {f(p['probability'], 2)}")
                   for p in pieces])
    else:
        doc.p(f"Missing: {missing.get('pieces', 'no pieces')}.")
    doc.ul([f"note: {n}" for n in lis.get("notes", [])])
