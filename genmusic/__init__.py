"""genmusic: compress music into latent vectors and back.

Data flows through the modules in this order::

    audio (Loader, Padder) -> spectrogram (LogSpectrogramExtractor, MinMaxNormaliser)
      -> store (Saver, SpectrogramStore) -> pipeline (PreprocessingPipeline)
      -> models (Autoencoder, VAE) -> training -> griffinlim / generation (SoundGenerator)
      -> latent_ops -> analysis -> report

Heavy modules (Keras models, training, generation, analysis) load on first use, so ``import genmusic``
is fast and never imports TensorFlow.
"""

from __future__ import annotations

import importlib

from .config import AudioConfig, GenmusicConfig, ModelConfig, SpectrogramConfig, SplitConfig, TrainConfig
from .errors import (AudioLoadError, DataError, GenmusicError, ModelFolderError, ParameterError,
                     TrainingError)

__version__ = "0.1.0"

_LAZY = {
    "Loader": "audio", "Padder": "audio",
    "LogSpectrogramExtractor": "spectrogram", "MinMaxNormaliser": "spectrogram",
    "Saver": "store", "SpectrogramStore": "store",
    "PreprocessingPipeline": "pipeline", "preprocess": "pipeline",
    "Autoencoder": "models", "VAE": "models", "build_model": "models",
    "load_model": "modelio", "load_bundle": "modelio", "train": "training",
    "SoundGenerator": "generation",
    "mel_distance": "metrics",
    "make_synthetic": "datasets",
}

__all__ = ["__version__", "AudioConfig", "GenmusicConfig", "ModelConfig", "SpectrogramConfig", "SplitConfig",
           "TrainConfig", "AudioLoadError", "DataError", "GenmusicError", "ModelFolderError", "ParameterError",
           "TrainingError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'genmusic' has no attribute {name!r}")
