"""The one validator: checks every public function runs on its arguments before working.

Each check raises :class:`~genmusic.errors.ParameterError` with a message that names the parameter, the
value (or shape, or dtype) found and what was expected, and returns the value in the form the caller
computes with. Like librosa's ``util.valid_audio``, a check is a function the caller runs first, not a
decorator.

* scalars: :func:`require`, :func:`is_integer`, :func:`check_integer`, :func:`check_number`,
  :func:`check_choice`;
* arrays: :func:`valid_array` (the general one), :func:`valid_audio` (signals), :func:`valid_matrix`
  (feature matrices), :func:`valid_labels` (one label per row);
* STFT settings: :func:`check_stft`;
* configs: :func:`check_config` (a class that takes a config was given something else).
* :data:`LIMITS`: the upper bound of every size a user can type (an option of a command, a setting of a
  config file, an argument of a public function), given to the checks as ``limit=``: beyond it a request is
  a typo, or would run for days or fill the memory, and is refused with the bound in the message.

This module imports only :mod:`genmusic.errors`.
"""

from __future__ import annotations

import math
import os
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import ParameterError

__all__ = ["require", "is_integer", "check_integer", "MAX_SEED", "check_seed", "check_number", "check_choice", "valid_array", "valid_audio",
           "valid_matrix", "valid_labels", "check_stft", "LIMITS", "MAX_SECONDS", "format_limit",
           "check_config", "env_seconds"]

#: Longest audio genmusic reads or makes in one piece, in seconds (6 hours). Memory does not limit it (long
#: audio is processed in blocks), but a request beyond it is a typo or a damaged header, and is refused.
MAX_SECONDS = 6 * 3600

#: The upper bound of every size a user can type: name -> (largest value, what it bounds and why). The checks
#: take a name of this table as ``limit=``; the README's Reliability section lists it.
LIMITS = {
    "sample_rate": (384_000, "sample rates in Hz: the highest rate audio interfaces record"),
    "seconds": (MAX_SECONDS, "seconds of audio read or made in one piece, 6 hours: make longer ones in parts"),
    "n_fft": (65_536, "samples per STFT frame"),
    "segment_frames": (8_192, "STFT frames per segment"),
    "segment_values": (1 << 24, "values of one segment's spectrogram, n_fft / 2 x segment_frames, 64 MB as float32"),
    "top_db": (400, "dB of dynamic range kept below each file's peak"),
    "amin": (0.1, "the smallest magnitude before the log, whose 20 log10 is the dB floor"),
    "channels": (64, "channels an audio file's header may declare"),
    "workers": (1_024, "processes, or CPUs of a Ray instance started here"),
    "batch_size": (4_096, "segments per batch"),
    "epochs": (100_000, "epochs of one training run"),
    "patience": (100_000, "epochs without progress before early stopping"),
    "learning_rate": (1.0, "Adam's step size"),
    "max_train_segments": (1_000_000_000, "segments per epoch"),
    "latent_dim": (65_536, "latent floats per segment"),
    "conv_layers": (16, "convolutions of the encoder"),
    "conv_filters": (4_096, "filters of one convolution"),
    "conv_kernel": (63, "side of a convolution kernel"),
    "conv_stride": (16, "stride of a convolution"),
    "mel_bands": (1_024, "mel bands of the loss"),
    "weight": (1e6, "a loss weight: beta, reconstruction_weight, l1_weight"),
    "n": (1_000, "outputs of one generate run"),
    "steps": (1_000, "points of an interpolation, one output each"),
    "temperature": (10.0, "standard deviations of a prior draw; beyond it the decoder only saturates"),
    "sigma": (100.0, "standard deviation of the noise added to latents"),
    "factor": (100.0, "the factor latents are scaled by, either sign"),
    "width": (1_000, "segments averaged by smooth"),
    "n_iter": (10_000, "Griffin-Lim iterations"),
    "components": (64, "mixture components per genre of the prior"),
    "exemplars": (100_000, "segment latents kept per genre as the prior's kernel centres"),
    "context_frames": (4_096, "latent frames the sequence model reads"),
    "hidden": (4_096, "units of the sequence model"),
    "songs_per_genre": (1_000, "songs per genre of the embedded dataset"),
    "song_seconds": (600, "seconds per song of the embedded dataset"),
    "max_eval_songs": (10_000, "songs evaluated or given clips in a report"),
    "clip_seconds": (600, "seconds of a report's clip"),
    "pieces_per_genre": (100, "pieces per genre in a report"),
    "piece_segments": (1_000, "segments per piece in a report"),
    "draws": (1_000_000, "prior draws sorted into genres"),
    "latent_factor": (64.0, "a latent-size factor of the sweep"),
    "sweep_sizes": (64, "latent sizes of one sweep, one model each"),
}


def format_limit(value) -> str:
    """A bound as the messages and the README write it: ``384000``, ``0.1``, ``1e+06``."""
    return str(value) if is_integer(value) else f"{value:g}"


def _limit(limit: Optional[str], maximum):
    if limit is None:
        return maximum, ""
    bound, why = LIMITS[limit]
    return (bound if maximum is None else min(maximum, bound)), f"; {format_limit(bound)} is genmusic's bound on {why}"


def require(condition: bool, message: str) -> None:
    """Raise ``ParameterError(message)`` unless ``condition`` holds."""
    if not condition:
        raise ParameterError(message)


def is_integer(value: Any) -> bool:
    """True for Python and NumPy integers, False for ``bool`` (which Python counts as an int)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_integer(value: Any, name: str, *, minimum: Optional[int] = None, maximum: Optional[int] = None,
                  allow_none: bool = False, what: Optional[str] = None, limit: Optional[str] = None,
                  noun: str = "an integer") -> Optional[int]:
    """Check an integer argument and return it as ``int`` (or None when ``allow_none``).

    Parameters
    ----------
    value
        The argument. ``bool`` and floats are refused, NumPy integers accepted.
    name : str
        The parameter's name, as the caller's signature spells it.
    minimum, maximum : int, optional
        Inclusive bounds.
    allow_none : bool
        Accept None (returned as None).
    what : str, optional
        What the value must be, in words, instead of ``"an integer >= minimum"``.
    limit : str, optional
        A name of :data:`LIMITS`: its bound is the ``maximum`` (or lowers it), and the message says what it
        bounds.
    noun : str
        What the value is, in words (``"an even integer"``).

    Examples
    --------
    >>> check_integer(3, "n", minimum=1)
    3
    >>> check_integer(0, "n", minimum=1)
    Traceback (most recent call last):
    ...
    genmusic.errors.ParameterError: n must be an integer >= 1, got 0
    """
    if value is None and allow_none:
        return None
    maximum, why = _limit(limit, maximum)
    ok = is_integer(value) and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        if what is None:
            bounds = [f">= {minimum}"] if minimum is not None else []
            bounds += [f"<= {maximum}"] if maximum is not None else []
            what = " ".join([noun, " and ".join(bounds)]).rstrip()
        raise ParameterError(f"{name} must be {'None or ' if allow_none else ''}{what}, got {value!r}{why}",
                             parameter=name)
    return int(value)


#: Largest seed (seeds are unsigned 32-bit integers, as NumPy and Keras take them).
MAX_SEED = 2 ** 32 - 1


def check_seed(seed: Any, name: str = "seed", *, allow_none: bool = False) -> Optional[int]:
    """The seed rule, one copy: an integer in ``[0, MAX_SEED]`` (None when ``allow_none``).

    Examples
    --------
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    genmusic.errors.ParameterError: seed must be an integer >= 0 and <= 4294967295, got -1
    """
    return check_integer(seed, name, minimum=0, maximum=MAX_SEED, allow_none=allow_none)


def check_number(value: Any, name: str, *, minimum: Optional[float] = None, exclusive_minimum: bool = False,
                 maximum: Optional[float] = None, exclusive_maximum: bool = False, allow_none: bool = False,
                 what: Optional[str] = None, limit: Optional[str] = None,
                 noun: str = "a finite number") -> Optional[float]:
    """Check a finite real number (int or float, not bool) and return it as ``float``.

    Parameters
    ----------
    minimum, maximum : float, optional
        Bounds, inclusive unless ``exclusive_minimum`` / ``exclusive_maximum``.
    allow_none : bool
        Accept None (returned as None).
    what : str, optional
        What the value must be, in words, instead of ``"a finite number >= minimum"``.
    limit : str, optional
        A name of :data:`LIMITS` (see :func:`check_integer`).
    noun : str
        What the value is, in words (``"a number of seconds"``).

    Examples
    --------
    >>> check_number(-0.5, "momentum", minimum=0)
    Traceback (most recent call last):
    ...
    genmusic.errors.ParameterError: momentum must be a finite number >= 0, got -0.5
    """
    if value is None and allow_none:
        return None
    maximum, why = _limit(limit, maximum)
    ok = (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
          and math.isfinite(value))
    if ok and minimum is not None:
        ok = value > minimum if exclusive_minimum else value >= minimum
    if ok and maximum is not None:
        ok = value < maximum if exclusive_maximum else value <= maximum
    if not ok:
        if what is None:
            parts = []
            if minimum is not None:
                parts.append(f"{'>' if exclusive_minimum else '>='} {minimum:g}")
            if maximum is not None:
                parts.append(f"{'<' if exclusive_maximum else '<='} {maximum:g}")
            what = noun + (" " + " and ".join(parts) if parts else "")
        raise ParameterError(f"{name} must be {'None or ' if allow_none else ''}{what}, got {value!r}{why}",
                             parameter=name)
    return float(value)


def check_choice(value: Any, name: str, choices: Sequence) -> Any:
    """Check that ``value`` is one of ``choices`` and return it."""
    if value not in tuple(choices):
        raise ParameterError(f"{name} must be one of {tuple(choices)}, got {value!r}", parameter=name)
    return value


def valid_array(x: Any, name: str, *, ndim: Union[int, Tuple[int, ...], None] = None, shape: str = "",
                floating: bool = False, dtype=None, allow_empty: bool = False) -> np.ndarray:
    """Check an array of real, finite numbers and return it (as ``dtype`` when given).

    Parameters
    ----------
    x : array-like
    name : str
        The parameter's name.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    shape : str
        How the expected shape reads in the message, e.g. ``"a 1-D signal"`` or
        ``"a 2-D array (n_samples, n_features)"``.
    floating : bool
        Require a floating-point dtype (otherwise integers are accepted too).
    dtype : numpy dtype, optional
        Returned as this dtype.
    allow_empty : bool
        Accept arrays with no elements.

    Raises
    ------
    ParameterError
        Wrong number of dimensions, a non-real dtype (complex, strings, objects), no elements, or NaN / inf.
    """
    arr = np.asarray(x)
    if ndim is not None and arr.ndim not in ((ndim,) if isinstance(ndim, int) else tuple(ndim)):
        raise ParameterError(f"{name} must be {shape or f'{ndim}-D'}, got an array of shape {arr.shape}")
    real = np.issubdtype(arr.dtype, np.floating) or (not floating and np.issubdtype(arr.dtype, np.integer)
                                                    and arr.dtype != np.bool_)
    if not real:
        kind = "floating-point" if floating else "real"
        raise ParameterError(f"{name} must hold {kind} numbers, got dtype {arr.dtype}")
    if arr.size == 0 and not allow_empty:
        raise ParameterError(f"{name} is empty (shape {arr.shape}); give at least one value")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        raise ParameterError(f"{name} holds NaN or inf values ({int(arr.size - np.count_nonzero(finite))} "
                             f"of {arr.size})")
    return arr


def valid_audio(y: Any, *, mono: bool = True, name: str = "audio") -> np.ndarray:
    """Check a signal: floating point, ``(n,)`` (or ``(channels, n)`` unless ``mono``), samples, no NaN/inf.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (channels, n)]
    mono : bool
        Require a one-dimensional signal.
    name : str
        What to call the signal (a file name) in messages.

    Returns
    -------
    np.ndarray, float32, same shape

    Raises
    ------
    ParameterError
        Naming the signal and what is wrong with it.
    """
    shape = "a mono signal of shape (n,)" if mono else "a signal of shape (n,) or (channels, n)"
    return valid_array(y, name, ndim=1 if mono else (1, 2), shape=shape, floating=True, dtype=np.float32)


def valid_matrix(X: Any, name: str = "X", *, min_rows: int = 0) -> np.ndarray:
    """Check a feature matrix ``(n_samples, n_features)`` of finite real numbers; return it as float64."""
    X = valid_array(X, name, ndim=2, shape="a 2-D array (n_samples, n_features)", dtype=np.float64,
                    allow_empty=True)
    require(X.shape[0] >= min_rows, f"{name} needs at least {min_rows} row(s), got {X.shape[0]}")
    return X


def valid_labels(y: Any, n: int, name: str) -> np.ndarray:
    """Check a 1-D array of ``n`` labels (any dtype: one per row of a matrix) and return it."""
    y = np.asarray(y)
    require(y.ndim == 1 and y.shape[0] == n,
            f"{name} must be a 1-D array of {n} labels (one per row), got shape {y.shape}")
    return y


def check_stft(n_fft: Any, hop_length: Any) -> Tuple[int, int]:
    """Check an STFT size and hop: ``n_fft >= 2`` and ``0 < hop_length <= n_fft``, both integers."""
    n_fft = check_integer(n_fft, "n_fft", minimum=2)
    hop_length = check_integer(hop_length, "hop_length", what=f"an integer in (0, n_fft={n_fft}]",
                               minimum=1, maximum=n_fft)
    return n_fft, hop_length


def check_config(value: Any, cls: type, owner: str, *, example: str = "", tutorial: str = "",
                 allow_none: bool = True) -> Any:
    """Check that ``owner`` was given a ``cls`` (a config dataclass such as ``AudioConfig``) and return it.

    ``Loader(22050)`` would otherwise be accepted and fail later, far from the call, with an
    ``AttributeError``.

    Parameters
    ----------
    value
        The argument (None: ``cls()``, when ``allow_none``).
    cls : type
        The config class ``owner`` takes.
    owner : str
        What takes it, as the user calls it: ``"Loader"``, ``"PreprocessingPipeline(config)"``.
    example : str
        A right call, shown in the message (``"Loader(AudioConfig(sample_rate=22050))"``).
    tutorial : str
        The class of :mod:`genmusic.tutorial` that takes the tutorial's arguments, when there is one.

    Examples
    --------
    >>> from genmusic.config import AudioConfig
    >>> check_config(22050, AudioConfig, "Loader", example="Loader(AudioConfig(sample_rate=22050))")
    Traceback (most recent call last):
    ...
    genmusic.errors.ParameterError: Loader takes an AudioConfig, got 22050 (int): Loader(AudioConfig(sample_rate=22050))
    """
    if value is None and allow_none:
        return cls()
    if isinstance(value, cls):
        return value
    article = "an" if cls.__name__[0] in "AEIOU" else "a"
    message = f"{owner} takes {article} {cls.__name__}, got {value!r} ({type(value).__name__})"
    if example:
        message += f": {example}"
    if tutorial:
        message += f"; the tutorial's call is {tutorial}"
    raise ParameterError(message)


def env_seconds(name: str, default: float) -> float:
    """Seconds from the environment variable ``name`` (a number > 0), or ``default`` when it is not set.

    Raises
    ------
    ParameterError
        The variable holds anything but a finite number of seconds > 0.
    """
    value = os.environ.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ParameterError(f"{name} must be a number of seconds > 0, got {value!r}")
    return seconds
