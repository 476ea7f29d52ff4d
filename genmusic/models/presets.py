"""Named model architectures.

* ``"default"`` -- :class:`~genmusic.config.ModelConfig` ``()``: a VAE with 4 layers of 16..128 filters
  (stride 2, the last one 4 along time) and the time-keeping ``"conv"`` bottleneck, for 512 x 128
  spectrograms: 4 latent steps of 32 floats per segment.
* ``"large"`` -- 4x the latent floats (512 per segment) at 8 latent steps of 64 floats (every layer stride
  2: the layout the README's large-model figures were measured with), for reconstructions closer to the
  original at a quarter of the compression.
* ``"tutorial"`` -- the classic "sound generation with a VAE" autoencoder: 5 layers of 512..32 filters,
  the last one striding only along frequency, a dense bottleneck, ReLU, for 256 x 64 spectrograms.

:data:`PRESET_INPUT_SHAPES` gives the ``(n_freq, n_frames)`` each preset was designed for.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from ..config import ModelConfig, check_settings
from ..errors import ParameterError

__all__ = ["PRESETS", "PRESET_INPUT_SHAPES", "get_preset"]

PRESETS = MappingProxyType({
    "default": ModelConfig(),
    "large": ModelConfig(latent_dim=512, conv_kernels=(3, 3, 3, 3), conv_strides=((2, 2),) * 4),
    "tutorial": ModelConfig(kind="autoencoder", conv_filters=(512, 256, 128, 64, 32), conv_kernels=(3, 3, 3, 3, 3),
                            conv_strides=((2, 2), (2, 2), (2, 2), (2, 2), (2, 1)), latent_dim=128,
                            bottleneck="dense", activation="relu", batch_norm=True),
})

#: ``(n_freq, n_frames)`` each preset was designed for.
PRESET_INPUT_SHAPES = MappingProxyType({"default": (512, 128), "large": (512, 128), "tutorial": (256, 64)})


def get_preset(name: str, **overrides) -> ModelConfig:
    """The :class:`~genmusic.config.ModelConfig` of a named preset, with some settings changed.

    Parameters
    ----------
    name : str
        One of :data:`PRESETS`.
    **overrides
        ModelConfig fields to change, e.g. ``kind="vae"`` or ``latent_dim=64``.

    Returns
    -------
    ModelConfig

    Examples
    --------
    >>> get_preset("tutorial", kind="vae").bottleneck
    'dense'
    """
    if name not in PRESETS:
        raise ParameterError(f"unknown model preset {name!r}; known presets are {sorted(PRESETS)}")
    check_settings(ModelConfig, overrides, f"preset {name!r}")
    return dataclasses.replace(PRESETS[name], **overrides)
