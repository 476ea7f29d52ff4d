#!/usr/bin/env python
"""The ceiling of the representation: spectrogram -> Griffin-Lim -> audio without any model.

For each STFT setting, every genre's songs of the embedded dataset go through genmusic's log
spectrogram (Nyquist bin dropped, top_db floor) and back with 32 Griffin-Lim iterations; the table
gives the mean mel distance (genmusic.metrics.mel_distance), next to the tutorial's zero-phase inverse
and to white noise of the same loudness.

    python benchmarks/bench_resynth.py --songs-per-genre 2 --seconds 10
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genmusic.config import SpectrogramConfig  # noqa: E402
from genmusic.data.synthetic import GENRES, synthesize_song  # noqa: E402
from genmusic.features.inversion import resynthesize  # noqa: E402
from genmusic.metrics import mel_distance  # noqa: E402
from genmusic.features.spectrogram import LogSpectrogramExtractor, db_to_magnitude  # noqa: E402


def zero_phase(y: np.ndarray, cfg: SpectrogramConfig) -> np.ndarray:
    """The tutorial's inverse: istft of the magnitude with zero phase."""
    import librosa

    mag = db_to_magnitude(LogSpectrogramExtractor(cfg).extract(y))
    return librosa.istft(mag.astype(np.complex64), hop_length=cfg.hop_length, n_fft=cfg.n_fft, length=len(y))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--songs-per-genre", type=int, default=2)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--n-iter", type=int, default=32)
    args = p.parse_args(argv)
    sr = 22050
    songs = [synthesize_song(g, i, duration=args.seconds, sample_rate=sr, seed=100)
             for g in GENRES for i in range(args.songs_per_genre)]
    settings = [("tutorial n_fft 512 / hop 256", SpectrogramConfig(n_fft=512, hop_length=256)),
                ("default n_fft 1024 / hop 256", SpectrogramConfig()),
                ("n_fft 2048 / hop 512", SpectrogramConfig(n_fft=2048, hop_length=512)),
                ("n_fft 1024 / hop 256, top_db 120", SpectrogramConfig(top_db=120.0))]
    print(f"{len(songs)} synthetic songs x {args.seconds:g} s, {args.n_iter} Griffin-Lim iterations\n")
    print(f"{'setting':<36} {'mel distance':>12} {'per genre min..max':>20} {'s per audio s':>14}")
    for name, cfg in settings:
        start = time.perf_counter()
        d = np.array([mel_distance(y, resynthesize(y, cfg, n_iter=args.n_iter), sr) for y in songs])
        per_s = (time.perf_counter() - start) / (len(songs) * args.seconds)
        print(f"{name:<36} {d.mean():>12.4f} {d.min():>9.4f}..{d.max():<9.4f} {per_s:>14.4f}")
    cfg = SpectrogramConfig()
    zp = np.mean([mel_distance(y, zero_phase(y, cfg), sr) for y in songs])
    rng = np.random.default_rng(0)
    noise = np.mean([mel_distance(y, (rng.standard_normal(len(y)) * y.std()).astype(np.float32), sr) for y in songs])
    print(f"{'zero-phase inverse (tutorial bug)':<36} {zp:>12.4f}")
    print(f"{'white noise, same RMS':<36} {noise:>12.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
