"""The variational autoencoder: the :class:`~genmusic.models.autoencoder.Autoencoder` with a Gaussian latent.

The encoder has two heads, ``mean`` and ``log_var``, each built like the autoencoder's bottleneck. In
training the decoder sees ``z`` drawn by :class:`~genmusic.models.layers.Sampling`; otherwise it sees the
mean, so ``model(x, training=False)``, :meth:`VAE.encode` and :meth:`VAE.reconstruct` are deterministic.

How the loss is reported
------------------------
``call`` adds the batch's KL divergence with ``self.add_loss``; ``compute_loss`` reads it back from
``self.losses``. That is the one route that works unchanged on every backend: under TensorFlow the
loss is a tensor of the traced train / test step; under JAX ``fit`` calls the model statelessly with
``return_losses=True`` and hands the collected losses to ``compute_loss`` through ``self.losses``.
:meth:`VAE.loss_terms` adds it to the autoencoder's terms; ``compute_loss`` updates the
``reconstruction_loss`` and ``kl_loss`` trackers (plain ``keras.metrics.Mean`` attributes, hence part of
``model.metrics`` beside the built-in ``loss``) and returns ``reconstruction_weight * reconstruction +
beta * kl``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from .._checks import check_integer, check_number
from .autoencoder import Autoencoder
from .layers import Sampling, kl_divergence

__all__ = ["VAE"]


@keras.saving.register_keras_serializable(package="genmusic")
class VAE(Autoencoder):
    """Mirrored convolutional variational autoencoder for normalised log spectrograms.

    Loss: ``reconstruction_weight * reconstruction + beta * KL(q(z | x) || N(0, I))`` (reconstruction: the
    ``"mel"`` or ``"mse"`` term of ``ModelConfig.loss``, see :meth:`Autoencoder.loss_terms`), with the KL summed over
    the latent floats and averaged over the batch. ``history.history`` holds ``loss``,
    ``reconstruction_loss`` and ``kl_loss`` (and their ``val_`` versions).

    Parameters
    ----------
    model_config, input_shape, seed, **kwargs
        As for :class:`~genmusic.models.autoencoder.Autoencoder` (``kind="vae"``); ``model_config.beta``
        weighs the KL term and ``seed`` also seeds the :class:`~genmusic.models.layers.Sampling` layer.

    Examples
    --------
    >>> vae = VAE(input_shape=(64, 16), conv_filters=(4, 8), conv_kernels=(3, 3),
    ...           conv_strides=((2, 2), (2, 2)), latent_dim=16, beta=1e-3)
    >>> vae.compile(optimizer="adam")
    >>> history = vae.fit(x, epochs=2, batch_size=8)          # x: (n, 64, 16, 1) in [0, 1]
    >>> sorted(history.history)
    ['kl_loss', 'loss', 'reconstruction_loss']
    >>> vae.generate(4, temperature=0.8, seed=1).shape
    (4, 64, 16)
    """

    kind = "vae"
    _heads = ("mean", "log_var")

    def __init__(self, model_config=None, *, input_shape=None, seed: int = 0, **kwargs):
        super().__init__(model_config, input_shape=input_shape, seed=seed, **kwargs)
        # float32 whatever the policy: mean / log_var come out of float32 layers.
        self.sampling = Sampling(seed=self.seed, name="sampling", dtype="float32")
        self.sampling.build([(None, self.latent_dim), (None, self.latent_dim)])
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    # -- forward pass and loss -------------------------------------------------------------------------

    def call(self, inputs, training=None):
        """Reconstruct a batch; samples ``z`` in training, uses the mean otherwise. Adds the KL term as a loss."""
        mean, log_var = self.encoder(self._with_channel(inputs), training=training)
        z = self.sampling([mean, log_var]) if training else mean
        self.add_loss(kl_divergence(mean, log_var))
        return self.decoder(z, training=training)

    def loss_terms(self, target, prediction):
        """The autoencoder's terms plus ``kl_loss``; ``loss = reconstruction_weight * reconstruction + beta * KL``.

        The KL term is the one :meth:`call` added with ``add_loss`` during the same forward pass (the model
        has no other losses: no regularisers).
        """
        terms = super().loss_terms(target, prediction)
        losses = self.losses
        kl = ops.sum(ops.stack([ops.cast(loss, "float32") for loss in losses])) if losses else ops.zeros(())
        terms["kl_loss"] = kl
        terms["loss"] = terms["loss"] + self._model_config.beta * kl
        return terms

    def _term_trackers(self):
        return super()._term_trackers() + [self.kl_loss_tracker]

    # -- numpy conveniences ----------------------------------------------------------------------------

    def encode(self, spectrograms, batch_size: int = 64, *, return_log_var: bool = False):
        """Posterior means (and optionally log-variances) of spectrograms.

        Parameters
        ----------
        spectrograms : np.ndarray [shape=(n, n_freq, n_frames) or (n, n_freq, n_frames, 1)]
        batch_size : int
        return_log_var : bool

        Returns
        -------
        mean : np.ndarray [shape=(n, latent_dim)], float32
        log_var : np.ndarray [shape=(n, latent_dim)], float32
            Only when ``return_log_var``.
        """
        x = self._check_spectrograms(spectrograms)
        batch_size = self._check_batch_size(batch_size)
        mean, log_var = self._batched(lambda b: self.encoder(b, training=False), x, batch_size)
        return (mean, log_var) if return_log_var else mean

    def sample_prior(self, n: int, *, temperature: float = 1.0, seed: int = 0) -> np.ndarray:
        """``n`` latents from the prior ``N(0, temperature**2 I)``, drawn with ``np.random.default_rng(seed)``.

        Returns
        -------
        np.ndarray [shape=(n, latent_dim)], float32
        """
        n = check_integer(n, "n", minimum=0)
        check_number(temperature, "temperature", minimum=0)
        rng = np.random.default_rng(seed)
        return (rng.standard_normal((n, self.latent_dim)) * temperature).astype(np.float32)

    def sample_posterior(self, spectrograms, *, seed: int = 0, temperature: float = 1.0,
                         batch_size: int = 64) -> np.ndarray:
        """One latent per spectrogram drawn from ``q(z | x)``: ``mean + temperature * exp(0.5 log_var) * eps``.

        ``eps`` comes from ``np.random.default_rng(seed)``: the same seed gives the same latents.

        Returns
        -------
        np.ndarray [shape=(n, latent_dim)], float32
        """
        check_number(temperature, "temperature", minimum=0)
        mean, log_var = self.encode(spectrograms, batch_size, return_log_var=True)
        eps = np.random.default_rng(seed).standard_normal(mean.shape)
        return (mean + temperature * np.exp(0.5 * log_var) * eps).astype(np.float32)

    def generate(self, n: int, temperature: float = 1.0, seed: int = 0, *, batch_size: int = 64) -> np.ndarray:
        """Decode ``n`` prior samples (see :meth:`sample_prior`).

        Returns
        -------
        np.ndarray [shape=(n, n_freq, n_frames)], float32 in [0, 1]
        """
        return self.decode(self.sample_prior(n, temperature=temperature, seed=seed), batch_size)
