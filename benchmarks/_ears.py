"""Independent ears for the benchmarks: the figures of issue 16 for rows of rebuilt or generated songs.

Shared by ``bench_quality.py`` and ``bench_sampling.py``. For each row (the model, PCA with the same
floats, the resynthesis ceiling, chance lines, generated pieces) :class:`Ears` gives

* against each song's original, when the row has one: mel distance, chroma similarity, log-spectral distance
  above 1 kHz with a 4096-point STFT (:data:`LSD_HIGH`), the partials kept (:func:`genmusic.metrics.tonal_peak_f1`);
* for the set: how many pieces musicnn's tagger hears as the style they should have
  (:class:`~genmusic.metrics.StyleRecogniser` fitted on all real songs), and the Frechet audio distance of
  their per-patch tagger embeddings to the reference real songs.

Real songs' tagger embeddings are cached in the work folder (:class:`TaggerCache`), so reruns skip them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from genmusic.metrics import (StyleRecogniser, chroma_similarity, frechet_audio_distance, log_spectral_distance,
                              mel_distance, music_tagger_embedding, tonal_peak_f1)
from genmusic.metrics.tagger import WEIGHTS_FILE

#: The issue's "log-spectral distance above 1 kHz, 4096-point STFT" (hop n_fft // 4).
LSD_HIGH = dict(n_fft=4096, fmin=1000.0)
#: Figures of a song against its original, as :meth:`Ears.summary` names them.
REFERENCE_FIGURES = ("mel", "chroma", "lsd_high", "peaks")


class TaggerCache:
    """Tagger embeddings of real songs, kept in ``path`` (an ``.npz``) between runs.

    A song's key names its file, size, modification time, the samples and rate used, and the tagger's
    weights, so a changed file or new weights are embedded again.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.items: Dict[str, np.ndarray] = {}
        self.changed = False
        weights = WEIGHTS_FILE.read_bytes() if WEIGHTS_FILE.is_file() else b""
        self._weights = hashlib.sha1(weights).hexdigest()[:12]
        if self.path.is_file():
            with np.load(self.path, allow_pickle=False) as data:
                keys = json.loads(str(data["keys"]))
                self.items = {k: data[f"e{i}"] for i, k in enumerate(keys)}

    def key(self, source: Path, n_samples: int, sr: int) -> str:
        st = os.stat(source)
        return f"{Path(source).resolve()}|{st.st_size}|{st.st_mtime_ns}|{n_samples}|{sr}|{self._weights}"

    def embedding(self, source: Path, y: np.ndarray, sr: int) -> np.ndarray:
        """The cached tagger embedding of ``y`` (read from ``source``), or computed now and cached."""
        key = self.key(source, len(y), sr)
        if key not in self.items:
            self.items[key] = music_tagger_embedding(y, sr)
            self.changed = True
        return self.items[key]

    def save(self) -> None:
        if not self.changed:
            return
        keys = list(self.items)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, keys=np.array(json.dumps(keys)), **{f"e{i}": self.items[k] for i, k in enumerate(keys)})
        os.replace(tmp, self.path)
        self.changed = False


def noise_like(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """White noise as long and as loud (RMS) as ``y``, float32."""
    rms = float(np.sqrt(np.mean(np.asarray(y, np.float64) ** 2)))
    return (rms * rng.standard_normal(len(y))).astype(np.float32)


def derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random permutation of ``range(n)`` that moves every index (n >= 2): "another song of the set"."""
    while True:
        p = rng.permutation(n)
        if n < 2 or not np.any(p == np.arange(n)):
            return p


def halves(styles: Sequence[str], seed: int) -> np.ndarray:
    """A seeded split of songs into two halves, each style halved (True: first half)."""
    styles = np.asarray(styles)
    rng = np.random.default_rng(seed)
    first = np.zeros(len(styles), bool)
    for s in sorted(set(styles)):
        idx = np.flatnonzero(styles == s)
        first[rng.permutation(idx)[: len(idx) // 2]] = True
    return first


def held_out_fad(real: Sequence[np.ndarray], styles: Sequence[str], pieces: Sequence[np.ndarray], per_style: int,
                 draws: int = 10, seed: int = 0) -> Dict[str, float]:
    """The FAD of a set of pieces against real songs, beside that of real songs of the same size.

    Each draw holds ``per_style`` real songs of every style out of the reference; the held-out real songs and
    the pieces are measured against the songs left (so neither set is part of what it is compared with). A
    set of 32 songs sits further from any reference than the two halves of a corpus do (small sets carry
    more sampling noise into their Gaussian), so the real songs of the same size, not the halves, are what
    the pieces' figure compares with.

    Returns
    -------
    dict
        ``real`` and ``pieces`` (means over the draws), ``ratio`` (their quotient), ``draws``, ``per_style``.
    """
    styles = np.asarray(styles)
    real_fad, piece_fad = [], []
    for d in range(draws):
        rng = np.random.default_rng([seed, d])
        held = np.zeros(len(real), bool)
        for g in sorted(set(styles.tolist())):
            held[rng.permutation(np.flatnonzero(styles == g))[:per_style]] = True
        reference = [e for e, h in zip(real, held) if not h]
        real_fad.append(frechet_audio_distance(reference, [e for e, h in zip(real, held) if h]))
        piece_fad.append(frechet_audio_distance(reference, list(pieces)))
    out = {"real": float(np.mean(real_fad)), "pieces": float(np.mean(piece_fad)), "draws": draws,
           "per_style": int(per_style)}
    out["ratio"] = out["pieces"] / out["real"]
    return out


class Ears:
    """Collects rows of songs and reports issue 16's figures for each.

    Parameters
    ----------
    sr : int
    recogniser : StyleRecogniser
        Fitted on the real songs.
    reference : list of np.ndarray [shape=(n_patches, 200)]
        Tagger embeddings of the real songs each row's FAD is measured against.
    """

    def __init__(self, sr: int, recogniser: StyleRecogniser, reference: List[np.ndarray]) -> None:
        self.sr = int(sr)
        self.recogniser = recogniser
        self.reference = reference
        self.rows: Dict[str, dict] = {}

    def song(self, row: str, rebuilt: np.ndarray, style: Optional[str], original: Optional[np.ndarray] = None,
             mel: Optional[float] = None, embedding: Optional[np.ndarray] = None) -> None:
        """Add one song to ``row``: ``rebuilt`` (a reconstruction, a chance stand-in or a generated piece)."""
        r = self.rows.setdefault(row, {"embeddings": [], "styles": [], **{k: [] for k in REFERENCE_FIGURES}})
        r["embeddings"].append(music_tagger_embedding(rebuilt, self.sr) if embedding is None else embedding)
        r["styles"].append(style)
        if original is not None:
            n = min(len(original), len(rebuilt))
            r["mel"].append(mel_distance(original[:n], rebuilt[:n], self.sr) if mel is None else mel)
            r["chroma"].append(chroma_similarity(original[:n], rebuilt[:n], self.sr))
            r["lsd_high"].append(log_spectral_distance(original[:n], rebuilt[:n], sr=self.sr, **LSD_HIGH))
            r["peaks"].append(tonal_peak_f1(original[:n], rebuilt[:n]))

    def summary(self) -> Dict[str, dict]:
        """Per row: ``n``, ``mel``, ``chroma``, ``lsd_high``, ``peaks`` (means, None without originals), ``recognised``
        (count, None without styles), ``fad`` (against the reference real songs)."""
        out = {}
        for name, r in self.rows.items():
            styled = [i for i, s in enumerate(r["styles"]) if s is not None]
            hits = (self.recogniser.recognised([r["embeddings"][i] for i in styled], [r["styles"][i] for i in styled])
                    if styled else None)
            out[name] = {"n": len(r["embeddings"]),
                         **{k: float(np.mean(r[k])) if r[k] else None for k in REFERENCE_FIGURES},
                         "recognised": int(hits.sum()) if hits is not None else None,
                         "n_styled": len(styled),
                         "fad": frechet_audio_distance(self.reference, r["embeddings"])}
        return out

    @staticmethod
    def table(summary: Dict[str, dict], extra: Optional[Dict[str, float]] = None) -> str:
        """Markdown: one line per row, ``extra`` adding FAD-only lines (e.g. real-vs-real)."""
        def f(v, fmt):
            return "" if v is None else format(v, fmt)

        lines = ["| songs | mel distance | chroma similarity | LSD > 1 kHz (dB) | partials kept (tonal peak F1) "
                 "| style recognised by the tagger | FAD (tagger) |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, s in summary.items():
            rec = f"{s['recognised']} of {s['n_styled']}" if s["recognised"] is not None else ""
            lines.append(f"| {name} | {f(s['mel'], '.3f')} | {f(s['chroma'], '.3f')} | {f(s['lsd_high'], '.1f')} "
                         f"| {f(s['peaks'], '.3f')} | {rec} | {s['fad']:.1f} |")
        for name, fad in (extra or {}).items():
            lines.append(f"| {name} | | | | | | {fad:.1f} |")
        return "\n".join(lines)
