"""The mirrored convolutional autoencoder, built from a :class:`~genmusic.config.ModelConfig`.

:class:`Autoencoder` plans every shape first (:func:`~genmusic.models.architecture.plan_architecture`),
then builds a functional ``encoder`` and ``decoder`` from those shapes::

    (n_freq, n_frames, 1) -> ZeroPadding2D -> [Conv2D -> BatchNorm -> act] x n -> bottleneck -> latent
    latent -> bottleneck^T -> [Conv2DTranspose -> FrequencyBias -> BatchNorm -> act] x (n - 1)
           -> Conv2DTranspose(1) -> FrequencyBias -> Cropping2D -> sigmoid (float32) -> (n_freq, n_frames, 1)

(``FrequencyBias`` with ``freq_bias``, ``BatchNorm`` with ``batch_norm``.)

Only ``keras`` and ``keras.ops`` are used, so the models run under TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Tuple, Union

import keras
import numpy as np
from keras import ops

from .._checks import check_config, check_integer, check_number
from ..config import AudioConfig, GenmusicConfig, ModelConfig, SpectrogramConfig, check_settings
from ..errors import ParameterError
from .architecture import Reconstruction, plan_architecture
from .layers import (FrequencyBias, chroma_filterbank, chroma_l1, log_linear_l1, log_mel_l1, mel_filterbank,
                     reconstruction_error, semitone_filterbank)

__all__ = ["Autoencoder", "MODEL_FIELDS"]

#: The names of the :class:`~genmusic.config.ModelConfig` fields: the model's hyperparameters.
MODEL_FIELDS = tuple(f.name for f in dataclasses.fields(ModelConfig))
#: The keyword arguments :class:`keras.Model` takes besides them.
_KERAS_ARGUMENTS = ("name", "trainable", "dtype", "autocast")
#: The tutorial's name of a setting -> genmusic's.
_TUTORIAL_NAMES = {"latent_space_dim": "latent_dim"}


# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="genmusic")
class Autoencoder(keras.Model):
    """Mirrored convolutional autoencoder for normalised log spectrograms.

    The encoder maps a spectrogram ``(n_freq, n_frames, 1)`` in [0, 1] to ``latent_dim`` floats; the
    decoder maps them back through a float32 sigmoid, to exactly the input shape (odd sizes are zero
    padded before the encoder and cropped after the decoder, see :func:`plan_architecture`).

    The loss is ``reconstruction_weight * reconstruction`` (the ``"mel"`` or ``"mse"`` term of
    ``ModelConfig.loss``), defined in :meth:`loss_terms`; compile with an optimizer
    only, then ``fit(x)`` or ``fit(x, x)``. ``history.history`` holds ``loss`` and ``reconstruction_loss``.

    Every hyperparameter comes from one :class:`~genmusic.config.ModelConfig` (its defaults are the only
    defaults): ``Autoencoder()`` is ``ModelConfig(kind="autoencoder")`` on ``SpectrogramConfig()``'s
    segment shape, and :meth:`get_config` holds every ``ModelConfig`` field, so a saved ``.keras`` file
    rebuilds the same model.

    Parameters
    ----------
    model_config : ModelConfig, dict or None
        The architecture (None: ``ModelConfig()``). The class sets the ``kind`` (``"autoencoder"`` for
        :class:`Autoencoder`, ``"vae"`` for :class:`~genmusic.models.vae.VAE`), whatever the config says;
        :func:`genmusic.models.build_model` picks the class from a config's kind.
    input_shape : (int, int) or (int, int, 1), optional
        ``(n_freq, n_frames)`` of the spectrograms (default: ``SpectrogramConfig().segment_shape``).
    seed : int
        Seeds the weight initialisers: the same seed gives the same initial weights on a backend.
    sample_rate : int, optional
        Sample rate of the audio the spectrograms come from (default: ``AudioConfig().sample_rate``); sets
        the mel bands of the ``"mel"`` loss.
    db_range : float, optional
        dB range of the normalised spectrograms (default: ``SpectrogramConfig().top_db``); the ``"mel"``
        loss reads normalised values as dB with it.
    **kwargs
        Any :class:`~genmusic.config.ModelConfig` field (``latent_dim=64``, ``conv_filters=(8, 16)``, ...)
        replaces that field of ``model_config``; the rest (``name``, ``trainable``, ``dtype``) goes to
        :class:`keras.Model`. ``dtype`` (default: the global policy) is used by every layer, except the
        float32 latent and output layers.

    Examples
    --------
    >>> model = Autoencoder(input_shape=(64, 16), conv_filters=(4, 8), conv_kernels=(3, 3),
    ...                     conv_strides=((2, 2), (2, 2)), latent_dim=16)
    >>> model = Autoencoder.from_config(SpectrogramStore("spectrograms"))  # the store's shape, rate and dB range
    >>> model.compile(optimizer="adam")
    >>> z = model.encode(np.random.rand(3, 64, 16))     # shape (3, 16)
    >>> model.decode(z).shape
    (3, 64, 16)
    """

    kind = "autoencoder"
    _heads: Tuple[str, ...] = ("latent",)

    def __init__(self, model_config: Union[ModelConfig, dict, None] = None, *, input_shape=None, seed: int = 0,
                 sample_rate: Optional[int] = None, db_range: Optional[float] = None, **kwargs):
        overrides = {name: kwargs.pop(name) for name in MODEL_FIELDS if name in kwargs}
        self._check_arguments(kwargs)
        super().__init__(**kwargs)
        self._model_config = self._resolve_model_config(model_config, overrides)
        input_shape = SpectrogramConfig().segment_shape if input_shape is None else input_shape
        cfg = self._model_config
        self.plan = plan_architecture(input_shape, cfg.conv_filters, cfg.conv_strides, cfg.latent_dim,
                                      cfg.bottleneck, bins_as_channels=cfg.bins_as_channels)
        self.seed = check_integer(seed, "seed")
        self._next_seed = self.seed * 1009
        self.sample_rate = check_integer(AudioConfig().sample_rate if sample_rate is None else sample_rate,
                                         "sample_rate", minimum=1)
        self.db_range = check_number(SpectrogramConfig().top_db if db_range is None else db_range, "db_range",
                                     minimum=0, exclusive_minimum=True)
        self._mel_filters = (mel_filterbank(self.sample_rate, self.plan.input_shape[0], cfg.mel_bands)
                             if cfg.loss == "mel" else None)
        self._chroma_filters = (chroma_filterbank(self.sample_rate, self.plan.input_shape[0])
                                if cfg.loss == "mel" and cfg.chroma_weight else None)
        self._semitone_filters = (semitone_filterbank(self.sample_rate, self.plan.input_shape[0])
                                  if cfg.loss == "mel" and cfg.semitone_weight else None)

        self.encoder = self._build_encoder()
        self.decoder = self._build_decoder()
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.built = True

    # -- construction --------------------------------------------------------------------------------

    @classmethod
    def _resolve_model_config(cls, model_config: Union[ModelConfig, dict, None], overrides: dict) -> ModelConfig:
        """The ``ModelConfig`` of this model: ``model_config`` with ``overrides``, with this class's kind."""
        if model_config is None:
            fields = {}
        elif isinstance(model_config, ModelConfig):
            fields = dataclasses.asdict(model_config)
        elif isinstance(model_config, dict):
            fields = dict(model_config)
        else:
            check_config(model_config, ModelConfig, f"{cls.__name__}(model_config)",
                         example=f"{cls.__name__}(ModelConfig(latent_dim=64), input_shape=(512, 128)), or "
                                 f"{cls.__name__}.from_config(store) for a store's settings",
                         tutorial="genmusic.tutorial.VAE(input_shape, conv_filters, conv_kernels, conv_strides, "
                                  "latent_space_dim)")
        fields.update(overrides)
        check_settings(ModelConfig, fields)
        # The class is the kind (build_model picks the class from a config's kind), so that
        # Autoencoder(ModelConfig(latent_dim=64)) is an autoencoder although ModelConfig's default kind is "vae".
        fields["kind"] = cls.kind
        return ModelConfig(**fields)

    @classmethod
    def _check_arguments(cls, kwargs: dict) -> None:
        """Refuse keyword arguments that are neither ModelConfig settings nor Keras' (Keras' own error names no fix)."""
        unknown = sorted(set(kwargs) - set(_KERAS_ARGUMENTS))
        if unknown:
            renamed = [f"{name} is genmusic's {_TUTORIAL_NAMES[name]}" for name in unknown if name in _TUTORIAL_NAMES]
            raise ParameterError(f"{cls.__name__}: unknown setting(s) {unknown}"
                                 + (f" ({', '.join(renamed)}; the tutorial's VAE(input_shape, conv_filters, "
                                    f"conv_kernels, conv_strides, latent_space_dim) is genmusic.tutorial.VAE)"
                                    if renamed else "")
                                 + f"; its settings are the ModelConfig fields {sorted(MODEL_FIELDS)}, input_shape, "
                                   f"seed, sample_rate, db_range and Keras' {list(_KERAS_ARGUMENTS)}")

    def _initializer(self):
        self._next_seed += 1
        return keras.initializers.GlorotUniform(seed=self._next_seed)

    def _act(self, name: str):
        return keras.layers.Activation(self._model_config.activation, name=name, dtype=self.dtype_policy)

    def _kernel(self, i: int):
        """Kernel of encoder layer ``i`` (and of its mirror): with ``bins_as_channels`` a time length only."""
        kernel = self._model_config.conv_kernels[i]
        if self.plan.bins_as_channels:
            return (1, kernel[1] if isinstance(kernel, tuple) else kernel)
        return kernel

    def _build_encoder(self) -> keras.Model:
        cfg, plan = self._model_config, self.plan
        policy = self.dtype_policy
        inputs = keras.Input(shape=(*plan.input_shape, 1), name="spectrogram")
        x = inputs
        if plan.needs_padding:
            x = keras.layers.ZeroPadding2D(plan.padding, name="encoder_pad", dtype=policy)(x)
        if plan.bins_as_channels:   # (freq, time, 1) -> (1, time, freq): every convolution spans all the bins
            x = keras.layers.Permute((3, 2, 1), name="encoder_bins_to_channels", dtype=policy)(x)
            # Centred on 0: hundreds of all-positive inputs per output otherwise push the first updates (and a
            # VAE's log-variance) far out in a few steps.
            x = keras.layers.Rescaling(2.0, offset=-1.0, name="encoder_centre", dtype=policy)(x)
        for i, (filters, strides) in enumerate(zip(cfg.conv_filters, cfg.conv_strides)):
            kernel = self._kernel(i)
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
            x = keras.layers.Conv2DTranspose(cfg.conv_filters[i - 1], self._kernel(i),
                                             strides=cfg.conv_strides[i], padding="same",
                                             kernel_initializer=self._initializer(),
                                             name=f"decoder_conv_transpose_{i}", dtype=policy)(x)
            if cfg.freq_bias:
                x = FrequencyBias(name=f"decoder_freq_bias_{i}", dtype=policy)(x)
            if cfg.batch_norm:
                x = keras.layers.BatchNormalization(name=f"decoder_bn_{i}", dtype=policy)(x)
            x = self._act(f"decoder_{cfg.activation}_{i}")(x)
        # The last layer draws one channel, or with bins_as_channels every bin as a channel, moved back.
        x = keras.layers.Conv2DTranspose(plan.padded_shape[0] if plan.bins_as_channels else 1, self._kernel(0),
                                         strides=cfg.conv_strides[0], padding="same",
                                         kernel_initializer=self._initializer(), name="decoder_output_conv",
                                         dtype=policy)(x)
        if plan.bins_as_channels:
            x = keras.layers.Permute((3, 2, 1), name="decoder_channels_to_bins", dtype=policy)(x)
        if cfg.freq_bias:
            x = FrequencyBias(name="decoder_freq_bias_0", dtype=policy)(x)
        if plan.needs_padding:
            x = keras.layers.Cropping2D(plan.padding, name="decoder_crop", dtype=policy)(x)
        outputs = keras.layers.Activation("sigmoid", dtype="float32", name="decoder_sigmoid")(x)
        return keras.Model(inputs, outputs, name="decoder")

    def build(self, input_shape=None):
        # The encoder and decoder are built in __init__; nothing is left to create.
        self.built = True

    # -- config --------------------------------------------------------------------------------------

    def get_config(self) -> dict:
        """Keras' config: the base settings, ``input_shape``, ``seed`` and every ModelConfig field."""
        config = super().get_config()
        fields = dataclasses.asdict(self._model_config)
        fields["conv_filters"] = list(fields["conv_filters"])
        fields["conv_kernels"] = [list(k) if isinstance(k, tuple) else k for k in fields["conv_kernels"]]
        fields["spectral_pools"] = list(fields["spectral_pools"])
        fields["conv_strides"] = [list(s) for s in fields["conv_strides"]]
        config.update(input_shape=list(self.plan.input_shape), seed=self.seed, sample_rate=self.sample_rate,
                      db_range=self.db_range, **fields)
        return config

    #: Settings of models saved before they existed, and the values those models were built with.
    _LEGACY_DEFAULTS = {"loss": "mse", "freq_bias": False, "semitone_weight": 0.0, "chroma_weight": 0.0}

    @classmethod
    def from_config(cls, config, **overrides):
        """A new model for a :class:`~genmusic.config.GenmusicConfig` or a spectrogram store; or (Keras) the
        model :meth:`get_config` describes.

        Parameters
        ----------
        config : GenmusicConfig, or an object with one as ``.config`` (a ``SpectrogramStore``, a ``ModelBundle``)
            The model takes every setting from it: the architecture (``config.model``), the segment shape, the
            sample rate and dB range its loss reads spectrograms with, and ``config.train.seed``. (A dict is
            Keras' config: a file saved before a setting existed gets the value it was built with.)
        **overrides
            Any constructor argument: ``latent_dim=64``, ``seed=1``, ...

        Examples
        --------
        >>> vae = VAE.from_config(SpectrogramStore("spectrograms"), latent_dim=64)  # doctest: +SKIP
        """
        settings = config if isinstance(config, GenmusicConfig) else getattr(config, "config", None)
        if isinstance(settings, GenmusicConfig):
            arguments = dict(input_shape=settings.spectrogram.segment_shape, seed=settings.train.seed,
                             sample_rate=settings.audio.sample_rate, db_range=settings.spectrogram.top_db)
            return cls(settings.model, **{**arguments, **overrides})
        if not isinstance(config, dict):
            raise ParameterError(f"{cls.__name__}.from_config takes a GenmusicConfig or a spectrogram store (or "
                                 f"Keras' config dict), got {type(config).__name__}")
        config = dict(config, **overrides)
        for key, value in cls._LEGACY_DEFAULTS.items():
            config.setdefault(key, value)
        return cls(**config)

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

    def loss_terms(self, target, prediction) -> Dict[str, object]:
        """The training loss and its parts, all computed here: the one place that defines the loss.

        ``reconstruction_loss`` is, for ``ModelConfig.loss == "mel"``, the L1 distance of the log10-mel
        spectrograms (:func:`~genmusic.models.layers.log_mel_l1`) plus ``l1_weight`` times the mean absolute
        error of the normalised spectrograms; for ``"mse"``, their mean squared error.
        ``loss = reconstruction_weight * reconstruction_loss`` (the VAE adds its KL term).

        Parameters
        ----------
        target, prediction : tensor [shape=(batch, n_freq, n_frames, 1)]

        Returns
        -------
        dict of scalar float32 tensors: ``"loss"`` and one entry per tracked term (see :meth:`_term_trackers`)
        """
        cfg = self._model_config
        if cfg.loss == "mel":
            target = ops.cast(target, "float32")
            prediction = ops.cast(prediction, "float32")
            reconstruction = log_mel_l1(target, prediction, self._mel_filters, self.db_range)
            if cfg.l1_weight:
                reconstruction = reconstruction + cfg.l1_weight * ops.mean(ops.abs(target - prediction))
            if cfg.spectral_weight:
                reconstruction = reconstruction + cfg.spectral_weight * log_linear_l1(
                    target, prediction, self.db_range, cfg.spectral_pools)
            if cfg.semitone_weight:  # the mel term's maths on semitone bands
                reconstruction = reconstruction + cfg.semitone_weight * log_mel_l1(
                    target, prediction, self._semitone_filters, self.db_range)
            if cfg.chroma_weight:
                reconstruction = reconstruction + cfg.chroma_weight * chroma_l1(
                    target, prediction, self._chroma_filters, self.db_range)
        else:
            reconstruction = reconstruction_error(target, prediction)
        return {"loss": self._model_config.reconstruction_weight * reconstruction,
                "reconstruction_loss": reconstruction}

    def _term_trackers(self) -> List[keras.metrics.Mean]:
        """The ``keras.metrics.Mean`` of each loss term, named as its key in :meth:`loss_terms`."""
        return [self.reconstruction_loss_tracker]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Keras' hook: the forward pass (when ``y_pred`` is not given), :meth:`loss_terms`, the trackers.

        Called by ``train_step`` / ``test_step`` on every backend; the target is ``y`` when given,
        otherwise ``x`` (so ``fit(x)`` and ``fit(x, x)`` both work).
        """
        if sample_weight is not None:
            raise ParameterError(f"{type(self).__name__} does not support sample_weight; train without it")
        if y_pred is None:
            y_pred = self(x, training=training)
        target = self._with_channel(x if y is None else y)
        terms = self.loss_terms(target, y_pred)
        batch = ops.cast(ops.shape(target)[0], "float32")
        for tracker in self._term_trackers():
            tracker.update_state(terms[tracker.name], sample_weight=batch)
        return terms["loss"]

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
        return check_integer(batch_size, "batch_size", minimum=1)

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

    def reconstruct(self, spectrograms, batch_size: int = 64) -> Reconstruction:
        """Encode then decode (a VAE uses the posterior mean): ``spectrograms, latents = model.reconstruct(x)``.

        Parameters
        ----------
        spectrograms : np.ndarray [shape=(n, n_freq, n_frames) or (n, n_freq, n_frames, 1)]

        Returns
        -------
        Reconstruction
            ``spectrograms`` [shape=(n, n_freq, n_frames)], float32 in [0, 1], and the ``latents`` they were
            decoded from [shape=(n, latent_dim)] (genmusic 0.1 gave the spectrograms alone).
        """
        latents = self.encode(spectrograms, batch_size)
        return Reconstruction(self.decode(latents, batch_size), latents)
