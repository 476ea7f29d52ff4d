"""``PreprocessingPipeline``: audio folder -> normalised log spectrograms, in parallel, resumable.

Each file goes ``Loader -> LogSpectrogramExtractor -> MinMaxNormaliser -> Saver`` (zero-padded to whole
segments), block by block: decoding, resampling, the STFT and writing the segments never hold a whole long
song, so memory does not grow with its length. A song longer than one segment becomes consecutive segments
that cover all of it. A file that cannot be used
is skipped with one warning that names it and the reason; the run goes on. Songs an earlier run
finished are reused, so a killed run picks up where it stopped.

The output folder is locked while a run writes there. Worker processes die with the run (``kill -9``
included); a worker that dies is reported and its files tried again one at a time. A failure on the output
side (disk full, read-only folder) stops the run with one message: it is never blamed on the inputs.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from .._checks import check_config, check_integer
from .._io import folder_lock, shown
from ..audio import AUDIO_EXTENSIONS, AudioSignal, Loader, n_segments_for
from ..config import GenmusicConfig
from ..errors import AudioLoadError, DataError, ParameterError
from ..features.spectrogram import LogSpectrogramExtractor, SongFrames
from .engines import Done, check_engine, collect, plan_jobs
from .store import Saver, SongRecord, make_song_ids, song_summary

__all__ = ["PreprocessingPipeline", "PreprocessReport", "find_audio_files"]

logger = logging.getLogger("genmusic")


def find_audio_files(input_dir: str | os.PathLike) -> Tuple[Path, List[Tuple[Path, str]]]:
    """Find audio files and their genre labels under ``input_dir``.

    The genre of a file is the name of the first folder under the root that holds it (GTZAN:
    ``genres_original/<genre>/<file>``); files directly in the root are unlabelled (``""``). When
    ``input_dir`` holds a ``genres_original`` folder, that folder is the root.

    Returns
    -------
    root : Path
        Absolute (not resolved: links in it are kept).
    files : list of (path, genre), sorted by path; absolute
    """
    root = Path(os.path.abspath(input_dir))  # sources are stored absolute: found again from any working folder
    if not root.is_dir():
        raise ParameterError(f"input folder {shown(input_dir)} does not exist or is not a folder")
    if (root / "genres_original").is_dir():
        root = root / "genres_original"
    files = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in AUDIO_EXTENSIONS and not path.name.startswith("."):
            rel = path.relative_to(root)
            files.append((path, rel.parts[0] if len(rel.parts) > 1 else ""))
    return root, files


@dataclass
class PreprocessReport:
    """What a preprocessing run did."""

    output_dir: Path
    processed: List[SongRecord] = field(default_factory=list)
    reused: List[SongRecord] = field(default_factory=list)
    skipped: List[Tuple[str, str]] = field(default_factory=list)
    warnings: List[Tuple[str, str]] = field(default_factory=list)
    wall_seconds: float = 0.0
    sample_rate: int = 22050

    @property
    def songs(self) -> List[SongRecord]:
        return self.processed + self.reused

    @property
    def n_segments(self) -> int:
        return sum(r.n_segments for r in self.songs)

    def summary(self) -> str:
        counts = song_summary(self.songs, self.sample_rate)
        lines = [f"files done: {len(self.processed)} new, {len(self.reused)} reused from an earlier run",
                 f"files skipped: {len(self.skipped)}"]
        lines += [f"  - {shown(src)}: {shown(why)}" for src, why in self.skipped]
        if self.warnings:
            lines += [f"files used with a warning: {len(self.warnings)}"]
            lines += [f"  - {shown(src)}: {shown(why)}" for src, why in self.warnings]
        lines += [f"segments: {counts['n_segments']}",
                  f"seconds of audio: {counts['seconds_of_audio']:.1f}",
                  f"wall time: {self.wall_seconds:.1f} s",
                  f"output: {shown(self.output_dir)}"]
        return "\n".join(lines)


class PreprocessingPipeline:
    """Turn audio files into normalised log-spectrogram segments.

    The stages are the ``loader`` (decoding) and the ``extractor`` (log spectrogram); each brings its own
    settings, and :attr:`config` always holds them (its audio section is the loader's, its spectrogram
    section the extractor's), so the store records what was really done. Songs are zero-padded to whole
    segments (the representation's rule: see :func:`genmusic.audio.pad_to_segments`), each file is min-max
    normalised by its own dB range (kept in the manifest) and the store is written where :meth:`run` is told:
    there is no padder, normaliser or saver to assign, and assigning them (or any other attribute) is refused
    rather than ignored. The tutorial's pipeline, whose five stages are assigned, is
    :class:`genmusic.tutorial.PreprocessingPipeline`.

    Parameters
    ----------
    config : GenmusicConfig, optional
    loader : Loader, optional
        Default: ``Loader(config.audio)``; a loader given (or assigned) replaces ``config.audio`` with its own.
    extractor : LogSpectrogramExtractor, optional
        Default: ``LogSpectrogramExtractor(config.spectrogram)``; one given (or assigned) replaces
        ``config.spectrogram`` with its own.

    Examples
    --------
    >>> pipeline = PreprocessingPipeline(GenmusicConfig())
    >>> pipeline.extractor = LogSpectrogramExtractor(SpectrogramConfig(n_fft=2048, hop_length=512))
    >>> pipeline.config.spectrogram.n_fft
    2048
    >>> segments, db_min, db_max, n = pipeline.process_signal(y)  # doctest: +SKIP
    >>> report = pipeline.run("genres_original", "spectrograms", workers=2)  # doctest: +SKIP
    """

    #: What a user may look for in the tutorial's pipeline, and what genmusic's does instead.
    NOT_STAGES = {
        "padder": "songs are zero-padded to whole segments (genmusic.audio.pad_to_segments); to read the same "
                  "length of every file set AudioConfig.duration",
        "normaliser": "each file is min-max normalised to [0, 1] by its own dB range, which the store's manifest "
                      "keeps (db_min, db_max)",
        "saver": "the store is written by run(input_dir, output_dir), with the pipeline's config",
    }

    def __init__(self, config: Optional[GenmusicConfig] = None, *, loader: Optional[Loader] = None,
                 extractor: Optional[LogSpectrogramExtractor] = None) -> None:
        self.config = config
        if loader is not None:
            self.loader = loader
        if extractor is not None:
            self.extractor = extractor

    @property
    def config(self) -> GenmusicConfig:
        """Every setting of the run: the loader's audio settings, the extractor's spectrogram settings."""
        return self._config

    @config.setter
    def config(self, config: Optional[GenmusicConfig]) -> None:
        """A new config brings new stages, made from it."""
        self._config = check_config(config, GenmusicConfig, "PreprocessingPipeline(config)",
                                    example="PreprocessingPipeline(GenmusicConfig(audio=AudioConfig(sample_rate=22050)))",
                                    tutorial="genmusic.tutorial.PreprocessingPipeline(), with its stages assigned")
        self._loader = Loader(self._config.audio)
        self._extractor = LogSpectrogramExtractor(self._config.spectrogram)

    @property
    def loader(self) -> Loader:
        return self._loader

    @loader.setter
    def loader(self, loader: Loader) -> None:
        self._loader = check_config(loader, Loader, "pipeline.loader", allow_none=False,
                                    example="pipeline.loader = Loader(AudioConfig(sample_rate=44100))")
        self._config = self._config.replace(audio=loader.config)

    @property
    def extractor(self) -> LogSpectrogramExtractor:
        return self._extractor

    @extractor.setter
    def extractor(self, extractor: LogSpectrogramExtractor) -> None:
        self._extractor = check_config(extractor, LogSpectrogramExtractor, "pipeline.extractor", allow_none=False,
                                       example="pipeline.extractor = LogSpectrogramExtractor(SpectrogramConfig(n_fft=2048))")
        self._config = self._config.replace(spectrogram=extractor.config)

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("_") or hasattr(type(self), name):  # the stages (properties), a subclass's attributes
            object.__setattr__(self, name, value)
            return
        if name in self.NOT_STAGES:
            raise ParameterError(f"PreprocessingPipeline has no {name} to assign: {self.NOT_STAGES[name]}. The "
                                 f"tutorial's pipeline, whose stages are assigned, is genmusic.tutorial.PreprocessingPipeline")
        raise ParameterError(f"PreprocessingPipeline has no attribute {name!r} to set: its stages are config, loader "
                             f"and extractor")

    def analyse_signal(self, y, *, name: str = "signal") -> SongFrames:
        """Check a signal and find its spectrogram statistics (one block-wise pass).

        Parameters
        ----------
        y : np.ndarray [shape=(n,)] or AudioSignal
            Mono, at ``config.audio.sample_rate``.

        Returns
        -------
        SongFrames
            The song's normalised frames and segments, computed block by block.

        Raises
        ------
        ParameterError
            The signal is empty, holds NaN/inf, is silent, or has a constant spectrogram.
        """
        signal = y if isinstance(y, AudioSignal) else AudioSignal.from_array(y, self.config.audio.sample_rate, name)
        if signal.n_samples == 0:
            raise ParameterError(f"{name} is empty (no samples)")
        if signal.peak == 0:
            raise ParameterError(f"{name}: the audio is all silent")
        song = SongFrames(self.extractor, signal, n_segments_for(signal.n_samples, self.config.spectrogram))
        if song.db_max == song.db_min:
            raise ParameterError(f"{name}: the spectrogram is constant (silent or DC-only audio)")
        return song

    def process_signal(self, y: np.ndarray, *, name: str = "signal") -> Tuple[np.ndarray, float, float, int]:
        """Pad, transform and normalise one mono signal.

        Parameters
        ----------
        y : np.ndarray [shape=(n,)]

        Returns
        -------
        segments : np.ndarray [shape=(n_segments, n_freq_bins, segment_frames)], values in [0, 1]
        db_min, db_max : float
            The per-file statistics that undo the normalisation.
        n_samples : int
            Length of ``y`` before padding.

        Raises
        ------
        ParameterError
            The signal is silent (nothing to learn from, nothing to normalise), empty or holds NaN/inf.
        """
        song = self.analyse_signal(y, name=name)
        return np.concatenate(list(song.segment_blocks())), song.db_min, song.db_max, song.signal.n_samples

    def process_file(self, path: str | os.PathLike, song_id: str, genre: str, saver: Saver, *,
                     notes: Optional[List[str]] = None) -> SongRecord:
        """Load, transform and save one file, block by block (memory does not grow with its length).

        Parameters
        ----------
        notes : list, optional
            Gets what was found worth a warning (a truncated file).

        Raises
        ------
        AudioLoadError
            The file cannot be decoded, or holds no usable signal (NaN, silence).
        OutputError
            The store cannot be written (disk full, read-only folder).
        """
        with self.loader.open(path, spool_dir=saver.songs_dir) as signal:
            try:
                song = self.analyse_signal(signal, name=str(path))
            except ParameterError as exc:  # the file, not an argument, is at fault
                raise AudioLoadError(str(exc)) from None
            if notes is not None:
                notes.extend(signal.notes)
            record = SongRecord(song_id=song_id, source=str(path), genre=genre, n_samples=signal.n_samples,
                                n_segments=song.n_segments, db_min=song.db_min, db_max=song.db_max)
            return saver.save_song(record, song.segment_blocks())

    def run(self, input_dir: str | os.PathLike, output_dir: str | os.PathLike, *, workers: Optional[int] = None,
            overwrite: bool = False, progress: bool = False, engine: str = "local",
            address: Optional[str] = None) -> PreprocessReport:
        """Preprocess every audio file under ``input_dir`` into a store at ``output_dir``.

        The output folder is locked for the run (:func:`genmusic._io.folder_lock`): a second run into it is
        refused while this one works. Every setting is checked before anything there is touched.

        Parameters
        ----------
        workers : int >= 1, optional
            Processes working in parallel (default: the number of cores). They die with this process; one
            that dies (killed, out of memory) is reported and its files are tried again one at a time.
        overwrite : bool
            Start afresh instead of reusing songs an earlier run finished. Only what genmusic wrote is
            removed (see :class:`~genmusic.data.store.Saver`).
        progress : bool
            Show a progress bar (tqdm) on stderr.
        engine : {"local", "ray"}
            Where the files are processed (:mod:`genmusic.data.engines`): a process pool here, or Ray tasks (on
            ``address``, ``RAY_ADDRESS``, or a Ray instance of ``workers`` CPUs started here). The store
            written is the same, byte for byte.
        address : str, optional
            A Ray cluster, for ``engine="ray"``.

        Raises
        ------
        ParameterError
            ``input_dir`` does not exist, ``workers`` is not a positive integer, ``engine`` is unknown (or
            Ray is not installed), or ``output_dir`` holds spectrograms made with other settings or files of
            a store's names that genmusic did not write.
        DataError
            No file could be processed.
        FolderLockedError
            Another run is writing to ``output_dir``.
        OutputError
            Writing failed (disk full, read-only folder): the run stops; what was finished is kept.
        """
        start = time.perf_counter()
        if workers is not None:
            check_integer(workers, "workers", minimum=1, limit="workers")
        check_engine(engine, address)
        root, files = find_audio_files(input_dir)
        if not files:
            raise DataError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) found under {root}")
        with folder_lock(output_dir, purpose="preprocessing"):
            saver = Saver(output_dir, self.config, overwrite=overwrite)
            report = PreprocessReport(output_dir=Path(output_dir), sample_rate=self.config.audio.sample_rate)
            report.reused, todo = plan_jobs(files, make_song_ids([p for p, _ in files], root), saver.existing)
            saver.check_writable([song_id for _, song_id, _ in todo])
            saver.claim_songs([song_id for _, song_id, _ in todo])
            collect(functools.partial(_process_noting, self, saver), todo, report, engine=engine,
                    workers=workers or os.cpu_count() or 1, address=address, progress=progress,
                    desc="preprocessing")
            if not report.songs:
                saver.finalise([], report.skipped, input_folder=root)
                raise DataError(f"none of the {len(files)} audio file(s) under {root} could be processed; "
                                f"see the warnings above or {saver.output_dir / 'skipped.csv'}")
            saver.finalise(report.songs, report.skipped, input_folder=root)
            saver.ledger.close()
        report.wall_seconds = time.perf_counter() - start
        return report


def _process_noting(pipeline: "PreprocessingPipeline", saver: Saver, path: str, song_id: str, genre: str) -> Done:
    """The engines' task: :meth:`PreprocessingPipeline.process_file` of one file, with its warnings."""
    notes: List[str] = []
    return Done(pipeline.process_file(path, song_id, genre, saver, notes=notes), notes)


def preprocess(input_dir: str | os.PathLike, output_dir: str | os.PathLike, *,
               config: Optional[GenmusicConfig] = None, workers: Optional[int] = None, overwrite: bool = False,
               progress: bool = False) -> PreprocessReport:
    """Deprecated (genmusic 0.1's top-level ``genmusic.preprocess``, goes in 0.3):
    ``PreprocessingPipeline(config).run(input_dir, output_dir, ...)``."""
    return PreprocessingPipeline(config).run(input_dir, output_dir, workers=workers, overwrite=overwrite,
                                             progress=progress)
