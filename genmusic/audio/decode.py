"""Decoding: :class:`Loader` turns any audio file into a float32 mono signal at the configured rate.

Any file that soundfile (WAV, FLAC, OGG, MP3 with libsndfile >= 1.1) or audioread (ffmpeg) reads is decoded
block by block: :meth:`Loader.open` gives an :class:`~genmusic.audio.signal.AudioSignal` that holds a long
song in an unnamed temporary file instead of memory, and refuses what no real audio file declares (a rate
below 1 kHz, more than :data:`MAX_SECONDS`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import numpy as np

from .._checks import LIMITS, MAX_SECONDS as _MAX_SECONDS, check_config
from ..config import MIN_SAMPLE_RATE, AudioConfig
from ..errors import AudioLoadError
from .signal import AudioSignal

__all__ = ["Loader", "AUDIO_EXTENSIONS", "MAX_SECONDS", "MAX_CHANNELS", "DECODE_BLOCK_FRAMES"]

logger = logging.getLogger("genmusic")

#: File extensions the pipeline looks for when it walks a folder.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au", ".m4a", ".opus")

#: Longest audio genmusic reads or makes in one piece, in seconds (6 hours). Memory does not limit it (long
#: audio is processed in blocks), but a request beyond it is a typo or a damaged header, and is refused.
MAX_SECONDS = float(_MAX_SECONDS)
#: Most channels a file may declare: more is a damaged header (a file of 1000 channels is no music).
MAX_CHANNELS = LIMITS["channels"][0]





#: Frames decoded per block (about 1.5 s at 44.1 kHz): memory does not grow with the length of a file.
DECODE_BLOCK_FRAMES = 1 << 16


#: libsndfile error codes that mean "not a format I read" (unrecognised format, unsupported encoding): such a
#: file goes to the fallback decoders. Any other libsndfile error means the file is damaged, and the file is
#: refused whatever other decoders are installed, so that the outcome never depends on ffmpeg.
_NOT_MY_FORMAT = (1, 4)


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
        self.config = check_config(config, AudioConfig, "Loader", example="Loader(AudioConfig(sample_rate=22050))",
                                   tutorial="genmusic.tutorial.Loader(sample_rate, duration, mono)")

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


def _check_header(path: Path, sr: int, frames: Optional[int], offset: float, duration: Optional[float],
                  channels: int = 1) -> None:
    """Refuse what no real audio file declares: a rate below 1 kHz, more than :data:`MAX_SECONDS`, more than
    :data:`MAX_CHANNELS` channels."""
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioLoadError(f"{path}: the header declares {channels} channels; genmusic reads at most {MAX_CHANNELS}, "
                             f"so the file is damaged or not music")
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
        _check_header(path, self.sample_rate, self.frames, offset, duration, self.channels)
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
        _check_header(path, self.sample_rate, frames, offset, duration, self.channels)
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
        handle = sf.SoundFile(os.fsencode(path))  # bytes: any file name, UTF-8 or not
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
    text = str(exc)
    for name in (str(path), os.fsencode(path)):
        text = text.replace(f"Error opening {name!r}: ", "")
    return text.strip().rstrip(".")


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


