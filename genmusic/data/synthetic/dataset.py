"""The embedded default dataset: synthetic, GTZAN-shaped music generated on the spot.

Nothing is downloaded. :func:`make_synthetic` writes a folder laid out like GTZAN
(``genres_original/<genre>/<genre>.00000.wav``, 16-bit PCM mono WAV) whose songs are synthesised by
:func:`synthesize_song`. Every song has drums (or, for classical, a piano arpeggio), bass, chords and a
melody on a beat grid. The genres differ the way real genres do:

* tempo range and metre;
* rhythm: four-on-the-floor, backbeat, boom-bap, one-drop with offbeat skank, swing ride, double kick,
  no drums at all;
* scale and harmony: major, minor, harmonic minor, dorian, phrygian, blues and pentatonic scales, with
  each genre's own chord progressions (12-bar blues, ii-V-I, i-bVI-bVII power chords, ...);
* timbre: additive synthesis with different harmonic roll-offs, FM synthesis, Karplus-Strong plucked
  strings, distorted saw power chords, a resonant-filter "acid" bass, and noise-based drums.

Within a genre songs vary in key, tempo, progression, patterns, melody, timbre details and mix, so the
dataset is not trivial, but the genre is audible (and learnable from MFCCs).

Each song's random generator is seeded from ``(seed, genre, index)``, so the same call gives
bit-identical files and adding songs never changes the existing ones. A 30 s song at 22050 Hz takes
well under a second to make.

Examples
--------
>>> from genmusic.data.synthetic import make_synthetic
>>> root = make_synthetic("data/synthetic", n_per_genre=10)  # doctest: +SKIP
>>> sorted(p.name for p in root.iterdir())  # doctest: +SKIP
['blues', 'classical', 'disco', 'hiphop', 'jazz', 'metal', 'reggae', 'techno']
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..._checks import check_integer, check_number, check_seed
from ..._io import atomic_write, atomic_write_text
from ...errors import ParameterError
from .genres import _ARRANGERS, GENRES

__all__ = ["GENRES", "make_synthetic", "synthesize_song", "SYNTHETIC_FORMAT_VERSION"]

#: Version of the generator; recorded in ``synthetic.json``. Bump when the audio it makes changes.
SYNTHETIC_FORMAT_VERSION = 1

_DESCRIPTION_FILE = "synthetic.json"
_AUDIO_FOLDER = "genres_original"


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------

def _check_genre(genre) -> str:
    if not isinstance(genre, str) or genre not in _ARRANGERS:
        raise ParameterError(f"genre must be one of {list(GENRES)}, got {genre!r}")
    return genre


def _check_settings(duration, sample_rate, seed) -> int:
    """Validate the shared settings and return the song length in samples."""
    check_seed(seed)
    check_integer(sample_rate, "sample_rate", minimum=1000, limit="sample_rate")
    duration = check_number(duration, "duration", minimum=0, exclusive_minimum=True, limit="song_seconds",
                            noun="a finite number of seconds")
    n = int(round(duration * int(sample_rate)))
    if n < 1:
        raise ParameterError(f"duration must be at least one sample ({1 / int(sample_rate):g} s at "
                             f"{int(sample_rate)} Hz), got {duration!r}", parameter="duration")
    return n


def synthesize_song(genre: str, index: int, *, duration: float = 30.0, sample_rate: int = 22050,
                    seed: int = 0) -> np.ndarray:
    """Synthesise one song of ``genre``, the same for the same ``(genre, index, seed)``.

    Parameters
    ----------
    genre : str
        One of :data:`GENRES`.
    index : int >= 0
        Which song of the genre (the number in its GTZAN-style file name).
    duration : float > 0
        Length in seconds.
    sample_rate : int
        Sample rate in Hz.
    seed : int >= 0
        Dataset seed; the song's generator is seeded with ``(seed, genre position, index)``.

    Returns
    -------
    y : np.ndarray [shape=(n,), dtype=float32]
        ``n = round(duration * sample_rate)`` samples, peak-normalised to 0.9, finite.

    Raises
    ------
    ParameterError
        Unknown genre, negative index or seed, ``duration <= 0``, or a sample rate below 1000 Hz.

    Examples
    --------
    >>> y = synthesize_song("jazz", 0, duration=5.0, sample_rate=22050)
    >>> y.shape, y.dtype
    ((110250,), dtype('float32'))
    """
    _check_genre(genre)
    check_integer(index, "index", minimum=0)
    n = _check_settings(duration, sample_rate, seed)
    sr = int(sample_rate)
    rng = np.random.default_rng([int(seed), GENRES.index(genre), int(index)])
    y = _ARRANGERS[genre](rng, n, sr)[:n]
    # short fades so the first and last samples are silent (no clicks at the file edges)
    k = min(n // 2, int(0.01 * sr))
    if k:
        ramp = np.linspace(0.0, 1.0, k)
        y[:k] *= ramp
        y[n - k:] *= ramp[::-1]
    y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.max(np.abs(y))) if n else 0.0
    if peak > 0:
        y = y * (0.9 / peak)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def _atomic_write_wav(path: Path, y: np.ndarray, sr: int) -> None:
    import soundfile as sf

    atomic_write(path, lambda handle: sf.write(handle, y, sr, subtype="PCM_16", format="WAV"))


def make_synthetic(output_dir: str | os.PathLike, *, n_per_genre: int = 10, duration: float = 30.0,
                   sample_rate: int = 22050, genres: Optional[Sequence[str]] = None, seed: int = 0,
                   overwrite: bool = False, progress: bool = False) -> Path:
    """Write a GTZAN-shaped synthetic dataset and return its ``genres_original`` folder.

    The layout is ``output_dir/genres_original/<genre>/<genre>.00000.wav`` (16-bit PCM mono WAV), with
    ``output_dir/synthetic.json`` describing the settings. Files already present are kept, so a second
    call is cheap and adding songs (a larger ``n_per_genre``) only writes the new ones; each file is
    written under a temporary name and renamed, so none is ever half-written.

    Parameters
    ----------
    output_dir : path-like
        Folder to write into (created if needed).
    n_per_genre : int >= 1
        Songs per genre.
    duration : float > 0
        Seconds per song.
    sample_rate : int
        Sample rate of the files in Hz.
    genres : sequence of str, optional
        Genres to write (default: all of :data:`GENRES`).
    seed : int >= 0
        Dataset seed (see :func:`synthesize_song`).
    overwrite : bool
        Regenerate files that already exist.
    progress : bool
        Print one line per genre to stderr.

    Returns
    -------
    pathlib.Path
        ``output_dir / "genres_original"``.

    Raises
    ------
    ParameterError
        Bad settings, an unknown genre, or an ``output_dir`` that holds a synthetic dataset made with a
        different seed, duration or sample rate (pass ``overwrite=True`` or choose another folder).

    Examples
    --------
    >>> root = make_synthetic("data/synthetic", n_per_genre=2, duration=5.0)  # doctest: +SKIP
    >>> sorted(p.name for p in (root / "jazz").iterdir())  # doctest: +SKIP
    ['jazz.00000.wav', 'jazz.00001.wav']
    """
    check_integer(n_per_genre, "n_per_genre", minimum=1, limit="songs_per_genre")
    _check_settings(duration, sample_rate, seed)
    if genres is None:
        genres = list(GENRES)
    else:
        if isinstance(genres, str):
            genres = [genres]
        genres = list(genres)
        unknown = [g for g in genres if g not in GENRES]
        if unknown:
            raise ParameterError(f"genres: unknown genre(s) {unknown}; known genres are {list(GENRES)}")
        if not genres:
            raise ParameterError(f"genres must name at least one of {list(GENRES)}, got an empty list")
    genres = [g for g in GENRES if g in genres]  # canonical order, no duplicates

    output_dir = Path(output_dir)
    root = output_dir / _AUDIO_FOLDER
    root.mkdir(parents=True, exist_ok=True)
    info_path = output_dir / _DESCRIPTION_FILE
    settings = {"seed": int(seed), "duration": float(duration), "sample_rate": int(sample_rate)}
    previous = None
    if info_path.is_file():
        try:
            previous = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            previous = None
    if isinstance(previous, dict) and not overwrite:
        old = {k: previous.get(k) for k in settings}
        if old != settings:
            raise ParameterError(
                f"{output_dir} already holds a synthetic dataset made with {old}, not {settings}; "
                f"pass overwrite=True to regenerate it or choose another output_dir")
    if isinstance(previous, dict) and not overwrite:
        known = set(previous.get("genres") or []) | set(genres)
        n_recorded = max(int(previous.get("n_per_genre") or 0), int(n_per_genre))
    else:
        known, n_recorded = set(genres), int(n_per_genre)

    for genre in genres:
        folder = root / genre
        folder.mkdir(exist_ok=True)
        written = 0
        for index in range(int(n_per_genre)):
            path = folder / f"{genre}.{index:05d}.wav"
            if path.exists() and not overwrite:
                continue
            y = synthesize_song(genre, index, duration=duration, sample_rate=int(sample_rate), seed=int(seed))
            _atomic_write_wav(path, y, int(sample_rate))
            written += 1
        if progress:
            print(f"synthetic {genre}: {n_per_genre} songs ({written} written)", file=sys.stderr, flush=True)

    info = {
        "generator": "genmusic.data.synthetic",
        "format_version": SYNTHETIC_FORMAT_VERSION,
        **settings,
        "n_per_genre": n_recorded,
        "genres": [g for g in GENRES if g in known],
        "layout": f"{_AUDIO_FOLDER}/<genre>/<genre>.<index:05d>.wav",
        "subtype": "PCM_16",
        "channels": 1,
    }
    text = json.dumps(info, indent=2) + "\n"
    if not info_path.is_file() or info_path.read_text(encoding="utf-8") != text:
        atomic_write_text(info_path, text)
    return root
