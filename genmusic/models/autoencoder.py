"""The mirrored convolutional autoencoder, and the shape planning shared with the VAE.

:func:`plan_architecture` works out, before any layer exists, every shape the encoder and decoder will
see: how much zero padding makes the input divisible by the strides, the feature map after each
convolution, and how the bottleneck maps the last feature map to ``latent_dim`` floats. A config that
cannot work is refused there with a :class:`~genmusic.errors.ParameterError` naming the shapes.

:class:`Autoencoder` builds a functional ``encoder`` and ``decoder`` from those shapes::

    (n_freq, n_frames, 1) -> ZeroPadding2D -> [Conv2D -> BatchNorm -> act] x n -> bottleneck -> latent
    latent -> bottleneck^T -> [Conv2DTranspose -> BatchNorm -> act] x (n - 1)
           -> Conv2DTranspose(1) -> Cropping2D -> sigmoid (float32) -> (n_freq, n_frames, 1)

Only ``keras`` and ``keras.ops`` are used, so the models run under TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence, Tuple

import keras
import numpy as np
from keras import ops

from ..config import ModelConfig
from ..errors import ParameterError
from .layers import reconstruction_error

__all__ = ["Autoencoder", "ArchitecturePlan", "plan_architecture"]


# --------------------------------------------------------------------------------------------------
# Shape planning
# --------------------------------------------------------------------------------------------------

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
    """

    input_shape: Tuple[int, int]
    padded_shape: Tuple[int, int]
    padding: Tuple[Tuple[int, int], Tuple[int, int]]
    feature_shapes: Tuple[Tuple[int, int, int], ...]
    latent_dim: int
    bottleneck: str
    latent_steps: int
    latent_channels: int

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
                      latent_dim: int, bottleneck: str = "conv") -> ArchitecturePlan:
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
    f, t = padded
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
                            latent_steps=steps, latent_channels=channels)


# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="genmusic")
class Autoencoder(keras.Model):
    """Mirrored convolutional autoencoder for normalised log spectrograms.

    The encoder maps a spectrogram ``(n_freq, n_frames, 1)`` in [0, 1] to ``latent_dim`` floats; the
    decoder maps them back through a float32 sigmoid, to exactly the input shape (odd sizes are zero
    padded before the encoder and cropped after the decoder, see :func:`plan_architecture`).

    The loss is ``reconstruction_weight * MSE`` (see :meth:`compute_loss`); compile with an optimizer
    only, then ``fit(x)`` or ``fit(x, x)``. ``history.history`` holds ``loss`` and ``reconstruction_loss``.

    Parameters
    ----------
    input_shape : (int, int) or (int, int, 1)
        ``(n_freq, n_frames)`` of the spectrograms.
    conv_filters, conv_kernels : sequence of int
        Filters and square kernel size of each encoder convolution; the decoder mirrors them.
    conv_strides : sequence of (int, int)
        ``(frequency, time)`` stride of each encoder convolution.
    latent_dim : int
    bottleneck : {"conv", "dense"}
        ``"conv"``: a ``(freq, 1)`` valid convolution maps the last feature map ``(F', T', C)`` to
        ``(1, T', latent_dim // T')``, flattened time-major, so the latent keeps the time axis.
        ``"dense"``: Flatten -> Dense(latent_dim), as in the tutorial.
    activation : {"leaky_relu", "silu", "relu", "tanh"}
    batch_norm : bool
        Batch normalisation after every hidden convolution.
    reconstruction_weight : float
        Weight of the reconstruction term of the loss.
    seed : int
        Seeds the weight initialisers: the same seed gives the same initial weights on a backend.
    **kwargs
        ``name``, ``trainable``, ``dtype`` for :class:`keras.Model`. ``dtype`` (default: the global
        policy) is used by every layer, except the float32 latent and output layers.

    Examples
    --------
    >>> model = Autoencoder(input_shape=(64, 16), conv_filters=(4, 8), conv_kernels=(3, 3),
    ...                     conv_strides=((2, 2), (2, 2)), latent_dim=16)
    >>> model.compile(optimizer="adam")
    >>> z = model.encode(np.random.rand(3, 64, 16))     # shape (3, 16)
    >>> model.decode(z).shape
    (3, 64, 16)
    """

    kind = "autoencoder"
    _heads: Tuple[str, ...] = ("latent",)

    def __init__(self, input_shape=(512, 128), conv_filters: Sequence[int] = (16, 32, 64, 128),
                 conv_kernels: Sequence[int] = (3, 3, 3, 3),
                 conv_strides: Sequence[Sequence[int]] = ((2, 2), (2, 2), (2, 2), (2, 2)),
                 latent_dim: int = 128, bottleneck: str = "conv", activation: str = "leaky_relu",
                 batch_norm: bool = True, reconstruction_weight: float = 1.0, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        # ModelConfig validates and normalises the hyperparameters (lists from JSON become tuples).
        self._model_config = self._make_model_config(
            conv_filters=conv_filters, conv_kernels=conv_kernels, conv_strides=conv_strides,
            latent_dim=latent_dim, bottleneck=bottleneck, activation=activation, batch_norm=bool(batch_norm),
            reconstruction_weight=float(reconstruction_weight))
        self.plan = plan_architecture(input_shape, self._model_config.conv_filters,
                                      self._model_config.conv_strides, self._model_config.latent_dim,
                                      self._model_config.bottleneck)
        self.seed = int(seed)
        self._next_seed = self.seed * 1009
        self.reconstruction_weight = float(reconstruction_weight)

        self.encoder = self._build_encoder()
        self.decoder = self._build_decoder()
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.built = True

    # -- construction --------------------------------------------------------------------------------

    def _make_model_config(self, **fields) -> ModelConfig:
        return ModelConfig(kind=self.kind, **fields)

    @classmethod
    def from_config_object(cls, model_config: ModelConfig, input_shape, *, seed: int = 0, **kwargs):
        """Build from a :class:`~genmusic.config.ModelConfig` and an input shape ``(n_freq, n_frames)``.

        ``model_config.kind`` must match the class; :func:`genmusic.models.build_model` picks the class.
        """
        if model_config.kind != cls.kind:
            raise ParameterError(f"{cls.__name__}.from_config_object needs a ModelConfig with kind={cls.kind!r}, "
                                 f"got kind={model_config.kind!r}; use genmusic.models.build_model to pick the "
                                 f"class from the kind")
        return cls(input_shape=input_shape, seed=seed, **cls._config_kwargs(model_config), **kwargs)

    @staticmethod
    def _config_kwargs(model_config: ModelConfig) -> dict:
        return dict(conv_filters=model_config.conv_filters, conv_kernels=model_config.conv_kernels,
                    conv_strides=model_config.conv_strides, latent_dim=model_config.latent_dim,
                    bottleneck=model_config.bottleneck, activation=model_config.activation,
                    batch_norm=model_config.batch_norm, reconstruction_weight=model_config.reconstruction_weight)

    def _initializer(self):
        self._next_seed += 1
        return keras.initializers.GlorotUniform(seed=self._next_seed)

    def _act(self, name: str):
        return keras.layers.Activation(self._model_config.activation, name=name, dtype=self.dtype_policy)

    def _build_encoder(self) -> keras.Model:
        cfg, plan = self._model_config, self.plan
        policy = self.dtype_policy
        inputs = keras.Input(shape=(*plan.input_shape, 1), name="spectrogram")
        x = inputs
        if plan.needs_padding:
            x = keras.layers.ZeroPadding2D(plan.padding, name="encoder_pad", dtype=policy)(x)
        for i, (filters, kernel, strides) in enumerate(zip(cfg.conv_filters, cfg.conv_kernels, cfg.conv_strides)):
            x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same",
                                    kernel_initializer=self._initializer(), name=f"encoder_conv_{i}",
                                    dtype=policy)(x)
            if cfg.batch_norm:
                x = keras.layers.BatchNormalization(name=f"encoder_bn_{i}", dtype=policy)(x)
            x = self._act(f"encoder_{cfg.activation}_{i}")(x)
        outputs = [self._latent_head(x, head) for head in self._heads]
        return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name="encoder")

    def _latent_head(self, x, head: str):
        """Bottleneck of the encoder: last feature map -> (batch, latent_dim), float32."""
        plan, policy = self.plan, self.dtype_policy
        f_last = plan.bottleneck_shape[0]
        if plan.bottleneck == "conv":
            x = keras.layers.Conv2D(plan.latent_channels, (f_last, 1), padding="valid",
                                    kernel_initializer=self._initializer(), name=f"{head}_conv", dtype=policy)(x)
            x = keras.layers.Flatten(name=f"{head}_flatten", dtype=policy)(x)
        else:
            x = keras.layers.Flatten(name=f"{head}_flatten", dtype=policy)(x)
            x = keras.layers.Dense(plan.latent_dim, kernel_initializer=self._initializer(), name=f"{head}_dense",
                                   dtype=policy)(x)
        return keras.layers.Activation("linear", dtype="float32", name=head)(x)

    def _build_decoder(self) -> keras.Model:
        cfg, plan = self._model_config, self.plan
        policy = self.dtype_policy
        f_last, t_last, c_last = plan.bottleneck_shape
        inputs = keras.Input(shape=(plan.latent_dim,), name="latent")
        if plan.bottleneck == "conv":
            x = keras.layers.Reshape((1, plan.latent_steps, plan.latent_channels), name="decoder_reshape",
                                     dtype=policy)(inputs)
            x = keras.layers.Conv2DTranspose(c_last, (f_last, 1), padding="valid",
                                             kernel_initializer=self._initializer(), name="decoder_bottleneck",
                                             dtype=policy)(x)
        else:
            x = keras.layers.Dense(f_last * t_last * c_last, kernel_initializer=self._initializer(),
                                   name="decoder_dense", dtype=policy)(inputs)
            x = keras.layers.Reshape((f_last, t_last, c_last), name="decoder_reshape", dtype=policy)(x)
        n = len(cfg.conv_filters)
        for i in reversed(range(1, n)):
            x = keras.layers.Conv2DTranspose(cfg.conv_filters[i - 1], cfg.conv_kernels[i],
                                             strides=cfg.conv_strides[i], padding="same",
                                             kernel_initializer=self._initializer(),
                                             name=f"decoder_conv_transpose_{i}", dtype=policy)(x)
            if cfg.batch_norm:
                x = keras.layers.BatchNormalization(name=f"decoder_bn_{i}", dtype=policy)(x)
            x = self._act(f"decoder_{cfg.activation}_{i}")(x)
        x = keras.layers.Conv2DTranspose(1, cfg.conv_kernels[0], strides=cfg.conv_strides[0], padding="same",
                                         kernel_initializer=self._initializer(), name="decoder_output_conv",
                                         dtype=policy)(x)
        if plan.needs_padding:
            x = keras.layers.Cropping2D(plan.padding, name="decoder_crop", dtype=policy)(x)
        outputs = keras.layers.Activation("sigmoid", dtype="float32", name="decoder_sigmoid")(x)
        return keras.Model(inputs, outputs, name="decoder")

    def build(self, input_shape=None):
        # The encoder and decoder are built in __init__; nothing is left to create.
        self.built = True

    # -- config --------------------------------------------------------------------------------------

    def get_config(self) -> dict:
        config = super().get_config()
        cfg = self._model_config
        config.update(
            input_shape=list(self.plan.input_shape),
            conv_filters=list(cfg.conv_filters),
            conv_kernels=list(cfg.conv_kernels),
            conv_strides=[list(s) for s in cfg.conv_strides],
            latent_dim=cfg.latent_dim,
            bottleneck=cfg.bottleneck,
            activation=cfg.activation,
            batch_norm=cfg.batch_norm,
            reconstruction_weight=cfg.reconstruction_weight,
            seed=self.seed,
        )
        return config

    @property
    def model_config(self) -> ModelConfig:
        """The architecture as a :class:`~genmusic.config.ModelConfig`."""
        return self._model_config

    @property
    def latent_dim(self) -> int:
        return self.plan.latent_dim

    @property
    def spectrogram_shape(self) -> Tuple[int, int]:
        """``(n_freq, n_frames)`` of the spectrograms the model takes."""
        return self.plan.input_shape

    @property
    def input_spec_shape(self) -> Tuple[int, int, int]:
        """Shape of one model input, ``(n_freq, n_frames, 1)``."""
        return (*self.plan.input_shape, 1)

    @property
    def feature_map_shapes(self) -> Tuple[Tuple[int, int, int], ...]:
        """``(freq, time, channels)`` after each encoder convolution."""
        return self.plan.feature_shapes

    # -- forward pass and loss -------------------------------------------------------------------------

    @staticmethod
    def _with_channel(x):
        x = ops.convert_to_tensor(x)
        return ops.expand_dims(x, -1) if len(x.shape) == 3 else x

    def call(self, inputs, training=None):
        """Reconstruct a batch ``(batch, n_freq, n_frames[, 1])`` -> ``(batch, n_freq, n_frames, 1)``, float32."""
        z = self.encoder(self._with_channel(inputs), training=training)
        return self.decoder(z, training=training)

    def _reconstruction_term(self, x, y, y_pred, sample_weight):
        if sample_weight is not None:
            raise ParameterError(f"{type(self).__name__} does not support sample_weight; train without it")
        target = self._with_channel(x if y is None else y)
        rec = reconstruction_error(target, y_pred)
        batch = ops.cast(ops.shape(target)[0], "float32")
        self.reconstruction_loss_tracker.update_state(rec, sample_weight=batch)
        return rec, batch

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """``reconstruction_weight * MSE(y or x, y_pred)``; updates the ``reconstruction_loss`` tracker.

        Called by ``train_step`` / ``test_step`` on every backend; the target is ``y`` when given,
        otherwise ``x`` (so ``fit(x)`` and ``fit(x, x)`` both work).
        """
        if y_pred is None:
            y_pred = self(x, training=training)
        rec, _ = self._reconstruction_term(x, y, y_pred, sample_weight)
        return self.reconstruction_weight * rec

    # -- numpy conveniences ----------------------------------------------------------------------------

    def _check_spectrograms(self, spectrograms) -> np.ndarray:
        x = np.asarray(spectrograms, dtype=np.float32)
        n_freq, n_frames = self.plan.input_shape
        if x.ndim == 3 and x.shape[1:] == (n_freq, n_frames):
            return x[..., None]
        if x.ndim == 4 and x.shape[1:] == (n_freq, n_frames, 1):
            return x
        raise ParameterError(f"spectrograms must have shape (n, {n_freq}, {n_frames}) or (n, {n_freq}, {n_frames}, 1) "
                             f"for this model, got {x.shape}; for one spectrogram pass x[None]")

    def _check_latents(self, latents) -> np.ndarray:
        z = np.asarray(latents, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ParameterError(f"latents must have shape (n, {self.latent_dim}) for this model, got {z.shape}; "
                                 f"for one latent vector pass z[None]")
        return z

    @staticmethod
    def _check_batch_size(batch_size: int) -> int:
        if int(batch_size) < 1:
            raise ParameterError(f"batch_size must be >= 1, got {batch_size!r}")
        return int(batch_size)

    @staticmethod
    def _batched(fn, array: np.ndarray, batch_size: int):
        """Apply ``fn`` (tensor -> tensor or list of tensors) in batches; numpy results concatenated."""
        parts = []
        for start in range(0, max(len(array), 1), batch_size):
            out = fn(array[start:start + batch_size])
            out = out if isinstance(out, (list, tuple)) else [out]
            parts.append([keras.ops.convert_to_numpy(o) for o in out])
        return [np.concatenate([p[i] for p in parts], axis=0) for i in range(len(parts[0]))]

    def encode(self, spectrograms, batch_size: int = 64) -> np.ndarray:
        """Latent vectors of spectrograms.

        Parameters
        ----------
        spectrograms : np.ndarray [shape=(n, n_freq, n_frames) or (n, n_freq, n_frames, 1)]
            Normalised spectrograms in [0, 1].
        batch_size : int

        Returns
        -------
        np.ndarray [shape=(n, latent_dim)], float32
        """
        x = self._check_spectrograms(spectrograms)
        batch_size = self._check_batch_size(batch_size)
        return self._batched(lambda b: self.encoder(b, training=False), x, batch_size)[0]

    def decode(self, latents, batch_size: int = 64) -> np.ndarray:
        """Spectrograms from latent vectors.

        Parameters
        ----------
        latents : np.ndarray [shape=(n, latent_dim)]
        batch_size : int

        Returns
        -------
        np.ndarray [shape=(n, n_freq, n_frames)], float32 in [0, 1]
        """
        z = self._check_latents(latents)
        batch_size = self._check_batch_size(batch_size)
        return self._batched(lambda b: self.decoder(b, training=False), z, batch_size)[0][..., 0]

    def reconstruct(self, spectrograms, batch_size: int = 64) -> np.ndarray:
        """Encode then decode (a VAE uses the posterior mean).

        Parameters
        ----------
        spectrograms : np.ndarray [shape=(n, n_freq, n_frames) or (n, n_freq, n_frames, 1)]

        Returns
        -------
        np.ndarray [shape=(n, n_freq, n_frames)], float32 in [0, 1]
        """
        x = self._check_spectrograms(spectrograms)
        batch_size = self._check_batch_size(batch_size)
        return self._batched(lambda b: self(b, training=False), x, batch_size)[0][..., 0]
