"""Sound from a trained model: whole-song encode / decode, reconstruction, prior samples.

:class:`SoundGenerator` joins a model to the rest of the pipeline::

    audio --PreprocessingPipeline.process_signal--> normalised log spectrogram of the whole song
          --slice_windows--> segments (windows) --model.encode--> SongLatents
    SongLatents --model.decode--> windows --overlap_add--> whole-song spectrogram
          --synthesis.normalised_to_audio (one Griffin-Lim over the whole song)--> audio of the exact length

Seams
-----
A model sees one segment at a time, so two neighbouring segments decoded independently can disagree
at their border (a step in level or timbre every ``segment_samples``). ``encode_song(y, overlap=0.5)``
encodes windows of ``segment_frames`` frames every ``hop_frames = segment_frames * (1 - overlap)``
frames, cut from the song's spectrogram computed once; decoding overlap-adds the decoded windows with
raised-cosine crossfades whose weights sum to one (see :func:`crossfade_weights`), so every border of a
window lies inside another window. Phase is rebuilt once for the whole song, so there are no phase
seams either. ``overlap=0`` gives the plain consecutive segments the latent operations
(:mod:`genmusic.latent_ops`) work on.

Normalisation
-------------
A decoded spectrogram is in [0, 1]; a song's own dB statistics (``SongLatents.db_min/db_max``) undo the
normalisation of anything that comes from that song, the dataset-level statistics
(``dataset_normaliser``, from the model folder) that of latents from no single file (prior samples,
averages, mixes).

:class:`IdentityModel` passes spectrograms through unchanged (the latent is the flattened
spectrogram): a ``SoundGenerator`` with it runs the whole window / overlap-add / Griffin-Lim path
without a trained model, which is how the seam logic is tested.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ._checks import check_choice, check_integer, check_number
from .config import GenmusicConfig, SpectrogramConfig
from .errors import ParameterError
from .spectrogram import MinMaxNormaliser
from ._io import atomic_write

__all__ = [
    "SoundGenerator",
    "SongSpectrogram",
    "SongLatents",
    "IdentityModel",
    "hop_frames_for",
    "n_windows_for",
    "crossfade_weights",
    "slice_windows",
    "overlap_add",
    "fit_frames",
    "prevent_clipping",
    "write_wav",
    "seam_statistics",
    "PEAK_TARGET_DBFS",
]

#: Level a signal that would clip is scaled to, in dB below full scale.
PEAK_TARGET_DBFS = -1.0


# --------------------------------------------------------------------------------------------------
# windows and overlap-add (pure numpy)


def hop_frames_for(segment_frames: int, overlap: float) -> int:
    """Frames between the starts of consecutive windows: ``round(segment_frames * (1 - overlap))``, >= 1.

    Parameters
    ----------
    segment_frames : int >= 1
    overlap : float in [0, 1)
        Fraction of a window shared with the next one (0: consecutive segments).
    """
    overlap = check_number(overlap, "overlap", minimum=0.0, maximum=1.0, exclusive_maximum=True,
                           what="a number in [0, 1)")
    return max(1, int(round(segment_frames * (1.0 - float(overlap)))))


def n_windows_for(n_frames: int, segment_frames: int, hop_frames: int) -> int:
    """Windows of ``segment_frames`` every ``hop_frames`` needed to cover ``n_frames`` frames (at least one)."""
    return 1 + max(0, math.ceil((n_frames - segment_frames) / hop_frames))


def crossfade_weights(segment_frames: int, hop_frames: int) -> np.ndarray:
    """Overlap-add weights of one window: raised-cosine ramps over the overlapping frames, flat between.

    With ``r = segment_frames - hop_frames`` overlapping frames, frame ``j < r`` of a window has weight
    ``sin^2(pi / 2 * (j + 0.5) / r)`` and the mirror image holds at the window's end, so where two
    windows overlap their weights are ``sin^2 + cos^2 = 1``. Where more than two windows overlap
    (``overlap > 0.5``) :func:`overlap_add` divides by the summed weights, so the result is always a
    convex combination. Every weight is > 0, so the first and last frames of a song, covered by one
    window only, come back unchanged.

    Returns
    -------
    np.ndarray [shape=(segment_frames,)], float64 in (0, 1]
    """
    w = np.ones(segment_frames, dtype=np.float64)
    r = segment_frames - hop_frames
    if r > 0:
        ramp = np.sin(0.5 * np.pi * (np.arange(r) + 0.5) / r) ** 2
        w[:r] = np.minimum(w[:r], ramp)
        w[segment_frames - r:] = np.minimum(w[segment_frames - r:], ramp[::-1])
    return w


def slice_windows(frames: np.ndarray, segment_frames: int, hop_frames: int, n_windows: int) -> np.ndarray:
    """Cut ``n_windows`` windows of ``segment_frames`` frames, one every ``hop_frames``, from a spectrogram.

    Parameters
    ----------
    frames : np.ndarray [shape=(n_freq, n_frames)]
        ``n_frames >= (n_windows - 1) * hop_frames + segment_frames``.

    Returns
    -------
    np.ndarray [shape=(n_windows, n_freq, segment_frames)]
    """
    need = (n_windows - 1) * hop_frames + segment_frames
    if frames.ndim != 2 or frames.shape[1] < need:
        raise ParameterError(f"frames must have shape (n_freq, >= {need}) for {n_windows} window(s) of "
                             f"{segment_frames} every {hop_frames} frames, got {frames.shape}")
    return np.stack([frames[:, i * hop_frames:i * hop_frames + segment_frames] for i in range(n_windows)])


def overlap_add(windows: np.ndarray, hop_frames: int) -> np.ndarray:
    """Join windows placed every ``hop_frames`` frames, crossfading where they overlap.

    The inverse of :func:`slice_windows`: windows cut from one spectrogram come back as that
    spectrogram exactly (up to float round-off).

    Parameters
    ----------
    windows : np.ndarray [shape=(n_windows, n_freq, segment_frames)]
    hop_frames : int in [1, segment_frames]

    Returns
    -------
    np.ndarray [shape=(n_freq, (n_windows - 1) * hop_frames + segment_frames)], float32
    """
    windows = np.asarray(windows)
    if windows.ndim == 4 and windows.shape[-1] == 1:
        windows = windows[..., 0]
    if windows.ndim != 3 or len(windows) == 0:
        raise ParameterError(f"windows must have shape (n_windows, n_freq, segment_frames), got {windows.shape}")
    k, n_freq, seg = windows.shape
    if not 1 <= hop_frames <= seg:
        raise ParameterError(f"hop_frames must be in [1, segment_frames={seg}], got {hop_frames}")
    if hop_frames == seg:  # no overlap: plain concatenation
        return np.ascontiguousarray(windows.transpose(1, 0, 2).reshape(n_freq, k * seg)).astype(np.float32)
    total = (k - 1) * hop_frames + seg
    acc = np.zeros((n_freq, total), dtype=np.float64)
    weight_sum = np.zeros(total, dtype=np.float64)
    w = crossfade_weights(seg, hop_frames)
    for i in range(k):
        start = i * hop_frames
        acc[:, start:start + seg] += windows[i] * w
        weight_sum[start:start + seg] += w
    return (acc / weight_sum).astype(np.float32)


def fit_frames(frames: np.ndarray, n_frames: int) -> np.ndarray:
    """Trim a spectrogram to ``n_frames`` frames, or extend it by repeating its last frame.

    Griffin-Lim for a signal of exactly ``length`` samples needs ``1 + length // hop_length`` centred
    frames; a song cut into whole segments has ``n_segments * segment_frames`` of them, at most one
    fewer.

    Parameters
    ----------
    frames : np.ndarray [shape=(..., n_freq, n)]

    Returns
    -------
    np.ndarray [shape=(..., n_freq, n_frames)]
    """
    n = frames.shape[-1]
    if n >= n_frames:
        return frames[..., :n_frames]
    pad = [(0, 0)] * (frames.ndim - 1) + [(0, n_frames - n)]
    return np.pad(frames, pad, mode="edge")


# --------------------------------------------------------------------------------------------------
# data holders


@dataclass
class SongSpectrogram:
    """A song's normalised log spectrogram, computed once over the whole song.

    Attributes
    ----------
    frames : np.ndarray [shape=(n_freq_bins, n_segments * segment_frames + segment_frames)]
        Values in [0, 1]. The first ``n_segments * segment_frames`` frames are exactly the consecutive
        segments preprocessing makes (``PreprocessingPipeline.process_signal``); one more segment's worth
        of frames of the zero-padded tail follows, so windows with any overlap can be cut.
    db_min, db_max : float
        The song's own statistics (undo the normalisation).
    n_samples : int
        Length of the song before padding.
    n_segments : int
        Consecutive segments covering the song.
    source : str or None
        Where the song came from (a file, a store song id).
    """

    frames: np.ndarray
    db_min: float
    db_max: float
    n_samples: int
    n_segments: int
    source: Optional[str] = None

    @property
    def normaliser(self) -> MinMaxNormaliser:
        return MinMaxNormaliser.from_stats(self.db_min, self.db_max)

    @property
    def segment_frames(self) -> int:
        return self.frames.shape[1] // (self.n_segments + 1)

    def db(self) -> np.ndarray:
        """The song's segments in dB [shape=(n_freq_bins, n_segments * segment_frames)] (no padded tail)."""
        return self.normaliser.inverse_transform(self.frames[:, : self.n_segments * self.segment_frames])


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
        """A copy with other latents (e.g. after :mod:`genmusic.latent_ops`), same statistics and hop."""
        latents = np.asarray(latents, dtype=np.float32)
        if latents.shape[0] != self.n_windows:
            raise ParameterError(f"latents must keep the song's {self.n_windows} windows, got shape {latents.shape}")
        return SongLatents(latents, self.db_min, self.db_max, self.n_samples, self.segment_frames,
                           self.hop_frames, self.hop_length, self.source)


class IdentityModel:
    """A stand-in model that passes spectrograms through: the latent is the flattened spectrogram.

    Gives :class:`SoundGenerator` the encode / decode path of a perfect model, so whole-song decoding,
    overlap-add and seams can be checked without training anything.

    Parameters
    ----------
    spectrogram_shape : (int, int)
        ``(n_freq_bins, segment_frames)``.
    """

    kind = "identity"

    def __init__(self, spectrogram_shape: Tuple[int, int]) -> None:
        self.spectrogram_shape = tuple(int(v) for v in spectrogram_shape)
        self.latent_dim = int(np.prod(self.spectrogram_shape))

    def encode(self, spectrograms: np.ndarray) -> np.ndarray:
        """[shape=(n, n_freq, n_frames)] -> [shape=(n, n_freq * n_frames)]."""
        x = np.asarray(spectrograms, dtype=np.float32)
        if x.ndim == 4 and x.shape[-1] == 1:
            x = x[..., 0]
        if x.shape[1:] != self.spectrogram_shape:
            raise ParameterError(f"spectrograms must have shape (n, {self.spectrogram_shape[0]}, "
                                 f"{self.spectrogram_shape[1]}), got {x.shape}")
        return x.reshape(len(x), -1).copy()

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """[shape=(n, latent_dim)] -> [shape=(n, n_freq, n_frames)]."""
        z = np.asarray(latents, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ParameterError(f"latents must have shape (n, {self.latent_dim}), got {z.shape}")
        return z.reshape(len(z), *self.spectrogram_shape).copy()


# --------------------------------------------------------------------------------------------------
# output


def prevent_clipping(audio: np.ndarray, *, target_dbfs: float = PEAK_TARGET_DBFS) -> Tuple[np.ndarray, dict]:
    """Scale ``audio`` down to a peak of ``target_dbfs`` if (and only if) it would clip.

    Parameters
    ----------
    audio : np.ndarray [shape=(n,)]

    Returns
    -------
    audio : np.ndarray [shape=(n,)], float32
    info : dict
        ``peak`` (before), ``peak_normalised`` (bool), ``gain`` (linear, 1.0 when untouched),
        ``gain_db``.
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1 or audio.size == 0:
        raise ParameterError(f"audio must be a non-empty 1-D signal, got shape {audio.shape}")
    if not np.all(np.isfinite(audio)):
        raise ParameterError("audio holds NaN or inf values; nothing was written")
    peak = float(np.max(np.abs(audio)))
    gain = 1.0
    if peak > 1.0:
        gain = float(10.0 ** (target_dbfs / 20.0) / peak)
        audio = (audio * np.float32(gain)).astype(np.float32)
    return audio, {"peak": peak, "peak_normalised": gain != 1.0, "gain": gain,
                   "gain_db": float(20.0 * np.log10(gain))}


def write_wav(path: Union[str, os.PathLike], audio: np.ndarray, sr: int, *, overwrite: bool = False,
              subtype: str = "PCM_16") -> dict:
    """Write a mono WAV atomically (temporary file, then rename), never clipping.

    A signal whose peak exceeds 1 is scaled to a peak of -1 dBFS (:func:`prevent_clipping`); a quieter
    one is written as it is.

    Parameters
    ----------
    path : path-like
    audio : np.ndarray [shape=(n,)]
    sr : int
        Sample rate in Hz.
    overwrite : bool
        Replace an existing file (otherwise refuse).
    subtype : str
        soundfile subtype (``"PCM_16"``, ``"FLOAT"``, ...).

    Returns
    -------
    dict
        What :func:`prevent_clipping` did (``peak``, ``peak_normalised``, ``gain``, ``gain_db``).

    Raises
    ------
    ParameterError
        The file exists and ``overwrite`` is False; the audio is empty or holds NaN/inf.
    """
    import soundfile as sf

    path = Path(path)
    if path.exists() and not overwrite:
        raise ParameterError(f"{path} already exists; pass overwrite=True (--overwrite) to replace it")
    check_integer(sr, "sr", minimum=1, what="a positive integer sample rate in Hz")
    audio, info = prevent_clipping(audio)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda handle: sf.write(handle, audio, int(sr), subtype=subtype, format="WAV"))
    return info


# --------------------------------------------------------------------------------------------------
# seam diagnostics


def _log_mel_frames(y: np.ndarray, sr: int, n_fft: int, hop_length: int, n_mels: int) -> np.ndarray:
    import librosa

    mag = np.abs(librosa.stft(np.asarray(y, dtype=np.float64), n_fft=n_fft, hop_length=hop_length, center=True,
                              pad_mode="constant"))
    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)
    return np.log10(np.maximum(1e-5, basis @ mag))


def seam_statistics(reference: np.ndarray, estimate: np.ndarray, seams: Sequence[int], sr: int, *,
                    n_fft: int = 512, hop_length: Optional[int] = None, n_mels: Optional[int] = None,
                    radius: float = 0.02, level_window: float = 0.02) -> dict:
    """How much worse an estimate is at given sample positions (seams) than elsewhere.

    Two measures:

    * frame-wise log-mel distance ``mean_mels |log10 M_ref - log10 M_est|`` (magnitude mel spectrogram,
      floor 1e-5, as :func:`genmusic.metrics.mel_distance`), averaged over the frames whose centre lies
      within ``radius`` seconds of a seam (``seam_mel``) and over the other frames (``other_mel``);
    * the level jump at each seam: ``20 log10(rms(after) / rms(before))`` over ``level_window``
      seconds either side, for the estimate minus the same for the reference (``level_jumps_db``, and
      ``max_level_jump_db`` of their absolute values), so a jump the music itself has is not counted.

    Parameters
    ----------
    reference, estimate : np.ndarray [shape=(n,)]
        Compared over the shorter length.
    seams : sequence of int
        Sample positions.
    sr : int
    n_fft, hop_length, n_mels
        STFT of the mel measure (defaults: 512, ``n_fft // 4``, ``min(80, n_fft // 4)``).

    Returns
    -------
    dict
        ``seam_mel``, ``other_mel``, ``ratio`` (seam / other), ``level_jumps_db`` (list),
        ``max_level_jump_db``, ``n_seams``.
    """
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    n = min(len(reference), len(estimate))
    reference, estimate = reference[:n], estimate[:n]
    hop_length = hop_length or n_fft // 4
    n_mels = n_mels or min(80, n_fft // 4)
    seams = np.asarray([s for s in seams if 0 < s < n], dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty mel filters at low rates are harmless here
        diff = np.mean(np.abs(_log_mel_frames(reference, sr, n_fft, hop_length, n_mels)
                              - _log_mel_frames(estimate, sr, n_fft, hop_length, n_mels)), axis=0)
    centres = np.arange(diff.shape[0]) * hop_length
    near = np.zeros(diff.shape[0], dtype=bool)
    for s in seams:
        near |= np.abs(centres - s) <= radius * sr
    seam_mel = float(diff[near].mean()) if near.any() else float("nan")
    other_mel = float(diff[~near].mean()) if (~near).any() else float("nan")

    w = max(1, int(round(level_window * sr)))

    def jump(y: np.ndarray, s: int) -> float:
        before, after = y[max(0, s - w):s], y[s:s + w]
        rms_b = np.sqrt(np.mean(before ** 2)) + 1e-8
        rms_a = np.sqrt(np.mean(after ** 2)) + 1e-8
        return float(20 * np.log10(rms_a / rms_b))

    jumps = [jump(estimate, int(s)) - jump(reference, int(s)) for s in seams]
    return {"seam_mel": seam_mel, "other_mel": other_mel,
            "ratio": seam_mel / other_mel if other_mel and np.isfinite(other_mel) else float("nan"),
            "level_jumps_db": jumps, "max_level_jump_db": float(np.max(np.abs(jumps))) if jumps else 0.0,
            "n_seams": int(len(seams))}


# --------------------------------------------------------------------------------------------------
# the generator


LatentsLike = Union[SongLatents, np.ndarray]


class SoundGenerator:
    """Encode music into latents and decode latents into sound.

    Parameters
    ----------
    model : Autoencoder, VAE or IdentityModel
        Anything with ``encode(x [shape=(n, F, T)]) -> (n, latent_dim)``,
        ``decode(z) -> (n, F, T)`` and ``latent_dim``; ``sample_prior`` for :meth:`sample`.
    config : GenmusicConfig
        The settings the model was trained with (audio rate, STFT, segment length).
    n_iter : int
        Griffin-Lim iterations.
    method : {"librosa", "keras"}
        Griffin-Lim implementation (see :mod:`genmusic.griffinlim`).
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
        from .griffinlim import METHODS

        if not isinstance(config, GenmusicConfig):
            raise ParameterError(f"config must be a GenmusicConfig, got {type(config).__name__}")
        check_choice(method, "method", METHODS)
        check_integer(n_iter, "n_iter", minimum=0)
        shape = getattr(model, "spectrogram_shape", None)
        if shape is not None and tuple(shape) != tuple(config.spectrogram.segment_shape):
            raise ParameterError(f"the model takes spectrograms of shape {tuple(shape)} but the config's segments are "
                                 f"{config.spectrogram.segment_shape}; use the config saved with the model")
        self.model = model
        self.config = config
        self.n_iter = int(n_iter)
        self.method = method
        self.seed = int(seed)
        self.dataset_normaliser = dataset_normaliser
        self.bundle = None
        self._pipeline = None

    @classmethod
    def from_folder(cls, model_dir: Union[str, os.PathLike], **kwargs) -> "SoundGenerator":
        """A generator for a model folder (model, config and dataset statistics from ``genmusic.json``).

        Raises
        ------
        ModelFolderError
            The folder is missing, incomplete or incompatible (see :func:`genmusic.modelio.load_bundle`).
        """
        from .modelio import load_bundle

        bundle = load_bundle(model_dir)
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
            from .pipeline import PreprocessingPipeline

            self._pipeline = PreprocessingPipeline(self.config)
        return self._pipeline

    # ---- analysis
    def load(self, path: Union[str, os.PathLike]) -> np.ndarray:
        """Decode an audio file (any format, rate, channels) to mono float32 at the config's rate."""
        return self.pipeline.loader.load(path)

    def analyse(self, y: np.ndarray, *, name: str = "signal") -> SongSpectrogram:
        """The normalised log spectrogram of a whole song, as preprocessing computes it.

        Parameters
        ----------
        y : np.ndarray [shape=(n,)]
            Mono signal at ``config.audio.sample_rate``. Shorter than a segment is fine (padded).

        Raises
        ------
        ParameterError
            The signal is silent, empty or holds NaN/inf.
        """
        from ._checks import valid_audio
        from .synthesis import segments_to_frames

        y = valid_audio(y, name=name)
        segments, db_min, db_max, n_samples = self.pipeline.process_signal(y, name=name)
        n_seg = segments.shape[0]
        # One more segment of the zero-padded tail, so that overlapping windows can be cut past the last
        # segment. The frames shared with `segments` are identical: the padding only appends zeros.
        spec = self.spec
        tail_y = self.pipeline.padder.fix_length(y, (n_seg + 1) * spec.segment_samples)
        tail = self.pipeline.extractor.extract(tail_y)[:, n_seg * spec.segment_frames:(n_seg + 1) * spec.segment_frames]
        tail = np.clip(MinMaxNormaliser.from_stats(db_min, db_max).transform(tail), 0.0, 1.0)
        frames = np.concatenate([segments_to_frames(segments), tail], axis=1).astype(np.float32)
        return SongSpectrogram(frames, float(db_min), float(db_max), int(n_samples), int(n_seg), name)

    def spectrogram_from_segments(self, segments: np.ndarray, db_min: float, db_max: float, n_samples: int, *,
                                  source: Optional[str] = None) -> SongSpectrogram:
        """A :class:`SongSpectrogram` from stored segments (``SpectrogramStore.song_array``), no audio needed.

        The tail past the last segment is filled with 0 (the normalised floor).
        """
        from .synthesis import segments_to_frames

        segments = np.asarray(segments, dtype=np.float32)
        if segments.ndim != 3 or segments.shape[1:] != tuple(self.spec.segment_shape):
            raise ParameterError(f"segments must have shape (n, {self.spec.n_freq_bins}, {self.spec.segment_frames}), "
                                 f"got {segments.shape}")
        frames = np.concatenate([segments_to_frames(segments),
                                 np.zeros((self.spec.n_freq_bins, self.spec.segment_frames), np.float32)], axis=1)
        return SongSpectrogram(frames, float(db_min), float(db_max), int(n_samples), int(len(segments)), source)

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
        windows = slice_windows(song.frames, seg, hop, n_windows)
        latents = np.asarray(self.model.encode(windows), dtype=np.float32)
        return SongLatents(latents, song.db_min, song.db_max, song.n_samples, seg, hop, self.spec.hop_length,
                           song.source)

    def encode_song(self, y: np.ndarray, *, overlap: float = 0.0, name: str = "signal") -> SongLatents:
        """Latents of a mono signal at the config's rate (see :meth:`encode_spectrogram`).

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
        """Latents of an audio file of any format, rate and channel count."""
        return self.encode_song(self.load(path), overlap=overlap, name=str(path))

    # ---- decoding
    def _resolve_normaliser(self, normaliser: Optional[MinMaxNormaliser], fallback: Optional[MinMaxNormaliser],
                            what: str) -> MinMaxNormaliser:
        normaliser = normaliser or fallback or self.dataset_normaliser
        if normaliser is None:
            raise ParameterError(f"{what} needs dB statistics to undo the normalisation: pass normaliser=... or "
                                 f"build the generator with dataset_normaliser (SoundGenerator.from_folder does)")
        return normaliser

    def frames_to_audio(self, frames: np.ndarray, normaliser: MinMaxNormaliser, length: int) -> np.ndarray:
        """A normalised spectrogram -> exactly ``length`` samples, with one Griffin-Lim over all of it.

        Parameters
        ----------
        frames : np.ndarray [shape=(n_freq_bins, n_frames)] or [shape=(batch, n_freq_bins, n_frames)]
            Trimmed, or extended by its last frame, to the ``1 + length // hop_length`` frames the
            signal has.

        Returns
        -------
        np.ndarray [shape=(length,)] or [shape=(batch, length)], float32
        """
        from .synthesis import normalised_to_audio

        check_integer(length, "length", minimum=1, what="a positive number of samples")
        frames = fit_frames(np.asarray(frames, dtype=np.float32), 1 + int(length) // self.spec.hop_length)
        return normalised_to_audio(frames, normaliser, self.spec, length=int(length), n_iter=self.n_iter,
                                   method=self.method, seed=self.seed)

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
        if isinstance(song, SongLatents):
            latents, hop = song.latents, song.hop_frames
        else:
            latents = np.asarray(song, dtype=np.float32)
            if latents.ndim == 1:
                latents = latents[None]
            hop = hop_frames or self.spec.segment_frames
        if latents.ndim != 2 or latents.shape[0] == 0:
            raise ParameterError(f"latents must have shape (n_windows, latent_dim), got {latents.shape}")
        windows = np.asarray(self.model.decode(latents), dtype=np.float32)
        if not np.all(np.isfinite(windows)):
            raise ParameterError("the decoded spectrogram holds NaN or infinite values: the model output is unusable "
                                 "(was training stopped by a NaN loss?)")
        return overlap_add(windows, hop)

    def decode_song(self, song: LatentsLike, *, normaliser: Optional[MinMaxNormaliser] = None,
                    length: Optional[int] = None, hop_frames: Optional[int] = None) -> np.ndarray:
        """A whole song from its latents: decode, join, one Griffin-Lim, exactly ``length`` samples.

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
        frames = self.decode_frames(song, hop_frames=hop_frames)
        if isinstance(song, SongLatents):
            normaliser = self._resolve_normaliser(normaliser, song.normaliser, "decode_song")
            length = song.n_samples if length is None else length
        else:
            normaliser = self._resolve_normaliser(normaliser, None, "decoding latents from no single song")
            length = frames.shape[1] * self.spec.hop_length if length is None else length
        return self.frames_to_audio(frames, normaliser, length)

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
    def reconstruct(self, y: np.ndarray, *, overlap: float = 0.5, name: str = "signal") -> np.ndarray:
        """Encode and decode a whole song with the model (crossfaded windows, the song's own statistics).

        Returns
        -------
        np.ndarray [shape=(len(y),)], float32
        """
        return self.decode_song(self.encode_song(y, overlap=overlap, name=name))

    def resynth(self, y: np.ndarray, *, name: str = "signal") -> np.ndarray:
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
        return self.frames_to_audio(song.frames, song.normaliser, song.n_samples)

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
        if not self.is_vae:
            raise ParameterError("sampling needs a VAE: this model is a plain autoencoder, whose latent space has "
                                 "no prior to sample from; train one with `python scripts/train_vae.py`")
        check_integer(n, "n", minimum=1)
        check_integer(n_segments, "n_segments", minimum=1)
        z = self.model.sample_prior(int(n) * int(n_segments), temperature=temperature, seed=int(seed))
        z = z.reshape(int(n), int(n_segments), -1)
        if n_segments == 1:
            return list(self.decode_latents(z[:, 0]))
        return [self.decode_song(zi) for zi in z]
