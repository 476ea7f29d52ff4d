"""The embedded dataset: synthetic, GTZAN-shaped music generated on the spot (no download).

:func:`make_synthetic` writes ``genres_original/<genre>/<genre>.00000.wav`` files, so every command works
out of the box; :func:`synthesize_song` makes one song in memory.
"""

from __future__ import annotations

from .genres import GENRES, SYNTHETIC_FORMAT_VERSION, make_synthetic, synthesize_song

__all__ = ["GENRES", "SYNTHETIC_FORMAT_VERSION", "make_synthetic", "synthesize_song"]
