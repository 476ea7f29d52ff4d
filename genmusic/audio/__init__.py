"""Audio in and out: decode any file into a float32 mono signal, hold long songs off memory, write WAV / OGG.

* :mod:`~genmusic.audio.decode` -- :class:`Loader`: soundfile, then audioread / ffmpeg; resampled, mixed
  to mono, ``offset`` / ``duration``; block by block.
* :mod:`~genmusic.audio.signal` -- :class:`AudioSignal`: a decoded signal, spooled to an unnamed temporary
  file when long; :class:`Padder`, :func:`pad_to_segments`: lengths.
* :mod:`~genmusic.audio.write` -- :func:`write_wav` (32-bit float, atomic), :func:`write_audio` (WAV or
  OGG Vorbis), :func:`peak_normalise`, :func:`prevent_clipping`.

Every public name is importable from ``genmusic.audio`` (loaded on first use).
"""

from __future__ import annotations

from .._lazy import lazy_names

_NAMES = {
    "Loader": ".decode", "AUDIO_EXTENSIONS": ".decode", "MAX_SECONDS": ".decode",
    "AudioSignal": ".signal", "Padder": ".signal", "n_segments_for": ".signal", "pad_to_segments": ".signal",
    "write_wav": ".write", "write_audio": ".write", "peak_normalise": ".write", "prevent_clipping": ".write",
    "level_info": ".write", "PEAK_TARGET_DBFS": ".write", "COMPRESSED": ".write",
}
__all__ = list(_NAMES)
__getattr__, __dir__ = lazy_names(__name__, _NAMES)
