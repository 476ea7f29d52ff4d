"""Audio in and out: :class:`Loader`, :class:`AudioSignal`, :class:`Padder`, :func:`write_audio` / :func:`write_wav`.

``Loader`` turns any file that soundfile (WAV, FLAC, OGG, MP3 with libsndfile >= 1.1) or audioread (ffmpeg)
reads into a float32 mono signal at the configured rate, block by block: :meth:`Loader.open` gives an
:class:`AudioSignal` that holds a long song in an unnamed temporary file instead of memory, and refuses what no
real audio file declares (a rate below 1 kHz, more than :data:`MAX_SECONDS`). ``Padder`` fixes its length,
and :func:`pad_to_segments` pads a song to a whole number of segments so that consecutive segments
cover every sample. :func:`write_wav` writes a signal back atomically as a 32-bit float WAV, at its own
level (:func:`peak_normalise` only when asked); :func:`write_audio` also writes compressed OGG Vorbis (the
report's players), scaled down only where that format would clip (:func:`prevent_clipping`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .._checks import check_integer, valid_array, valid_audio
from .._io import atomic_path, output_failure
from ..config import MIN_SAMPLE_RATE, AudioConfig, SpectrogramConfig
from ..errors import AudioLoadError, ParameterError

__all__ = ["Loader", "AudioSignal", "Padder", "n_segments_for", "pad_to_segments", "peak_normalise",
           "prevent_clipping", "level_info", "write_audio", "write_wav", "AUDIO_EXTENSIONS", "PEAK_TARGET_DBFS",
           "MAX_SECONDS", "COMPRESSED"]

logger = logging.getLogger("genmusic")

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


#: Frames decoded per block (about 1.5 s at 44.1 kHz): memory does not grow with the length of a file.
DECODE_BLOCK_FRAMES = 1 << 16

#: A decoded signal longer than this many samples (190 s at 22050 Hz, 16 MiB of float32) is spooled to an
#: unnamed temporary file instead of being held in memory.
IN_MEMORY_SAMPLES = 1 << 22

#: libsndfile error codes that mean "not a format I read" (unrecognised format, unsupported encoding): such a
#: file goes to the fallback decoders. Any other libsndfile error means the file is damaged, and the file is
#: refused whatever other decoders are installed, so that the outcome never depends on ffmpeg.
_NOT_MY_FORMAT = (1, 4)


class AudioSignal:
    """A mono float32 signal read in blocks: held in memory when short, else in an unnamed temporary file.

    What :meth:`Loader.open` returns, and what the block-wise analysis reads (:meth:`read` gives any range,
    zeros outside the signal, as the centred STFT pads). The temporary file has no name (``O_TMPFILE``
    where the system has it): it vanishes when the signal is closed or the process dies, so a killed run
    leaves nothing behind.

    Parameters
    ----------
    sample_rate : int
    name : str
        Where the signal came from (a file), for messages.
    spool_dir : path-like, optional
        Where a long signal is spooled (default: the system's temporary folder). Give the output folder,
        so that a full disk there is reported as an output failure.

    Attributes
    ----------
    n_samples : int
    peak : float
        Largest absolute sample.
    notes : list of str
        What the decoder found worth saying (a truncated file, ...), for warnings.
    """

    def __init__(self, sample_rate: int, name: str = "signal", *, spool_dir: Optional[os.PathLike] = None) -> None:
        self.sample_rate = int(sample_rate)
        self.name = name
        self.spool_dir = spool_dir
        self.n_samples = 0
        self.peak = 0.0
        self.notes: List[str] = []
        self._blocks: List[np.ndarray] = []
        self._array: Optional[np.ndarray] = None
        self._file = None

    @classmethod
    def from_array(cls, y: np.ndarray, sample_rate: int, name: str = "signal") -> "AudioSignal":
        """A signal over an array already in memory (checked: mono, finite)."""
        signal = cls(sample_rate, name)
        y = valid_audio(y, name=name)
        signal._array = y
        signal.n_samples = int(y.shape[0])
        signal.peak = float(np.max(np.abs(y)))
        return signal

    # ---- writing (the decoder)
    def append(self, block: np.ndarray) -> None:
        """Add samples at the end (spooling everything to the temporary file once it grows long)."""
        block = np.ascontiguousarray(block, dtype=np.float32)
        if block.size == 0:
            return
        self.peak = max(self.peak, float(np.max(np.abs(block))))
        self.n_samples += int(block.shape[0])
        if self._file is None and self.n_samples <= IN_MEMORY_SAMPLES:
            self._blocks.append(block)
            return
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix=".genmusic-signal.", suffix=".tmp",
                                                    dir=self.spool_dir)
                for held in self._blocks:
                    self._file.write(held.tobytes())
                self._blocks = []
            self._file.write(block.tobytes())
        except OSError as exc:
            self.close()
            raise output_failure(self.spool_dir or tempfile.gettempdir(), exc) from exc

    def finish(self) -> "AudioSignal":
        """Done appending: join what is held in memory, flush the temporary file."""
        if self._file is None:
            self._array = (np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32))
            self._blocks = []
        else:
            self._file.flush()
        return self

    # ---- reading
    @property
    def in_memory(self) -> bool:
        return self._file is None

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)``, zeros where the range lies outside ``[0, n_samples)``.

        Returns
        -------
        np.ndarray [shape=(stop - start,)], float32
        """
        out = np.zeros(max(0, stop - start), dtype=np.float32)
        lo, hi = max(start, 0), min(stop, self.n_samples)
        if hi > lo:
            if self._file is None:
                out[lo - start:hi - start] = self._array[lo:hi]
            else:
                raw = os.pread(self._file.fileno(), 4 * (hi - lo), 4 * lo)
                out[lo - start:hi - start] = np.frombuffer(raw, dtype=np.float32)
        return out

    def to_array(self) -> np.ndarray:
        """The whole signal [shape=(n_samples,)] (in memory: use :meth:`read` for long signals)."""
        return self._array if self._file is None else self.read(0, self.n_samples)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._array = np.zeros(0, np.float32)
            self.n_samples = 0

    def __enter__(self) -> "AudioSignal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self.n_samples


class Loader:
    """Decode an audio file to a float32 signal at ``config.sample_rate``, block by block.

    Decoding, mixing down and resampling (soxr, streamed) run on blocks of
    :data:`DECODE_BLOCK_FRAMES` frames, so :meth:`open` needs the same memory for a 10-hour file as for a
    30-second one. Files are read with soundfile (WAV, FLAC, OGG, MP3 with libsndfile >= 1.1); a file whose
    format soundfile does not know goes to audioread (ffmpeg, when installed). A file soundfile knows but
    cannot decode to the end is damaged and refused, whether or not ffmpeg is installed; a file shorter
    than its header says (a truncated download) is read as far as it goes, with a note.

    Parameters
    ----------
    config : AudioConfig

    Examples
    --------
    >>> y = Loader(AudioConfig(sample_rate=22050)).load("song.flac")  # doctest: +SKIP
    >>> with Loader().open("long_mix.flac", spool_dir="spectrograms") as signal:   # doctest: +SKIP
    ...     first_second = signal.read(0, 22050)
    """

    def __init__(self, config: Optional[AudioConfig] = None) -> None:
        self.config = config or AudioConfig()

    def load(self, path: str | os.PathLike, *, offset: Optional[float] = None,
             duration: Optional[float] = None) -> np.ndarray:
        """Decode ``path`` into memory; what :meth:`open` notes (a truncated file) is logged as a warning.

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
            The file is missing, empty, damaged, not audio, decodes to no samples, or holds NaN/inf.
        """
        if not self.config.mono:
            blocks, notes = [], []
            for block in self._blocks(Path(path), offset, duration, notes, mono=False):
                blocks.append(block)
            _log_notes(path, notes)
            return np.ascontiguousarray(np.concatenate(blocks, axis=-1))
        with self.open(path, offset=offset, duration=duration) as signal:
            _log_notes(path, signal.notes)
            return signal.to_array()

    def open(self, path: str | os.PathLike, *, offset: Optional[float] = None, duration: Optional[float] = None,
             spool_dir: Optional[os.PathLike] = None) -> AudioSignal:
        """Decode ``path`` into an :class:`AudioSignal` (mono), spooled to ``spool_dir`` when long.

        Raises
        ------
        AudioLoadError
            As :meth:`load`. The signal's ``notes`` say what else was found (a truncated file).
        OutputError
            The temporary file cannot be written (``spool_dir`` full or read-only).
        """
        signal = AudioSignal(self.config.sample_rate, str(path), spool_dir=spool_dir)
        try:
            for block in self._blocks(Path(path), offset, duration, signal.notes, mono=True):
                signal.append(block)
        except BaseException:
            signal.close()
            raise
        return signal.finish()

    # ---- decoding
    def _blocks(self, path: Path, offset: Optional[float], duration: Optional[float], notes: List[str], *,
                mono: bool) -> Iterator[np.ndarray]:
        """Blocks of the decoded signal at the config's rate: ``(n,)`` when ``mono`` else ``(channels, n)``."""
        cfg = self.config
        offset = cfg.offset if offset is None else offset
        duration = cfg.duration if duration is None else duration
        if not path.is_file():
            raise AudioLoadError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise AudioLoadError(f"{path}: the file is empty (0 bytes)")
        stream = _open_stream(path, offset, duration, notes)
        sr, channels = stream.sample_rate, stream.channels
        n_out = 1 if mono else channels
        resampler = None
        if sr != cfg.sample_rate:
            import soxr

            resampler = soxr.ResampleStream(sr, cfg.sample_rate, n_out, dtype="float32", quality="HQ")
        n_bad = n_in = 0
        try:
            for block in stream.blocks():  # (frames, channels), float32
                n_bad += int(block.size - np.count_nonzero(np.isfinite(block)))
                n_in += block.shape[0]
                block = block.mean(axis=1, keepdims=True) if mono else block
                if n_bad:
                    continue  # the file is refused at the end; decode on to count
                if resampler is not None:
                    block = resampler.resample_chunk(block)
                if len(block):
                    yield block[:, 0] if mono else block.T
            if resampler is not None and not n_bad:
                tail = resampler.resample_chunk(np.zeros((0, n_out), np.float32), last=True)
                if len(tail):
                    yield tail[:, 0] if mono else tail.T
        finally:
            stream.close()
        if n_in == 0:
            raise AudioLoadError(f"{path}: decoded to no samples (offset {offset} s may be past the end)")
        if n_bad:
            raise AudioLoadError(f"{path}: the signal holds NaN or inf values ({n_bad} of {n_in * channels})")


def _log_notes(path, notes: Sequence[str]) -> None:
    for note in notes:
        logger.warning("%s: %s", path, note)


class _Stream:
    """One decoder's view of a file: its rate, channels, and float32 blocks ``(frames, channels)``."""

    sample_rate: int
    channels: int

    def blocks(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _check_header(path: Path, sr: int, frames: Optional[int], offset: float, duration: Optional[float]) -> None:
    """Refuse what no real audio file declares: a rate below 1 kHz, more than :data:`MAX_SECONDS`."""
    if sr < MIN_SAMPLE_RATE:
        raise AudioLoadError(f"{path}: the header declares a sample rate of {sr} Hz; audio has at least "
                             f"{MIN_SAMPLE_RATE} Hz, so the file is damaged or not audio")
    if frames:
        seconds = max(0.0, frames / sr - offset)
        seconds = min(seconds, duration) if duration is not None else seconds
        if seconds > MAX_SECONDS:
            raise AudioLoadError(f"{path}: the header declares {_duration(seconds)} of audio, more than genmusic "
                                 f"reads in one piece ({_duration(MAX_SECONDS)}); cut it into parts (or read a part: "
                                 f"AudioConfig offset / duration)")


def _duration(seconds: float) -> str:
    """``"2.0 s"``, ``"27.8 hours"``."""
    return f"{seconds / 3600:.3g} hours" if seconds >= 3600 else f"{seconds:.1f} s"


class _SoundfileStream(_Stream):
    def __init__(self, path: Path, handle, offset: float, duration: Optional[float], notes: List[str]) -> None:
        self.path, self.handle = path, handle
        self.sample_rate, self.channels = int(handle.samplerate), int(handle.channels)
        self.frames = int(handle.frames)
        promised = _wav_promised_frames(path)
        if promised is not None and promised > self.frames:
            notes.append(f"truncated: the header promises {promised / self.sample_rate:.2f} s, the file holds "
                         f"{self.frames / self.sample_rate:.2f} s (used as it is)")
            self.frames_promised = promised
        _check_header(path, self.sample_rate, self.frames, offset, duration)
        start = int(round(offset * self.sample_rate))
        if start:
            handle.seek(min(start, self.frames))
        self.start = min(start, self.frames)
        self.todo = self.frames - self.start if duration is None else min(self.frames - self.start,
                                                                            int(round(duration * self.sample_rate)))
        self.notes = notes

    def blocks(self) -> Iterator[np.ndarray]:
        import soundfile as sf

        done = 0
        while done < self.todo:
            try:
                block = self.handle.read(min(DECODE_BLOCK_FRAMES, self.todo - done), dtype="float32",
                                         always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as exc:
                at = (self.start + done) / self.sample_rate
                raise AudioLoadError(f"{self.path}: damaged audio data after {at:.2f} s of "
                                     f"{self.frames / self.sample_rate:.2f} s ({_soundfile_reason(exc, self.path)}); "
                                     f"skipped whatever decoders are installed") from None
            if len(block) == 0:
                break
            done += len(block)
            yield block
        if done < self.todo:
            self.notes.append(f"truncated: the header promises {(self.start + self.todo) / self.sample_rate:.2f} s, "
                              f"the file holds {(self.start + done) / self.sample_rate:.2f} s (used as it is)")

    def close(self) -> None:
        self.handle.close()


class _AudioreadStream(_Stream):
    """audioread's decoders (ffmpeg, the standard library's WAV / AIFF readers): 16-bit blocks."""

    def __init__(self, path: Path, handle, offset: float, duration: Optional[float]) -> None:
        self.path, self.handle = path, handle
        self.sample_rate, self.channels = int(handle.samplerate), int(handle.channels)
        frames = int(round(handle.duration * self.sample_rate)) if handle.duration else None
        _check_header(path, self.sample_rate, frames, offset, duration)
        self.skip = int(round(offset * self.sample_rate))
        self.todo = None if duration is None else int(round(duration * self.sample_rate))

    def blocks(self) -> Iterator[np.ndarray]:
        skip, todo = self.skip, self.todo
        try:
            for buffer in self.handle:
                block = np.frombuffer(buffer, dtype="<i2").reshape(-1, self.channels).astype(np.float32) / 32768.0
                if skip:
                    block, skip = block[skip:], max(0, skip - len(block))
                if todo is not None:
                    block, todo = block[:todo], todo - min(todo, len(block))
                if len(block):
                    yield block
                if todo == 0:
                    break
        except Exception as exc:  # noqa: BLE001 - a decoder failing mid-file: the file is damaged
            raise AudioLoadError(f"{self.path}: damaged audio data ({type(exc).__name__}: {exc})") from None

    def close(self) -> None:
        self.handle.close()


def _open_stream(path: Path, offset: float, duration: Optional[float], notes: List[str]) -> _Stream:
    """soundfile for the formats it knows, audioread for the rest (see :class:`Loader`)."""
    import soundfile as sf

    try:
        handle = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError) as exc:
        if getattr(exc, "code", None) not in _NOT_MY_FORMAT:
            raise AudioLoadError(f"{path}: damaged or not audio ({_soundfile_reason(exc, path)})") from None
        first_error = exc
    else:
        try:
            return _SoundfileStream(path, handle, offset, duration, notes)
        except BaseException:
            handle.close()
            raise
    # Formats libsndfile does not read (m4a, some MP3s): audioread (ffmpeg).
    import audioread

    try:
        handle = audioread.audio_open(str(path))
    except Exception as exc:  # noqa: BLE001 - every decoder failure becomes one clear message
        fallback = f"{type(exc).__name__}: {exc}".rstrip(": ")
        raise AudioLoadError(f"{path}: not a readable audio file (soundfile: {_soundfile_reason(first_error, path)}; "
                             f"other decoders: {fallback})") from None
    try:
        return _AudioreadStream(path, handle, offset, duration)
    except BaseException:
        handle.close()
        raise


def _soundfile_reason(exc: Exception, path: Path) -> str:
    return str(exc).replace(f"Error opening {str(path)!r}: ", "").strip().rstrip(".")


def _wav_promised_frames(path: Path) -> Optional[int]:
    """Frames a RIFF/WAVE header promises (its ``data`` chunk size over the block size), or None when the
    file is no WAV or the size is a placeholder (streamed WAVs write 0 or 0xFFFFFFFF)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, block_align = 12, None
    while pos + 8 <= len(head):
        chunk, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if chunk == b"fmt " and pos + 22 <= len(head):
            block_align = int.from_bytes(head[pos + 20:pos + 22], "little")
        elif chunk == b"data":
            if not block_align or size in (0, 0xFFFFFFFF):
                return None
            return size // block_align
        pos += 8 + size + (size & 1)
    return None


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
    with atomic_path(path) as tmp, _writing(path):
        sf.write(str(tmp), audio, int(sr), subtype=subtype, format=format)
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
        with sf.SoundFile(str(tmp), "w", samplerate=int(sr), channels=1, subtype=first_subtype, format="WAV") as out:
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
        with sf.SoundFile(str(path)) as src, sf.SoundFile(str(scaled), "w", samplerate=src.samplerate, channels=1,
                                                           subtype=subtype, format="WAV") as dst:
            for piece in src.blocks(blocksize=block, dtype="float32"):
                dst.write((piece * np.float32(gain)).astype(np.float32))
