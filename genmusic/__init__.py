"""genmusic: compress music into latent vectors and back.

The pipeline, in the order data flows::

    Loader -> Padder -> LogSpectrogramExtractor -> MinMaxNormaliser     (audio, spectrogram)
      -> PreprocessingPipeline -> SpectrogramStore                      (pipeline, store)
      -> Autoencoder / VAE, train                                       (models, training)
      -> load_bundle -> SoundGenerator                                  (modelio, generation)

Configuration: :class:`GenmusicConfig` and its sections. Every user error is a :class:`GenmusicError`
(the specific kinds are in :mod:`genmusic.errors`). The latent-space study is :mod:`genmusic.analysis`,
latent operations :mod:`genmusic.latent_ops`, generation modes :mod:`genmusic.generate_modes`, metrics
:mod:`genmusic.metrics`.

Heavy modules (Keras models, training, generation) load on first use, so ``import genmusic`` is fast and
never imports TensorFlow.
"""

from __future__ import annotations

import importlib

from ._version import __version__
from .config import AudioConfig, GenmusicConfig, ModelConfig, SpectrogramConfig, TrainConfig
from .errors import GenmusicError

_LAZY = {
    "Loader": "audio", "Padder": "audio",
    "LogSpectrogramExtractor": "spectrogram", "MinMaxNormaliser": "spectrogram",
    "PreprocessingPipeline": "pipeline", "SpectrogramStore": "store",
    "Autoencoder": "models", "VAE": "models", "train": "training",
    "load_bundle": "modelio", "SoundGenerator": "generation",
    "encode_folder": "encoding", "load_latents": "encoding",
}

__all__ = ["__version__", "GenmusicConfig", "AudioConfig", "SpectrogramConfig", "ModelConfig", "TrainConfig",
           "GenmusicError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'genmusic' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
