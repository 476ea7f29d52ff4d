"""Writing audio: :func:`write_wav` writes a signal atomically as a 32-bit float WAV, at its own level
(:func:`peak_normalise` only when asked); :func:`write_audio` also writes compressed OGG Vorbis (the report's
players), scaled down only where that format would clip (:func:`prevent_clipping`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterable, Iterator, Optional, Tuple, Union

import numpy as np

from .._checks import check_integer, valid_array
from .._io import atomic_path, output_failure
from ..errors import ParameterError

__all__ = ["write_wav", "write_audio", "peak_normalise", "prevent_clipping", "level_info", "PEAK_TARGET_DBFS",
           "COMPRESSED"]

#: Peak of a signal after :func:`peak_normalise` (``write_wav(..., normalise_peak=True)``), in dB below full scale.
PEAK_TARGET_DBFS = -1.0

#: Container, encoding and file suffix of compressed audio (:func:`write_audio`): OGG Vorbis, which every
#: current browser plays and libsndfile writes without extra software.
COMPRESSED = {"format": "OGG", "subtype": "VORBIS", "suffix": ".ogg"}


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
    with atomic_path(path) as tmp, _writing(path):
        sf.write(os.fsencode(tmp), audio, int(sr), subtype=subtype, format=format)
    return info


def write_wav(path: Union[str, os.PathLike], audio: Union[np.ndarray, Iterable[np.ndarray]], sr: int, *,
              overwrite: bool = False, normalise_peak: bool = False, subtype: str = "FLOAT") -> dict:
    """Write a mono WAV atomically (temporary file, then rename), at the level it was made at.

    The default 32-bit float WAV holds any level without clipping, so nothing is scaled: a decoded song
    keeps its loudness and can be compared with its original sample for sample. ``normalise_peak``
    scales the whole signal to a peak of :data:`PEAK_TARGET_DBFS` (-1 dBFS) instead (a second pass over
    the written file). The audio may come a block at a time, so a sound of any length is written with
    bounded memory.

    Parameters
    ----------
    path : path-like
    audio : np.ndarray [shape=(n,)], or an iterable of such blocks (consecutive pieces of the signal)
    sr : int
        Sample rate in Hz.
    overwrite : bool
        Replace an existing file (otherwise refuse).
    normalise_peak : bool
        Scale to a peak of -1 dBFS.
    subtype : str
        soundfile subtype. ``"FLOAT"`` (the default) cannot clip; an integer one (``"PCM_16"``) is refused
        for audio that would clip unless ``normalise_peak`` is set.

    Returns
    -------
    dict
        :func:`level_info` (the peak before, the gain applied: 1.0 unless ``normalise_peak``) and
        ``n_samples``.

    Raises
    ------
    ParameterError
        The file exists and ``overwrite`` is False; the audio is empty or holds NaN/inf; an integer
        ``subtype`` would clip.
    OutputError
        The file cannot be written (disk full, read-only folder); no temporary file is left.
    """
    import soundfile as sf

    path = Path(path)
    if path.exists() and not overwrite:
        raise ParameterError(f"{path} already exists; pass overwrite=True to replace it")
    check_integer(sr, "sr", minimum=1, what="a positive integer sample rate in Hz")
    blocks = [audio] if isinstance(audio, np.ndarray) else audio
    first_subtype = "FLOAT" if normalise_peak else subtype
    clips = not first_subtype.upper().startswith(("FLOAT", "DOUBLE"))
    peak, n_samples = 0.0, 0
    with atomic_path(path) as tmp, _writing(path):
        with sf.SoundFile(os.fsencode(tmp), "w", samplerate=int(sr), channels=1, subtype=first_subtype, format="WAV") as out:
            for block in blocks:
                block = valid_array(block, "audio", ndim=1, shape="a 1-D signal", dtype=np.float32, allow_empty=True)
                if block.size:
                    peak = max(peak, float(np.max(np.abs(block))))
                if clips and peak > 1.0:
                    raise ParameterError(f"{path}: audio with a peak of {peak:.3g} would clip as {subtype}; write "
                                         f"it as subtype='FLOAT' or pass normalise_peak=True")
                out.write(block)
                n_samples += block.size
        if n_samples == 0:
            raise ParameterError("audio is empty (no samples); give at least one")
        gain = float(10.0 ** (PEAK_TARGET_DBFS / 20.0) / peak) if normalise_peak and peak > 0 else 1.0
        if normalise_peak:
            _rescale_wav(tmp, gain, subtype)
    return {**level_info(peak, gain), "n_samples": n_samples}


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """soundfile reports a failed write (a full disk) as a LibsndfileError: make it the OutputError it is."""
    import soundfile as sf

    try:
        yield
    except sf.LibsndfileError as exc:
        raise output_failure(path, OSError(str(exc))) from exc


def _rescale_wav(path: Path, gain: float, subtype: str, block: int = 1 << 18) -> None:
    """Multiply a WAV by ``gain`` (and write it as ``subtype``), block by block, through a temporary copy."""
    import soundfile as sf

    with atomic_path(path) as scaled, _writing(path):
        with sf.SoundFile(os.fsencode(path)) as src, sf.SoundFile(os.fsencode(scaled), "w", samplerate=src.samplerate, channels=1,
                                                           subtype=subtype, format="WAV") as dst:
            for piece in src.blocks(blocksize=block, dtype="float32"):
                dst.write((piece * np.float32(gain)).astype(np.float32))
