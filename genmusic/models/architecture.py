"""Shape planning of the mirrored encoder / decoder, before any layer exists, and what ``reconstruct`` gives.

:func:`plan_architecture` works out every shape the encoder and decoder will see: how much zero padding
makes the input divisible by the strides, the feature map after each convolution, and how the bottleneck
maps the last feature map to ``latent_dim`` floats. A config that cannot work is refused here with a
:class:`~genmusic.errors.ParameterError` naming the shapes. Pure Python: no Keras needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence, Tuple

import numpy as np

from ..errors import ParameterError

__all__ = ["ArchitecturePlan", "plan_architecture", "normalise_input_shape", "Reconstruction"]


@dataclass(frozen=True)
class ArchitecturePlan:
    """Every shape of a mirrored encoder / decoder, computed from the hyperparameters alone.

    Attributes
    ----------
    input_shape : (int, int)
        ``(n_freq, n_frames)`` of the spectrograms.
    padded_shape : (int, int)
        Input shape after zero padding to multiples of the stride products.
    padding : ((int, int), (int, int))
        Zero padding ``((top, bottom), (left, right))`` added by the encoder and cropped by the decoder.
    feature_shapes : tuple of (int, int, int)
        ``(freq, time, channels)`` after each encoder convolution; the last one feeds the bottleneck.
    latent_dim : int
    bottleneck : str
    latent_steps : int
        Time steps of the latent (``"conv"``: those of the last feature map; ``"dense"``: 1).
    latent_channels : int
        Latent floats per time step (``latent_dim // latent_steps``).
    bins_as_channels : bool
        The frequency bins are the channels of the first convolution (the feature maps have height 1).
    """

    input_shape: Tuple[int, int]
    padded_shape: Tuple[int, int]
    padding: Tuple[Tuple[int, int], Tuple[int, int]]
    feature_shapes: Tuple[Tuple[int, int, int], ...]
    latent_dim: int
    bottleneck: str
    latent_steps: int
    latent_channels: int
    bins_as_channels: bool = False

    @property
    def bottleneck_shape(self) -> Tuple[int, int, int]:
        """Shape ``(freq, time, channels)`` of the last encoder feature map."""
        return self.feature_shapes[-1]

    @property
    def needs_padding(self) -> bool:
        return self.padded_shape != self.input_shape


def normalise_input_shape(input_shape) -> Tuple[int, int]:
    """``(n_freq, n_frames)`` from ``(n_freq, n_frames)`` or ``(n_freq, n_frames, 1)``; ParameterError otherwise."""
    try:
        shape = tuple(int(v) for v in input_shape)
        ok = all(float(v) == int(v) for v in input_shape)
    except (TypeError, ValueError):
        raise ParameterError(f"input_shape must be (n_freq, n_frames) or (n_freq, n_frames, 1), "
                             f"got {input_shape!r}") from None
    if not ok or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 1) or min(shape[:2]) < 1:
        raise ParameterError(f"input_shape must be (n_freq, n_frames) or (n_freq, n_frames, 1) with positive "
                             f"sizes and one channel, got {input_shape!r}")
    return shape[0], shape[1]


def plan_architecture(input_shape, conv_filters: Sequence[int], conv_strides: Sequence[Sequence[int]],
                      latent_dim: int, bottleneck: str = "conv", *, bins_as_channels: bool = False) -> ArchitecturePlan:
    """Work out the shapes of a mirrored encoder / decoder, or refuse a config that cannot work.

    Each ``padding="same"`` convolution with stride ``s`` maps a size ``n`` to ``ceil(n / s)`` and the
    mirrored transposed convolution maps it back to ``n * s``; the two agree when every size is divisible
    by its stride. So the input is zero padded (at the end of each axis) to the next multiple of the
    product of the strides along that axis, and the decoder crops the padding off again.

    Parameters
    ----------
    input_shape : (int, int) or (int, int, 1)
        ``(n_freq, n_frames)`` of the spectrograms.
    conv_filters : sequence of int
    conv_strides : sequence of (int, int)
        ``(frequency, time)`` stride of each convolution.
    latent_dim : int
    bottleneck : {"conv", "dense"}
    bins_as_channels : bool
        The encoder moves the ``n_freq`` bins to channels first, so every convolution sees a feature map
        of height 1 and spans the whole frequency axis; the frequency strides must then all be 1.

    Returns
    -------
    ArchitecturePlan

    Raises
    ------
    ParameterError
        When the strides along an axis multiply to more than the input's size along it (the feature map
        would collapse to less than one real bin or frame), or, for the ``"conv"`` bottleneck, when
        ``latent_dim`` is not a multiple of the time steps of the last feature map.

    Examples
    --------
    >>> plan = plan_architecture((512, 128), (16, 32, 64, 128), [(2, 2)] * 4, 128)
    >>> plan.feature_shapes[-1], plan.latent_steps, plan.latent_channels
    ((32, 8, 128), 8, 16)
    """
    n_freq, n_frames = normalise_input_shape(input_shape)
    strides = [tuple(int(v) for v in s) for s in conv_strides]
    if bins_as_channels and any(s[0] != 1 for s in strides):
        raise ParameterError(f"with bins_as_channels the {n_freq} frequency bins are channels: every frequency "
                             f"stride must be 1, got conv_strides {strides}")
    prod_f = math.prod(s[0] for s in strides)
    prod_t = math.prod(s[1] for s in strides)
    for axis, unit, size, prod in (("frequency", "bins", n_freq, prod_f), ("time", "frames", n_frames, prod_t)):
        if prod > size:
            axis_strides = [s[0] if axis == "frequency" else s[1] for s in strides]
            raise ParameterError(
                f"the encoder's {axis} strides {axis_strides} multiply to {prod}, more than the {size} {unit} of "
                f"input shape ({n_freq}, {n_frames}): the feature map would collapse to less than one real "
                f"{unit[:-1]} along {axis}. Use fewer layers, {axis} strides of 1 in some layers, or a larger input.")
    padded = (-(-n_freq // prod_f) * prod_f, -(-n_frames // prod_t) * prod_t)
    padding = ((0, padded[0] - n_freq), (0, padded[1] - n_frames))

    shapes = []
    f, t = (1 if bins_as_channels else padded[0]), padded[1]
    for filters, (sf, st) in zip(conv_filters, strides):
        f, t = f // sf, t // st
        shapes.append((f, t, int(filters)))
    last = shapes[-1]

    latent_dim = int(latent_dim)
    if bottleneck == "conv":
        steps = last[1]
        if latent_dim % steps:
            lower = max(steps, latent_dim // steps * steps)
            upper = (latent_dim // steps + 1) * steps
            raise ParameterError(
                f"the conv bottleneck spreads latent_dim={latent_dim} over the {steps} time steps of the encoder's "
                f"last feature map {last} (freq, time, channels) for input shape ({n_freq}, {n_frames}) "
                f"(padded to {padded}), but {latent_dim} is not a multiple of {steps}. Use latent_dim="
                f"{lower if lower != upper else upper} or {upper}, change the time strides so the last feature map "
                f"has a number of time steps that divides {latent_dim}, or use bottleneck='dense'.")
        channels = latent_dim // steps
    elif bottleneck == "dense":
        steps, channels = 1, latent_dim
    else:
        raise ParameterError(f"bottleneck must be 'conv' or 'dense', got {bottleneck!r}")
    return ArchitecturePlan(input_shape=(n_freq, n_frames), padded_shape=padded, padding=padding,
                            feature_shapes=tuple(shapes), latent_dim=latent_dim, bottleneck=bottleneck,
                            latent_steps=steps, latent_channels=channels, bins_as_channels=bool(bins_as_channels))


class Reconstruction(NamedTuple):
    """What ``reconstruct`` gives (a model's, or :class:`~genmusic.analysis.evaluation.PCABaseline`'s):
    ``spectrograms, latents = model.reconstruct(x)``, whatever the number of inputs.

    Attributes
    ----------
    spectrograms : np.ndarray [shape=(n, n_freq, n_frames)], float32 in [0, 1]
        The decoded spectrograms.
    latents : np.ndarray [shape=(n, latent_dim)], float32
        What was decoded: the latent vectors (a VAE's posterior means).
    """

    spectrograms: np.ndarray
    latents: np.ndarray

    def __getattr__(self, name: str):
        # Only attributes a tuple lacks reach here: ``.shape`` of code written when reconstruct gave one array.
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"reconstruct() gives a Reconstruction (spectrograms, latents), not an array, so it has "
                             f"no {name!r}: use result.spectrograms.{name}, or `spectrograms, latents = "
                             f"model.reconstruct(x)`")
