"""How well a model rebuilds held-out music: spectrogram error, and the mel distance and chroma of what you hear.

* :func:`evaluate_reconstruction` -- for a few songs of a split: the model's reconstruction made audible
  with Griffin-Lim and compared with the original audio (:func:`genmusic.metrics.mel_distance`: the
  spectral envelope; :func:`genmusic.metrics.chroma_similarity`: the notes and chords), beside
  the *resynthesis ceiling*: the stored spectrogram itself made audible the same way, the best any model
  predicting these spectrograms can reach.
* :class:`PCABaseline` -- principal components with as many floats per segment as the model's latent,
  with the model's ``encode`` / ``decode`` / ``reconstruct``: the linear baseline a model must beat.

The latent-size study that trains a model per size and measures each with these is
:mod:`genmusic.analysis.sweep`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Callable, Dict, List, Mapping, Optional

import numpy as np

from .._lazy import lazy_names
from ..data.store import SongRecord, SpectrogramStore
from ..errors import AudioLoadError, DataError, ParameterError
from ..features.inversion import frames_to_audio
from ..features.windows import overlap_add
from ..models.architecture import Reconstruction

__all__ = ["evaluate_reconstruction", "select_songs", "PCABaseline"]

#: The latent-size study lived here before :mod:`genmusic.analysis.sweep`; its names still resolve, with a warning.
__getattr__, _ = lazy_names(__name__, {}, deprecated={name: "genmusic.analysis.sweep" for name in (
    "sweep_latent_sizes", "latent_sizes", "latent_time_steps", "LatentSize", "write_sweep_tables", "SWEEP_COLUMNS")})

logger = logging.getLogger("genmusic")

#: ``on_song(record, audio)`` of :func:`evaluate_reconstruction`: the signals it made for one song.
SongAudioHook = Callable[[SongRecord, Dict[str, Optional[np.ndarray]]], None]


def select_songs(store: SpectrogramStore, split: Optional[str], max_songs: Optional[int], *,
                 seed: int = 0) -> List[SongRecord]:
    """Up to ``max_songs`` songs of a split, dealt round-robin over the genres (sorted), deterministic.

    Within each genre the songs (sorted by id) are shuffled with ``np.random.default_rng([seed, k])``.
    """
    songs = store.songs_in(split)
    if not songs:
        counts = {s: len(store.songs_in(s)) for s in ("train", "validation", "test")}
        raise DataError(f"{store.path} has no songs in the {split!r} split (songs per split: {counts}); "
                        f"evaluate another split")
    by_genre: Dict[str, List[SongRecord]] = defaultdict(list)
    for record in sorted(songs, key=lambda r: r.song_id):
        by_genre[record.genre].append(record)
    queues = []
    for k, genre in enumerate(sorted(by_genre)):
        records = by_genre[genre]
        order = np.random.default_rng([seed, k]).permutation(len(records))
        queues.append([records[i] for i in order])
    limit = len(songs) if max_songs is None else max(0, int(max_songs))
    chosen: List[SongRecord] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen


def _mean(values) -> Optional[float]:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else None


def evaluate_reconstruction(model, store: SpectrogramStore, *, split: Optional[str] = "test",
                            max_songs: Optional[int] = 8, max_seconds: Optional[float] = None, n_iter: int = 32,
                            seed: int = 0, batch_size: int = 32, baselines: Optional[Mapping[str, object]] = None,
                            ceiling: bool = True, on_song: Optional[SongAudioHook] = None) -> dict:
    """Rebuild songs through a model and measure how far the result sounds from the original.

    For every chosen song (see :func:`select_songs`):

    * reference: the original audio (``Loader(store.config.audio).load(record.source)``, its first
      ``n_samples``);
    * estimate: the model's reconstruction, denormalised with the song's own statistics and made audible
      by Griffin-Lim (:func:`genmusic.features.inversion.frames_to_audio`, ``n_iter`` iterations, ``seed``);
      the same for each of ``baselines`` (e.g. ``{"pca": PCABaseline(...)}``);
    * ceiling: the stored spectrogram made audible the same way (``resynth``).

    When a song's source file is gone, its reference is the resynthesis of the stored spectrogram: its
    ``mel_distance`` then measures only what the model loses, it has no ceiling, and it is flagged
    (``"reference": "resynth"``, listed in ``"missing_sources"``).

    Parameters
    ----------
    model : object with ``reconstruct`` or None
        An Autoencoder / VAE, a :class:`PCABaseline` (``reconstruct(x, batch_size=...)`` giving a
        :class:`~genmusic.models.architecture.Reconstruction`); None measures the resynthesis ceiling only.
    store : SpectrogramStore
    split : {"train", "validation", "test"} or None
        None: all songs.
    max_songs : int or None
    max_seconds : float, optional
        Use only the first seconds of every song (whole segments).
    n_iter : int
        Griffin-Lim iterations.
    seed : int
        Song choice and Griffin-Lim's initial phase.
    baselines : mapping of str to model, optional
        More models measured on the same songs; ``NAME`` gives ``NAME_mel_distance``,
        ``NAME_chroma_similarity`` and ``NAME_mse``.
    ceiling : bool
        Measure the resynthesis ceiling (one more Griffin-Lim per song). Without it ``resynth_mel_distance``
        is None and the resynthesis is made only for songs whose source is gone.
    on_song : callable, optional
        ``on_song(record, audio)`` after each song, ``audio`` mapping ``"original"`` (None when the source
        is gone), ``"resynth"`` (None without ``ceiling``), ``"model"`` and each baseline's name to
        [shape=(n_samples,)] signals: what the report's players play.

    Returns
    -------
    dict with
        ``mel_distance`` and ``chroma_similarity`` (means over songs; None without a model; chroma is None
        below :data:`~genmusic.metrics.CHROMA_MIN_SAMPLE_RATE`, where the constant-Q transform does not fit),
        ``resynth_mel_distance`` and ``resynth_chroma_similarity`` (the ceiling), ``mse`` (mean
        normalised-spectrogram MSE; None without a model), ``NAME_mel_distance``, ``NAME_chroma_similarity``
        and ``NAME_mse`` per baseline, ``n_songs``, ``per_song`` (song_id -> dict with genre, seconds, those
        numbers per song, reference), ``missing_sources``,
        ``split``, ``n_iter``.
    """
    from ..audio import Loader
    from ..metrics import CHROMA_MIN_SAMPLE_RATE, chroma_similarity, mel_distance

    if max_seconds is not None and not max_seconds > 0:
        raise ParameterError(f"max_seconds must be None or > 0, got {max_seconds!r}")
    rebuilders = dict(baselines or {})
    if model is not None:
        rebuilders = {"": model, **rebuilders}
    config = store.config
    sr = config.audio.sample_rate
    spec = config.spectrogram
    loader = Loader(config.audio)

    def chroma(reference: np.ndarray, estimate: np.ndarray) -> Optional[float]:
        return chroma_similarity(reference, estimate, sr) if sr >= CHROMA_MIN_SAMPLE_RATE else None

    per_song: Dict[str, dict] = {}
    missing: List[str] = []
    for record in select_songs(store, split, max_songs, seed=seed):
        n_samples = int(record.n_samples)
        n_seg = record.n_segments
        if max_seconds is not None:
            n_samples = min(n_samples, int(round(max_seconds * sr)))
            n_seg = min(n_seg, -(-n_samples // spec.segment_samples))
        stored = np.asarray(store.song_array(record.song_id)[:n_seg], dtype=np.float32)
        normaliser = record.normaliser

        def audible(segments: np.ndarray) -> np.ndarray:
            frames = overlap_add(segments, spec.segment_frames)
            return frames_to_audio(frames, normaliser, spec, n_samples, n_iter=n_iter, seed=seed)

        resynth = audible(stored) if ceiling else None
        path, why = store.source_path(record)
        try:
            if path is None:
                raise AudioLoadError(f"{record.source} {why}")
            reference = loader.load(path, duration=n_samples / sr)[:n_samples]
            source = "original"
        except AudioLoadError as exc:
            logger.warning("%s: %s; comparing with the resynthesis of its stored spectrogram instead",
                           record.song_id, exc)
            resynth = audible(stored) if resynth is None else resynth
            reference, source = resynth, "resynth"
            missing.append(record.song_id)
        measured = ceiling and source == "original"
        row = {"genre": record.genre, "seconds": n_samples / sr, "reference": source,
               "resynth_mel_distance": mel_distance(reference, resynth, sr) if measured else None,
               "resynth_chroma_similarity": chroma(reference, resynth) if measured else None,
               "mel_distance": None, "chroma_similarity": None, "mse": None}
        heard = {"original": reference if source == "original" else None, "resynth": resynth}
        for name, rebuilder in rebuilders.items():
            prefix = f"{name}_" if name else ""
            rebuilt = np.asarray(rebuilder.reconstruct(stored, batch_size=batch_size).spectrograms, dtype=np.float32)
            heard[name or "model"] = audio = audible(rebuilt)
            row[f"{prefix}mse"] = float(np.mean((rebuilt - stored) ** 2))
            row[f"{prefix}mel_distance"] = mel_distance(reference, audio, sr)
            row[f"{prefix}chroma_similarity"] = chroma(reference, audio)
        per_song[record.song_id] = row
        if on_song is not None:
            on_song(record, heard)
    result = {
        "mel_distance": _mean(r["mel_distance"] for r in per_song.values()) if model is not None else None,
        "chroma_similarity": (_mean(r["chroma_similarity"] for r in per_song.values())
                              if model is not None else None),
        "resynth_mel_distance": _mean(r["resynth_mel_distance"] for r in per_song.values()),
        "resynth_chroma_similarity": _mean(r["resynth_chroma_similarity"] for r in per_song.values()),
        "mse": _mean(r["mse"] for r in per_song.values()) if model is not None else None,
    }
    for name in baselines or {}:
        for key in (f"{name}_mel_distance", f"{name}_chroma_similarity", f"{name}_mse"):
            result[key] = _mean(r[key] for r in per_song.values())
    result.update({
        "n_songs": len(per_song),
        "per_song": per_song,
        "missing_sources": missing,
        "split": split,
        "n_iter": n_iter,
    })
    return result


class PCABaseline:
    """Principal components of flattened spectrogram segments, used like a model.

    ``fit`` keeps memory bounded: it uses at most ``max_fit_segments`` segments, a seeded random subset
    of those given, so the data matrix never exceeds ``max_fit_segments * n_freq * n_frames`` floats.

    Parameters
    ----------
    latent_dim : int
        Components kept: floats per segment, as a model's ``latent_dim``.
    max_fit_segments : int
        Cap on the segments the components are fitted on.
    clip : bool
        Clip reconstructions to [0, 1], the range of normalised spectrograms (and of a model's sigmoid).
    seed : int
        Seeds the subset and the randomised SVD.

    Attributes
    ----------
    pca_ : sklearn.decomposition.PCA
        Exists after :meth:`fit`.
    segment_shape_ : (int, int)
    n_components_ : int
        Components actually kept: ``min(latent_dim, n_segments, n_freq * n_frames)``.

    Examples
    --------
    >>> pca = PCABaseline(128).fit_store(store)                         # doctest: +SKIP
    >>> evaluate_reconstruction(pca, store, split="test")["mel_distance"]  # doctest: +SKIP
    """

    def __init__(self, latent_dim: int, *, max_fit_segments: int = 2048, clip: bool = True, seed: int = 0) -> None:
        if int(latent_dim) < 1:
            raise ParameterError(f"latent_dim must be >= 1, got {latent_dim!r}")
        if int(max_fit_segments) < 1:
            raise ParameterError(f"max_fit_segments must be >= 1, got {max_fit_segments!r}")
        self.latent_dim = int(latent_dim)
        self.max_fit_segments = int(max_fit_segments)
        self.clip = bool(clip)
        self.seed = int(seed)

    def fit(self, segments: np.ndarray) -> "PCABaseline":
        """Fit the components.

        Parameters
        ----------
        segments : np.ndarray [shape=(n, n_freq, n_frames)] (a memory map is fine)
        """
        from sklearn.decomposition import PCA

        if np.ndim(segments) != 3 or len(segments) == 0:
            raise ParameterError(f"segments must have shape (n, n_freq, n_frames) with n >= 1, "
                                 f"got {np.shape(segments)}")
        n = len(segments)
        rows = np.arange(n)
        if n > self.max_fit_segments:
            rows = np.sort(np.random.default_rng(self.seed).choice(n, self.max_fit_segments, replace=False))
        shape = tuple(int(v) for v in np.shape(segments)[1:])
        size = shape[0] * shape[1]
        # float64 where it is affordable (exact round trips), float32 otherwise.
        dtype = np.float64 if len(rows) * size <= 2 ** 25 else np.float32
        x = np.asarray(segments[rows], dtype=dtype).reshape(len(rows), size)
        if not np.all(np.isfinite(x)):
            raise DataError("cannot fit PCA: the segments hold NaN or infinite values")
        k = min(self.latent_dim, len(rows), size)
        if k < self.latent_dim:
            logger.warning("PCA keeps %d components, not latent_dim=%d: only %d segments of %d values", k,
                           self.latent_dim, len(rows), size)
        self.pca_ = PCA(n_components=k, svd_solver="full" if dtype == np.float64 else "randomized",
                        random_state=self.seed).fit(x)
        self.segment_shape_ = shape
        self.n_components_ = k
        return self

    def fit_store(self, store: SpectrogramStore, split: str = "train") -> "PCABaseline":
        """Fit on (a seeded subset of at most ``max_fit_segments``) segments of a store's split."""
        index = store.segment_index(split)
        if len(index) == 0:
            raise DataError(f"{store.path} has no segments in the {split!r} split to fit PCA on")
        if len(index) > self.max_fit_segments:
            keep = np.random.default_rng(self.seed).choice(len(index), self.max_fit_segments, replace=False)
            index = index[np.sort(keep)]
        return self.fit(store.load_segments(index))

    def _check_fitted(self) -> None:
        if not hasattr(self, "pca_"):
            raise ParameterError("this PCABaseline is not fitted yet: call fit(segments) or fit_store(store)")

    def encode(self, segments: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Component scores of segments.

        Parameters
        ----------
        segments : np.ndarray [shape=(n, n_freq, n_frames)] or [shape=(n, n_freq, n_frames, 1)]

        Returns
        -------
        np.ndarray [shape=(n, n_components_)], float32
        """
        self._check_fitted()
        x = np.asarray(segments)
        if x.ndim == 4 and x.shape[-1] == 1:
            x = x[..., 0]
        if x.ndim != 3 or x.shape[1:] != self.segment_shape_:
            raise ParameterError(f"segments must have shape (n, {self.segment_shape_[0]}, {self.segment_shape_[1]}), "
                                 f"got {x.shape}")
        size = x.shape[1] * x.shape[2]
        out = [self.pca_.transform(x[i:i + batch_size].reshape(-1, size).astype(self.pca_.components_.dtype))
               for i in range(0, len(x), batch_size)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.n_components_), np.float32)

    def decode(self, latents: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Segments from component scores.

        Returns
        -------
        np.ndarray [shape=(n, n_freq, n_frames)], float32 (in [0, 1] with ``clip``)
        """
        self._check_fitted()
        z = np.asarray(latents)
        if z.ndim != 2 or z.shape[1] != self.n_components_:
            raise ParameterError(f"latents must have shape (n, {self.n_components_}), got {z.shape}")
        out = [self.pca_.inverse_transform(z[i:i + batch_size].astype(self.pca_.components_.dtype))
               for i in range(0, len(z), batch_size)]
        x = (np.concatenate(out) if out else np.zeros((0, int(np.prod(self.segment_shape_))))).reshape(
            -1, *self.segment_shape_)
        if self.clip:
            x = np.clip(x, 0.0, 1.0)
        return x.astype(np.float32)

    def reconstruct(self, segments: np.ndarray, batch_size: int = 256) -> Reconstruction:
        """``decode(encode(segments))`` and the component scores, as a model's: ``spectrograms, latents``.

        Returns
        -------
        Reconstruction
            ``spectrograms`` [shape=(n, n_freq, n_frames)] and ``latents`` [shape=(n, n_components_)].
        """
        latents = self.encode(segments, batch_size)
        return Reconstruction(self.decode(latents, batch_size), latents)
