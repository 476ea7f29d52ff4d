"""Convolutional autoencoders for normalised log spectrograms.

* :mod:`~genmusic.models.architecture` -- :func:`plan_architecture`: every shape, checked up front.
* :mod:`~genmusic.models.layers` -- :class:`Sampling`, :func:`kl_divergence`, :func:`reconstruction_error`.
* :mod:`~genmusic.models.autoencoder` -- :class:`Autoencoder`; its ``loss_terms`` is where the loss is defined.
* :mod:`~genmusic.models.vae` -- :class:`VAE` (adds the KL term to ``loss_terms``).
* :mod:`~genmusic.models.presets` -- named :class:`~genmusic.config.ModelConfig` s.

Both classes are built from a :class:`~genmusic.config.ModelConfig`; :func:`build_model` picks the class
that ``ModelConfig.kind`` names. Both are registered with Keras (package ``"genmusic"``), so
``keras.saving.load_model(path)`` needs no ``custom_objects``.
"""

from __future__ import annotations

from ..config import ModelConfig
from ..errors import ParameterError
from .architecture import ArchitecturePlan, plan_architecture
from .autoencoder import Autoencoder
from .layers import (FrequencyBias, Sampling, chroma_filterbank, chroma_l1, kl_divergence, log_linear_l1, log_mel_l1,
                     mel_filterbank, reconstruction_error, semitone_filterbank)
from .presets import PRESET_INPUT_SHAPES, PRESETS, get_preset
from .vae import VAE

__all__ = ["Autoencoder", "VAE", "Sampling", "FrequencyBias", "kl_divergence", "reconstruction_error", "log_mel_l1",
           "mel_filterbank", "log_linear_l1", "chroma_filterbank", "chroma_l1", "semitone_filterbank", "ArchitecturePlan",
           "plan_architecture", "build_model", "PRESETS", "PRESET_INPUT_SHAPES", "get_preset"]

_CLASSES = {"autoencoder": Autoencoder, "vae": VAE}


def build_model(model_config: ModelConfig, input_shape, *, seed: int = 0, sample_rate=None, db_range=None,
                **kwargs) -> Autoencoder:
    """Build the :class:`Autoencoder` or :class:`VAE` that ``model_config.kind`` names.

    Parameters
    ----------
    model_config : ModelConfig
    input_shape : (int, int) or (int, int, 1)
        ``(n_freq, n_frames)`` of the spectrograms, e.g. ``SpectrogramConfig.segment_shape``.
    seed : int
        Seeds the weight initialisers (and the VAE's sampling layer).
    sample_rate, db_range : optional
        The audio's sample rate and the spectrograms' dB range (``AudioConfig.sample_rate``,
        ``SpectrogramConfig.top_db``), read by the ``"mel"`` loss; the defaults are those configs' defaults.
    **kwargs
        ``name`` / ``dtype`` for :class:`keras.Model`.

    Returns
    -------
    Autoencoder or VAE (uncompiled)
    """
    if not isinstance(model_config, ModelConfig):
        raise ParameterError(f"model_config must be a genmusic.config.ModelConfig, got {type(model_config).__name__}")
    return _CLASSES[model_config.kind](model_config, input_shape=input_shape, seed=seed, sample_rate=sample_rate,
                                       db_range=db_range, **kwargs)
