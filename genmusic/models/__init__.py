"""Models: convolutional autoencoders for normalised log spectrograms, their training and their folder.

* :mod:`~genmusic.models.architecture` -- :func:`plan_architecture`: every shape, checked up front.
* :mod:`~genmusic.models.layers` -- :class:`Sampling`, :func:`kl_divergence`, :func:`reconstruction_error`.
* :mod:`~genmusic.models.autoencoder` -- :class:`Autoencoder`; its ``loss_terms`` is where the loss is defined.
* :mod:`~genmusic.models.vae` -- :class:`VAE` (adds the KL term to ``loss_terms``).
* :mod:`~genmusic.models.presets` -- named :class:`~genmusic.config.ModelConfig` s.
* :mod:`~genmusic.models.dataset` -- :class:`SpectrogramDataset`: training batches streamed from a store.
* :mod:`~genmusic.models.callbacks`, :mod:`~genmusic.models.devices` -- what training runs with.
* :mod:`~genmusic.models.training` -- :func:`train`: the whole run, in named steps.
* :mod:`~genmusic.models.modelio` -- the model folder (``model.keras`` + ``genmusic.json``), written by
  :func:`~genmusic.models.training.train` or :func:`save_model`, read back by :func:`load_bundle`.

Both classes are built from a :class:`~genmusic.config.ModelConfig`; :func:`build_model` picks the class
that ``ModelConfig.kind`` names. Both are registered with Keras (package ``"genmusic"``), so
``keras.saving.load_model(path)`` needs no ``custom_objects``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names
from ..config import ModelConfig
from ..errors import ParameterError

if TYPE_CHECKING:
    from .autoencoder import Autoencoder

#: Public name -> its module; loaded on first use, so that reading a model folder's metadata
#: (:mod:`~genmusic.models.modelio`) never imports Keras.
_NAMES = {
    "Autoencoder": ".autoencoder", "VAE": ".vae",
    "Sampling": ".layers", "FrequencyBias": ".layers", "kl_divergence": ".layers", "reconstruction_error": ".layers",
    "log_mel_l1": ".layers", "mel_filterbank": ".layers", "log_linear_l1": ".layers", "chroma_filterbank": ".layers",
    "chroma_l1": ".layers", "semitone_filterbank": ".layers",
    "ArchitecturePlan": ".architecture", "plan_architecture": ".architecture", "Reconstruction": ".architecture",
    "PRESETS": ".presets", "PRESET_INPUT_SHAPES": ".presets", "get_preset": ".presets",
    "SpectrogramDataset": ".dataset", "train": ".training", "TrainResult": ".training", "layered_config": ".training",
    "ModelBundle": ".modelio", "load_bundle": ".modelio", "save_model": ".modelio", "read_model_metadata": ".modelio",
    "find_training_store": ".modelio",
}

__all__ = [*_NAMES, "build_model"]
__getattr__, __dir__ = lazy_names(__name__, _NAMES)


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
    from .autoencoder import Autoencoder
    from .vae import VAE

    cls = {"autoencoder": Autoencoder, "vae": VAE}[model_config.kind]
    return cls(model_config, input_shape=input_shape, seed=seed, sample_rate=sample_rate, db_range=db_range, **kwargs)
