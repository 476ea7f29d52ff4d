"""The inputs of a ``generate`` mode: audio files, or songs of the store the model was trained on.

:func:`load_inputs` finds them (files as given; otherwise songs of the training store,
:func:`~genmusic.models.modelio.find_training_store`: the test split, or a genre, or two genres for
``interpolate`` / ``remix``) and checks each once; an :class:`InputSong` decodes and analyses its audio
(or reads its stored spectrogram when the audio is gone) only while a job uses it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from .._io import safe_name
from ..config import check_compatible
from ..errors import ParameterError

__all__ = ["InputSong", "load_inputs", "DEFAULT_COUNTS"]

#: Songs taken from the store when no files are given and ``GenerateOptions.n`` does not say how many
#: (``average``: every song of the genre).
DEFAULT_COUNTS = {"reconstruct": 2, "resynth": 2, "noise": 1, "scale": 1, "smooth": 1, "interpolate": 2,
                  "remix": 2, "average": None, "sample": 4, "continue": 1}


class InputSong:
    """One input: where it came from, and its analysed spectrogram when a job needs it.

    The audio is decoded and analysed block by block (:meth:`SoundGenerator.open`,
    :meth:`SoundGenerator.analyse`) when :attr:`song` is first used, and let go by :meth:`close`:
    :meth:`Plan.write` closes each input after the last job that uses it, so memory holds the inputs of one
    job at a time, however many and however long they are.

    Parameters
    ----------
    label : str
        File-safe name used in output names.
    source : str
        The audio file.
    genre : str
    opener : callable () -> (SongSpectrogram, AudioSignal or None)
        Decodes and analyses the input (None: from the stored spectrogram, no audio).
    notes : list of str
    """

    def __init__(self, label: str, source: str, genre: str, opener: Callable[[], tuple],
                 notes: Optional[List[str]] = None) -> None:
        self.label, self.source, self.genre = label, source, genre
        self.notes = list(notes or [])
        self._opener = opener
        self._opened: Optional[tuple] = None
        self._description: Optional[dict] = None

    @property
    def song(self):
        """The :class:`~genmusic.generation.generator.SongSpectrogram` (decoded and analysed on first use)."""
        if self._opened is None:
            self._opened = self._opener()
        return self._opened[0]

    @property
    def signal(self):
        """The decoded :class:`~genmusic.audio.AudioSignal`, or None when the input is a stored spectrogram."""
        self.song  # noqa: B018 - opens the input
        return self._opened[1]

    def close(self) -> None:
        """Let go of the decoded audio and its analysis (they are made again if needed)."""
        if self._opened is not None:
            if self._opened[1] is not None:
                self._opened[1].close()
            self._opened = None

    def describe(self, sr: int) -> dict:
        if self._description is None:
            song = self.song
            self._description = {
                "label": self.label, "source": self.source, "genre": self.genre, "n_samples": song.n_samples,
                "seconds": round(song.n_samples / sr, 4), "n_segments": song.n_segments, "db_min": song.db_min,
                "db_max": song.db_max, "from": "audio" if self.signal is not None else "stored spectrogram"}
        return self._description


def _store_records(store, mode: str, genre: Optional[str], n: Optional[int]):
    """Songs of the store for a mode: test split (or ``genre``), two genres for interpolate / remix."""
    order = {"test": 0, "validation": 1, "train": 2}
    songs = sorted(store.songs, key=lambda r: (order.get(r.split, 3), r.song_id))
    if genre is not None:
        if genre not in store.genres:
            raise ParameterError(f"genre {genre!r} is not in the training store {store.path}; its genres are "
                                 f"{', '.join(store.genres) or '(none)'}")
        songs = [r for r in songs if r.genre == genre]
    if mode in ("interpolate", "remix"):
        first = songs[0]
        other = [r for r in songs[1:] if r.genre != first.genre] or songs[1:]
        if not other:
            raise ParameterError(f"{mode} needs two songs but the store {store.path} offers one; pass files=[A, B]")
        return [first, other[0]]
    if mode == "average":
        if genre is None:
            songs = [r for r in songs if r.genre == songs[0].genre]
        return songs[:n] if n else songs
    test = [r for r in songs if r.split == "test"] or songs
    count = n or DEFAULT_COUNTS[mode]
    return (test if genre is None else songs)[:count]


def _short_note(n_samples: int, gen) -> List[str]:
    seg = gen.spec.segment_samples
    if n_samples < seg:
        return [f"shorter than one segment ({n_samples / gen.sample_rate:.3f} s < {seg / gen.sample_rate:.3f} s): "
                "padded with silence, output trimmed back to the input's length"]
    return []


def load_inputs(gen, mode: str, *, files: Sequence[str | os.PathLike] = (), genre: Optional[str] = None,
                n: Optional[int] = None, seconds: Optional[float] = None, store=None) -> List[InputSong]:
    """The inputs of a mode: ``files``, or songs of a store (by default the one the model was trained on).

    Parameters
    ----------
    gen : SoundGenerator
        Made with :meth:`SoundGenerator.from_folder` (its ``bundle`` names the training store).
    mode : str
    files : sequence of path-like
        Audio files of any format, rate and channel count.
    genre : str, optional
        Without files: songs of this genre.
    n : int, optional
        Without files: how many songs (default :data:`DEFAULT_COUNTS`).
    seconds : float, optional
        Use only the first seconds of each input.
    store : SpectrogramStore, optional
        Without files: take the songs from this store instead of the model's training store.

    Returns
    -------
    list of InputSong
    """
    inputs: List[InputSong] = []
    if files:
        for path in files:
            inputs.append(InputSong(safe_name(Path(path).stem, fallback="song"), str(path), "",
                                    _audio_opener(gen, path, seconds)))
    else:
        if store is None:
            from ..data.store import SpectrogramStore
            from ..models.modelio import find_training_store

            store = SpectrogramStore(find_training_store(gen.bundle.folder, fix="no files given: pass files=[FILE, ...]"))
        for record in _store_records(store, mode, genre, n):
            label = safe_name(record.song_id, fallback="song")
            source, why = store.source_path(record)
            if source is not None:
                inputs.append(InputSong(label, record.source, record.genre, _audio_opener(gen, source, seconds)))
                continue
            # the audio is gone: the stored spectrogram, if the model reads spectrograms like it
            check_compatible(gen.config, store.config, model_name=f"model {gen.bundle.folder}",
                             data_name=f"spectrograms {store.path}",
                             fix=f"{record.source} (song {record.song_id}) {why}, so its stored spectrogram would "
                                 "have to serve; pass files=[FILE, ...]")
            inputs.append(InputSong(label, record.source, record.genre, _stored_opener(gen, store, record, seconds),
                                    [f"source file {record.source} {why}: used the stored spectrogram of "
                                     f"{record.song_id}"]))
        if not inputs:
            raise ParameterError(f"the training store {store.path} has no songs for mode {mode!r}"
                                 + (f" and genre {genre!r}" if genre else ""))
    for item in inputs:  # every input is decoded once now, so that a bad one stops the run before any output
        item.describe(gen.sample_rate)
        if item.signal is not None:
            item.notes += item.signal.notes
        item.notes += _short_note(item.song.n_samples, gen)
        item.close()
    return inputs


def _audio_opener(gen, path, seconds: Optional[float]) -> Callable[[], tuple]:
    def opener() -> tuple:
        signal = gen.open(path, seconds=seconds, spool_dir=gen.spool_dir)
        try:
            return gen.analyse(signal, name=str(path)), signal
        except BaseException:
            signal.close()
            raise
    return opener


def _stored_opener(gen, store, record, seconds: Optional[float]) -> Callable[[], tuple]:
    def opener() -> tuple:
        segments = store.song_array(record.song_id)  # memory-mapped: read as the frames are needed
        n_samples = record.n_samples
        if seconds is not None:
            n_samples = min(n_samples, max(1, int(round(seconds * gen.sample_rate))))
            segments = segments[: math.ceil(n_samples / gen.spec.segment_samples)]
        return gen.spectrogram_from_segments(segments, record.db_min, record.db_max, n_samples,
                                             source=record.source), None
    return opener
