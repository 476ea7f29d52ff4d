"""Features: log spectrograms and the way back to audio.

* :mod:`~genmusic.features.spectrogram` -- :class:`LogSpectrogramExtractor` (|STFT| in dB, block by block),
  :class:`MinMaxNormaliser` (fit / transform / inverse_transform), :class:`SongFrames`.
* :mod:`~genmusic.features.windows` -- windows over a song's spectrogram: slice, crossfade, overlap-add.
* :mod:`~genmusic.features.griffinlim` -- fast Griffin-Lim (librosa, or batched ``keras.ops``).
* :mod:`~genmusic.features.inversion` -- frames -> audio of exactly ``n`` samples (the one path back).

Every public name of the submodules is importable from ``genmusic.features`` (loaded on first use).
"""

from __future__ import annotations

from .._lazy import lazy_names

_NAMES = {
    "LogSpectrogramExtractor": ".spectrogram", "SongFrames": ".spectrogram", "MinMaxNormaliser": ".spectrogram",
    "db_to_magnitude": ".spectrogram", "magnitude_to_db": ".spectrogram", "ANALYSIS_BLOCK_FRAMES": ".spectrogram",
    "KEEP_FRAMES": ".spectrogram",
    "hop_frames_for": ".windows", "n_windows_for": ".windows", "crossfade_weights": ".windows",
    "slice_windows": ".windows", "overlap_add": ".windows", "overlap_add_range": ".windows",
    "windows_touching": ".windows",
    "griffinlim": ".griffinlim", "griffinlim_librosa": ".griffinlim", "griffinlim_keras": ".griffinlim",
    "METHODS": ".griffinlim",
    "fit_frames": ".inversion", "db_to_audio": ".inversion", "frames_to_audio": ".inversion",
    "frames_to_audio_blocks": ".inversion", "resynthesize": ".inversion", "GL_BLOCK_FRAMES": ".inversion",
}
__all__ = list(_NAMES)
__getattr__, __dir__ = lazy_names(__name__, _NAMES)
