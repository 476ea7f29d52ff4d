"""Layers and loss terms shared by the autoencoder and the VAE.

Only ``keras`` and ``keras.ops`` are used, so everything here runs under the TensorFlow, JAX and
PyTorch backends.

* :class:`Sampling` -- the reparameterisation trick, with its own seeded random state.
* :func:`kl_divergence` -- KL(q(z | x) || N(0, I)) of a diagonal Gaussian, averaged over the batch.
* :class:`FrequencyBias` -- a learned bias per frequency bin and channel.
* :func:`reconstruction_error` -- mean squared error on the normalised spectrogram.
* :func:`mel_filterbank` / :func:`log_mel_l1` -- the ``"mel"`` loss: L1 between log-mel spectrograms of
  the magnitudes that normalised spectrograms stand for.
* :func:`log_linear_l1` -- the same on the linear-frequency bins, at several frequency resolutions.
* :func:`chroma_filterbank` / :func:`chroma_l1` -- a pitch-class term: L1 between normalised chroma vectors.
* :func:`semitone_filterbank` -- log-frequency bands one semitone apart (a CQT-like term with :func:`log_mel_l1`).
"""

from __future__ import annotations

import warnings
from typing import Optional

import keras
import numpy as np
from keras import ops

__all__ = ["Sampling", "FrequencyBias", "kl_divergence", "reconstruction_error", "mel_filterbank", "log_mel_l1",
           "log_linear_l1", "chroma_filterbank", "chroma_l1", "semitone_filterbank", "normalised_to_magnitude"]

#: Level in dB that a normalised value of 1 (each song's peak) stands for in the ``"mel"`` loss. Real songs
#: peak between about 29 and 46 dB (magnitude of a 1024-point STFT of audio in [-1, 1]); the log-mel floor
#: of ``MEL_FLOOR`` then sits about 100 dB below the peak, like the metric's.
REFERENCE_DB = 40.0
MEL_FLOOR = 1e-5


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


@keras.saving.register_keras_serializable(package="genmusic")
class FrequencyBias(keras.layers.Layer):
    """Add a learned bias per frequency bin and channel: ``x + b[freq, 0, channel]``.

    Convolutions share their weights along frequency; this gives every bin (and channel) its own offset,
    so the decoder can draw the spectral tilt of music (loud lows, quiet highs) without spending filters
    on it. Starts at zero: a new layer changes nothing.

    Input / output shape: ``(batch, freq, time, channels)``.
    """

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(int(input_shape[1]), 1, int(input_shape[3])), initializer="zeros",
                                    name="bias")

    def call(self, inputs):
        return inputs + ops.cast(self.bias, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def mel_filterbank(sample_rate: int, n_freq: int, n_mels: int) -> np.ndarray:
    """Mel filters for spectrograms of ``n_freq`` bins (``n_fft = 2 * n_freq``, the Nyquist bin dropped).

    Filters that no bin falls in (many bands on a short FFT) are left out.

    Returns
    -------
    np.ndarray [shape=(n_bands, n_freq)], float32, ``n_bands <= n_mels``
    """
    import librosa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Empty filters detected": they are dropped below
        fb = librosa.filters.mel(sr=int(sample_rate), n_fft=2 * int(n_freq), n_mels=int(n_mels))[:, :int(n_freq)]
    return np.ascontiguousarray(fb[fb.sum(axis=1) > 0], dtype=np.float32)


def log_mel_l1(target, prediction, filterbank, db_range: float):
    """Mean L1 distance between the log10-mel spectrograms that two normalised spectrograms stand for.

    A normalised value ``v`` in [0, 1] is read as ``db_range * (v - 1) + REFERENCE_DB`` dB (each song's
    peak at ``REFERENCE_DB``), turned into magnitude, summed into mel bands and compared in ``log10``
    with a floor of ``MEL_FLOOR``, in float32.

    Parameters
    ----------
    target, prediction : tensor [shape=(batch, n_freq, n_frames, 1)]
    filterbank : np.ndarray [shape=(n_bands, n_freq)]
        From :func:`mel_filterbank`.
    db_range : float
        The dB range of normalised spectrograms (the spectrogram config's ``top_db``).

    Returns
    -------
    scalar tensor, float32
    """
    fb = ops.convert_to_tensor(filterbank, dtype="float32")

    def log_mel(v):
        mel = ops.einsum("bft,mf->bmt", normalised_to_magnitude(v, db_range), fb)
        return ops.log10(ops.maximum(mel, MEL_FLOOR))

    return ops.mean(ops.abs(log_mel(target) - log_mel(prediction)))


def normalised_to_magnitude(v, db_range: float):
    """The STFT magnitudes a normalised spectrogram stands for (each song's peak at ``REFERENCE_DB``).

    Parameters
    ----------
    v : tensor [shape=(batch, n_freq, n_frames, 1)], values in [0, 1]
    db_range : float

    Returns
    -------
    tensor [shape=(batch, n_freq, n_frames)], float32
    """
    v = ops.cast(v[..., 0], "float32")
    return ops.power(10.0, (float(db_range) * (v - 1.0) + REFERENCE_DB) / 20.0)


def log_linear_l1(target, prediction, db_range: float, pools=(1,)):
    """Mean L1 distance of log10 linear-frequency magnitudes, each averaged over ``p`` bins, for ``p`` in ``pools``.

    With ``p = 1`` this is ``db_range / 20`` times the L1 distance of the normalised spectrograms (the
    STFT's own resolution: 21.5 Hz bins resolve semitones above about 370 Hz, where 80 mel bands do not
    until about 1.5 kHz); larger ``p`` compare the envelope. The terms of every size are averaged.

    Parameters
    ----------
    target, prediction : tensor [shape=(batch, n_freq, n_frames, 1)]
    db_range : float
    pools : sequence of int
        Each divides ``n_freq``.

    Returns
    -------
    scalar tensor, float32
    """
    a, b = normalised_to_magnitude(target, db_range), normalised_to_magnitude(prediction, db_range)
    n_freq = int(a.shape[1])
    terms = []
    for p in pools:
        p = int(p)
        if n_freq % p:
            raise ValueError(f"spectral pool size {p} does not divide the {n_freq} frequency bins")
        if p > 1:
            shape = (-1, n_freq // p, p, int(a.shape[2]))
            pa, pb = ops.mean(ops.reshape(a, shape), axis=2), ops.mean(ops.reshape(b, shape), axis=2)
        else:
            pa, pb = a, b
        terms.append(ops.mean(ops.abs(ops.log10(ops.maximum(pa, MEL_FLOOR)) - ops.log10(ops.maximum(pb, MEL_FLOOR)))))
    return ops.mean(ops.stack(terms))


def chroma_filterbank(sample_rate: int, n_freq: int, n_chroma: int = 12) -> np.ndarray:
    """Chroma filters (librosa's) for spectrograms of ``n_freq`` bins (``n_fft = 2 * n_freq``, no Nyquist bin).

    Returns
    -------
    np.ndarray [shape=(n_chroma, n_freq)], float32
    """
    import librosa

    fb = librosa.filters.chroma(sr=int(sample_rate), n_fft=2 * int(n_freq), n_chroma=int(n_chroma))[:, :int(n_freq)]
    return np.ascontiguousarray(fb, dtype=np.float32)


def semitone_filterbank(sample_rate: int, n_freq: int, fmin: float = 130.81, n_bands: int = 60) -> np.ndarray:
    """Triangular bands centred one semitone apart from ``fmin`` (C3 by default; 60 bands: five octaves).

    Each band rises from the semitone below to its centre and falls to the semitone above, on the linear
    frequency axis of ``n_freq`` bins (``n_fft = 2 * n_freq``); where a semitone is narrower than a bin the
    band is widened to one bin either side, so no band is empty. Each band sums to 1: a level change moves
    every band's log by the same amount, as with the mel bands.

    Returns
    -------
    np.ndarray [shape=(n_bands, n_freq)], float32
    """
    freqs = np.arange(int(n_freq)) * float(sample_rate) / (2 * int(n_freq))
    bin_hz = float(sample_rate) / (2 * int(n_freq))
    centres = float(fmin) * 2.0 ** (np.arange(-1, int(n_bands) + 1) / 12.0)
    fb = np.zeros((int(n_bands), int(n_freq)))
    for k in range(int(n_bands)):
        lo, mid, hi = centres[k], centres[k + 1], centres[k + 2]
        lo, hi = min(lo, mid - bin_hz), max(hi, mid + bin_hz)
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        fb[k] = np.maximum(0.0, np.minimum(up, down))
    fb = fb[:, :int(n_freq)]
    keep = fb.sum(axis=1) > 0
    return np.ascontiguousarray(fb[keep] / fb[keep].sum(axis=1, keepdims=True), dtype=np.float32)


#: Chroma vectors (of power, ``REFERENCE_DB`` peak) are normalised by ``norm + CHROMA_EPS``: frames more
#: than about 50 dB below the song's peak fade to zero instead of giving a noisy direction.
CHROMA_EPS = 1.0


def chroma_l1(target, prediction, filterbank, db_range: float):
    """Mean L1 distance between the per-frame L2-normalised chroma vectors of target and prediction.

    Chroma: the filterbank applied to the power spectrum; each frame's vector divided by its norm plus
    :data:`CHROMA_EPS`, so a loud frame counts by its pitch classes alone and a near-silent one by nothing.

    Parameters
    ----------
    target, prediction : tensor [shape=(batch, n_freq, n_frames, 1)]
    filterbank : np.ndarray [shape=(n_chroma, n_freq)]
        From :func:`chroma_filterbank`.
    db_range : float

    Returns
    -------
    scalar tensor, float32
    """
    fb = ops.convert_to_tensor(filterbank, dtype="float32")

    def chroma(v):
        c = ops.einsum("bft,cf->bct", ops.square(normalised_to_magnitude(v, db_range)), fb)
        return c / (ops.sqrt(ops.sum(ops.square(c), axis=1, keepdims=True)) + CHROMA_EPS)

    return ops.mean(ops.abs(chroma(target) - chroma(prediction)))
