"""Data: audio folders -> spectrogram stores, and the embedded dataset.

* :mod:`~genmusic.data.store` -- :class:`Saver` (manifest, song-level splits, versioned files) and
  :class:`SpectrogramStore` (memory-mapped reading).
* :mod:`~genmusic.data.pipeline` -- :class:`PreprocessingPipeline`: audio folder -> store, resumable.
* :mod:`~genmusic.data.engines` -- one per-file function over a file list: a local process pool or Ray.
* :mod:`~genmusic.data.synthetic` -- the embedded, GTZAN-shaped synthetic music dataset.

Every public name of the submodules is importable from ``genmusic.data`` (loaded on first use).
"""

from __future__ import annotations

from .._lazy import lazy_names

_NAMES = {
    "STORE_VERSION": ".store", "SongRecord": ".store", "Saver": ".store", "SpectrogramStore": ".store",
    "assign_splits": ".store", "make_song_ids": ".store", "song_summary": ".store",
    "PreprocessingPipeline": ".pipeline", "PreprocessReport": ".pipeline", "find_audio_files": ".pipeline",
    "ENGINES": ".engines", "RAY_INSTALL": ".engines", "RAY_MAX_RETRIES": ".engines", "WORKER_DIED": ".engines",
    "Done": ".engines", "check_engine": ".engines", "run_job": ".engines", "map_jobs": ".engines",
    "plan_jobs": ".engines", "collect": ".engines",
    "GENRES": ".synthetic", "make_synthetic": ".synthetic", "synthesize_song": ".synthetic",
    "SYNTHETIC_FORMAT_VERSION": ".synthetic",
}
__all__ = list(_NAMES)
#: The training batches were ``genmusic.data`` before the stage packages.
_MOVED_NAMES = {"SpectrogramDataset": "genmusic.models.dataset", "split_indices": "genmusic.models.dataset"}
__getattr__, __dir__ = lazy_names(__name__, _NAMES, deprecated=_MOVED_NAMES)
