"""The embedded dataset: synthetic, GTZAN-shaped music generated on the spot (no download).

:func:`make_synthetic` writes ``genres_original/<genre>/<genre>.00000.wav`` files, so every command works
out of the box; :func:`synthesize_song` makes one song in memory.

* :mod:`~genmusic.data.synthetic.instruments` -- music theory, sound sources and drums;
* :mod:`~genmusic.data.synthetic.genres` -- the song grid and one arranger per genre (:data:`GENRES`);
* :mod:`~genmusic.data.synthetic.dataset` -- :func:`synthesize_song`, :func:`make_synthetic` (the folder,
  ``synthetic.json``).
"""

from __future__ import annotations

from .dataset import GENRES, SYNTHETIC_FORMAT_VERSION, make_synthetic, synthesize_song

__all__ = ["GENRES", "SYNTHETIC_FORMAT_VERSION", "make_synthetic", "synthesize_song"]
