"""Batch encoding: a folder of audio -> each song's segment latents and song vector, on disk.

Layout of a latent folder (no pickle: ``.npy`` for arrays, JSON / CSV for the rest)::

    latents.json              format version, model folder, latent size, pooling, the model's GenmusicConfig
    songs/<song_id>.npy       float32 [shape=(n_segments, latent_dim)]: the latent of every segment, in time
                              order (a VAE's posterior mean)
    songs/<song_id>.vec.npy   float32 [shape=(2 * latent_dim,)]: the song vector, mean then standard
                              deviation of the segment latents (:func:`~genmusic.encoding.latents.pool_segments`)
    songs/<song_id>.json      that song's record (source, genre, length, dB statistics), written last
    index.csv                 one row per song: song_id, source, genre, segments, seconds, file
    skipped.csv               files that could not be used, with the reason

Each file is encoded by :func:`~genmusic.encoding.latents.encode_file`: the same loader and analysis as
preprocessing (so a file is skipped for the same named reason), then the model, block by block. A worker
holds one song at a time; a rerun reuses songs whose record exists; every write is atomic; the folder is locked
for the run. :func:`load_latents` reads a folder back.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import List, Optional

import numpy as np

from .._checks import check_integer
from .._io import (Ledger, atomic_save_npy, atomic_write_json, atomic_write_text, check_folder_kind, folder_lock,
                   inner_folder, read_text, safe_name, shown)
from .. import pretrained
from ..config import GenmusicConfig
from ..data.engines import Done, check_engine, collect, plan_jobs
from ..data.store import SongRecord, make_song_ids
from ..errors import DataError, ParameterError

logger = logging.getLogger("genmusic")

__all__ = ["LATENT_FOLDER_VERSION", "EncodedLatents", "LatentWriter", "encode_folder", "load_latents"]

#: Version of the latent-folder layout; a folder written by another version is refused.
LATENT_FOLDER_VERSION = 1

_INDEX_FIELDS = ("song_id", "source", "genre", "segments", "seconds", "file")
_SKIPPED_FIELDS = ("source", "reason")
_POOLING = "mean_std"


class LatentWriter:
    """Writes a latent folder (see the module docstring).

    Parameters
    ----------
    output_dir : path-like
    header : dict
        What ``latents.json`` holds (model folder, latent size, config). A folder written for another model or
        settings is refused unless ``overwrite`` is set.
    overwrite : bool
        Remove the songs and files an earlier run wrote (and only those) instead of reusing them.
    """

    def __init__(self, output_dir: str | os.PathLike, header: dict, *, overwrite: bool = False) -> None:
        self.output_dir = Path(output_dir)
        self.songs_dir = self.output_dir / "songs"
        self.header = header = json.loads(json.dumps(header))  # as it reads back from latents.json
        self.overwrite = bool(overwrite)
        header_path = self.output_dir / "latents.json"
        check_folder_kind(self.output_dir, "latents")
        self.ledger = Ledger(self.output_dir, "latents")
        old = _read_json(header_path) if header_path.exists() else None
        if header_path.exists() and not self.ledger.owns(header_path) and \
                not (isinstance(old, dict) and "latent_folder_version" in old):
            raise ParameterError(f"{shown(header_path)} was not written by genmusic encode: move it away, or choose "
                                 f"another output_dir")
        if overwrite:
            self.ledger.remove()
            kept = self.ledger.unrecorded("songs")
            if kept:
                logger.warning("%s: kept %d file(s) genmusic did not write%s: %s", shown(self.songs_dir), len(kept),
                               "" if not self.ledger.legacy else " (or cannot prove it wrote: the folder was written "
                               "before genmusic recorded its files)",
                               shown(", ".join(str(p.relative_to(self.songs_dir)) for p in kept[:10])))
        elif old is not None and old != header:
            raise ParameterError(f"{shown(self.output_dir)} holds latents of another model or settings "
                                 f"({old.get('model')}, latent_dim {old.get('latent_dim')}); pass overwrite=True to "
                                 f"replace them, or choose another output_dir")
        inner_folder(self.output_dir, "songs")
        self.ledger.scratch()
        self.ledger.claim(*(self.output_dir / name for name in ("latents.json", "index.csv", "skipped.csv")))
        atomic_write_json(header_path, header)

    def song_files(self, song_id: str) -> List[Path]:
        """The files of one song: segment latents, song vector, record (written in this order)."""
        return [self.songs_dir / f"{song_id}{ext}" for ext in (".npy", ".vec.npy", ".json")]

    def claim_songs(self, song_ids) -> None:
        """Record the files of ``song_ids`` before any worker writes them; refuse to replace a file genmusic
        did not write (or cannot prove it wrote)."""
        for song_id in song_ids:
            for path in self.song_files(song_id):
                if os.path.lexists(path) and not self.ledger.owns(path):
                    raise ParameterError(f"{shown(path)} was not written by genmusic encode, and song {song_id!r} "
                                         f"would replace it: move it away, or choose another output_dir")
        self.ledger.claim(*(path for song_id in song_ids for path in self.song_files(song_id)))

    def existing(self, song_id: str) -> Optional[SongRecord]:
        """The record of a song an earlier run finished, or None."""
        meta = _read_json(self.songs_dir / f"{song_id}.json")
        if self.overwrite:
            return None
        if not self.ledger.legacy and not self.ledger.owns(self.songs_dir / f"{song_id}.json"):
            return None
        if not isinstance(meta, dict) or not all((self.songs_dir / f"{song_id}{e}").is_file() for e in (".npy", ".vec.npy")):
            return None
        try:
            return SongRecord(**meta)
        except TypeError:
            return None

    def save_song(self, record: SongRecord, segment_latents: np.ndarray, song_vector: np.ndarray) -> SongRecord:
        """Write one song's latents, then its record (which marks it complete).

        Parameters
        ----------
        segment_latents : np.ndarray [shape=(n_segments, latent_dim)]
        song_vector : np.ndarray [shape=(2 * latent_dim,)]
        """
        self.claim_songs([record.song_id])  # done by the run before its workers start: then a no-op
        atomic_save_npy(self.songs_dir / f"{record.song_id}.npy", segment_latents.astype(np.float32, copy=False))
        atomic_save_npy(self.songs_dir / f"{record.song_id}.vec.npy", song_vector.astype(np.float32, copy=False))
        atomic_write_json(self.songs_dir / f"{record.song_id}.json", asdict(record))
        return record

    def finalise(self, records: List[SongRecord], skipped: List[tuple], sample_rate: int) -> None:
        """Write ``index.csv`` (songs sorted by id) and ``skipped.csv``."""
        rows = [(r.song_id, r.source, r.genre, r.n_segments, f"{r.n_samples / sample_rate:.3f}",
                 f"songs/{r.song_id}.npy") for r in sorted(records, key=lambda r: r.song_id)]
        atomic_write_text(self.output_dir / "index.csv", _csv(_INDEX_FIELDS, rows))
        atomic_write_text(self.output_dir / "skipped.csv", _csv(_SKIPPED_FIELDS, skipped))


def _csv(header, rows) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _read_json(path: Path, default=None):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


class EncodeTask:
    """The per-file function of :func:`encode_folder`, picklable for any engine.

    ``task(path, song_id, genre)`` encodes the file (:func:`~genmusic.encoding.latents.encode_file`) with the
    model in ``model_dir`` and writes the song; what decoding found worth a warning comes back with its record
    (:class:`~genmusic.data.engines.Done`). The engines call :meth:`setup` once in each worker before its first
    file: the model is loaded once per worker, and the backend's threads are kept to the worker's CPUs.
    """

    #: CPUs a Ray worker (an actor) holds; the backend is given as many threads.
    cpus_per_worker = 1

    def __init__(self, model_dir: str, config: GenmusicConfig, writer: LatentWriter, batch_size: int) -> None:
        self.model_dir, self.config, self.writer, self.batch_size = model_dir, config, writer, batch_size
        self._model = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_model": None}  # a worker loads its own

    @property
    def start_method(self) -> str:
        """How local workers start: forked (at once, with what this process imported) unless this process has
        loaded a Keras backend, whose runtime must not be forked; then spawned (each imports it again)."""
        loaded = any(name in sys.modules for name in ("tensorflow", "jax", "torch"))
        return "spawn" if loaded else "fork"

    def setup(self, cpus: Optional[int] = None) -> None:
        """Keep the backend to ``cpus`` threads (None: all cores), then load the model (once)."""
        from ..models.threads import limit_backend_threads

        limit_backend_threads(cpus)
        self.model()

    def model(self):
        if self._model is None:
            from ..models.modelio import load_bundle

            self._model = load_bundle(self.model_dir).model
        return self._model

    def __call__(self, path: str, song_id: str, genre: str) -> Done:
        from ..data.pipeline import PreprocessingPipeline
        from .latents import encode_file, pool_segments

        encoded = encode_file(self.model(), PreprocessingPipeline(self.config), path, batch_size=self.batch_size)
        z = encoded.latents
        vector = pool_segments(z, np.zeros(len(z), dtype=np.int64), 1, pooling=_POOLING)[0]
        record = SongRecord(song_id=song_id, source=str(path), genre=genre, n_samples=encoded.n_samples,
                            n_segments=int(z.shape[0]), db_min=encoded.db_min, db_max=encoded.db_max)
        return Done(self.writer.save_song(record, z, vector), encoded.notes)


def encode_folder(model_dir: str | os.PathLike, input_dir: str | os.PathLike, output_dir: str | os.PathLike, *,
                  engine: str = "local", workers: Optional[int] = None, address: Optional[str] = None,
                  batch_size: int = 64, overwrite: bool = False, progress: bool = False):
    """Encode every audio file under ``input_dir`` with the model in ``model_dir`` into ``output_dir``.

    Files are found and labelled as :func:`~genmusic.data.pipeline.find_audio_files` does (genre = first
    folder). The run is resumable: songs an earlier run finished are reused.

    Parameters
    ----------
    model_dir : path-like
        A trained model folder (:func:`~genmusic.models.modelio.load_bundle`); its settings decode the audio.
    engine, workers, address
        Where the files are encoded (:func:`genmusic.data.engines.map_jobs`); the folder written is the same, byte
        for byte. ``workers`` defaults to 1 for the local engine (the model uses every core) and to the
        number of cores for a Ray instance started here. Each local worker loads the model once and keeps the
        backend to its share of the cores; on Ray, a pool of actors (one per CPU of the cluster) does the same
        and takes several files per call (:mod:`genmusic.data.engines`).
    batch_size : int >= 1
        Segments per model call.
    overwrite : bool
        Start afresh (only what genmusic wrote is removed).
    progress : bool
        A progress bar on stderr.

    Returns
    -------
    PreprocessReport
        ``processed`` / ``reused`` records (n_samples, n_segments per song) and ``skipped`` (path, reason).

    Raises
    ------
    ModelFolderError
        ``model_dir`` is not a trained model folder.
    ParameterError
        A bad setting, an unknown engine, or an ``output_dir`` holding latents of another model.
    DataError
        No file could be encoded.
    FolderLockedError, OutputError
        Another run writes to ``output_dir``; writing failed.
    """
    from ..models.modelio import MODEL_FILE, read_model_metadata
    from ..data.pipeline import PreprocessReport, find_audio_files
    from ..errors import ModelFolderError

    start = time.perf_counter()
    for value, name in ((workers, "workers"), (batch_size, "batch_size")):
        if value is not None:
            check_integer(value, name, minimum=1, limit=name)
    check_engine(engine, address)
    model_dir = pretrained.resolve(model_dir).resolve()  # an installed model's name works too
    meta = read_model_metadata(model_dir)
    if not (model_dir / MODEL_FILE).is_file():
        raise ModelFolderError(f"{model_dir} has no {MODEL_FILE}: training did not finish an epoch")
    config = GenmusicConfig.from_dict(meta["config"], where=str(model_dir / "genmusic.json"))
    root, files = find_audio_files(input_dir)
    if not files:
        raise DataError(f"no audio files found under {root}")
    header = {"latent_folder_version": LATENT_FOLDER_VERSION, "model": str(model_dir),
              "latent_dim": config.model.latent_dim, "pooling": _POOLING, "config": config.to_dict()}
    with folder_lock(output_dir, purpose="encoding"):
        writer = LatentWriter(output_dir, header, overwrite=overwrite)
        report = PreprocessReport(output_dir=Path(output_dir), sample_rate=config.audio.sample_rate)
        report.reused, todo = plan_jobs(files, make_song_ids([p for p, _ in files], root), writer.existing)
        writer.claim_songs([song_id for _, song_id, _ in todo])
        default_workers = (os.cpu_count() or 1) if engine == "ray" else 1
        collect(EncodeTask(str(model_dir), config, writer, batch_size), todo, report, engine=engine,
                workers=workers or default_workers, address=address, progress=progress, desc="encoding")
        writer.finalise(report.songs, report.skipped, config.audio.sample_rate)
        writer.ledger.close()
        if not report.songs:
            raise DataError(f"none of the {len(files)} audio file(s) under {root} could be encoded; see the "
                            f"warnings above or {writer.output_dir / 'skipped.csv'}")
    report.wall_seconds = time.perf_counter() - start
    return report


@dataclass
class EncodedLatents:
    """A latent folder read back by :func:`load_latents`.

    Attributes
    ----------
    song_ids, sources, genres : list of str, one per song (sorted by id; genre ``""`` when unlabelled)
    seconds : np.ndarray [shape=(n_songs,)]
    segment_latents : list of np.ndarray [shape=(n_segments_i, latent_dim), dtype=float32], memory-mapped
    song_vectors : np.ndarray [shape=(n_songs, 2 * latent_dim), dtype=float32]
        Mean then standard deviation of each song's segment latents.
    meta : dict
        ``latents.json``.
    """

    song_ids: List[str]
    sources: List[str]
    genres: List[str]
    seconds: np.ndarray
    segment_latents: List[np.ndarray]
    song_vectors: np.ndarray
    meta: dict = field(default_factory=dict)

    def to_latent_set(self):
        """The same latents as an :class:`~genmusic.encoding.latents.LatentSet` (split ``"new"``)."""
        from .latents import LatentSet

        owners = [np.full(len(z), i, dtype=np.int64) for i, z in enumerate(self.segment_latents)]
        return LatentSet(segment_latents=np.concatenate(self.segment_latents), segment_song=np.concatenate(owners),
                         song_ids=self.song_ids, genres=self.genres, splits=["new"] * len(self.song_ids),
                         song_latents=self.song_vectors, pooling=_POOLING, meta=dict(self.meta))


def load_latents(path: str | os.PathLike) -> EncodedLatents:
    """Read a latent folder written by :func:`encode_folder`.

    Raises
    ------
    DataError
        The folder is missing, unfinished (no ``index.csv``), of another format version, or a song's
        arrays are missing.
    """
    path = Path(path)
    meta = _read_json(path / "latents.json")
    if not isinstance(meta, dict) or not (path / "index.csv").is_file():
        raise DataError(f"{path} is not a finished latent folder (no latents.json or index.csv): run or resume "
                        f"genmusic encode into it")
    if meta.get("latent_folder_version") != LATENT_FOLDER_VERSION:
        raise DataError(f"{path}: latent folder version {meta.get('latent_folder_version')}; this genmusic reads "
                        f"version {LATENT_FOLDER_VERSION}: encode again with overwrite=True")
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(path / "index.csv"), newline="")))
    except (OSError, csv.Error) as exc:
        raise DataError(f"{shown(path / 'index.csv')}: cannot read ({exc}); encode again") from None
    root = path.resolve()
    files = []
    for line, r in enumerate(rows, start=2):
        song_id = r.get("song_id") or ""
        own = f"songs/{song_id}.npy"
        if safe_name(song_id, fallback="") != song_id or r.get("file", own) != own:
            raise DataError(f"{shown(path / 'index.csv')} line {line}: song {shown(repr(song_id))} names the file "
                            f"{shown(repr(r.get('file')))}, not its own {own} (a latent folder never names another; "
                            f"the index is damaged or was edited): encode again")
        pair = (path / own, path / "songs" / f"{song_id}.vec.npy")
        for file in pair:
            if file.exists() and not file.resolve().is_relative_to(root):
                raise DataError(f"{shown(file)} is a link to {shown(file.resolve())}, outside the latent folder "
                                f"{shown(path)}: genmusic reads a folder's own files only; encode again")
        files.append(pair)
    try:
        segments = [np.load(z, mmap_mode="r", allow_pickle=False) for z, _ in files]
        vectors = [np.load(v, allow_pickle=False) for _, v in files]
    except (OSError, ValueError) as exc:
        raise DataError(f"{shown(path)}: a song's latents are missing or unreadable ({exc}); encode again") from None
    dim = 2 * int(meta["latent_dim"])
    return EncodedLatents(song_ids=[r["song_id"] for r in rows], sources=[r["source"] for r in rows],
                          genres=[r["genre"] for r in rows], seconds=np.array([float(r["seconds"]) for r in rows]),
                          segment_latents=segments,
                          song_vectors=np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32),
                          meta=meta)
