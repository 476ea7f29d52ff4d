"""Audio in and out: :class:`Loader`, :class:`Padder`, :func:`write_audio` / :func:`write_wav`.

``Loader`` turns any file that soundfile (WAV, FLAC, OGG, MP3 with libsndfile >= 1.1) or librosa's
fallback decoders read into a float32 mono signal at the configured rate. ``Padder`` fixes its length,
and :func:`pad_to_segments` pads a song to a whole number of segments so that consecutive segments
cover every sample. :func:`write_wav` writes a signal back atomically as a 32-bit float WAV, at its own
level (:func:`peak_normalise` only when asked); :func:`write_audio` also writes compressed OGG Vorbis (the
report's players), scaled down only where that format would clip (:func:`prevent_clipping`).
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np

from ._checks import check_integer, valid_array, valid_audio
from ._io import atomic_write
from .config import AudioConfig, SpectrogramConfig
from .errors import AudioLoadError, ParameterError

__all__ = ["Loader", "Padder", "n_segments_for", "pad_to_segments", "peak_normalise", "prevent_clipping",
           "level_info", "write_audio", "write_wav", "AUDIO_EXTENSIONS", "PEAK_TARGET_DBFS", "MAX_SECONDS",
           "COMPRESSED"]

#: File extensions the pipeline looks for when it walks a folder.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au", ".m4a", ".opus")

#: Longest audio genmusic reads or makes in one piece, in seconds (6 hours). Memory does not limit it (long
#: audio is processed in blocks), but a request beyond it is a typo or a damaged header, and is refused.
MAX_SECONDS = 6 * 3600.0

#: Peak of a signal after :func:`peak_normalise` (``write_wav(..., normalise_peak=True)``), in dB below full scale.
PEAK_TARGET_DBFS = -1.0

#: Container, encoding and file suffix of compressed audio (:func:`write_audio`): OGG Vorbis, which every
#: current browser plays and libsndfile writes without extra software.
COMPRESSED = {"format": "OGG", "subtype": "VORBIS", "suffix": ".ogg"}

#: Container, encoding and file suffix of compressed audio (:func:`write_audio`): OGG Vorbis, which every
#: current browser plays and libsndfile writes without extra software.
COMPRESSED = {"format": "OGG", "subtype": "VORBIS", "suffix": ".ogg"}


class Loader:
    """Decode an audio file to a float32 signal at ``config.sample_rate``.

    Parameters
    ----------
    config : AudioConfig

    Examples
    --------
    >>> y = Loader(AudioConfig(sample_rate=22050)).load("song.flac")  # doctest: +SKIP
    """

    def __init__(self, config: Optional[AudioConfig] = None) -> None:
        self.config = config or AudioConfig()

    def load(self, path: str | os.PathLike, *, offset: Optional[float] = None,
             duration: Optional[float] = None) -> np.ndarray:
        """Decode ``path``.

        Parameters
        ----------
        path : path-like
        offset, duration : float, optional
            Override the config's offset / duration, in seconds.

        Returns
        -------
        y : np.ndarray [shape=(n,), dtype=float32] if ``config.mono`` else [shape=(channels, n)]

        Raises
        ------
        AudioLoadError
            The file is missing, empty, not audio, decodes to no samples, or holds NaN/inf.
        """
        path = Path(path)
        cfg = self.config
        offset = cfg.offset if offset is None else offset
        duration = cfg.duration if duration is None else duration
        if not path.is_file():
            raise AudioLoadError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise AudioLoadError(f"{path}: the file is empty (0 bytes)")
        y, sr = self._decode(path, offset, duration)
        y = np.asarray(y, dtype=np.float32)
        if y.ndim == 2 and cfg.mono:
            y = y.mean(axis=0)
        if y.shape[-1] == 0:
            raise AudioLoadError(f"{path}: decoded to no samples (offset {offset} s may be past the end)")
        try:
            y = valid_audio(y, mono=cfg.mono, name=f"{path}: the signal")
        except ParameterError as exc:  # the file, not an argument, is at fault
            raise AudioLoadError(str(exc)) from None
        if sr != cfg.sample_rate:
            import librosa

            y = librosa.resample(y, orig_sr=sr, target_sr=cfg.sample_rate, res_type="soxr_hq", axis=-1)
            y = np.ascontiguousarray(y, dtype=np.float32)
        return y

    @staticmethod
    def _decode(path: Path, offset: float, duration: Optional[float]):
        """Return ``(y [shape=(channels, n) or (n,)], sr)`` at the file's own rate."""
        import soundfile as sf

        try:
            with sf.SoundFile(str(path)) as f:
                sr = f.samplerate
                start = int(round(offset * sr))
                if start:
                    f.seek(min(start, f.frames))
                frames = -1 if duration is None else int(round(duration * sr))
                data = f.read(frames=frames, dtype="float32", always_2d=True)
            return data.T, sr
        except (sf.LibsndfileError, RuntimeError, ValueError) as sf_error:
            first_error = sf_error
        # Formats libsndfile does not read (m4a, some MP3s): librosa's audioread fallback.
        try:
            import librosa

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y, sr = librosa.load(str(path), sr=None, mono=False, offset=offset, duration=duration)
            return y, int(sr)
        except Exception as exc:  # noqa: BLE001 - every decoder failure becomes one clear message
            detail = str(first_error).replace(f"Error opening {str(path)!r}: ", "").strip()
            fallback = f"{type(exc).__name__}: {exc}".rstrip(": ")
            raise AudioLoadError(f"{path}: not a readable audio file (soundfile: {detail}; "
                                 f"fallback decoder: {fallback})") from None


class Padder:
    """Pad (with zeros, or another ``numpy.pad`` mode) or trim a signal to an exact length.

    Parameters
    ----------
    mode : str
        ``numpy.pad`` mode used when the signal is too short.
    """

    def __init__(self, mode: str = "constant") -> None:
        self.mode = mode

    def fix_length(self, y: np.ndarray, length: int) -> np.ndarray:
        """Return ``y`` padded at the end or trimmed to ``length`` samples along the last axis.

        Parameters
        ----------
        y : np.ndarray [shape=(..., n)]
        length : int >= 0

        Returns
        -------
        np.ndarray [shape=(..., length)]
        """
        if length < 0:
            raise ParameterError(f"length must be >= 0, got {length}")
        n = y.shape[-1]
        if n >= length:
            return y[..., :length]
        width = [(0, 0)] * (y.ndim - 1) + [(0, length - n)]
        return np.pad(y, width, mode=self.mode)

    def left_pad(self, y: np.ndarray, n_missing: int) -> np.ndarray:
        """Prepend ``n_missing`` samples (the tutorial's Padder API)."""
        return np.pad(y, [(0, 0)] * (y.ndim - 1) + [(n_missing, 0)], mode=self.mode)

    def right_pad(self, y: np.ndarray, n_missing: int) -> np.ndarray:
        """Append ``n_missing`` samples (the tutorial's Padder API)."""
        return np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n_missing)], mode=self.mode)


def n_segments_for(n_samples: int, config: SpectrogramConfig) -> int:
    """Number of consecutive segments that cover ``n_samples`` samples (at least one)."""
    return max(1, math.ceil(n_samples / config.segment_samples))


def pad_to_segments(y: np.ndarray, config: SpectrogramConfig, padder: Optional[Padder] = None) -> np.ndarray:
    """Zero-pad ``y`` to a whole number of segments (a signal shorter than one segment gets one).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
    config : SpectrogramConfig

    Returns
    -------
    np.ndarray [shape=(n_segments * config.segment_samples,)]
    """
    padder = padder or Padder()
    return padder.fix_length(y, n_segments_for(y.shape[-1], config) * config.segment_samples)


def peak_normalise(audio: np.ndarray, *, target_dbfs: float = PEAK_TARGET_DBFS) -> Tuple[np.ndarray, dict]:
    """Scale ``audio`` so that its peak is ``target_dbfs`` (silence is left as it is).

    Parameters
    ----------
    audio : np.ndarray [shape=(n,)]
    target_dbfs : float
        The peak after scaling, in dB below full scale.

    Returns
    -------
    audio : np.ndarray [shape=(n,)], float32
    info : dict
        What :func:`level_info` says of the change.
    """
    audio = valid_array(audio, "audio", ndim=1, shape="a 1-D signal", dtype=np.float32)
    peak = float(np.max(np.abs(audio)))
    gain = float(10.0 ** (target_dbfs / 20.0) / peak) if peak > 0 else 1.0
    return (audio * np.float32(gain)).astype(np.float32, copy=False), level_info(peak, gain)


def level_info(peak: float, gain: float = 1.0) -> dict:
    """What was done to a signal's level, as a sidecar records it.

    Returns
    -------
    dict
        ``peak`` (linear peak before any change), ``peak_dbfs``, ``peak_normalised`` (whether a gain was
        applied), ``gain`` (linear, 1.0 when untouched) and ``gain_db``.
    """
    return {"peak": float(peak), "peak_dbfs": float(20.0 * np.log10(peak)) if peak > 0 else None,
            "peak_normalised": gain != 1.0, "gain": float(gain), "gain_db": float(20.0 * np.log10(gain))}


def prevent_clipping(audio: np.ndarray, *, target_dbfs: float = PEAK_TARGET_DBFS) -> Tuple[np.ndarray, dict]:
    """Scale ``audio`` down to a peak of ``target_dbfs`` if (and only if) its peak exceeds 1.

    Returns
    -------
    audio : np.ndarray [shape=(n,)], float32
    info : dict
        :func:`level_info` (``peak_normalised`` says whether it was scaled).
    """
    audio = valid_array(audio, "audio", ndim=1, shape="a 1-D signal", dtype=np.float32)
    peak = float(np.max(np.abs(audio)))
    if peak <= 1.0:
        return audio, level_info(peak)
    return peak_normalise(audio, target_dbfs=target_dbfs)


def write_audio(path: Union[str, os.PathLike], audio: np.ndarray, sr: int, *, overwrite: bool = False,
                format: str = "WAV", subtype: Optional[str] = "FLOAT", normalise_peak: bool = False) -> dict:
    """Write a mono signal atomically in any soundfile container: WAV (see :func:`write_wav`) or compressed.

    A compressed format (``format="OGG", subtype="VORBIS"``, :data:`COMPRESSED`: what the report's players
    use) cannot hold samples beyond full scale, so a signal whose peak exceeds 1 is scaled to -1 dBFS
    (:func:`prevent_clipping`, recorded in the returned info); a quieter one keeps its level.

    Returns
    -------
    dict
        :func:`level_info`: the peak before, and the gain applied.
    """
    if str(format).upper() == "WAV":
        return write_wav(path, audio, sr, overwrite=overwrite, normalise_peak=normalise_peak,
                         subtype=subtype or "FLOAT")
    import soundfile as sf

    path = Path(path)
    if path.exists() and not overwrite:
        raise ParameterError(f"{path} already exists; pass overwrite=True to replace it")
    check_integer(sr, "sr", minimum=1, what="a positive integer sample rate in Hz")
    audio, info = peak_normalise(audio) if normalise_peak else prevent_clipping(audio)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda handle: sf.write(handle, audio, int(sr), subtype=subtype, format=format))
    return info


def write_wav(path: Union[str, os.PathLike], audio: np.ndarray, sr: int, *, overwrite: bool = False,
              normalise_peak: bool = False, subtype: str = "FLOAT") -> dict:
    """Write a mono WAV atomically (temporary file, then rename), at the level it was made at.

    The default 32-bit float WAV holds any level without clipping, so nothing is scaled: a decoded song
    keeps its loudness and can be compared with its original sample for sample. ``normalise_peak``
    scales the whole signal to a peak of :data:`PEAK_TARGET_DBFS` (-1 dBFS) instead.

    Parameters
    ----------
    path : path-like
    audio : np.ndarray [shape=(n,)]
    sr : int
        Sample rate in Hz.
    overwrite : bool
        Replace an existing file (otherwise refuse).
    normalise_peak : bool
        Scale to a peak of -1 dBFS (:func:`peak_normalise`).
    subtype : str
        soundfile subtype. ``"FLOAT"`` (the default) cannot clip; an integer one (``"PCM_16"``) is refused
        for audio that would clip unless ``normalise_peak`` is set.

    Returns
    -------
    dict
        :func:`level_info`: the peak before, and the gain applied (1.0 unless ``normalise_peak``).

    Raises
    ------
    ParameterError
        The file exists and ``overwrite`` is False; the audio is empty or holds NaN/inf; an integer
        ``subtype`` would clip.
    """
    import soundfile as sf

    path = Path(path)
    if path.exists() and not overwrite:
        raise ParameterError(f"{path} already exists; pass overwrite=True to replace it")
    check_integer(sr, "sr", minimum=1, what="a positive integer sample rate in Hz")
    if normalise_peak:
        audio, info = peak_normalise(audio)
    else:
        audio = valid_array(audio, "audio", ndim=1, shape="a 1-D signal", dtype=np.float32)
        info = level_info(float(np.max(np.abs(audio))))
    if not subtype.upper().startswith(("FLOAT", "DOUBLE")) and float(np.max(np.abs(audio))) > 1.0:
        raise ParameterError(f"{path}: audio with a peak of {info['peak']:.3g} would clip as {subtype}; write it "
                             f"as subtype='FLOAT' or pass normalise_peak=True")
    atomic_write(path, lambda handle: sf.write(handle, audio, int(sr), subtype=subtype, format="WAV"))
    return info
