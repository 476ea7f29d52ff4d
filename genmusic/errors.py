"""Exceptions raised for user errors.

Every error a user can cause (a bad file, a bad parameter, a model folder from another version) is a
:class:`GenmusicError`, so callers can catch one type. Messages name the file or parameter, the value
found, and the fix.
"""

from __future__ import annotations

__all__ = [
    "GenmusicError",
    "ParameterError",
    "AudioLoadError",
    "DataError",
    "ModelFolderError",
    "SettingsMismatchError",
    "TrainingError",
    "OutputError",
    "FolderLockedError",
    "InstalledModelError",
]


class GenmusicError(Exception):
    """Base class of every error genmusic raises for bad input."""


class ParameterError(GenmusicError, ValueError):
    """A parameter has a value that cannot work; the message names it and its value.

    ``parameter`` is the parameter's name when the message starts with it (the checks of
    :mod:`genmusic._checks` set it), so that a command can name its own option instead.
    """

    def __init__(self, message: str = "", parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class AudioLoadError(GenmusicError):
    """An audio file cannot be decoded or holds no usable signal; the message names the file."""


class DataError(GenmusicError):
    """A spectrogram store (folder, manifest, shapes) is missing or inconsistent."""


class ModelFolderError(GenmusicError):
    """A model folder is missing, incomplete, or written by an incompatible version or config."""


class SettingsMismatchError(GenmusicError, ValueError):
    """A model and spectrograms (or a config) made with settings that do not match; the message names both
    and every setting that differs (raised by :func:`genmusic.config.check_compatible` only)."""


class TrainingError(GenmusicError):
    """Training cannot go on (for example the loss became NaN); the last good checkpoint is kept."""


class OutputError(GenmusicError):
    """Writing an output failed (disk full, read-only folder, no permission): the message names the path and
    the system's reason. The inputs are not at fault; the run stops and leaves no temporary file."""


class FolderLockedError(OutputError):
    """Another genmusic run is writing to the same folder; the message names its lock file and owner."""


class InstalledModelError(ModelFolderError):
    """A run would write into a model installed with genmusic (``genmusic models``), which genmusic never
    changes; the message names it and the copy to make instead."""
