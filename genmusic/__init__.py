"""genmusic: compress music into latent vectors and back.

The package tree is the pipeline, one package per stage, in the order data flows::

    audio/       decode any file, the spooling signal buffer, write WAV / OGG
    features/    log spectrogram, normaliser, frames <-> audio (windows, inversion, Griffin-Lim)
    data/        spectrogram store, preprocessing pipeline, engines (local, Ray), the synthetic dataset
    models/      Autoencoder / VAE, training, the model folder
    encoding/    a model's latents of stores, files and folders
    generation/  SoundGenerator, latent operations, prior, sequence model, composer, the generate modes
    analysis/    the latent-space study, reconstruction quality, the latent-size sweep, the report
    commands/    the command line (``genmusic <command>``, ``scripts/*.py``)

with ``_io``, ``_checks``, ``errors`` and ``config`` under all of them and ``metrics`` beside features. A
module imports only from its own stage and the stages before it (``tests/test_layout.py`` checks it).

The names below are the public API, in the order data flows. Configuration: :class:`GenmusicConfig` and its
sections. Every user error is a :class:`GenmusicError` (the specific kinds are in :mod:`genmusic.errors`).

Heavy modules (Keras models, training, generation) load on first use, so ``import genmusic`` is fast and
never imports TensorFlow. Module paths of earlier releases (``genmusic.pipeline``,
``genmusic.generate_modes``, ...) still import, with a ``DeprecationWarning`` (:mod:`genmusic._lazy`).
"""

from __future__ import annotations

from . import _lazy
from ._version import __version__
from .config import AudioConfig, GenmusicConfig, ModelConfig, SpectrogramConfig, TrainConfig
from .errors import GenmusicError

_lazy.install()

_LAZY = {
    "Loader": ".audio", "Padder": ".audio",
    "LogSpectrogramExtractor": ".features.spectrogram", "MinMaxNormaliser": ".features.spectrogram",
    "PreprocessingPipeline": ".data.pipeline", "SpectrogramStore": ".data.store",
    "Autoencoder": ".models", "VAE": ".models", "train": ".models.training",
    "load_bundle": ".models.modelio", "SoundGenerator": ".generation.generator",
    "encode_folder": ".encoding.folder", "load_latents": ".encoding.folder",
}

__all__ = ["__version__", "GenmusicConfig", "AudioConfig", "SpectrogramConfig", "ModelConfig", "TrainConfig",
           "GenmusicError", *_LAZY]


__getattr__, __dir__ = _lazy.lazy_names(__name__, _LAZY)
