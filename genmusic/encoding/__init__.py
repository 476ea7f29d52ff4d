"""Encoding: a trained model's latents of stores, audio files and whole folders.

* :mod:`~genmusic.encoding.latents` -- :class:`LatentSet` (segment and song latents, ``.npz`` + ``.csv``),
  :func:`pool_segments`, :func:`encode_store` (a store), :func:`encode_file` (one audio file: the one
  way a file is encoded), :func:`encode_files` (several, from outside the data set).
* :mod:`~genmusic.encoding.folder` -- :func:`encode_folder` / :func:`load_latents`: a folder of audio ->
  latents on disk, on any engine (``genmusic encode``).

Generation (fitting the prior) and analysis (the study) both start from these latents.
"""

from __future__ import annotations

from .._lazy import lazy_names

_NAMES = {
    "LATENT_FILE_VERSION": ".latents", "POOLINGS": ".latents", "LatentSet": ".latents",
    "pool_segments": ".latents", "encode_store": ".latents", "encode_file": ".latents", "FileLatents": ".latents",
    "encode_files": ".latents",
    "LATENT_FOLDER_VERSION": ".folder", "EncodedLatents": ".folder", "LatentWriter": ".folder",
    "encode_folder": ".folder", "load_latents": ".folder",
}
__all__ = list(_NAMES)
__getattr__, __dir__ = lazy_names(__name__, _NAMES)
