"""An independent listener: musicnn's music tagger (MSD_musicnn), run in numpy from weights shipped with genmusic.

musicnn (Pons & Serra, 2019) is a convolutional network trained by people outside this project to tag
3 s of music with 50 Million-Song-Dataset tags (``rock``, ``jazz``, ``ambient``, ...). Its 200-d
penultimate layer is a general-purpose music embedding: :func:`music_tagger_embedding` gives one vector
per 3 s patch of a signal, :func:`music_tagger_taggram` the tag probabilities of each patch. The
Frechet audio distance and the style recogniser of :mod:`genmusic.metrics.sets` are built on it.

The network is rebuilt here in numpy (no TensorFlow, no Keras, no download): the weights of musicnn
0.1.0's ``MSD_musicnn`` checkpoint, converted once by :mod:`genmusic.metrics._convert_musicnn`, ship
inside genmusic as ``genmusic/metrics/data/musicnn_msd.npz`` (ISC licence: ``MUSICNN_LICENSE.md`` beside
it). The input pipeline is musicnn's own (``musicnn.extractor.batch_data``):

1. resample to 16 kHz (librosa's default resampler, as ``librosa.load(sr=16000)``);
2. power mel spectrogram: ``n_fft=512``, ``hop_length=256``, 96 Slaney mel bands, centred Hann frames;
3. rounded to float16 (as musicnn stores it), then ``log10(10000 * M + 1)`` in float32;
4. patches of 187 frames (3 s), one after the other without overlap; a last, shorter patch is dropped.

``benchmarks/check_musicnn.py`` (in the repository) compares this with musicnn's own code; on real songs the
penultimate features agree to about 1e-5 and the tag probabilities to about 1e-6.

Note: musicnn 0.1.0 itself, run under NumPy >= 2, overflows in step 3 (``10000 * M`` stays float16, so
every mel value above 6.55 becomes ``inf``) and its ``extractor`` returns the first patch's features for
every patch; both are musicnn's bugs, not reproduced here. Under the NumPy its metadata pins (value-based
casting) the product is float32, as here.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from .._checks import check_integer, valid_audio
from ..errors import GenmusicError, ParameterError

__all__ = ["MusicTagger", "music_tagger_embedding", "music_tagger_taggram", "MUSIC_TAGGER_TAGS",
           "TAGGER_SAMPLE_RATE", "TAGGER_PATCH_FRAMES", "TAGGER_PATCH_SECONDS", "WEIGHTS_FILE",
           "TaggerWeightsError"]

#: The weights shipped with genmusic (musicnn 0.1.0's ``MSD_musicnn``, float32, ISC licence).
WEIGHTS_FILE = Path(__file__).resolve().parent / "data" / "musicnn_msd.npz"
#: Sample rate the tagger listens at, in Hz.
TAGGER_SAMPLE_RATE = 16000
#: Mel analysis of the tagger's input.
TAGGER_N_FFT, TAGGER_HOP_LENGTH, TAGGER_N_MELS = 512, 256, 96
#: Frames per patch: ``librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1``.
TAGGER_PATCH_FRAMES = 187
#: Seconds of audio per patch (187 frames of 256 samples at 16 kHz).
TAGGER_PATCH_SECONDS = TAGGER_PATCH_FRAMES * TAGGER_HOP_LENGTH / TAGGER_SAMPLE_RATE
#: Batch-norm epsilon of ``tf.compat.v1.layers.batch_normalization`` (musicnn's layers).
_BN_EPSILON = 1e-3

#: The 50 tags of :func:`music_tagger_taggram`'s columns, in order (musicnn's ``MSD_LABELS``).
MUSIC_TAGGER_TAGS: Tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock",
    "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow",
    "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock",
    "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb",
    "indie pop", "sad", "House", "happy")


class TaggerWeightsError(GenmusicError):
    """The tagger's weights file is missing or unreadable; the message says how to get it back."""


def _how_to_get_weights(path: Path) -> str:
    return (f"genmusic's music tagger needs its weights file {path}, which ships inside genmusic's wheel. "
            f"Reinstall genmusic (pip install --force-reinstall genmusic), or rebuild the file from musicnn's "
            f"own checkpoint (needs TensorFlow once): pip download musicnn==0.1.0 --no-deps -d /tmp/mnn && "
            f"python -m genmusic.metrics._convert_musicnn /tmp/mnn/musicnn-0.1.0-py3-none-any.whl --out {path}. "
            f"Everything else in genmusic works without it.")


def _windows(x: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Sliding windows of ``length`` along ``axis`` (a view), the window as the last axis."""
    return np.lib.stride_tricks.sliding_window_view(x, length, axis=axis)


class MusicTagger:
    """musicnn's MSD_musicnn network with its trained weights, as numpy arithmetic.

    Parameters
    ----------
    weights : dict of str to np.ndarray
        The arrays of the ``.npz`` (see :meth:`load`).

    Attributes
    ----------
    meta : dict
        What :meth:`load` read about the weights (model, source, format); empty otherwise.

    Examples
    --------
    >>> tagger = MusicTagger.load()                                       # doctest: +SKIP
    >>> tagger.embedding(y, 22050).shape                                  # 30 s of audio   # doctest: +SKIP
    (10, 200)
    """

    def __init__(self, weights: dict) -> None:
        w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items() if not k.startswith("__")}
        self.meta: dict = {}
        self._affine = {}
        for name in [k[:-len("/gamma")] for k in w if k.endswith("/gamma")]:
            scale = w[f"{name}/gamma"] / np.sqrt(w[f"{name}/variance"] + np.float32(_BN_EPSILON))
            self._affine[name] = (scale.astype(np.float32),
                                  (w[f"{name}/beta"] - w[f"{name}/mean"] * scale).astype(np.float32))
        self._w = w
        # (kernel rows, output channels) matrices for the convolutions, as their im2col windows are laid out
        self._timbral = {k: w[f"timbral_{k}/kernel"][:, :, 0, :].reshape(-1, w[f"timbral_{k}/kernel"].shape[-1])
                         for k in (74, 77)}
        self._temporal = {k: w[f"temporal_{k}/kernel"][:, 0, 0, :] for k in (128, 64, 32)}
        self._midend = {k: w[f"midend_{k}/kernel"][:, :, 0, :].reshape(-1, 64) for k in (1, 2, 3)}

    @classmethod
    def load(cls, path: Optional[Path] = None) -> "MusicTagger":
        """Read the weights (default: :data:`WEIGHTS_FILE`, shipped with genmusic).

        Raises
        ------
        TaggerWeightsError
            The file is missing or not a musicnn weights file; the message says how to get it.
        """
        path = Path(path) if path is not None else WEIGHTS_FILE
        if not path.is_file():
            raise TaggerWeightsError(f"{path} is missing. " + _how_to_get_weights(path))
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = {k: data[k] for k in data.files}
            meta = json.loads(str(weights.pop("__meta__")))
            tagger = cls(weights)
        except (OSError, ValueError, KeyError) as exc:
            raise TaggerWeightsError(f"{path} is not a readable musicnn weights file ({exc}). "
                                     + _how_to_get_weights(path)) from exc
        tagger.meta = meta
        return tagger

    # ---------------------------------------------------------------- input

    @staticmethod
    def log_mel(y: np.ndarray, sr: int) -> np.ndarray:
        """musicnn's input representation of a whole signal.

        Parameters
        ----------
        y : np.ndarray [shape=(n,)], floating point
        sr : int > 0

        Returns
        -------
        np.ndarray [shape=(1 + n16 // 256, 96)], float32
            ``log10(10000 * M + 1)`` of the power mel spectrogram ``M`` (rounded to float16 first) of the
            signal resampled to 16 kHz (``n16`` samples); time first, as musicnn lays it out.
        """
        import librosa

        y = valid_audio(y, name="y")
        sr = check_integer(sr, "sr", minimum=1, what="a positive integer sample rate in Hz")
        if sr != TAGGER_SAMPLE_RATE:
            y = librosa.resample(y, orig_sr=sr, target_sr=TAGGER_SAMPLE_RATE, res_type="soxr_hq")
        mel = librosa.feature.melspectrogram(y=y, sr=TAGGER_SAMPLE_RATE, n_fft=TAGGER_N_FFT,
                                             hop_length=TAGGER_HOP_LENGTH, n_mels=TAGGER_N_MELS, power=2.0,
                                             center=True, pad_mode="constant", htk=False, norm="slaney").T
        mel = mel.astype(np.float16).astype(np.float32)
        return np.log10(np.float32(10000.0) * mel + np.float32(1.0))

    @classmethod
    def patches(cls, y: np.ndarray, sr: int) -> np.ndarray:
        """The signal's input patches: consecutive, non-overlapping 187 frames (3 s) of :meth:`log_mel`.

        Returns
        -------
        np.ndarray [shape=(n_patches, 187, 96)], float32
            ``n_patches = (n_frames - 187) // 187 + 1``.

        Raises
        ------
        ParameterError
            The signal is shorter than one patch (about 3 s).
        """
        rep = cls.log_mel(y, sr)
        if rep.shape[0] < TAGGER_PATCH_FRAMES:
            raise ParameterError(f"y lasts {len(y) / sr:.2f} s: the music tagger needs at least "
                                 f"{TAGGER_PATCH_SECONDS:.2f} s (one patch of {TAGGER_PATCH_FRAMES} frames); "
                                 f"give a longer signal")
        n = (rep.shape[0] - TAGGER_PATCH_FRAMES) // TAGGER_PATCH_FRAMES + 1
        return np.ascontiguousarray(rep[:n * TAGGER_PATCH_FRAMES].reshape(n, TAGGER_PATCH_FRAMES, TAGGER_N_MELS))

    # ---------------------------------------------------------------- network

    def _bn(self, x: np.ndarray, name: str) -> np.ndarray:
        scale, shift = self._affine[name]
        return x * scale + shift

    def _conv_block(self, windows: np.ndarray, kernel: np.ndarray, name: str) -> np.ndarray:
        """im2col ``windows`` [shape=(..., k)] @ kernel (k, c) + bias, ReLU, batch norm."""
        out = windows.reshape(-1, kernel.shape[0]) @ kernel
        out = np.maximum(out + self._w[f"{name}/bias"], 0.0)
        return self._bn(out, f"{name}_bn").reshape(*windows.shape[:-1], kernel.shape[1])

    def forward(self, patches: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Run the network on input patches.

        Parameters
        ----------
        patches : np.ndarray [shape=(n, 187, 96)]
            :meth:`patches` of a signal (other lengths than 187 frames work too, as in musicnn).

        Returns
        -------
        penultimate : np.ndarray [shape=(n, 200)], float32
            The embedding (batch-normalised ReLU outputs of the 200-unit dense layer).
        taggram : np.ndarray [shape=(n, 50)], float32
            Sigmoid tag probabilities, columns as :data:`MUSIC_TAGGER_TAGS`.
        """
        x = np.asarray(patches, dtype=np.float32)
        if x.ndim != 3 or x.shape[2] != TAGGER_N_MELS or x.shape[1] < 1:
            raise ParameterError(f"patches must have shape (n, frames, {TAGGER_N_MELS}), got {x.shape}")
        b, t, _ = x.shape
        x = self._bn(x, "input_bn")
        front = []
        # timbral: 7 x F filters over (time, mel), time padded by 3 each side, max over what is left of mel
        padded = np.pad(x, ((0, 0), (3, 3), (0, 0)))
        for k, kernel in self._timbral.items():
            width = kernel.shape[0] // 7
            win = _windows(_windows(padded, 7, axis=1), width, axis=2)  # (b, t, 97 - F, 7, F)
            out = self._conv_block(win.reshape(*win.shape[:3], -1), kernel, f"timbral_{k}")
            front.append(out.max(axis=2))
        # temporal: K x 1 filters along time ("same" padding as TensorFlow: (K-1)//2 before), max over mel
        for k, kernel in self._temporal.items():
            before = (k - 1) // 2
            padded = np.pad(x, ((0, 0), (before, k - 1 - before), (0, 0)))
            win = _windows(padded, k, axis=1)  # (b, t, 96, K)
            front.append(self._conv_block(win, kernel, f"temporal_{k}").max(axis=2))
        front = np.concatenate(front, axis=2)  # (b, t, 561)

        # mid-end: three 7-frame convolutions over all features, the last two residual
        layers = [front]
        h = front
        for k in (1, 2, 3):
            win = _windows(np.pad(h, ((0, 0), (3, 3), (0, 0))), 7, axis=1)  # (b, t, c, 7)
            win = np.swapaxes(win, 2, 3)  # the kernel's rows run over (frame, feature)
            out = self._conv_block(win.reshape(b, t, -1), self._midend[k], f"midend_{k}")
            h = out if k == 1 else out + h
            layers.append(h)
        features = np.concatenate(layers, axis=2)  # (b, t, 753)

        # back-end: max and mean over time, interleaved per feature as musicnn's flatten of (753, 2)
        pooled = np.stack([features.max(axis=1), features.mean(axis=1)], axis=2).reshape(b, -1)
        pooled = self._bn(pooled, "pool_bn")
        dense = np.maximum(pooled @ self._w["penultimate/kernel"] + self._w["penultimate/bias"], 0.0)
        penultimate = self._bn(dense, "penultimate_bn").astype(np.float32)
        logits = penultimate @ self._w["tags/kernel"] + self._w["tags/bias"]
        taggram = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return penultimate, taggram

    def run(self, y: np.ndarray, sr: int, *, batch_size: int = 4) -> Tuple[np.ndarray, np.ndarray]:
        """:meth:`forward` on the :meth:`patches` of a signal, ``batch_size`` patches at a time.

        Returns
        -------
        penultimate : np.ndarray [shape=(n_patches, 200)], float32
        taggram : np.ndarray [shape=(n_patches, 50)], float32
        """
        patches = self.patches(y, sr)
        outs = [self.forward(patches[i:i + batch_size]) for i in range(0, len(patches), batch_size)]
        return np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])

    def embedding(self, y: np.ndarray, sr: int) -> np.ndarray:
        """The 200-d penultimate features of every 3 s patch [shape=(n_patches, 200)], float32."""
        return self.run(y, sr)[0]


@functools.lru_cache(maxsize=1)
def default_tagger() -> MusicTagger:
    """The tagger with the weights shipped in genmusic, loaded once per process."""
    return MusicTagger.load()


def music_tagger_embedding(y: np.ndarray, sr: int) -> np.ndarray:
    """musicnn's 200-d penultimate features of every 3 s patch of a signal.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)], floating point
        At least 3 s of audio at ``sr``; resampled to 16 kHz inside.
    sr : int > 0
        Sample rate of ``y`` in Hz.

    Returns
    -------
    np.ndarray [shape=(n_patches, 200)], float32
        One row per consecutive 3 s patch (187 frames of musicnn's mel spectrogram; a last, shorter
        patch is dropped): 10 rows for 30 s.

    Raises
    ------
    ParameterError
        ``y`` is not a finite mono floating-point signal of at least 3 s, or ``sr`` is not a positive integer.
    TaggerWeightsError
        The weights file shipped with genmusic is missing (the message says how to get it).

    Examples
    --------
    >>> y = np.random.default_rng(0).standard_normal(5 * 22050).astype(np.float32)   # doctest: +SKIP
    >>> music_tagger_embedding(y, 22050).shape                                         # doctest: +SKIP
    (1, 200)
    """
    return default_tagger().embedding(y, sr)


def music_tagger_taggram(y: np.ndarray, sr: int) -> np.ndarray:
    """musicnn's tag probabilities for every 3 s patch [shape=(n_patches, 50)], float32.

    Columns follow :data:`MUSIC_TAGGER_TAGS`; parameters and errors as :func:`music_tagger_embedding`.
    """
    return default_tagger().run(y, sr)[1]
