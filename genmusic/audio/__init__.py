"""Audio in and out: decode any file into a float32 mono signal, hold long songs off memory, write WAV / OGG.

* :mod:`~genmusic.audio.decode` -- :class:`Loader` (soundfile, then audioread / ffmpeg; resample, mono,
  offset / duration), :class:`AudioSignal` (a decoded signal, spooled to an unnamed file when long),
  :class:`Padder`, the writers.

Every public name is importable from ``genmusic.audio`` (loaded on first use).
"""

from __future__ import annotations

from .._lazy import lazy_names

_NAMES = {name: ".decode" for name in (
    "Loader", "AudioSignal", "Padder", "n_segments_for", "pad_to_segments", "peak_normalise", "prevent_clipping",
    "level_info", "write_audio", "write_wav", "AUDIO_EXTENSIONS", "PEAK_TARGET_DBFS", "MAX_SECONDS", "COMPRESSED")}
__all__ = list(_NAMES)
__getattr__, __dir__ = lazy_names(__name__, _NAMES)
