"""One configuration for the whole pipeline, saved as JSON beside every output.

The settings are frozen dataclasses so that a spectrogram store, a trained model and a generated file
all carry the exact numbers they were made with, and nobody retypes a hop length:

* :class:`AudioConfig` -- decoding: sample rate, mono, offset / duration.
* :class:`SpectrogramConfig` -- STFT size, hop, segment length in frames, dB floor.
* :class:`SplitConfig` -- the song-level train / validation / test split.
* :class:`ModelConfig` -- the architecture of the autoencoder or VAE.
* :class:`TrainConfig` -- optimiser, batch size, epochs, devices.
* :class:`GenmusicConfig` -- all of the above, with JSON in and out and a format version.

:func:`check_compatible` is the one check that a model and the spectrograms (or config) given to it were
made with the same settings.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

from ._checks import LIMITS, MAX_SEED, check_integer, check_number, check_seed, is_integer, require
from ._io import atomic_write_text
from .errors import ParameterError, SettingsMismatchError

__all__ = [
    "CONFIG_VERSION",
    "AudioConfig",
    "SpectrogramConfig",
    "SplitConfig",
    "ModelConfig",
    "TrainConfig",
    "GenmusicConfig",
    "check_compatible",
    "check_settings",
    "ACTIVATIONS",
    "MAX_SEED",
    "MIN_SAMPLE_RATE",
]

#: Version of the JSON layout written by :meth:`GenmusicConfig.to_json`. Bump on incompatible change.
CONFIG_VERSION = 1

#: Activations the models accept.
ACTIVATIONS = ("leaky_relu", "silu", "relu", "tanh")
#: Reconstruction losses of :class:`ModelConfig`.
LOSSES = ("mel", "mse")

#: Lowest sample rate genmusic reads or writes, in Hz: below it a file is not audio (or its header is damaged).
MIN_SAMPLE_RATE = 1000



def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_pair(value: Any) -> bool:
    return (is_integer(value) or (isinstance(value, (list, tuple)) and len(value) == 2
                                  and all(is_integer(v) for v in value)))


#: The type each annotation of a config field stands for: (test, what it must be, in words).
_FIELD_TYPES = {
    "int": (is_integer, "an integer"),
    "float": (_is_number, "a finite number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "Optional[int]": (lambda v: v is None or is_integer(v), "an integer or null"),
    "Optional[float]": (lambda v: v is None or _is_number(v), "a finite number or null"),
    "Tuple[int, ...]": (lambda v: isinstance(v, (list, tuple)) and all(is_integer(x) for x in v),
                        "a list of integers"),
    "Tuple[Tuple[int, int], ...]": (lambda v: isinstance(v, (list, tuple)) and all(_is_pair(x) for x in v),
                                    "a list of [frequency, time] integer pairs"),
    "Tuple[Union[int, Tuple[int, int]], ...]": (
        lambda v: isinstance(v, (list, tuple)) and all(_is_pair(x) for x in v),
        "a list of integers (square kernels) or [frequency, time] integer pairs"),
}

_JSON_NAMES = {type(None): "null", bool: "true/false", int: "an integer", float: "a number", str: "a string",
               list: "a list", tuple: "a list", dict: "an object"}


def _check_types(section) -> None:
    """Refuse a setting of the wrong type, naming it, what it must be and what it is (a JSON file can hold
    anything: ``"epochs": "ten"``, ``null``, ``1.5``)."""
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        test, what = _FIELD_TYPES[f.type]
        if not test(value):
            kind = _JSON_NAMES.get(type(value), type(value).__name__)
            raise ParameterError(f"{f.name} must be {what}, got {value!r} ({kind})")


@dataclass(frozen=True)
class AudioConfig:
    """How audio files are decoded.

    Parameters
    ----------
    sample_rate : int
        Rate every file is resampled to, in Hz.
    mono : bool
        Mix multichannel audio down to one channel. The models work on mono spectrograms.
    offset : float
        Seconds skipped at the start of every file.
    duration : float or None
        At most this many seconds are read from every file (None: the whole file).
    """

    sample_rate: int = 22050
    mono: bool = True
    offset: float = 0.0
    duration: Optional[float] = None

    def __post_init__(self) -> None:
        _check_types(self)
        check_integer(self.sample_rate, "sample_rate", minimum=MIN_SAMPLE_RATE, limit="sample_rate")
        check_number(self.offset, "offset", minimum=0, limit="seconds", noun="a number of seconds")
        check_number(self.duration, "duration", minimum=0, exclusive_minimum=True, limit="seconds", allow_none=True,
                     noun="a number of seconds")


@dataclass(frozen=True)
class SpectrogramConfig:
    """Log-magnitude STFT settings.

    A segment is ``segment_frames`` STFT frames, i.e. ``segment_frames * hop_length`` samples. The top
    (Nyquist) bin is dropped so that the frequency axis has ``n_fft // 2`` bins, a power of two that
    strided convolutions can halve cleanly; the inverse puts a zero bin back and uses the same ``n_fft``.

    Parameters
    ----------
    n_fft : int
        FFT size (frame size) in samples. Even.
    hop_length : int
        Samples between frames.
    segment_frames : int
        Frames per segment (the model's time axis).
    top_db : float
        Dynamic range kept below each file's peak, in dB (the dB floor). 120 dB keeps the quiet tails
        that matter for music (80 dB, a speech habit, doubles the Griffin-Lim round-trip error on music).
    amin : float
        Smallest magnitude before the log (``20 * log10(amin)`` dB is the absolute floor).
    window : str
        STFT window.
    """

    n_fft: int = 1024
    hop_length: int = 256
    segment_frames: int = 128
    top_db: float = 120.0
    amin: float = 1e-5
    window: str = "hann"

    def __post_init__(self) -> None:
        _check_types(self)
        check_integer(self.n_fft, "n_fft", minimum=16, limit="n_fft", noun="an even integer")
        require(self.n_fft % 2 == 0, f"n_fft must be an even integer >= 16 and <= {LIMITS['n_fft'][0]}, got "
                                     f"{self.n_fft!r}")
        check_integer(self.hop_length, "hop_length", minimum=1, maximum=self.n_fft,
                      what=f"an integer in (0, n_fft={self.n_fft}]")
        check_integer(self.segment_frames, "segment_frames", minimum=1, limit="segment_frames")
        values = self.n_freq_bins * self.segment_frames
        bound, why = LIMITS["segment_values"]
        require(values <= bound, f"a segment of {self.n_freq_bins} x {self.segment_frames} values ({values}) is more "
                                 f"than genmusic's bound of {bound} ({why}): lower n_fft or segment_frames")
        check_number(self.top_db, "top_db", minimum=0, exclusive_minimum=True, limit="top_db")
        check_number(self.amin, "amin", minimum=0, exclusive_minimum=True, limit="amin")

    @property
    def n_freq_bins(self) -> int:
        """Frequency bins kept: ``n_fft // 2`` (the Nyquist bin is dropped)."""
        return self.n_fft // 2

    @property
    def segment_samples(self) -> int:
        """Audio samples covered by one segment: ``segment_frames * hop_length``."""
        return self.segment_frames * self.hop_length

    @property
    def segment_shape(self) -> Tuple[int, int]:
        """Shape of one segment's spectrogram: ``(n_freq_bins, segment_frames)``."""
        return (self.n_freq_bins, self.segment_frames)


@dataclass(frozen=True)
class SplitConfig:
    """Song-level split, stratified by genre.

    Parameters
    ----------
    validation_fraction, test_fraction : float
        Fractions of each genre's songs held out.
    seed : int
        Seed of the shuffle; the same seed gives the same split.
    """

    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        _check_types(self)
        check_seed(self.seed)
        require(0 <= self.validation_fraction < 1 and 0 <= self.test_fraction < 1
               and self.validation_fraction + self.test_fraction < 1,
               "validation_fraction and test_fraction must be in [0, 1) and sum to less than 1, got "
               f"{self.validation_fraction!r} and {self.test_fraction!r}")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the mirrored convolutional autoencoder / VAE.

    Parameters
    ----------
    kind : {"vae", "autoencoder"}
    conv_filters : tuple of int
        Filters of each encoder convolution; the decoder mirrors them.
    conv_kernels : tuple of int or (int, int)
        Kernel of each encoder convolution: an integer for a square kernel, or a ``(frequency, time)`` pair
        (a kernel as tall as the feature map, with the same frequency stride, spans the whole frequency
        axis: the bins become channels, a learned spectral dictionary).
    conv_strides : tuple of (int, int)
        Stride (frequency, time) of each encoder convolution. The default's last layer strides 4 along time
        (with a kernel 5 frames long, so that it overlaps its neighbours): 128 frames become 4 latent steps
        of 32 floats, each 0.37 s of music. Measured on real music against 8 steps of 16 floats (stride 2),
        the same 128 floats, 30 minutes each: mel distance 0.230 against 0.240, more chroma (0.861 against
        0.854) and partials kept, a slightly worse FAD (39.2 against 37.9); see the README.
    latent_dim : int
        Latent floats per segment.
    bottleneck : {"conv", "dense"}
        ``"conv"`` keeps the time axis: a convolution spanning the whole frequency axis maps the last
        feature map to ``latent_dim // time_steps`` channels at each of its time steps. ``"dense"``
        flattens and uses a Dense layer (the tutorial's design).
    activation : str
        One of :data:`ACTIVATIONS`.
    batch_norm : bool
        Batch normalisation after each convolution. Off by default: on this model it cost a third of the
        training throughput and gave no better reconstructions (see the README's design notes).
    beta : float
        Weight of the KL term (VAE only) against the *mean* squared error per spectrogram bin. 1e-6 is
        the classic sound-VAE weighting (reconstruction weight 1e6 against the summed KL).
    reconstruction_weight : float
        Weight of the reconstruction term.
    loss : {"mel", "mse"}
        The reconstruction term. ``"mel"`` (default): L1 distance between the log-mel spectrograms of the
        target's and the prediction's magnitudes (``mel_bands`` bands, in log10 units), plus ``l1_weight``
        times the L1 distance of the normalised spectrograms: the loss lives in the domain the ears and
        :func:`genmusic.metrics.mel_distance` judge. ``"mse"``: mean squared error of the normalised
        spectrograms (the classic sound-VAE loss; on real music it lost to PCA, see the README).
    mel_bands : int
        Mel bands of the ``"mel"`` loss.
    l1_weight : float
        Weight of the plain L1 term inside the ``"mel"`` loss (keeps the quiet bins, which the mel bands
        average away, in shape).
    freq_bias : bool
        A learned bias per frequency bin and channel after every decoder convolution: convolutions share
        their weights along frequency, but music's spectra are not the same at 50 Hz and 5 kHz.
    bins_as_channels : bool
        The encoder's first step moves the frequency bins to channels, so every convolution spans the whole
        frequency axis (a Conv2D of height 1 over time; ``conv_kernels`` are then time lengths and the
        frequency strides must be 1) and the decoder's last transposed convolution draws all the bins at
        once: a learned spectral dictionary, like PCA's or NMF's bases, which can draw sharp harmonics
        at any pitch, where 3 x 3 kernels upsampled 16x along frequency smear them.
    spectral_weight : float
        Weight of a linear-frequency term inside the ``"mel"`` loss: the L1 distance of the log10 magnitudes
        averaged over ``spectral_pools`` bins along frequency (one value per pool size, averaged). The mel
        bands are about 40 Hz wide below 1 kHz, wider than a semitone there, so the mel term alone cannot
        tell neighbouring notes apart; the STFT bins can.
    spectral_pools : tuple of int
        Bins averaged (in magnitude) before the log, one term per size: 1 is the plain linear spectrum, larger
        sizes judge the envelope. Each must divide the number of frequency bins.
    semitone_weight : float
        Weight of a log-frequency (CQT-like) term inside the ``"mel"`` loss: the L1 distance of log10 magnitudes
        in 60 triangular bands one semitone apart from C3 (130.8 Hz) to B7, where the notes of most music lie.
    chroma_weight : float
        Weight of a pitch-class term inside the ``"mel"`` loss: per frame, the L1 distance of the L2-normalised
        chroma vectors (a 12-class chroma filterbank on the power spectrum) of target and prediction.
    """

    kind: str = "vae"
    conv_filters: Tuple[int, ...] = (16, 32, 64, 128)
    conv_kernels: Tuple[Union[int, Tuple[int, int]], ...] = (3, 3, 3, (3, 5))
    conv_strides: Tuple[Tuple[int, int], ...] = ((2, 2), (2, 2), (2, 2), (2, 4))
    latent_dim: int = 128
    bottleneck: str = "conv"
    activation: str = "leaky_relu"
    batch_norm: bool = False
    beta: float = 1e-6
    reconstruction_weight: float = 1.0
    loss: str = "mel"
    mel_bands: int = 80
    l1_weight: float = 0.1
    freq_bias: bool = True
    bins_as_channels: bool = False
    spectral_weight: float = 0.0
    spectral_pools: Tuple[int, ...] = (1, 2, 4, 8)
    semitone_weight: float = 1.0
    chroma_weight: float = 0.5

    def __post_init__(self) -> None:
        _check_types(self)
        # JSON gives lists; store tuples so the config stays hashable and comparable.
        object.__setattr__(self, "conv_filters", tuple(int(f) for f in self.conv_filters))
        object.__setattr__(self, "conv_kernels", tuple(
            int(k) if isinstance(k, (int, float)) else tuple(int(v) for v in k) for k in self.conv_kernels))
        object.__setattr__(self, "conv_strides", tuple(
            (int(s), int(s)) if isinstance(s, (int, float)) else tuple(int(v) for v in s)
            for s in self.conv_strides))
        require(self.kind in ("vae", "autoencoder"), f"kind must be 'vae' or 'autoencoder', got {self.kind!r}")
        n = len(self.conv_filters)
        layers = LIMITS["conv_layers"][0]
        require(1 <= n <= layers, f"conv_filters must list 1 to {layers} layers, got {n}")
        require(len(self.conv_kernels) == n and len(self.conv_strides) == n,
               f"conv_filters, conv_kernels and conv_strides must have the same length, got "
               f"{n}, {len(self.conv_kernels)} and {len(self.conv_strides)}")
        kernel_sides = [v for k in self.conv_kernels for v in (k if isinstance(k, tuple) else (k,))]
        require(all(len(k) == 2 for k in self.conv_kernels if isinstance(k, tuple)),
                f"conv_kernels must be integers or (frequency, time) pairs, got {self.conv_kernels}")
        for name, values, limit in (("conv_filters", self.conv_filters, "conv_filters"),
                                    ("conv_kernels", kernel_sides, "conv_kernel")):
            for value in values:
                check_integer(value, name, minimum=1, limit=limit,
                              what=f"integers >= 1 and <= {LIMITS[limit][0]}")
        stride = LIMITS["conv_stride"][0]
        require(all(len(s) == 2 and 0 < s[0] <= stride and 0 < s[1] <= stride for s in self.conv_strides),
               f"conv_strides must be positive (frequency, time) pairs <= {stride}, got {self.conv_strides}")
        check_integer(self.latent_dim, "latent_dim", minimum=1, limit="latent_dim")
        require(self.bottleneck in ("conv", "dense"), f"bottleneck must be 'conv' or 'dense', got {self.bottleneck!r}")
        require(self.activation in ACTIVATIONS, f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        check_number(self.beta, "beta", minimum=0, limit="weight")
        check_number(self.reconstruction_weight, "reconstruction_weight", minimum=0, exclusive_minimum=True,
                     limit="weight")
        require(self.loss in LOSSES, f"loss must be one of {LOSSES}, got {self.loss!r}")
        check_integer(self.mel_bands, "mel_bands", minimum=1, limit="mel_bands")
        check_number(self.l1_weight, "l1_weight", minimum=0, limit="weight")
        check_number(self.spectral_weight, "spectral_weight", minimum=0, limit="weight")
        object.__setattr__(self, "spectral_pools", tuple(int(p) for p in self.spectral_pools))
        require(len(self.spectral_pools) >= 1 and all(p >= 1 for p in self.spectral_pools),
                f"spectral_pools must list at least one size >= 1, got {self.spectral_pools}")
        check_number(self.semitone_weight, "semitone_weight", minimum=0, limit="weight")
        check_number(self.chroma_weight, "chroma_weight", minimum=0, limit="weight")


@dataclass(frozen=True)
class TrainConfig:
    """Training settings.

    Parameters
    ----------
    epochs, batch_size : int
    learning_rate : float
    seed : int
        Seeds weights, shuffling and sampling: the same seed gives the same run on the same machine.
    patience : int
        Epochs without validation improvement before early stopping (0 disables it).
    mixed_precision : {"auto", "on", "off"}
        ``"auto"`` uses float16 compute on a GPU where the backend supports it.
    distribution : {"auto", "none", "mirrored", "multi_worker", "data_parallel"}
        ``"auto"`` spreads over all local GPUs when there are several.
    max_train_segments : int or None
        Cap on segments per epoch (None: all).
    random_crops : bool
        Train on windows at random frames of the songs (a new set every epoch) instead of the fixed
        segments; validation always uses the fixed segments. On real music this alone took the mel
        distance of unseen songs from 0.289 to 0.278 (see the README's design table).
    lr_patience : int
        Epochs without validation progress before the learning rate is halved (down to 1/32 of
        ``learning_rate``; 0: a constant learning rate). Keep it below ``patience``.
    minutes : float or None
        Wall-time budget of training, in minutes: training stops once it has run this long, whatever
        ``epochs`` says, and keeps the best-on-validation weights, as early stopping does (None: no budget).
        With a budget, ``epochs`` and ``patience`` are upper bounds and validation decides when to stop.
    ema : float
        Momentum of an exponential moving average of the weights (Polyak averaging, Keras' ``use_ema``), in
        [0, 1): validation, the best-model tracker and the saved model use the averaged weights, training
        goes on with the raw ones. 0: off.
    weight_decay : float
        Decoupled weight decay (AdamW): every step shrinks the weights by ``learning_rate * weight_decay``
        of themselves, a pull towards small weights against over-fitting a small corpus. 0: plain Adam.
    """

    epochs: int = 150
    batch_size: int = 16
    learning_rate: float = 2e-3
    seed: int = 0
    patience: int = 15
    mixed_precision: str = "auto"
    distribution: str = "auto"
    max_train_segments: Optional[int] = None
    random_crops: bool = True
    minutes: Optional[float] = 30.0
    lr_patience: int = 5
    ema: float = 0.0
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        _check_types(self)
        check_seed(self.seed)
        if self.max_train_segments is not None:
            check_integer(self.max_train_segments, "max_train_segments", minimum=1, limit="max_train_segments",
                          what=f"None (all) or an integer >= 1 and <= {LIMITS['max_train_segments'][0]}")
        check_integer(self.epochs, "epochs", minimum=1, limit="epochs")
        check_integer(self.batch_size, "batch_size", minimum=1, limit="batch_size")
        check_number(self.learning_rate, "learning_rate", minimum=0, exclusive_minimum=True, limit="learning_rate")
        check_integer(self.patience, "patience", minimum=0, limit="patience")
        require(self.minutes is None or (isinstance(self.minutes, (int, float)) and 0 < self.minutes <= 60 * 24 * 365),
                f"minutes must be None (no budget) or > 0, got {self.minutes!r}")
        check_integer(self.lr_patience, "lr_patience", minimum=0, limit="patience")
        require(0 <= self.ema < 1, f"ema must be a number in [0, 1) (0: no weight averaging), got {self.ema!r}")
        check_number(self.weight_decay, "weight_decay", minimum=0, limit="weight")
        require(self.mixed_precision in ("auto", "on", "off"),
               f"mixed_precision must be 'auto', 'on' or 'off', got {self.mixed_precision!r}")
        require(self.distribution in ("auto", "none", "mirrored", "multi_worker", "data_parallel"),
               f"distribution must be one of auto/none/mirrored/multi_worker/data_parallel, got {self.distribution!r}")


_SECTIONS = {
    "audio": AudioConfig,
    "spectrogram": SpectrogramConfig,
    "split": SplitConfig,
    "model": ModelConfig,
    "train": TrainConfig,
}


def check_settings(section: type, names, where: Optional[str] = None) -> None:
    """The one check that every name is a setting of ``section`` (a config dataclass such as
    :class:`ModelConfig`): config files, :meth:`GenmusicConfig.replace`, the model classes and the presets.

    Raises
    ------
    ParameterError
        Naming the unknown settings and the known ones.
    """
    known = {f.name for f in dataclasses.fields(section)}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ParameterError(f"{where or section.__name__}: unknown setting(s) {unknown}; known settings are "
                             f"{sorted(known)}")


def _from_dict(cls, data: dict, where: Optional[str]):
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ParameterError(f"{where}: section must be a JSON object, got {type(data).__name__}")
    check_settings(cls, data, where)
    try:
        return cls(**data)
    except ParameterError as exc:
        if where is None:
            raise
        raise ParameterError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class GenmusicConfig:
    """Every setting of a genmusic run, saved as JSON beside spectrograms and models.

    Examples
    --------
    >>> cfg = GenmusicConfig().replace(spectrogram={"hop_length": 512})
    >>> GenmusicConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    audio: AudioConfig = field(default_factory=AudioConfig)
    spectrogram: SpectrogramConfig = field(default_factory=SpectrogramConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"genmusic_config_version": CONFIG_VERSION}
        for name in _SECTIONS:
            out[name] = dataclasses.asdict(getattr(self, name))
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict, *, where: str = "config") -> "GenmusicConfig":
        if not isinstance(data, dict):
            raise ParameterError(f"{where}: expected a JSON object, got {type(data).__name__}")
        version = data.get("genmusic_config_version", CONFIG_VERSION)
        if version != CONFIG_VERSION:
            raise ParameterError(f"{where}: config version {version} is not supported by this genmusic "
                                 f"(it reads version {CONFIG_VERSION}); re-create it with this version")
        unknown = sorted(set(data) - set(_SECTIONS) - {"genmusic_config_version"})
        if unknown:
            raise ParameterError(f"{where}: unknown section(s) {unknown}; known sections are {sorted(_SECTIONS)}")
        return cls(**{name: _from_dict(kind, data.get(name), f"{where} [{name}]")
                      for name, kind in _SECTIONS.items()})

    @staticmethod
    def read_json(path: str | os.PathLike) -> dict:
        """The JSON object in a config file, unchecked (:meth:`from_dict` checks it).

        Raises
        ------
        ParameterError
            The file is missing, not UTF-8 text (a binary file), not JSON, or not a JSON object.
        """
        path = Path(path)
        if not path.is_file():
            raise ParameterError(f"config file {path} does not exist")
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise ParameterError(f"{path}: not a text file (a config is a JSON file)") from None
        except json.JSONDecodeError as exc:
            raise ParameterError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ParameterError(f"{path}: expected a JSON object, got {type(data).__name__}")
        return data

    def save(self, path: str | os.PathLike) -> Path:
        """Write the config as JSON (atomically) and return the path."""
        return atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "GenmusicConfig":
        """Read a config written by :meth:`save` (or a hand-written partial one)."""
        return cls.from_dict(cls.read_json(path), where=str(path))

    def replace(self, **sections: Any) -> "GenmusicConfig":
        """Return a copy with some settings changed.

        Each keyword is a section name and its value either a section object or a dict of the
        settings to change, e.g. ``cfg.replace(model={"latent_dim": 64})``.
        """
        changes = {}
        for name, value in sections.items():
            if name not in _SECTIONS:
                raise ParameterError(f"unknown config section {name!r}; known sections are {sorted(_SECTIONS)}")
            if isinstance(value, dict):
                value = _from_dict(_SECTIONS[name], {**dataclasses.asdict(getattr(self, name)), **value}, None)
            changes[name] = value
        return dataclasses.replace(self, **changes)


#: The settings :func:`check_compatible` compares in each section (audio: the ones that change the
#: spectrograms; offset and duration only choose which part of a file is read).
_COMPARED = {"audio": ("sample_rate", "mono"),
             "spectrogram": tuple(f.name for f in dataclasses.fields(SpectrogramConfig)),
             "model": tuple(f.name for f in dataclasses.fields(ModelConfig))}


def check_compatible(model, data: GenmusicConfig, *, model_name: str = "the model",
                     data_name: str = "the spectrograms", labels: Tuple[str, str] = ("model", "spectrograms"),
                     sections: Sequence[str] = ("audio", "spectrogram"), fix: Optional[str] = None) -> None:
    """Refuse a model and spectrograms (or a config) made with settings that do not match.

    A model reads spectrograms of one exact shape and scale: the sample rate, mono mixing and every
    spectrogram setting (FFT size, hop, segment length, dB floor, window) must agree.

    Parameters
    ----------
    model : GenmusicConfig or model
        The model's settings; or a model object, of which ``spectrogram_shape`` is known and, for a model
        whose ``"mel"`` loss reads them, the ``sample_rate`` and ``db_range`` it was built with (a model
        built by hand keeps ``AudioConfig()``'s rate and ``SpectrogramConfig()``'s 120 dB unless told
        otherwise: ``VAE.from_config(config)`` takes them from a config or a store).
    data : GenmusicConfig
        The settings of the spectrograms (a store's config) or of a config given with the model.
    model_name, data_name : str
        How the message names the two (a model folder, a store folder).
    labels : (str, str)
        How the message marks each side's values.
    sections : sequence of {"audio", "spectrogram", "model"}
        What must agree (with a model object: the segment shape only).
    fix : str, optional
        The advice that ends the message.

    Raises
    ------
    SettingsMismatchError
        Naming both, every setting that differs with its two values, and the segment shapes.
    """
    mine, theirs = labels
    shape_d = data.spectrogram.segment_shape
    if not isinstance(model, GenmusicConfig):
        shape_m = getattr(model, "spectrogram_shape", None)
        if shape_m is not None and tuple(shape_m) != tuple(shape_d):
            fix = fix or f"use the {theirs} the model was made with"
            raise SettingsMismatchError(f"{model_name} reads spectrograms of shape {tuple(shape_m)} but {data_name} "
                                        f"holds segments of shape {tuple(shape_d)}; {fix}")
        _check_model_scale(model, data, model_name, data_name, labels)
        return
    diffs = []
    for section in sections:
        a, b = getattr(model, section), getattr(data, section)
        for name in _COMPARED[section]:
            va, vb = getattr(a, name), getattr(b, name)
            if va != vb:
                diffs.append(f"{section}.{name}: {va!r} ({mine}) vs {vb!r} ({theirs})")
    if diffs:
        shape_m = model.spectrogram.segment_shape
        fix = fix or (f"use {theirs} made with the {mine}'s settings (its genmusic.json), or preprocess the audio "
                      f"again with them")
        raise SettingsMismatchError(
            f"{model_name} and {data_name} were made with different settings ({'; '.join(diffs)}; segment shape "
            f"{shape_m} at {model.audio.sample_rate} Hz vs {shape_d} at {data.audio.sample_rate} Hz). {fix}")


def _check_model_scale(model, data: GenmusicConfig, model_name: str, data_name: str, labels: Tuple[str, str]) -> None:
    """The sample rate and dB range a model's ``"mel"`` loss reads spectrograms with must be the data's: a model
    built for 120 dB and fed a store made with ``top_db=80`` would weigh every error by the wrong scale."""
    model_config = getattr(model, "model_config", None)
    if getattr(model_config, "loss", None) != "mel":
        return  # only the mel loss reads them (models saved before these settings existed use "mse")
    mine, theirs = labels
    diffs = [f"{name}: {getattr(model, attr)!r} ({mine}) vs {want!r} ({theirs})"
             for name, attr, want in (("sample_rate", "sample_rate", data.audio.sample_rate),
                                      ("dB range (spectrogram.top_db)", "db_range", data.spectrogram.top_db))
             if getattr(model, attr, want) != want]
    if diffs:
        raise SettingsMismatchError(
            f"{model_name} was built for spectrograms of another scale than {data_name} ({'; '.join(diffs)}): its "
            f"mel loss reads them with the model's values, so training on them weighs every error wrongly. Build the "
            f"model from the data's settings: "
            f"{type(model).__name__}.from_config(config_or_store, ...), or pass sample_rate=... and db_range=... "
            f"(the config's audio.sample_rate and spectrogram.top_db)")
