"""A model's latents of a store or of new audio files, per segment and pooled per song.

* :class:`LatentSet` -- segment latents, song latents, song ids, genres and splits, saved as ``.npz`` +
  ``.csv`` (no pickle) and read back.
* :func:`pool_segments` -- one vector per song from its segments' latents.
* :func:`encode_store` -- a store -> its latents (checked against the model's settings first).
* :func:`encode_file` -- an audio file -> its segment latents; :func:`encode_files`: several, as a set.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .._io import atomic_save_npz, atomic_write_text
from ..config import GenmusicConfig, check_compatible
from ..data.store import SpectrogramStore
from ..errors import AudioLoadError, DataError, GenmusicError, ParameterError

__all__ = ["LATENT_FILE_VERSION", "POOLINGS", "LatentSet", "pool_segments", "FileLatents", "encode_file", "encode_store",
           "encode_files"]

#: Version of the ``latents_<name>.npz`` layout written by :meth:`LatentSet.save`.
LATENT_FILE_VERSION = 1

#: Ways to pool segment latents into a song latent (:func:`pool_segments`).
POOLINGS = ("mean", "mean_std")


@dataclass
class LatentSet:
    """Latent vectors of songs: one per segment, and one per song.

    Attributes
    ----------
    segment_latents : np.ndarray [shape=(n_segments, latent_dim), dtype=float32]
        The model's latent of every segment (a VAE's posterior mean), songs in order, segments in time order.
    segment_song : np.ndarray [shape=(n_segments,), dtype=int64]
        Index into ``song_ids`` of each segment's song.
    song_ids, genres, splits : np.ndarray [shape=(n_songs,), dtype=str]
        Per song; ``genres`` is ``""`` for an unlabelled song, ``splits`` is ``"new"`` for music from
        outside the data set.
    song_latents : np.ndarray [shape=(n_songs, latent_dim) or (n_songs, 2 * latent_dim), dtype=float32]
        Each song's segment latents pooled (see :func:`pool_segments`): their mean then their standard
        deviation (``pooling="mean_std"``, the default), or their mean alone (``"mean"``).
    pooling : {"mean", "mean_std"}
    meta : dict
        JSON-friendly metadata saved with the set (model folder, store, latent size).
    """

    segment_latents: np.ndarray
    segment_song: np.ndarray
    song_ids: np.ndarray
    genres: np.ndarray
    splits: np.ndarray
    song_latents: np.ndarray
    pooling: str = "mean_std"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.segment_latents = np.asarray(self.segment_latents, dtype=np.float32)
        self.segment_song = np.asarray(self.segment_song, dtype=np.int64)
        self.song_ids = np.asarray(self.song_ids, dtype=str)
        self.genres = np.asarray(self.genres, dtype=str)
        self.splits = np.asarray(self.splits, dtype=str)
        self.song_latents = np.asarray(self.song_latents, dtype=np.float32)
        n = len(self.song_ids)
        if not (len(self.genres) == len(self.splits) == self.song_latents.shape[0] == n):
            raise ParameterError(f"LatentSet: song_ids, genres, splits and song_latents must have one entry per "
                                 f"song, got {n}, {len(self.genres)}, {len(self.splits)}, {self.song_latents.shape[0]}")
        if self.segment_latents.ndim != 2 or self.segment_song.shape != (self.segment_latents.shape[0],):
            raise ParameterError(f"LatentSet: segment_latents must be (n_segments, latent_dim) and segment_song "
                                 f"(n_segments,), got {self.segment_latents.shape} and {self.segment_song.shape}")
        if self.pooling not in POOLINGS:
            raise ParameterError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")

    @property
    def n_songs(self) -> int:
        return len(self.song_ids)

    @property
    def latent_dim(self) -> int:
        """Latent floats per segment."""
        return int(self.segment_latents.shape[1])

    def mask(self, *splits: str) -> np.ndarray:
        """Boolean mask of the songs in any of ``splits`` (e.g. ``mask("train", "validation")``)."""
        return np.isin(self.splits, list(splits))

    def segment_mask(self, song_mask: np.ndarray) -> np.ndarray:
        """Boolean mask of the segments of the songs selected by ``song_mask``."""
        return np.asarray(song_mask, dtype=bool)[self.segment_song]

    def per_song(self) -> List[np.ndarray]:
        """Each song's segment latents, in time order: list of np.ndarray [shape=(n_segments_i, latent_dim)]."""
        order = np.argsort(self.segment_song, kind="stable")
        bounds = np.cumsum(np.bincount(self.segment_song, minlength=self.n_songs))[:-1]
        return np.split(self.segment_latents[order], bounds)

    def save(self, path_npz: str | os.PathLike, path_csv: Optional[str | os.PathLike] = None) -> Path:
        """Write the arrays as ``.npz`` (no pickle: strings as fixed-width unicode) and, optionally, a
        ``song_id,genre,split`` CSV. Both writes are atomic.

        Returns
        -------
        Path of the ``.npz``.
        """
        arrays = {
            "latent_file_version": np.array(LATENT_FILE_VERSION, dtype=np.int64),
            "segment_latents": self.segment_latents,
            "segment_song": self.segment_song,
            "song_ids": np.array(list(self.song_ids), dtype=str),
            "genres": np.array(list(self.genres), dtype=str),
            "splits": np.array(list(self.splits), dtype=str),
            "song_latents": self.song_latents,
            "pooling": np.array(self.pooling, dtype=str),
            "meta_json": np.array(json.dumps(self.meta), dtype=str),
        }
        path_npz = Path(path_npz)
        if path_npz.suffix != ".npz":
            raise ParameterError(f"path_npz must end in .npz (np.savez adds it otherwise), got {path_npz}")
        atomic_save_npz(path_npz, **arrays)
        if path_csv is not None:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(("song_id", "genre", "split"))
            writer.writerows(zip(self.song_ids.tolist(), self.genres.tolist(), self.splits.tolist()))
            atomic_write_text(path_csv, buf.getvalue())
        return path_npz

    @classmethod
    def load(cls, path_npz: str | os.PathLike) -> "LatentSet":
        """Read a file written by :meth:`save` (refusing other format versions)."""
        path_npz = Path(path_npz)
        if not path_npz.is_file():
            raise DataError(f"latent file {path_npz} does not exist")
        try:
            with np.load(path_npz, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise DataError(f"{path_npz}: not a readable latent file ({exc})") from None
        version = int(arrays.get("latent_file_version", -1))
        if version != LATENT_FILE_VERSION:
            raise DataError(f"{path_npz}: latent file version {version}; this genmusic reads version "
                            f"{LATENT_FILE_VERSION}: run the analysis again")
        return cls(segment_latents=arrays["segment_latents"], segment_song=arrays["segment_song"],
                   song_ids=arrays["song_ids"], genres=arrays["genres"], splits=arrays["splits"],
                   song_latents=arrays["song_latents"], pooling=str(arrays["pooling"]),
                   meta=json.loads(str(arrays["meta_json"])))


def pool_segments(segment_latents: np.ndarray, segment_song: np.ndarray, n_songs: int, *,
                  pooling: str = "mean_std") -> np.ndarray:
    """One vector per song from its segments' latents.

    Parameters
    ----------
    segment_latents : np.ndarray [shape=(n_segments, d)]
    segment_song : np.ndarray [shape=(n_segments,)]
        Song index of each segment, in ``[0, n_songs)``; every song needs at least one segment.
    pooling : {"mean", "mean_std"}
        ``"mean_std"`` (default): the mean of the song's segment latents followed by their per-dimension
        standard deviation (0 for a one-segment song). How much a song moves is as telling as where it sits:
        on real music this song vector classifies genres better than mean + std of 20 MFCCs, where the
        mean alone does worse (see the README's analysis section).
        ``"mean"``: the mean alone (a song-level summary that ignores order).

    Returns
    -------
    np.ndarray [shape=(n_songs, d) or (n_songs, 2 * d), dtype=float32]
    """
    if pooling not in POOLINGS:
        raise ParameterError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    Z = np.asarray(segment_latents, dtype=np.float64)
    song = np.asarray(segment_song, dtype=np.int64)
    counts = np.bincount(song, minlength=n_songs).astype(np.float64)
    if len(counts) > n_songs or np.any(counts == 0):
        raise ParameterError(f"segment_song must give every one of the {n_songs} songs at least one segment "
                             f"and index no other song")
    sums = np.zeros((n_songs, Z.shape[1]))
    np.add.at(sums, song, Z)
    mean = sums / counts[:, None]
    if pooling == "mean":
        return mean.astype(np.float32)
    sq = np.zeros_like(sums)
    np.add.at(sq, song, (Z - mean[song]) ** 2)
    std = np.sqrt(sq / counts[:, None])
    return np.concatenate([mean, std], axis=1).astype(np.float32)


def encode_store(model, store: SpectrogramStore, *, batch_size: int = 64, pooling: str = "mean_std",
                 split: Optional[str] = None) -> LatentSet:
    """Encode every segment of a store, song by song.

    Parameters
    ----------
    model : Autoencoder or VAE
        Anything with ``encode(x [shape=(n, n_freq, n_frames)]) -> (n, latent_dim)``; a VAE gives its
        posterior means.
    store : SpectrogramStore
    batch_size : int
    pooling : {"mean", "mean_std"}
        How segment latents become a song latent (:func:`pool_segments`).
    split : str, optional
        Only the songs of this split.

    Returns
    -------
    LatentSet
        Songs in the store's (manifest) order.
    """
    check_compatible(model, store.config, data_name=str(store.path))
    records = store.songs_in(split)
    if not records:
        raise DataError(f"{store.path} has no songs in split {split!r}")
    latents, owners = [], []
    for i, record in enumerate(records):
        z = np.asarray(model.encode(np.asarray(store.song_array(record.song_id)), batch_size=batch_size))
        latents.append(z)
        owners.append(np.full(z.shape[0], i, dtype=np.int64))
    Z = np.concatenate(latents).astype(np.float32)
    song = np.concatenate(owners)
    return LatentSet(segment_latents=Z, segment_song=song, song_ids=[r.song_id for r in records],
                     genres=[r.genre for r in records], splits=[r.split for r in records],
                     song_latents=pool_segments(Z, song, len(records), pooling=pooling), pooling=pooling,
                     meta={"store": str(store.path), "latent_dim": int(Z.shape[1])})


@dataclass
class FileLatents:
    """One audio file's latents (:func:`encode_file`).

    Attributes
    ----------
    latents : np.ndarray [shape=(n_segments, latent_dim), dtype=float32]
        The model's latent of each consecutive segment, as preprocessing cuts them.
    n_samples : int
        Length of the decoded audio.
    db_min, db_max : float
        The file's spectrogram statistics.
    notes : list of str
        What decoding found worth a warning (a truncated file).
    """

    latents: np.ndarray
    n_samples: int
    db_min: float
    db_max: float
    notes: List[str] = field(default_factory=list)


def encode_file(model, pipeline, path: str | os.PathLike, *, batch_size: int = 64) -> FileLatents:
    """An audio file -> its segment latents: the one way a file is encoded (:func:`encode_files`,
    :func:`genmusic.encoding.folder.encode_folder`).

    The file is decoded by ``pipeline.loader`` (any format, rate or channel count) and cut into normalised
    segments as preprocessing does (``PreprocessingPipeline.analyse_signal``), block by block: a long file
    takes no more memory than a short one.

    Parameters
    ----------
    model : Autoencoder or VAE
        Anything with ``encode(x, batch_size=...)``; a VAE gives its posterior means.
    pipeline : PreprocessingPipeline
        Built from the model's settings.

    Raises
    ------
    AudioLoadError
        The file cannot be decoded, or holds no usable signal (silence, NaN).
    """
    with pipeline.loader.open(path) as signal:
        try:
            song = pipeline.analyse_signal(signal, name=str(path))
        except ParameterError as exc:  # the file, not an argument, is at fault
            raise AudioLoadError(str(exc)) from None
        z = np.concatenate([np.asarray(model.encode(block, batch_size=batch_size)) for block in song.segment_blocks()])
        return FileLatents(z.astype(np.float32, copy=False), int(signal.n_samples), float(song.db_min),
                           float(song.db_max), list(signal.notes))


def encode_files(model, config: GenmusicConfig, paths: Sequence[str | os.PathLike], *, batch_size: int = 64,
                 pooling: str = "mean_std") -> Tuple[Optional[LatentSet], List[str]]:
    """Encode audio files from outside the data set, the way preprocessing treats its files.

    Each file is encoded by :func:`encode_file` with the settings of ``config``.

    Returns
    -------
    latents : LatentSet or None
        The files that could be used (``song_ids`` are the file names, ``splits`` ``"new"``); None if none.
    notes : list of str
        One line per file that could not be used, naming it and the reason.
    """
    from ..data.pipeline import PreprocessingPipeline

    pipeline = PreprocessingPipeline(config)
    latents, owners, names, used, notes = [], [], [], [], []
    for path in paths:
        try:
            z = encode_file(model, pipeline, path, batch_size=batch_size).latents
        except GenmusicError as exc:
            notes.append(f"input {path} skipped: {exc}")
            continue
        owners.append(np.full(z.shape[0], len(names), dtype=np.int64))
        latents.append(z)
        names.append(Path(path).name)
        used.append(str(path))
    if not names:
        return None, notes
    Z = np.concatenate(latents).astype(np.float32)
    song = np.concatenate(owners)
    return LatentSet(segment_latents=Z, segment_song=song, song_ids=names, genres=[""] * len(names),
                     splits=["new"] * len(names), song_latents=pool_segments(Z, song, len(names), pooling=pooling),
                     pooling=pooling, meta={"sources": used}), notes
