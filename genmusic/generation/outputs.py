"""What a ``generate`` job makes and how it is written: :class:`Job` (a file name and a ``make()``),
:class:`Output` (the audio, a block at a time, and how it was made) and :func:`write_output`: ``NAME.wav``
(32-bit float), ``NAME.png`` (source and result spectrograms in dB) and ``NAME.json`` (how it was made).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, List, Sequence

import numpy as np

from .._io import atomic_write_json
from .._version import __version__
from ..features import spectrogram
from .inputs import InputSong

__all__ = ["Output", "Job", "Written", "write_output", "PICTURE_FRAMES"]


@dataclass
class Output:
    """What a job made.

    Attributes
    ----------
    blocks : iterator of np.ndarray [shape=(m,)]
        The audio, a piece at a time (made as it is written: memory does not grow with its length).
    normaliser : {"song", "dataset"}
        Whose dB statistics undid the normalisation.
    stats : (float, float)
        Those statistics, ``(db_min, db_max)``.
    inputs : list of InputSong
    parameters : dict
    notes : list of str
    """

    blocks: Iterator[np.ndarray]
    normaliser: str
    stats: tuple
    inputs: List[InputSong]
    parameters: dict
    notes: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.blocks, np.ndarray):  # a whole signal: one block
            self.blocks = iter([self.blocks])


@dataclass
class Job:
    """One output to make: its file name (without extension), the function that makes it, and the inputs it
    uses (closed once the last job that uses them is written)."""

    name: str
    make: Callable[[], Output]
    inputs: List[InputSong] = field(default_factory=list)


@dataclass
class Written:
    """One output on disk: the WAV (beside its ``.png`` and ``.json``) and what happened to its level.

    Attributes
    ----------
    wav : Path
    peak_normalised : bool
        Scaled to -1 dBFS (asked for with ``normalise_peak``).
    peak : float
        Linear peak of the audio as it was made (above 1.0 it would clip in an integer format).
    """

    wav: Path
    peak_normalised: bool
    peak: float = 0.0


#: Columns of a spectrogram picture at most; a longer sound is drawn with its frames max-pooled in time.
PICTURE_FRAMES = 4096


def write_output(name: str, output: Output, output_dir: Path, gen, *, mode: str, seed: int, overwrite: bool,
                 normalise_peak: bool, command: Sequence[str]) -> Written:
    """``NAME.wav``, ``NAME.png`` (sources and result in dB) and ``NAME.json`` (how it was made).

    Parameters
    ----------
    gen : SoundGenerator
        The generator that made ``output`` (its model and settings go into the sidecar).
    mode : str
    seed : int
        ``GenerateOptions.seed``, recorded.
    """
    from ..audio import write_wav
    from .._plot import plot_spectrograms

    sr, spec = gen.sample_rate, gen.spec
    wav = output_dir / f"{name}.wav"
    level = write_wav(wav, output.blocks, sr, overwrite=overwrite, normalise_peak=normalise_peak)
    with gen.open(wav, spool_dir=output_dir) as written:
        sources = [(item.signal, item.song) for item in output.inputs[:3]]
        n_frames = [1 + (signal.n_samples if signal is not None else song.n_samples) // spec.hop_length
                    for signal, song in sources] + [1 + written.n_samples // spec.hop_length]
        factor = max(1, math.ceil(max(n_frames) / PICTURE_FRAMES))
        panels = [_picture(gen, signal, song, n, factor) for (signal, song), n in zip(sources, n_frames)]
        panels.append(_picture(gen, written, None, n_frames[-1], factor))
    titles = [f"source: {item.label}" + (f" ({item.genre})" if item.genre else "") for item in output.inputs[:3]]
    titles.append(f"result: {name}")
    plot_spectrograms(panels, output_dir / f"{name}.png", titles=titles, sample_rate=sr,
                      hop_length=spec.hop_length * factor, n_fft=spec.n_fft,
                      suptitle=f"{mode} ({output.normaliser} statistics)"
                               + (f", frames max-pooled x{factor}" if factor > 1 else ""))
    sidecar = {
        "genmusic_version": __version__,
        "mode": mode,
        "wav": wav.name,
        "png": f"{name}.png",
        "inputs": [item.describe(sr) for item in output.inputs],
        "parameters": output.parameters,
        "seed": seed,
        "model_folder": str(Path(gen.bundle.folder).resolve()),
        "model_kind": getattr(gen.model, "kind", type(gen.model).__name__),
        "latent_dim": int(gen.model.latent_dim),
        "n_iter": gen.n_iter,
        "griffin_lim_method": gen.method,
        "normaliser": output.normaliser,
        "normaliser_stats": {"db_min": float(output.stats[0]), "db_max": float(output.stats[1])},
        "wav_format": "32-bit float",
        "peak_normalised": bool(level["peak_normalised"]),
        "gain": level["gain"],
        "gain_db": level["gain_db"],
        "peak_before": level["peak"],
        "peak_dbfs_before": level["peak_dbfs"],
        "sample_rate": sr,
        "n_samples": int(level["n_samples"]),
        "seconds": round(level["n_samples"] / sr, 4),
        "spectrogram": {"n_fft": spec.n_fft, "hop_length": spec.hop_length,
                        "segment_frames": spec.segment_frames, "top_db": spec.top_db},
        "notes": output.notes,
        "command": list(command),
    }
    atomic_write_json(output_dir / f"{name}.json", sidecar)
    return Written(wav, bool(level["peak_normalised"]), level["peak"])


def _picture(gen, signal, song, n_frames: int, factor: int) -> np.ndarray:
    """A spectrogram panel in dB [shape=(n_freq_bins, ceil(n_frames / factor))]: the audio's (floored
    ``top_db`` below its peak, as ``LogSpectrogramExtractor.extract``), or a stored spectrogram's; frames
    max-pooled ``factor`` at a time, computed block by block."""
    extractor = gen.pipeline.extractor
    if signal is not None:
        def db(start: int, stop: int) -> np.ndarray:
            return extractor.db_frames(signal, start, stop)
    else:
        n_frames = song.n_segments * song.segment_frames

        def db(start: int, stop: int) -> np.ndarray:
            return song.normaliser.inverse_transform(song.frame_range(start, stop))
    step = factor * max(1, spectrogram.ANALYSIS_BLOCK_FRAMES // factor)
    pooled = []
    for start in range(0, n_frames, step):
        block = db(start, min(n_frames, start + step))
        pad = -block.shape[1] % factor
        if pad:
            block = np.concatenate([block, np.repeat(block[:, -1:], pad, axis=1)], axis=1)
        pooled.append(block.reshape(block.shape[0], -1, factor).max(axis=2))
    picture = np.concatenate(pooled, axis=1)
    if signal is not None:
        picture = np.maximum(picture, picture.max() - np.float32(gen.spec.top_db))
    return picture
