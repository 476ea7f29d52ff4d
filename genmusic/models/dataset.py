"""The training data: a store's segments streamed in batches, and the train / validation split.

* :class:`SpectrogramDataset` -- a :class:`keras.utils.PyDataset` that gathers batches ``(x, x)`` from the
  memory-mapped song files of a :class:`~genmusic.data.store.SpectrogramStore`, reshuffled every epoch with a
  seeded generator, optionally as random crops (windows of a segment's length at any frame of a song); a
  batch holding NaN or inf raises :class:`~genmusic.errors.DataError` naming the songs.
* :func:`split_indices` -- which segments are trained on and which validated on.
"""

from __future__ import annotations

import logging
import math
from typing import Optional, Tuple, Union

import keras
import numpy as np

from .._checks import check_integer
from ..data.store import SpectrogramStore
from ..errors import DataError

__all__ = ["SpectrogramDataset", "split_indices"]

logger = logging.getLogger("genmusic")


class SpectrogramDataset(keras.utils.PyDataset):
    """Batches ``(x, x)`` of normalised spectrogram segments, read from a store's memory-mapped files.

    Only the segments of the current batch are ever in memory. With ``crops`` each item of an epoch is not
    the stored segment but a window of the same length at a random frame of the same song (within its
    audio, across segment boundaries): a song of ``n`` frames gives ``n - segment_frames + 1`` different
    windows instead of ``n / segment_frames``, which is what keeps a model trained on a few dozen songs from
    learning them by heart. The offsets are drawn by ``np.random.default_rng([seed, epoch, batch])``.

    With ``shuffle`` the order of the
    segments is a permutation drawn by ``np.random.default_rng([seed, epoch])``: the same seed gives
    the same order in every run, a new one every epoch, and a resumed run carries on with the order it
    would have had. :meth:`on_epoch_end` (called by ``fit``) moves to the next epoch.

    Parameters
    ----------
    store : SpectrogramStore
    index : np.ndarray [shape=(n, 2)] or str
        ``(song_number, segment)`` pairs (see :meth:`SpectrogramStore.segment_index`), or a split name.
    batch_size : int >= 1
    shuffle : bool
    seed : int
    epoch : int
        Epoch of the first order (a resumed run starts at its saved epoch).
    max_segments : int or None
        Use at most this many segments per epoch (with ``shuffle``, a new random subset every epoch).
    pad_to_multiple : int >= 1
        Top up the last batch with segments from the start of the epoch so that every batch splits
        evenly over this many replicas.
    crops : bool
        Random-offset windows instead of the stored segments (see above).
    **kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size`` for :class:`keras.utils.PyDataset`.

    Examples
    --------
    >>> ds = SpectrogramDataset(store, "train", batch_size=16, seed=0)   # doctest: +SKIP
    >>> x, y = ds[0]; x.shape                                            # doctest: +SKIP
    (16, 512, 128, 1)
    """

    def __init__(self, store: SpectrogramStore, index: Union[np.ndarray, str], batch_size: int, *,
                 shuffle: bool = True, seed: int = 0, epoch: int = 0, max_segments: Optional[int] = None,
                 pad_to_multiple: int = 1, crops: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(index, str):
            index = store.segment_index(index)
        index = np.asarray(index, dtype=np.int64).reshape(-1, 2)
        check_integer(batch_size, "batch_size", minimum=1)
        check_integer(max_segments, "max_segments", minimum=1, allow_none=True)
        check_integer(pad_to_multiple, "pad_to_multiple", minimum=1)
        if len(index) == 0:
            raise DataError(f"{store.path}: no segments to train on in this split")
        self.store = store
        self.index = index
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.max_segments = None if max_segments is None else int(max_segments)
        self.pad_to_multiple = int(pad_to_multiple)
        self.crops = bool(crops)
        hop, frames = store.config.spectrogram.hop_length, store.segment_shape[1]
        # Frames that hold audio (centred frames: 1 + n_samples // hop), at least one window's worth.
        self._song_frames = np.array([min(r.n_segments * frames, max(frames, 1 + r.n_samples // hop))
                                      for r in store.songs], dtype=np.int64)
        self.last_error: Optional[DataError] = None
        self.set_epoch(epoch)

    # -- order -------------------------------------------------------------------------------------------

    def set_epoch(self, epoch: int) -> None:
        """Draw the segment order of ``epoch``."""
        self.epoch = int(epoch)
        n = len(self.index)
        order = np.random.default_rng([self.seed, self.epoch]).permutation(n) if self.shuffle else np.arange(n)
        if self.max_segments is not None:
            order = order[:self.max_segments]
        self.order = order

    def on_epoch_end(self) -> None:
        self.set_epoch(self.epoch + 1)

    # -- PyDataset -----------------------------------------------------------------------------------------

    @property
    def n_segments(self) -> int:
        """Segments per epoch (without the top-up of the last batch)."""
        return len(self.order)

    def __len__(self) -> int:
        return math.ceil(len(self.order) / self.batch_size)

    def batch_positions(self, i: int) -> np.ndarray:
        """Positions in :attr:`index` of the segments of batch ``i`` (the top-up included)."""
        if not 0 <= i < len(self):
            raise IndexError(f"batch {i} out of range: the dataset has {len(self)} batches")
        rows = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        short = (-len(rows)) % self.pad_to_multiple
        if short:
            rows = np.concatenate([rows, np.resize(self.order, short)])
        return rows

    def batch_samples(self, i: int) -> int:
        """Segments in batch ``i``."""
        return len(self.batch_positions(i))

    def __getitem__(self, i: int) -> Tuple[np.ndarray, np.ndarray]:
        """Batch ``i``: ``(x, x)``, x float32 [shape=(batch, n_freq, segment_frames, 1)].

        A :class:`~genmusic.errors.DataError` (a song file gone, cut short or replaced, NaN in a batch) is
        kept in :attr:`last_error` as well: Keras' data pipeline wraps what a dataset raises, and training
        raises the kept error instead, with its own words.
        """
        try:
            return self._batch(int(i))
        except DataError as error:
            self.last_error = error
            raise

    def _batch(self, i: int) -> Tuple[np.ndarray, np.ndarray]:
        pairs = self.index[self.batch_positions(i)]
        x = self._load_crops(pairs, i) if self.crops else self.store.load_segments(pairs)
        finite = np.isfinite(x).reshape(len(x), -1).all(axis=1)
        if not finite.all():
            bad = sorted({self.store.songs[int(p)].song_id for p, ok in zip(pairs[:, 0], finite) if not ok})
            raise DataError(
                f"{self.store.path}: batch {i} holds NaN or infinite values, from song(s) {', '.join(bad)}; "
                f"the spectrogram files are damaged: preprocess again with overwrite=True")
        x = x[..., None]
        return x, x


    def _load_crops(self, pairs: np.ndarray, i: int) -> np.ndarray:
        """One random window per pair, from the pair's song, float32 [shape=(len(pairs), n_freq, frames)]."""
        n_freq, frames = self.store.segment_shape
        rng = np.random.default_rng([self.seed, self.epoch, i])
        out = np.empty((len(pairs), n_freq, frames), dtype=np.float32)
        for k, song_no in enumerate(pairs[:, 0]):
            start = int(rng.integers(0, self._song_frames[song_no] - frames + 1))
            first, offset = divmod(start, frames)
            pair = self.store.read_segments(self.store.songs[int(song_no)].song_id, first, first + (offset > 0) + 1)
            if offset == 0:
                out[k] = pair[0]
            else:
                out[k, :, :frames - offset] = pair[0, :, offset:]
                out[k, :, frames - offset:] = pair[1, :, :offset]
        return out


def split_indices(store: SpectrogramStore, seed: int) -> Tuple[np.ndarray, np.ndarray, str]:
    """The ``(song_number, segment)`` pairs to train and to validate on, and a note saying which.

    The store's ``"train"`` and ``"validation"`` splits; when the validation split is empty, a seeded 10%
    of the training songs (whole songs) is held out instead, and with a single training song it is
    validated on itself.

    Returns
    -------
    train_index, val_index : np.ndarray [shape=(n, 2)]
    note : str
    """
    train_index = store.segment_index("train")
    if len(train_index) == 0:
        raise DataError(f"{store.path} has no training songs (songs per split: "
                        f"{store.stats.get('songs_per_split')}); preprocess with smaller validation/test fractions")
    val_index = store.segment_index("validation")
    if len(val_index):
        return train_index, val_index, f"validation split: {len(store.songs_in('validation'))} song(s)"
    songs = np.unique(train_index[:, 0])
    if len(songs) < 2:
        note = "the store has no validation songs and only one training song: validating on the training song"
        logger.warning(note)
        return train_index, train_index, note
    n_val = max(1, int(round(0.1 * len(songs))))
    held = np.random.default_rng(seed).choice(songs, size=n_val, replace=False)
    is_val = np.isin(train_index[:, 0], held)
    names = ", ".join(store.songs[int(s)].song_id for s in sorted(held))
    note = (f"the store has no validation songs: holding out {n_val} of {len(songs)} training song(s) "
            f"(seed {seed}) for validation: {names}")
    logger.info(note)
    return train_index[~is_val], train_index[is_val], note
