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

This module imports only :mod:`genmusic.errors`.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import ParameterError

__all__ = ["require", "is_integer", "check_integer", "MAX_SEED", "check_seed", "check_number", "check_choice", "valid_array", "valid_audio",
           "valid_matrix", "valid_labels", "check_stft", "check_config"]


def require(condition: bool, message: str) -> None:
    """Raise ``ParameterError(message)`` unless ``condition`` holds."""
    if not condition:
        raise ParameterError(message)


def is_integer(value: Any) -> bool:
    """True for Python and NumPy integers, False for ``bool`` (which Python counts as an int)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_integer(value: Any, name: str, *, minimum: Optional[int] = None, maximum: Optional[int] = None,
                  allow_none: bool = False, what: Optional[str] = None) -> Optional[int]:
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
    ok = is_integer(value) and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        if what is None:
            bounds = [f">= {minimum}"] if minimum is not None else []
            bounds += [f"<= {maximum}"] if maximum is not None else []
            what = " ".join(["an integer", " and ".join(bounds)]).rstrip()
        raise ParameterError(f"{name} must be {'None or ' if allow_none else ''}{what}, got {value!r}")
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
                 what: Optional[str] = None) -> Optional[float]:
    """Check a finite real number (int or float, not bool) and return it as ``float``.

    Parameters
    ----------
    minimum, maximum : float, optional
        Bounds, inclusive unless ``exclusive_minimum`` / ``exclusive_maximum``.
    allow_none : bool
        Accept None (returned as None).
    what : str, optional
        What the value must be, in words, instead of ``"a finite number >= minimum"``.

    Examples
    --------
    >>> check_number(-0.5, "momentum", minimum=0)
    Traceback (most recent call last):
    ...
    genmusic.errors.ParameterError: momentum must be a finite number >= 0, got -0.5
    """
    if value is None and allow_none:
        return None
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
            what = "a finite number" + (" " + " and ".join(parts) if parts else "")
        raise ParameterError(f"{name} must be {'None or ' if allow_none else ''}{what}, got {value!r}")
    return float(value)


def check_choice(value: Any, name: str, choices: Sequence) -> Any:
    """Check that ``value`` is one of ``choices`` and return it."""
    if value not in tuple(choices):
        raise ParameterError(f"{name} must be one of {tuple(choices)}, got {value!r}")
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
