"""Layers and loss terms shared by the autoencoder and the VAE.

Only ``keras`` and ``keras.ops`` are used, so everything here runs under the TensorFlow, JAX and
PyTorch backends.

* :class:`Sampling` -- the reparameterisation trick, with its own seeded random state.
* :func:`kl_divergence` -- KL(q(z | x) || N(0, I)) of a diagonal Gaussian, averaged over the batch.
* :func:`reconstruction_error` -- mean squared error on the normalised spectrogram.
"""

from __future__ import annotations

from typing import Optional

import keras
from keras import ops

__all__ = ["Sampling", "kl_divergence", "reconstruction_error"]


@keras.saving.register_keras_serializable(package="genmusic")
class Sampling(keras.layers.Layer):
    """Draw ``z = mean + exp(0.5 * log_var) * eps`` with ``eps ~ N(0, I)``.

    The layer owns a :class:`keras.random.SeedGenerator`, so two layers built with the same seed draw the
    same sequence of ``eps`` and the draws do not depend on (or disturb) Keras' global random state. Under
    JAX the generator's state is a non-trainable variable that ``fit`` threads through the compiled step.

    Parameters
    ----------
    seed : int or None
        Initial seed of the layer's generator (None: a random one).
    **kwargs
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``...).

    Examples
    --------
    >>> import numpy as np
    >>> mean = np.zeros((4, 8), "float32"); log_var = np.zeros((4, 8), "float32")
    >>> z = Sampling(seed=0)([mean, log_var])   # shape (4, 8), standard normal draws
    """

    def __init__(self, seed: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self) -> dict:
        config = super().get_config()
        config["seed"] = self.seed
        return config


def _flatten_samples(x):
    x = ops.cast(ops.convert_to_tensor(x), "float32")
    if len(x.shape) == 1:
        return ops.expand_dims(x, 0)
    if len(x.shape) > 2:
        return ops.reshape(x, (ops.shape(x)[0], -1))
    return x


def kl_divergence(mean, log_var):
    """KL divergence of ``N(mean, exp(log_var))`` from ``N(0, I)``, summed over latents, averaged over the batch.

    ``mean(sum(-0.5 * (1 + log_var - mean**2 - exp(log_var)), axis=latents), axis=batch)``, computed in
    float32 whatever the inputs' dtype. It is exactly 0 for ``mean = 0, log_var = 0``.

    Parameters
    ----------
    mean, log_var : tensor or np.ndarray [shape=(batch, ...)]
        Posterior means and log-variances; every axis after the first is a latent axis. A 1-D input is
        one sample.

    Returns
    -------
    scalar tensor, float32
    """
    mean = _flatten_samples(mean)
    log_var = _flatten_samples(log_var)
    per_sample = -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
    return ops.mean(per_sample)


def reconstruction_error(target, prediction):
    """Mean squared error over every element, in float32.

    Parameters
    ----------
    target, prediction : tensor [shape=(batch, n_freq, n_frames, 1)]
        Normalised spectrograms in [0, 1] and their reconstructions.

    Returns
    -------
    scalar tensor, float32
    """
    target = ops.cast(target, "float32")
    prediction = ops.cast(prediction, "float32")
    return ops.mean(ops.square(target - prediction))
