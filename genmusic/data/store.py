"""The spectrogram store: what preprocessing writes and training, generation and analysis read.

Layout of a store folder (no pickle anywhere: ``.npy`` for arrays, JSON / CSV for the rest)::

    config.json           the GenmusicConfig the spectrograms were made with
    songs/<song_id>.npy   float16 [shape=(n_segments, n_freq_bins, segment_frames)], normalised to [0, 1]
    songs/<song_id>.json  that song's metadata: source, genre, length, dB statistics (written last)
    manifest.csv          one row per segment: song_id, segment, offset_samples, genre, split, source, ...
    stats.json            dataset-level dB statistics, genres, counts, format version
    skipped.csv           files that could not be used, with the reason

Every file is written to a temporary name and renamed, so a killed run leaves no half-written file, and
a song whose ``.json`` exists is complete (the run can be resumed).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .._checks import check_config
from .._io import (Ledger, atomic_save_npy_blocks, atomic_write_json, atomic_write_text, check_folder_kind,
                  inner_folder, read_text, safe_name, shown, unique_safe_names)
from ..config import GenmusicConfig, SplitConfig
from ..errors import DataError, GenmusicError, ParameterError
from ..features.spectrogram import MinMaxNormaliser

__all__ = [
    "STORE_VERSION",
    "SongRecord",
    "Saver",
    "SpectrogramStore",
    "assign_splits",
    "make_song_ids",
    "song_summary",
]

logger = logging.getLogger("genmusic")

#: Version of the store layout; a store written by another version is refused with a clear message.
STORE_VERSION = 1

#: dtype of stored spectrograms. Values are in [0, 1], where float16 is exact to 2**-11 (0.07 dB over a
#: 140 dB range): half the disk, half the write time of preprocessing and half the read I/O of training.
#: Readers cast to float32.
STORE_DTYPE = np.float16

SPLITS = ("train", "validation", "test")

_MANIFEST_FIELDS = ("song_id", "segment", "offset_samples", "genre", "split", "source", "n_samples",
                    "n_segments", "db_min", "db_max", "file")
_SKIPPED_FIELDS = ("source", "reason")


# --------------------------------------------------------------------------------------------------
# records, ids, splits


@dataclass
class SongRecord:
    """Metadata of one preprocessed song.

    ``n_samples`` is the song's length at the store's sample rate before padding to whole segments;
    ``db_min`` / ``db_max`` are the per-file statistics that undo its normalisation.
    """

    song_id: str
    source: str
    genre: str
    n_samples: int
    n_segments: int
    db_min: float
    db_max: float
    split: str = ""

    @property
    def normaliser(self) -> MinMaxNormaliser:
        return MinMaxNormaliser.from_stats(self.db_min, self.db_max)


def make_song_ids(paths: Sequence[Path], root: Path) -> List[str]:
    """Unique, file-system-safe song ids for ``paths``: the file's stem where that is unique (GTZAN's
    ``blues.00000``), else its path under ``root`` joined with ``__``."""
    stems = [p.stem for p in paths]
    counts: Dict[str, int] = {}
    for stem in stems:
        counts[stem] = counts.get(stem, 0) + 1
    raws: List[str] = []
    for path, stem in zip(paths, stems):
        if counts[stem] == 1:
            raws.append(stem)
        else:
            rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
            raws.append("__".join(rel.with_suffix("").parts) + ("__" + path.suffix.lstrip(".") if path.suffix else ""))
    return unique_safe_names(raws, fallback="song")


def assign_splits(song_ids: Sequence[str], genres: Sequence[str], config: SplitConfig) -> Dict[str, str]:
    """Split songs into train / validation / test, stratified by genre, seeded.

    Within each genre the songs (sorted by id, then shuffled with ``config.seed``) are dealt out so that
    about ``test_fraction`` and ``validation_fraction`` of them are held out. A genre with at least three
    songs gets at least one validation and one test song when the fractions are non-zero; every genre
    keeps at least one training song.

    Returns
    -------
    dict song_id -> "train" | "validation" | "test"
    """
    by_genre: Dict[str, List[str]] = {}
    for song_id, genre in zip(song_ids, genres):
        by_genre.setdefault(genre, []).append(song_id)
    out: Dict[str, str] = {}
    for gi, genre in enumerate(sorted(by_genre)):
        ids = sorted(by_genre[genre])
        rng = np.random.default_rng([config.seed, gi])
        order = [ids[i] for i in rng.permutation(len(ids))]
        n = len(order)

        def count(fraction: float) -> int:
            if fraction <= 0:
                return 0
            k = int(round(fraction * n))
            return max(k, 1) if n >= 3 else k

        n_test = count(config.test_fraction)
        n_val = count(config.validation_fraction)
        while n_test + n_val > n - 1 and (n_test or n_val):
            if n_val >= n_test and n_val:
                n_val -= 1
            else:
                n_test -= 1
        for i, song_id in enumerate(order):
            out[song_id] = "test" if i < n_test else "validation" if i < n_test + n_val else "train"
    return out


# --------------------------------------------------------------------------------------------------
# writing


class Saver:
    """Writes a spectrogram store.

    What it writes is recorded first in the folder's :class:`~genmusic._io.Ledger`; that record, and nothing
    else (no name pattern, no id read back from a manifest), says what is genmusic's.

    Parameters
    ----------
    output_dir : path-like
    config : GenmusicConfig
        Saved as ``config.json``; a store folder made with another config is refused unless
        ``overwrite`` is set.
    overwrite : bool
        Remove what an earlier run wrote instead of reusing it: the files the ledger records. Anything else
        in the folder (files genmusic did not write, and every file of a store written before genmusic kept a
        ledger) is kept and named, and a file of a store's or a song's name that genmusic did not write is
        refused.

    Raises
    ------
    ParameterError
        ``output_dir`` is a file, another kind of genmusic folder (a latent folder, a model, a report), holds
        files of a store's names genmusic did not write, or (without ``overwrite``) spectrograms made with
        other settings.
    OutputError
        ``output_dir/songs`` is a symbolic link (genmusic never writes through one), or cannot be written.
    """

    def __init__(self, output_dir: str | os.PathLike, config: GenmusicConfig, *, overwrite: bool = False) -> None:
        self.output_dir = Path(output_dir)
        self.config = check_config(config, GenmusicConfig, "Saver(output_dir, config)", allow_none=False,
                                   example="Saver(output_dir, GenmusicConfig())",
                                   tutorial="genmusic.tutorial.Saver(feature_save_dir, min_max_values_save_dir)")
        self.songs_dir = self.output_dir / "songs"
        self.overwrite = bool(overwrite)
        self._prepare(overwrite)

    def _prepare(self, overwrite: bool) -> None:
        config_path = self.output_dir / "config.json"
        if self.output_dir.exists() and not self.output_dir.is_dir():
            raise ParameterError(f"output {shown(self.output_dir)} exists and is not a folder")
        check_folder_kind(self.output_dir, "spectrograms")
        self.ledger = Ledger(self.output_dir, "spectrograms")
        foreign = [name for name, ours in _STORE_FILES.items() if (self.output_dir / name).exists()
                   and not self.ledger.owns(self.output_dir / name) and not ours(self.output_dir / name)]
        if foreign:
            raise ParameterError(f"{shown(self.output_dir)} holds {', '.join(foreign)}, which genmusic did not write (a "
                                 f"spectrogram store writes files of these names): move them away, or choose another "
                                 f"output_dir")
        if overwrite:
            self._remove_own_files()
        elif config_path.is_file():
            old = GenmusicConfig.load(config_path)
            if (old.audio, old.spectrogram) != (self.config.audio, self.config.spectrogram):
                raise ParameterError(
                    f"{shown(self.output_dir)} holds spectrograms made with other audio/spectrogram settings "
                    f"({old.audio}, {old.spectrogram}); pass overwrite=True to replace them, or choose another output_dir")
        inner_folder(self.output_dir, "songs")
        self.ledger.scratch()  # what a killed run was writing is removed there
        self.ledger.claim(*(self.output_dir / name for name in _STORE_FILES))
        self.config.save(config_path)

    def _remove_own_files(self) -> None:
        """``overwrite``: remove what the ledger says genmusic wrote here, and only that."""
        self.ledger.remove()
        kept = self.ledger.unrecorded("songs")
        if kept:
            why = ("genmusic cannot prove it wrote (the store was written before genmusic recorded its files)"
                   if self.ledger.legacy else "genmusic did not write")
            names = [str(p.relative_to(self.songs_dir)) + ("/" if p.is_dir() else "") for p in kept]
            logger.warning("%s: kept %d file(s) %s: %s", shown(self.songs_dir), len(kept), why,
                           shown(", ".join(names[:10]) + (" ..." if len(names) > 10 else "")))

    def check_writable(self, song_ids: Sequence[str]) -> None:
        """Refuse to replace a file genmusic did not write (or cannot prove it wrote) with a song of ``song_ids``."""
        for song_id in song_ids:
            for path in (self.song_path(song_id), self.songs_dir / f"{song_id}.json"):
                if os.path.lexists(path) and not self.ledger.owns(path):
                    why = ("is from a store written before genmusic recorded its files, so genmusic cannot prove it "
                           "is its own" if self.ledger.legacy else "was not written by genmusic")
                    raise ParameterError(f"{shown(path)} {why}, and song {song_id!r} would replace it: move it away "
                                         f"(or delete the old songs yourself), or choose another output_dir")

    def claim_songs(self, song_ids: Sequence[str]) -> None:
        """Record the files of ``song_ids`` in the ledger before any worker writes them."""
        self.ledger.claim(*(path for song_id in song_ids
                            for path in (self.song_path(song_id), self.songs_dir / f"{song_id}.json")))

    def song_path(self, song_id: str) -> Path:
        return self.songs_dir / f"{song_id}.npy"

    def existing(self, song_id: str) -> Optional[SongRecord]:
        """The record of a song an earlier run completed, or None."""
        meta_path = self.songs_dir / f"{song_id}.json"
        if self.overwrite or not (meta_path.is_file() and self.song_path(song_id).is_file()):
            return None
        if not self.ledger.legacy and not self.ledger.owns(meta_path):  # a file genmusic did not write
            return None
        try:
            return SongRecord(**json.loads(meta_path.read_text()))
        except (ValueError, TypeError):
            return None

    def save_song(self, record: SongRecord, segments) -> SongRecord:
        """Write one song's normalised segments, then its metadata (which marks it complete).

        Parameters
        ----------
        record : SongRecord
        segments : np.ndarray [shape=(n_segments, n_freq_bins, segment_frames)], or an iterable of such arrays
            that together hold the song's ``n_segments`` segments (a long song, block by block).
        """
        expected = (record.n_segments, *self.config.spectrogram.segment_shape)
        blocks = [segments] if isinstance(segments, np.ndarray) else segments
        self.check_writable([record.song_id])
        self.claim_songs([record.song_id])  # done by the run before its workers start: then a no-op
        try:
            atomic_save_npy_blocks(self.song_path(record.song_id), expected, STORE_DTYPE, blocks)
        except ValueError as exc:
            raise DataError(f"{record.source}: segments do not fit the store's shape {expected} ({exc})") from None
        atomic_write_json(self.songs_dir / f"{record.song_id}.json", asdict(record))
        return record

    def finalise(self, records: Sequence[SongRecord], skipped: Sequence[tuple] = (),
                 input_folder: Optional[str | os.PathLike] = None) -> List[SongRecord]:
        """Assign splits and write ``manifest.csv``, ``stats.json`` and ``skipped.csv``.

        Parameters
        ----------
        records : sequence of SongRecord
            Every song in the store (new and reused).
        skipped : sequence of (path, reason)
        input_folder : path-like, optional
            The folder the songs came from, recorded in ``stats.json``: only audio files under it are ever
            opened again (generation, evaluation).
        """
        records = sorted(records, key=lambda r: r.song_id)
        splits = assign_splits([r.song_id for r in records], [r.genre for r in records], self.config.split)
        for record in records:
            record.split = splits[record.song_id]
            if self.ledger.owns(self.songs_dir / f"{record.song_id}.json"):  # an old store's files are only read
                atomic_write_json(self.songs_dir / f"{record.song_id}.json", asdict(record))
        seg = self.config.spectrogram.segment_samples
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(_MANIFEST_FIELDS)
        for r in records:
            for i in range(r.n_segments):
                writer.writerow([r.song_id, i, i * seg, r.genre, r.split, r.source, r.n_samples, r.n_segments,
                                 f"{r.db_min:.6f}", f"{r.db_max:.6f}", f"songs/{r.song_id}.npy"])
        atomic_write_text(self.output_dir / "manifest.csv", buf.getvalue())
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(_SKIPPED_FIELDS)
        writer.writerows(skipped)
        atomic_write_text(self.output_dir / "skipped.csv", buf.getvalue())
        stats = dataset_stats(records, self.config)
        if input_folder is not None:
            stats["input_folder"] = str(Path(input_folder).resolve())
        atomic_write_json(self.output_dir / "stats.json", stats)
        return records


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _is_store_csv(path: Path, header: Sequence[str]) -> bool:
    try:
        with open(path, newline="") as handle:
            return tuple(next(csv.reader(handle), ())) == tuple(header)
    except (OSError, UnicodeDecodeError, csv.Error):
        return False


def _is_config(path: Path) -> bool:
    try:
        GenmusicConfig.load(path)
    except (GenmusicError, OSError):
        return False
    return True


#: The store's own top-level files and how each is recognised as genmusic's (a file of the same name that is
#: not is never removed or replaced).
_STORE_FILES = {
    "config.json": _is_config,
    "manifest.csv": lambda p: _is_store_csv(p, _MANIFEST_FIELDS),
    "stats.json": lambda p: isinstance(_read_json(p), dict) and "store_version" in _read_json(p),
    "skipped.csv": lambda p: _is_store_csv(p, _SKIPPED_FIELDS),
}


def song_summary(records: Sequence[SongRecord], sample_rate: int) -> dict:
    """What a set of songs holds: the one dataset summary (``stats.json``, the report and the preprocess
    summary are made from it).

    Returns
    -------
    dict
        ``n_songs``, ``n_genres``, ``genres`` (sorted), ``songs_per_genre``, ``unlabelled_songs``,
        ``n_segments``, ``songs_per_split``, ``segments_per_split``, ``seconds_of_audio``.
    """
    genres = sorted({r.genre for r in records if r.genre})
    return {
        "n_songs": len(records),
        "n_genres": len(genres),
        "genres": genres,
        "songs_per_genre": {g: sum(1 for r in records if r.genre == g) for g in genres},
        "unlabelled_songs": sum(1 for r in records if not r.genre),
        "n_segments": int(sum(r.n_segments for r in records)),
        "songs_per_split": {s: sum(1 for r in records if r.split == s) for s in SPLITS},
        "segments_per_split": {s: int(sum(r.n_segments for r in records if r.split == s)) for s in SPLITS},
        "seconds_of_audio": float(sum(r.n_samples for r in records) / sample_rate),
    }


def dataset_stats(records: Sequence[SongRecord], config: GenmusicConfig) -> dict:
    """Dataset-level statistics (``stats.json``), used to denormalise spectrograms that come from no single file.

    ``db_min`` / ``db_max`` are the means of the per-file statistics (a typical song's range);
    ``global_db_min`` / ``global_db_max`` the extremes; the counts come from :func:`song_summary`.
    """
    mins = np.array([r.db_min for r in records], dtype=np.float64)
    maxs = np.array([r.db_max for r in records], dtype=np.float64)
    summary = song_summary(records, config.audio.sample_rate)
    return {
        "store_version": STORE_VERSION,
        "dtype": np.dtype(STORE_DTYPE).name,
        **{key: summary[key] for key in ("n_songs", "n_segments", "seconds_of_audio")},
        "db_min": float(mins.mean()) if len(mins) else 0.0,
        "db_max": float(maxs.mean()) if len(maxs) else 0.0,
        "global_db_min": float(mins.min()) if len(mins) else 0.0,
        "global_db_max": float(maxs.max()) if len(maxs) else 0.0,
        **{key: summary[key] for key in ("genres", "songs_per_split")},
    }


# --------------------------------------------------------------------------------------------------
# reading


def _npy_data_offset(path: Path, head: bytes, expected: tuple) -> int:
    """Where the data of a song's ``.npy`` starts, after checking its header against ``expected`` (float16)."""
    handle = io.BytesIO(head)
    try:
        major, _ = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(handle)
    except (ValueError, EOFError) as exc:
        raise DataError(f"{shown(path)}: not a song file ({exc}); preprocess again (overwrite=True)") from None
    if tuple(shape) != tuple(expected) or dtype != np.dtype(STORE_DTYPE) or fortran:
        raise DataError(f"{shown(path)}: shape {tuple(shape)} {dtype} does not match the manifest and config "
                        f"{tuple(expected)} {np.dtype(STORE_DTYPE)} (the file was replaced); preprocess again "
                        f"(overwrite=True)")
    return handle.tell()


def _field_int(row: dict, key: str, minimum: int, where: str, fix: str) -> int:
    try:
        value = int(row[key])
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise DataError(f"{where}: {key} must be an integer >= {minimum}, got {row[key]!r}; {fix}")
    return value


def _field_float(row: dict, key: str, where: str, fix: str) -> float:
    try:
        value = float(row[key])
    except ValueError:
        value = float("nan")
    if not math.isfinite(value):
        raise DataError(f"{where}: {key} must be a finite number of dB, got {row[key]!r}; {fix}")
    return value


class SpectrogramStore:
    """Read a store written by :class:`Saver`; song arrays are memory-mapped, never loaded whole.

    Parameters
    ----------
    path : path-like
        The store folder (the ``output_dir`` of preprocessing).

    Raises
    ------
    DataError
        The folder, its manifest, config or statistics are missing or damaged (a manifest cut short or of
        random bytes, a field that is NaN, negative or of the wrong type, rows that disagree, statistics
        that are not finite), a song file the manifest lists is missing, it was written by another store
        version, or it holds no songs. The message names the file (and line) and the fix.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise DataError(f"spectrogram folder {self.path} does not exist; preprocess audio into it first "
                            f"(PreprocessingPipeline.run(input_dir, output_dir))")
        for name in ("config.json", "manifest.csv", "stats.json"):
            if not (self.path / name).is_file():
                raise DataError(f"{self.path} has no {name}: it is not a finished spectrogram store (run or resume "
                                f"the preprocessing into it)")
        self.config = GenmusicConfig.load(self.path / "config.json")
        self.stats = self._read_stats()
        self.songs: List[SongRecord] = self._read_manifest()
        if not self.songs:
            raise DataError(f"{self.path}/manifest.csv lists no songs: every input file was skipped "
                            f"(see {self.path}/skipped.csv)")
        for record in self.songs:
            path = self.path / "songs" / f"{record.song_id}.npy"
            if not path.is_file():
                raise DataError(f"{shown(path)} is missing (manifest.csv lists song {record.song_id!r}): the store is "
                                f"incomplete; preprocess again (overwrite=True)")
        self._by_id = {r.song_id: r for r in self.songs}
        self._arrays: Dict[str, np.ndarray] = {}
        self._headers: Dict[str, tuple] = {}

    def _read_stats(self) -> dict:
        """``stats.json``, checked: a JSON object of this store version whose dB statistics are finite."""
        path = self.path / "stats.json"
        fix = "preprocess again (overwrite=True) to rebuild it"
        try:
            stats = json.loads(read_text(path))
        except (OSError, ValueError) as exc:
            raise DataError(f"{shown(path)}: not readable JSON ({exc}); {fix}") from None
        if not isinstance(stats, dict):
            raise DataError(f"{shown(path)}: expected a JSON object, got {type(stats).__name__}; {fix}")
        version = stats.get("store_version")
        if version != STORE_VERSION:
            raise DataError(f"{self.path} was written by store version {version}; this genmusic reads version "
                            f"{STORE_VERSION}: preprocess again with overwrite=True")
        for key in ("db_min", "db_max", "global_db_min", "global_db_max"):
            value = stats.get(key)
            if key in stats and not (isinstance(value, (int, float)) and not isinstance(value, bool)
                                     and math.isfinite(value)):
                raise DataError(f"{shown(path)}: {key} must be a finite number of dB, got {value!r}; {fix}")
        if "db_min" not in stats or "db_max" not in stats or stats["db_min"] > stats["db_max"]:
            raise DataError(f"{shown(path)}: db_min and db_max must be there, with db_min <= db_max; {fix}")
        return stats

    def _read_manifest(self) -> List[SongRecord]:
        """``manifest.csv``, checked line by line: every field has its type and range, a song's rows agree and
        list each of its segments once, ids are plain file names and files are the songs' own."""
        path = self.path / "manifest.csv"
        fix = "preprocess again (overwrite=True) to rebuild it"
        try:
            text = read_text(path)
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except OSError as exc:
            raise DataError(f"{shown(path)}: cannot read ({exc.strerror or exc}); {fix}") from None
        except csv.Error as exc:
            raise DataError(f"{shown(path)}: not a manifest genmusic wrote ({exc}); {fix}") from None
        if not rows or tuple(rows[0]) != _MANIFEST_FIELDS:
            got = ",".join(rows[0])[:80] if rows else "nothing"
            raise DataError(f"{shown(path)}: not a manifest genmusic wrote (its first line is {shown(repr(got))}, not "
                            f"{','.join(_MANIFEST_FIELDS)}); {fix}")
        if not text.endswith("\n"):
            raise DataError(f"{shown(path)} is cut short: its last line has no end (a copy or a write that stopped "
                            f"part way); {fix}")
        segment_samples = self.config.spectrogram.segment_samples
        songs: Dict[str, SongRecord] = {}
        segments: Dict[str, set] = {}
        for line, row in enumerate(rows[1:], start=2):
            where = f"{shown(path)} line {line}"
            if len(row) != len(_MANIFEST_FIELDS):
                raise DataError(f"{where}: {len(row)} field(s), a manifest row has {len(_MANIFEST_FIELDS)}; {fix}")
            r = dict(zip(_MANIFEST_FIELDS, row))
            song_id = r["song_id"]
            if safe_name(song_id, fallback="") != song_id:
                raise DataError(f"{where}: song_id {song_id!r} is not a plain file name (a store never writes one; "
                                f"the manifest is damaged or was edited): preprocess again")
            n_samples = _field_int(r, "n_samples", 1, where, fix)
            n_segments = _field_int(r, "n_segments", 1, where, fix)
            segment = _field_int(r, "segment", 0, where, fix)
            if segment >= n_segments:
                raise DataError(f"{where}: segment must be below n_segments ({n_segments}), got {segment}; {fix}")
            offset = _field_int(r, "offset_samples", 0, where, fix)
            if offset != segment * segment_samples:
                raise DataError(f"{where}: offset_samples {offset} does not match segment {segment} "
                                f"({segment * segment_samples} samples); {fix}")
            db_min, db_max = (_field_float(r, key, where, fix) for key in ("db_min", "db_max"))
            if db_min > db_max:
                raise DataError(f"{where}: db_min ({db_min}) is above db_max ({db_max}); {fix}")
            if r["split"] not in SPLITS:
                raise DataError(f"{where}: split must be one of {SPLITS}, got {r['split']!r}; {fix}")
            if r["file"] != f"songs/{song_id}.npy":
                raise DataError(f"{where}: file must be songs/{song_id}.npy (the song's own), got {r['file']!r}; "
                                f"{fix}")
            record = SongRecord(song_id=song_id, source=r["source"], genre=r["genre"], n_samples=n_samples,
                                n_segments=n_segments, db_min=db_min, db_max=db_max, split=r["split"])
            if songs.setdefault(song_id, record) != record:
                raise DataError(f"{where}: song {song_id!r} differs from its earlier rows; {fix}")
            if segment in segments.setdefault(song_id, set()):
                raise DataError(f"{where}: segment {segment} of song {song_id!r} is listed twice; {fix}")
            segments[song_id].add(segment)
        for song_id, record in songs.items():
            if len(segments[song_id]) != record.n_segments:
                raise DataError(f"{shown(path)} lists {len(segments[song_id])} segment(s) of song {song_id!r} but the "
                                f"song has {record.n_segments} (a manifest cut short or edited); {fix}")
        return list(songs.values())

    # ---- metadata
    @property
    def segment_shape(self) -> tuple:
        """``(n_freq_bins, segment_frames)``."""
        return self.config.spectrogram.segment_shape

    @property
    def genres(self) -> List[str]:
        return list(self.stats.get("genres", []))

    def song(self, song_id: str) -> SongRecord:
        try:
            return self._by_id[song_id]
        except KeyError:
            raise DataError(f"song {song_id!r} is not in {self.path}") from None

    def songs_in(self, split: Optional[str] = None) -> List[SongRecord]:
        """Songs of one split (``"train"``, ``"validation"``, ``"test"``) or all (None)."""
        if split is not None and split not in SPLITS:
            raise ParameterError(f"split must be one of {SPLITS} or None, got {split!r}")
        return [r for r in self.songs if split is None or r.split == split]

    def segment_index(self, split: Optional[str] = None) -> np.ndarray:
        """``(song_number, segment)`` pairs of a split, song numbers indexing :attr:`songs`.

        Returns
        -------
        np.ndarray [shape=(n_segments, 2), dtype=int64]
        """
        rows = [(i, s) for i, r in enumerate(self.songs) if split is None or r.split == split
                for s in range(r.n_segments)]
        return np.asarray(rows, dtype=np.int64).reshape(-1, 2)

    def source_path(self, record: SongRecord) -> Tuple[Optional[Path], str]:
        """The song's audio file, if it may be opened: ``(path, "")``, else ``(None, why not)``.

        A manifest can be edited, so its ``source`` is opened only when it is an existing file with an audio
        extension under the folder the store was made from (``stats.json`` ``input_folder``; stores written
        before it was recorded: anywhere). Sources are absolute; a store of an earlier genmusic holds them
        relative to the folder preprocessing ran in, and such a source is looked for there (the working
        folder), then under the recorded input folder and beside the store.
        """
        from ..audio import AUDIO_EXTENSIONS

        path = self._find_source(record.source)
        if path is None:
            return None, "is gone"
        if path.suffix.lower() not in AUDIO_EXTENSIONS:
            return None, "is not an audio file (the manifest names it; not opened)"
        root = self.stats.get("input_folder")
        if root and not path.resolve().is_relative_to(Path(root).resolve()):
            return None, f"lies outside the folder the store was made from ({root}; not opened)"
        return path, ""

    def _find_source(self, source: str) -> Optional[Path]:
        path = Path(source)
        if path.is_absolute() or path.is_file():
            return path if path.is_file() else None
        root = self.stats.get("input_folder")
        bases = ([Path(root)] if root else []) + [self.path.parent]
        for base in bases:
            for k in range(len(path.parts)):  # "music/rock/a.wav" under ".../music": drop leading parts
                candidate = base.joinpath(*path.parts[k:])
                if candidate.is_file():
                    return candidate
        return None

    def dataset_normaliser(self) -> MinMaxNormaliser:
        """Denormaliser for spectrograms that come from no single file (prior samples, mixes)."""
        return MinMaxNormaliser.from_stats(self.stats["db_min"], self.stats["db_max"])

    # ---- arrays
    def song_array(self, song_id: str) -> np.ndarray:
        """Memory-mapped segments of one song, [shape=(n_segments, n_freq_bins, segment_frames)], float16
        (cast with ``np.asarray(..., dtype=np.float32)`` to compute)."""
        arr = self._arrays.get(song_id)
        if arr is None:
            path = self.path / "songs" / f"{song_id}.npy"
            record = self.song(song_id)
            try:
                arr = np.load(path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise DataError(f"{path}: cannot read ({exc}); preprocess again") from None
            expected = (record.n_segments, *self.segment_shape)
            if arr.shape != expected:
                raise DataError(f"{path}: shape {arr.shape} does not match the manifest and config {expected}")
            self._arrays[song_id] = arr
        return arr

    def read_segments(self, song_id: str, start: int, stop: int) -> np.ndarray:
        """Segments ``start:stop`` of one song, read from its file now (training's reader).

        The file is opened for each read, never kept mapped: a song file deleted, cut short or replaced
        while a run reads the store is a :class:`~genmusic.errors.DataError` naming it (a mapped file cut
        short would kill the process).

        Returns
        -------
        np.ndarray [shape=(stop - start, n_freq_bins, segment_frames), dtype=float32]
        """
        path = self.path / "songs" / f"{song_id}.npy"
        record = self.song(song_id)
        expected = (record.n_segments, *self.segment_shape)
        segment_bytes = int(np.prod(self.segment_shape)) * np.dtype(STORE_DTYPE).itemsize
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise DataError(f"{shown(path)}: cannot read (it is gone); preprocess again (overwrite=True)") from None
        except OSError as exc:
            raise DataError(f"{shown(path)}: cannot read ({exc.strerror or exc}); preprocess again") from None
        try:
            info = os.fstat(fd)
            key = (info.st_ino, info.st_size, info.st_mtime_ns)
            cached = self._headers.get(song_id)
            if cached is None or cached[0] != key:
                cached = (key, _npy_data_offset(path, os.pread(fd, 65536, 0), expected))
                self._headers[song_id] = cached
            offset = cached[1]
            if info.st_size < offset + expected[0] * segment_bytes:
                raise DataError(f"{shown(path)} is shorter than its header says ({info.st_size} bytes): the file was "
                                f"cut short; preprocess again (overwrite=True)")
            data = os.pread(fd, (stop - start) * segment_bytes, offset + start * segment_bytes)
        finally:
            os.close(fd)
        if len(data) != (stop - start) * segment_bytes:
            raise DataError(f"{shown(path)} is shorter than its header says: the file was cut short; preprocess again")
        return np.frombuffer(data, dtype=STORE_DTYPE).reshape(stop - start, *self.segment_shape).astype(np.float32)

    def load_segments(self, index: np.ndarray) -> np.ndarray:
        """Gather segments by ``(song_number, segment)`` pairs (:meth:`read_segments`).

        Returns
        -------
        np.ndarray [shape=(len(index), n_freq_bins, segment_frames), dtype=float32]
        """
        out = np.empty((len(index), *self.segment_shape), dtype=np.float32)
        for k, (song_no, seg) in enumerate(np.asarray(index)):
            out[k] = self.read_segments(self.songs[int(song_no)].song_id, int(seg), int(seg) + 1)[0]
        return out

    def __len__(self) -> int:
        return len(self.songs)

    def __repr__(self) -> str:
        return (f"SpectrogramStore({str(self.path)!r}, songs={len(self.songs)}, "
                f"segments={self.stats.get('n_segments')}, shape={self.segment_shape})")
