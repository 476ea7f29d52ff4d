"""Datasets: the embedded synthetic, GTZAN-shaped music dataset.

:func:`make_synthetic` writes ``genres_original/<genre>/<genre>.00000.wav`` files generated on the spot
(no download), so every command works out of the box; :func:`synthesize_song` makes one song in memory.
"""

from __future__ import annotations

from .synthetic import GENRES, SYNTHETIC_FORMAT_VERSION, make_synthetic, synthesize_song

__all__ = ["GENRES", "SYNTHETIC_FORMAT_VERSION", "make_synthetic", "synthesize_song"]
