"""Convolutional autoencoders for normalised log spectrograms.

* :mod:`~genmusic.models.layers` -- :class:`Sampling`, :func:`kl_divergence`, :func:`reconstruction_error`.
* :mod:`~genmusic.models.autoencoder` -- :func:`plan_architecture` (every shape, checked up front) and
  :class:`Autoencoder`.
* :mod:`~genmusic.models.vae` -- :class:`VAE`.
* :mod:`~genmusic.models.presets` -- named :class:`~genmusic.config.ModelConfig` s.

:func:`build_model` builds the class named by ``ModelConfig.kind``. Both classes are registered with
Keras (package ``"genmusic"``), so ``keras.saving.load_model(path)`` needs no ``custom_objects``.
"""

from __future__ import annotations

from ..config import ModelConfig
from ..errors import ParameterError
from .autoencoder import ArchitecturePlan, Autoencoder, plan_architecture
from .layers import Sampling, kl_divergence, reconstruction_error
from .presets import PRESET_INPUT_SHAPES, PRESETS, get_preset
from .vae import VAE

__all__ = ["Autoencoder", "VAE", "Sampling", "kl_divergence", "reconstruction_error", "ArchitecturePlan",
           "plan_architecture", "build_model", "PRESETS", "PRESET_INPUT_SHAPES", "get_preset"]

_CLASSES = {"autoencoder": Autoencoder, "vae": VAE}


def build_model(model_config: ModelConfig, input_shape, *, seed: int = 0, **kwargs) -> Autoencoder:
    """Build the :class:`Autoencoder` or :class:`VAE` that ``model_config.kind`` names.

    Parameters
    ----------
    model_config : ModelConfig
    input_shape : (int, int) or (int, int, 1)
        ``(n_freq, n_frames)`` of the spectrograms, e.g. ``SpectrogramConfig.segment_shape``.
    seed : int
        Seeds the weight initialisers (and the VAE's sampling layer).
    **kwargs
        ``name`` / ``dtype`` for :class:`keras.Model`.

    Returns
    -------
    Autoencoder or VAE (uncompiled)
    """
    if not isinstance(model_config, ModelConfig):
        raise ParameterError(f"model_config must be a genmusic.config.ModelConfig, got {type(model_config).__name__}")
    return _CLASSES[model_config.kind].from_config_object(model_config, input_shape, seed=seed, **kwargs)
