"""Sound from a trained model: whole-song encode / decode, reconstruction, prior samples.

:class:`SoundGenerator` joins a model to the rest of the pipeline::

    audio --PreprocessingPipeline.process_signal--> normalised log spectrogram of the whole song
          --windows.slice_windows--> segments (windows) --model.encode--> SongLatents
    SongLatents --model.decode--> windows --windows.overlap_add--> whole-song spectrogram
          --inversion.frames_to_audio (one Griffin-Lim over the whole song)--> audio of the exact length

Seams
-----
A model sees one segment at a time, so two neighbouring segments decoded independently can disagree
at their border (a step in level or timbre every ``segment_samples``). ``encode_song(y, overlap=0.5)``
encodes windows of ``segment_frames`` frames every ``hop_frames = segment_frames * (1 - overlap)``
frames, cut from the song's spectrogram computed once; decoding overlap-adds the decoded windows with
raised-cosine crossfades whose weights sum to one (see :mod:`genmusic.features.windows`), so every border of a
window lies inside another window. Phase is rebuilt once for the whole song, so there are no phase
seams either. ``overlap=0`` gives the plain consecutive segments the latent operations
(:mod:`genmusic.generation.latent_ops`) work on.

Normalisation
-------------
A decoded spectrogram is in [0, 1]; a song's own dB statistics (``SongLatents.db_min/db_max``) undo the
normalisation of anything that comes from that song, the dataset-level statistics
(``dataset_normaliser``, from the model folder) that of latents from no single file (prior samples,
averages, mixes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterator, List, Optional, Tuple, Union

import numpy as np

from .._checks import check_choice, check_config, check_integer, valid_array
from ..config import GenmusicConfig, SpectrogramConfig, check_compatible
from ..errors import ParameterError
from ..features.griffinlim import METHODS
from ..features.inversion import frames_to_audio, frames_to_audio_blocks
from ..features.spectrogram import MinMaxNormaliser
from ..features.windows import hop_frames_for, n_windows_for, overlap_add_range, slice_windows, windows_touching

__all__ = ["SoundGenerator", "SongSpectrogram", "SongLatents", "WINDOW_BATCH"]

#: Windows encoded or decoded per model call: long songs go through the model in pieces of this size.
WINDOW_BATCH = 64


# --------------------------------------------------------------------------------------------------
# data holders


@dataclass
class SongSpectrogram:
    """A song's normalised log spectrogram over the whole song, read a range at a time.

    The frames come from ``frame_source(start, stop)``: a :class:`~genmusic.features.spectrogram.SongFrames` that
    computes them block by block from the song's audio, or stored segments read from a store. Nothing
    holds the whole spectrogram, so a song of any length takes the same memory.

    Attributes
    ----------
    frame_source : callable (start, stop) -> np.ndarray [shape=(n_freq_bins, stop - start)]
        Values in [0, 1]. Frames ``[0, n_segments * segment_frames)`` are exactly the consecutive segments
        preprocessing makes; frames past them belong to the zero-padded tail, so that windows with any
        overlap can be cut.
    db_min, db_max : float
        The song's own statistics (undo the normalisation).
    n_samples : int
        Length of the song before padding.
    n_segments : int
        Consecutive segments covering the song.
    segment_frames : int
    source : str or None
        Where the song came from (a file, a store song id).
    """

    frame_source: Callable[[int, int], np.ndarray]
    db_min: float
    db_max: float
    n_samples: int
    n_segments: int
    segment_frames: int
    source: Optional[str] = None

    @property
    def normaliser(self) -> MinMaxNormaliser:
        return MinMaxNormaliser.from_stats(self.db_min, self.db_max)

    @property
    def n_frames(self) -> int:
        """Frames available: the segments and one more segment of the padded tail."""
        return (self.n_segments + 1) * self.segment_frames

    def frame_range(self, start: int, stop: int) -> np.ndarray:
        """Normalised frames ``[start, stop)`` [shape=(n_freq_bins, stop - start)], float32."""
        return np.asarray(self.frame_source(int(start), int(stop)), dtype=np.float32)

    @property
    def frames(self) -> np.ndarray:
        """Every frame [shape=(n_freq_bins, (n_segments + 1) * segment_frames)] (in memory: for short songs)."""
        return self.frame_range(0, self.n_frames)

    def db(self) -> np.ndarray:
        """The song's segments in dB [shape=(n_freq_bins, n_segments * segment_frames)] (no padded tail)."""
        return self.normaliser.inverse_transform(self.frame_range(0, self.n_segments * self.segment_frames))


@dataclass
class SongLatents:
    """The latents of one song and what is needed to decode it to the same length.

    Attributes
    ----------
    latents : np.ndarray [shape=(n_windows, latent_dim)]
        One latent vector per window.
    db_min, db_max : float
        The song's own dB statistics.
    n_samples : int
        The song's length in samples (before padding).
    segment_frames : int
        Frames per window (the model's time axis).
    hop_frames : int
        Frames between consecutive windows (``segment_frames``: consecutive segments, no overlap).
    hop_length : int
        Samples between frames.
    source : str or None
    """

    latents: np.ndarray
    db_min: float
    db_max: float
    n_samples: int
    segment_frames: int
    hop_frames: int
    hop_length: int
    source: Optional[str] = None

    @property
    def n_windows(self) -> int:
        return int(len(self.latents))

    @property
    def overlap(self) -> float:
        """Fraction of a window shared with the next one."""
        return 1.0 - self.hop_frames / self.segment_frames

    @property
    def normaliser(self) -> MinMaxNormaliser:
        return MinMaxNormaliser.from_stats(self.db_min, self.db_max)

    def window_borders(self) -> np.ndarray:
        """Sample positions where a window starts or ends, inside the song.

        Returns
        -------
        np.ndarray [shape=(n_borders,)], int64, sorted, unique, in ``(0, n_samples)``
        """
        starts = np.arange(self.n_windows) * self.hop_frames
        frames = np.concatenate([starts, starts + self.segment_frames])
        samples = np.unique(frames * self.hop_length)
        return samples[(samples > 0) & (samples < self.n_samples)].astype(np.int64)

    def replace_latents(self, latents: np.ndarray) -> "SongLatents":
        """A copy with other latents (e.g. after :mod:`genmusic.generation.latent_ops`), same statistics and hop."""
        latents = np.asarray(latents, dtype=np.float32)
        if latents.shape[0] != self.n_windows:
            raise ParameterError(f"latents must keep the song's {self.n_windows} windows, got shape {latents.shape}")
        return SongLatents(latents, self.db_min, self.db_max, self.n_samples, self.segment_frames,
                           self.hop_frames, self.hop_length, self.source)


# --------------------------------------------------------------------------------------------------
# the generator


LatentsLike = Union[SongLatents, np.ndarray]


class SoundGenerator:
    """Encode music into latents and decode latents into sound.

    Parameters
    ----------
    model : Autoencoder, VAE, or any object with the same methods
        Anything with ``encode(x [shape=(n, F, T)]) -> (n, latent_dim)``,
        ``decode(z) -> (n, F, T)`` and ``latent_dim``; ``sample_prior`` for :meth:`sample`.
    config : GenmusicConfig
        The settings the model was trained with (audio rate, STFT, segment length).
    n_iter : int
        Griffin-Lim iterations.
    method : {"librosa", "keras"}
        Griffin-Lim implementation (see :mod:`genmusic.features.griffinlim`).
    seed : int
        Seed of Griffin-Lim's initial phase (and the default seed of :meth:`sample`).
    dataset_normaliser : MinMaxNormaliser, optional
        Dataset-level statistics, used for latents that come from no single song (prior samples,
        averages, remixes). :meth:`from_folder` reads them from the model folder.

    Examples
    --------
    >>> gen = SoundGenerator.from_folder("saved_models/vae")            # doctest: +SKIP
    >>> y = gen.reconstruct(gen.load("song.flac"))                      # doctest: +SKIP
    >>> song = gen.encode_file("song.flac")                             # doctest: +SKIP
    >>> gen.decode_song(song).shape == (song.n_samples,)                # doctest: +SKIP
    True
    """

    def __init__(self, model, config: GenmusicConfig, *, n_iter: int = 32, method: str = "librosa", seed: int = 0,
                 dataset_normaliser: Optional[MinMaxNormaliser] = None) -> None:
        check_config(config, GenmusicConfig, "SoundGenerator(model, config)", allow_none=False,
                     example="SoundGenerator.from_folder(model_dir), or SoundGenerator(model, store.config)",
                     tutorial="genmusic.tutorial.SoundGenerator(vae, hop_length)")
        check_choice(method, "method", METHODS)
        check_integer(n_iter, "n_iter", minimum=0, limit="n_iter")
        check_compatible(model, config, data_name="the config", labels=("model", "config"),
                         fix="use the config saved with the model")
        self.model = model
        self.config = config
        self.n_iter = int(n_iter)
        self.method = method
        self.seed = int(seed)
        self.dataset_normaliser = dataset_normaliser
        self.bundle = None
        self.spool_dir = None  # where long inputs are spooled (see open); None: the system's temporary folder
        self._pipeline = None

    @classmethod
    def from_folder(cls, model_dir: Union[str, os.PathLike], **kwargs) -> "SoundGenerator":
        """A generator for a model folder (model, config and dataset statistics from ``genmusic.json``), or
        for an installed model by name (``SoundGenerator.from_folder("realmusic-v1")``; ``genmusic models``).

        Raises
        ------
        ModelFolderError
            The folder is missing, incomplete or incompatible (see :func:`genmusic.models.modelio.load_bundle`).
        """
        from ..models.modelio import load_bundle

        return cls.from_bundle(load_bundle(model_dir), **kwargs)

    @classmethod
    def from_bundle(cls, bundle, **kwargs) -> "SoundGenerator":
        """A generator for a model folder already read (:func:`genmusic.models.modelio.load_bundle`)."""
        if "dataset_normaliser" not in kwargs and "db_min" in bundle.stats and "db_max" in bundle.stats:
            kwargs["dataset_normaliser"] = bundle.dataset_normaliser()
        gen = cls(bundle.model, bundle.config, **kwargs)
        gen.bundle = bundle
        return gen

    # ---- properties
    @property
    def spec(self) -> SpectrogramConfig:
        return self.config.spectrogram

    @property
    def sample_rate(self) -> int:
        return int(self.config.audio.sample_rate)

    @property
    def is_vae(self) -> bool:
        return hasattr(self.model, "sample_prior")

    @property
    def pipeline(self):
        if self._pipeline is None:
            from ..data.pipeline import PreprocessingPipeline

            self._pipeline = PreprocessingPipeline(self.config)
        return self._pipeline

    # ---- analysis
    def load(self, path: Union[str, os.PathLike]) -> np.ndarray:
        """Decode an audio file (any format, rate, channels) to mono float32 at the config's rate."""
        return self.pipeline.loader.load(path)

    def open(self, path: Union[str, os.PathLike], *, seconds: Optional[float] = None,
             spool_dir: Optional[os.PathLike] = None):
        """Decode an audio file block by block into an :class:`~genmusic.audio.AudioSignal` (mono, the
        config's rate; its first ``seconds`` only when given), spooled to ``spool_dir`` when long."""
        return self.pipeline.loader.open(path, duration=seconds, spool_dir=spool_dir)

    def analyse(self, y, *, name: str = "signal") -> SongSpectrogram:
        """The normalised log spectrogram of a whole song, as preprocessing computes it.

        Parameters
        ----------
        y : np.ndarray [shape=(n,)] or AudioSignal
            Mono signal at ``config.audio.sample_rate``. Shorter than a segment is fine (padded). An
            :class:`~genmusic.audio.AudioSignal` (:meth:`open`) is analysed block by block, however long.

        Raises
        ------
        ParameterError
            The signal is silent, empty or holds NaN/inf.
        """
        song = self.pipeline.analyse_signal(y, name=name)
        return SongSpectrogram(song.frames, song.db_min, song.db_max, song.signal.n_samples, song.n_segments,
                               self.spec.segment_frames, name)

    def spectrogram_from_segments(self, segments: np.ndarray, db_min: float, db_max: float, n_samples: int, *,
                                  source: Optional[str] = None) -> SongSpectrogram:
        """A :class:`SongSpectrogram` from stored segments (``SpectrogramStore.song_array``), no audio needed.

        The segments are read when their frames are needed (a memory-mapped store array stays on disk); the
        tail past the last segment is filled with 0 (the normalised floor).
        """
        if np.ndim(segments) != 3 or tuple(np.shape(segments)[1:]) != tuple(self.spec.segment_shape):
            raise ParameterError(f"segments must have shape (n, {self.spec.n_freq_bins}, {self.spec.segment_frames}), "
                                 f"got {np.shape(segments)}")
        seg = self.spec.segment_frames
        n_seg = len(segments)

        def frames(start: int, stop: int) -> np.ndarray:
            out = np.zeros((self.spec.n_freq_bins, stop - start), np.float32)
            first, last = start // seg, min(n_seg, -(-stop // seg))
            if last > first:
                held = np.asarray(segments[first:last], dtype=np.float32).transpose(1, 0, 2).reshape(
                    self.spec.n_freq_bins, -1)
                part = held[:, start - first * seg:stop - first * seg]
                out[:, :part.shape[1]] = part
            return out

        return SongSpectrogram(frames, float(db_min), float(db_max), int(n_samples), n_seg, seg, source)

    # ---- encoding
    def encode_spectrogram(self, song: SongSpectrogram, *, overlap: float = 0.0) -> SongLatents:
        """Encode a whole song's spectrogram, window by window.

        Parameters
        ----------
        song : SongSpectrogram
        overlap : float in [0, 1)
            0: the consecutive segments preprocessing makes (one latent per segment); 0.5: windows every
            half segment (twice the latents; decoding crossfades them).
        """
        seg = self.spec.segment_frames
        hop = hop_frames_for(seg, overlap)
        n_windows = n_windows_for(song.n_segments * seg, seg, hop)
        latents = []
        for first in range(0, n_windows, WINDOW_BATCH):  # a batch of windows at a time: bounded memory
            k = min(WINDOW_BATCH, n_windows - first)
            frames = song.frame_range(first * hop, (first + k - 1) * hop + seg)
            latents.append(np.asarray(self.model.encode(slice_windows(frames, seg, hop, k)), dtype=np.float32))
        return SongLatents(np.concatenate(latents), song.db_min, song.db_max, song.n_samples, seg, hop,
                           self.spec.hop_length, song.source)

    def encode_song(self, y, *, overlap: float = 0.0, name: str = "signal") -> SongLatents:
        """Latents of a mono signal (array or AudioSignal) at the config's rate (see :meth:`encode_spectrogram`).

        Returns
        -------
        SongLatents
            ``latents`` [shape=(n_windows, latent_dim)] (``n_windows = n_segments`` when ``overlap=0``).

        Raises
        ------
        ParameterError
            Silent audio.
        """
        return self.encode_spectrogram(self.analyse(y, name=name), overlap=overlap)

    def encode_file(self, path: Union[str, os.PathLike], *, overlap: float = 0.0) -> SongLatents:
        """Latents of an audio file of any format, rate and channel count (read block by block)."""
        with self.open(path) as signal:
            return self.encode_song(signal, overlap=overlap, name=str(path))

    # ---- decoding
    def _resolve_normaliser(self, normaliser: Optional[MinMaxNormaliser], fallback: Optional[MinMaxNormaliser],
                            what: str) -> MinMaxNormaliser:
        normaliser = normaliser or fallback or self.dataset_normaliser
        if normaliser is None:
            raise ParameterError(f"{what} needs dB statistics to undo the normalisation: pass normaliser=... or "
                                 f"build the generator with dataset_normaliser (SoundGenerator.from_folder does)")
        return normaliser

    def frames_to_audio(self, frames: np.ndarray, normaliser: MinMaxNormaliser, length: int) -> np.ndarray:
        """:func:`genmusic.features.inversion.frames_to_audio` with this generator's settings: a normalised
        spectrogram -> exactly ``length`` samples, one Griffin-Lim over all of it.

        Parameters
        ----------
        frames : np.ndarray [shape=(n_freq_bins, n_frames)] or [shape=(batch, n_freq_bins, n_frames)]

        Returns
        -------
        np.ndarray [shape=(length,)] or [shape=(batch, length)], float32
        """
        return frames_to_audio(frames, normaliser, self.spec, length, n_iter=self.n_iter, method=self.method,
                               seed=self.seed)

    def _latents_and_hop(self, song: LatentsLike, hop_frames: Optional[int]) -> Tuple[np.ndarray, int]:
        if isinstance(song, SongLatents):
            latents, hop = song.latents, song.hop_frames
        else:
            latents = np.asarray(song, dtype=np.float32)
            if latents.ndim == 1:
                latents = latents[None]
            hop = hop_frames or self.spec.segment_frames
        if latents.ndim != 2 or latents.shape[0] == 0:
            raise ParameterError(f"latents must have shape (n_windows, latent_dim), got {latents.shape}")
        return latents, hop

    def decoded_frames(self, song: LatentsLike, *, hop_frames: Optional[int] = None
                       ) -> Tuple[Callable[[int, int], np.ndarray], int]:
        """The song's decoded spectrogram as a frame source: ``(frames(start, stop), n_frames)``.

        ``frames(start, stop)`` decodes only the windows that touch the range and overlap-adds them
        (:func:`genmusic.features.windows.overlap_add_range`), so a song of any length is decoded in pieces.
        """
        latents, hop = self._latents_and_hop(song, hop_frames)
        seg, n = self.spec.segment_frames, len(latents)

        def frames(start: int, stop: int) -> np.ndarray:
            lo, hi = windows_touching(start, stop, seg, hop, n)
            decoded = [self.model.decode(latents[i:min(hi, i + WINDOW_BATCH)]) for i in range(lo, hi, WINDOW_BATCH)]
            windows = valid_array(np.concatenate([np.asarray(d) for d in decoded]), "the decoded spectrogram",
                                  dtype=np.float32)
            return overlap_add_range(windows, lo, hop, start, stop, n_windows=n)

        return frames, (n - 1) * hop + seg

    def decode_frames(self, song: LatentsLike, *, hop_frames: Optional[int] = None) -> np.ndarray:
        """Decode every window and overlap-add them into the song's normalised spectrogram.

        Parameters
        ----------
        song : SongLatents or np.ndarray [shape=(n_windows, latent_dim)]
            Plain latents are consecutive windows (``hop_frames=segment_frames``) unless ``hop_frames``
            says otherwise.

        Returns
        -------
        np.ndarray [shape=(n_freq_bins, (n_windows - 1) * hop_frames + segment_frames)], float32 in [0, 1]
        """
        frames, n_frames = self.decoded_frames(song, hop_frames=hop_frames)
        return frames(0, n_frames)

    def decode_song_blocks(self, song: LatentsLike, *, normaliser: Optional[MinMaxNormaliser] = None,
                           length: Optional[int] = None, hop_frames: Optional[int] = None) -> Iterator[np.ndarray]:
        """:meth:`decode_song` a block at a time: decode, join, Griffin-Lim
        (:func:`genmusic.features.inversion.frames_to_audio_blocks`); memory does not grow with the song's length.

        Yields
        ------
        np.ndarray [shape=(m,)], float32
            Consecutive pieces of the song; together exactly ``length`` samples.
        """
        frames, n_frames = self.decoded_frames(song, hop_frames=hop_frames)
        if isinstance(song, SongLatents):
            normaliser = self._resolve_normaliser(normaliser, song.normaliser, "decode_song")
            length = song.n_samples if length is None else length
        else:
            normaliser = self._resolve_normaliser(normaliser, None, "decoding latents from no single song")
            length = n_frames * self.spec.hop_length if length is None else length
        return frames_to_audio_blocks(frames, n_frames, normaliser, self.spec, length, n_iter=self.n_iter,
                                      method=self.method, seed=self.seed)

    def decode_song(self, song: LatentsLike, *, normaliser: Optional[MinMaxNormaliser] = None,
                    length: Optional[int] = None, hop_frames: Optional[int] = None) -> np.ndarray:
        """A whole song from its latents: decode, join, Griffin-Lim, exactly ``length`` samples.

        Parameters
        ----------
        song : SongLatents or np.ndarray [shape=(n_windows, latent_dim)]
        normaliser : MinMaxNormaliser, optional
            Default: the song's own statistics for :class:`SongLatents`, the dataset's for plain latents.
        length : int, optional
            Default: the song's ``n_samples`` (:class:`SongLatents`) or the samples the windows cover.
        hop_frames : int, optional
            For plain latents: frames between windows (default ``segment_frames``).

        Returns
        -------
        np.ndarray [shape=(length,)], float32
        """
        return np.concatenate(list(self.decode_song_blocks(song, normaliser=normaliser, length=length,
                                                           hop_frames=hop_frames)))

    def decode_latents(self, latents: np.ndarray, normaliser: Optional[MinMaxNormaliser] = None) -> np.ndarray:
        """Each latent vector decoded on its own into one segment of audio.

        Parameters
        ----------
        latents : np.ndarray [shape=(n, latent_dim)]
        normaliser : MinMaxNormaliser, optional
            Default: the dataset-level statistics.

        Returns
        -------
        np.ndarray [shape=(n, segment_samples)], float32
        """
        latents = np.asarray(latents, dtype=np.float32)
        if latents.ndim != 2 or latents.shape[0] == 0:
            raise ParameterError(f"latents must have shape (n, latent_dim) with n >= 1, got {latents.shape}")
        normaliser = self._resolve_normaliser(normaliser, None, "decode_latents")
        windows = np.asarray(self.model.decode(latents), dtype=np.float32)
        audio = self.frames_to_audio(windows, normaliser, self.spec.segment_samples)
        return np.asarray(audio, dtype=np.float32).reshape(len(latents), -1)

    # ---- round trips
    def reconstruct(self, y, *, overlap: float = 0.5, name: str = "signal") -> np.ndarray:
        """Encode and decode a whole song with the model (crossfaded windows, the song's own statistics).

        Returns
        -------
        np.ndarray [shape=(len(y),)], float32
        """
        return self.decode_song(self.encode_song(y, overlap=overlap, name=name))

    def resynth(self, y, *, name: str = "signal") -> np.ndarray:
        """The spectrogram round trip without the model: the ceiling of the representation.

        The same normalised spectrogram the model would see, turned back into sound by the same
        Griffin-Lim path as :meth:`reconstruct`.

        Returns
        -------
        np.ndarray [shape=(len(y),)], float32
        """
        return self.resynth_spectrogram(self.analyse(y, name=name))

    def resynth_spectrogram(self, song: SongSpectrogram) -> np.ndarray:
        """:meth:`resynth` of an already analysed song [shape=(song.n_samples,)]."""
        return np.concatenate(list(self.resynth_blocks(song)))

    def resynth_blocks(self, song: SongSpectrogram) -> Iterator[np.ndarray]:
        """:meth:`resynth_spectrogram` a block at a time (bounded memory)."""
        return frames_to_audio_blocks(song.frame_range, song.n_frames, song.normaliser, self.spec, song.n_samples,
                                      n_iter=self.n_iter, method=self.method, seed=self.seed)

    def check_can_sample(self) -> None:
        """Raise :class:`~genmusic.errors.ParameterError` unless the model has a prior to sample (a VAE)."""
        if not self.is_vae:
            raise ParameterError("sampling needs a VAE: this model is a plain autoencoder, whose latent space has "
                                 "no prior to sample from; train a model with kind='vae'")

    def sample_latents(self, n: int, *, temperature: float = 1.0, seed: int = 0, n_segments: int = 1) -> np.ndarray:
        """Latents drawn from the VAE's prior, as :meth:`sample` draws them (``VAE.sample_prior``).

        Returns
        -------
        np.ndarray [shape=(n, n_segments, latent_dim)], float32

        Raises
        ------
        ParameterError
            The model is not a VAE.
        """
        self.check_can_sample()
        check_integer(n, "n", minimum=1)
        check_integer(n_segments, "n_segments", minimum=1)
        z = np.asarray(self.model.sample_prior(int(n) * int(n_segments), temperature=temperature, seed=int(seed)),
                       dtype=np.float32)
        return z.reshape(int(n), int(n_segments), -1)

    def sample(self, n: int, *, temperature: float = 1.0, seed: int = 0, n_segments: int = 1) -> List[np.ndarray]:
        """Sounds from the VAE's prior, denormalised with the dataset-level statistics.

        Parameters
        ----------
        n : int >= 1
            Number of sounds.
        temperature : float >= 0
            Standard deviation of the prior samples.
        seed : int
            Seed of the latents (``VAE.sample_prior``); Griffin-Lim uses the generator's seed.
        n_segments : int >= 1
            Consecutive independently drawn segments per sound, decoded as one song.

        Returns
        -------
        list of np.ndarray [shape=(n_segments * segment_samples,)]

        Raises
        ------
        ParameterError
            The model is not a VAE, or no dataset statistics are known.
        """
        z = self.sample_latents(n, temperature=temperature, seed=seed, n_segments=n_segments)
        if n_segments == 1:
            return list(self.decode_latents(z[:, 0]))
        return [self.decode_song(zi) for zi in z]
