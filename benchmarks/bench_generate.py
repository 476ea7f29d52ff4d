#!/usr/bin/env python
"""Speed and quality of sound generation: Griffin-Lim (librosa vs keras.ops), encoding, decoding.

Prints one table; not a test. Speeds are "x real time": seconds of audio per second of wall time
(above 1 is faster than real time).

* Griffin-Lim on a batch of songs (``--batch`` x ``--seconds``, ``--n-iter`` iterations): librosa
  (NumPy, song after song) and keras.ops (the whole batch at once, on whatever device the Keras
  backend uses; its first call, with any tracing or compilation, is timed apart).
* Encoding (analysis + model) and decoding (model + overlap-add, then Griffin-Lim) of whole songs
  through :class:`genmusic.generation.generator.SoundGenerator`, with overlap 0 and 0.5.
* Mel distance (:func:`genmusic.metrics.mel_distance`) of ``resynth`` (no model: the ceiling of the
  representation) and ``reconstruct`` (the model, overlap 0.5) on the same songs.

The songs come from the embedded synthetic music generator (``genmusic.data.synthetic.synthesize_song``).
Without ``--model`` a default-config VAE is built fresh (untrained: its timings are real, its
reconstruction distance is not meaningful).

Usage::

    python benchmarks/bench_generate.py                      # 4 x 30 s, 32 iterations
    python benchmarks/bench_generate.py --seconds 5 --batch 2
    python benchmarks/bench_generate.py --model saved_models/vae
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="model folder (default: a fresh, untrained default-config VAE)")
    p.add_argument("--batch", type=int, default=4, help="songs (default: %(default)s)")
    p.add_argument("--seconds", type=float, default=30.0, help="length of each song (default: %(default)s)")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-keras", action="store_true", help="do not time the keras.ops Griffin-Lim")
    return p


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def test_songs(n: int, seconds: float, sr: int, seed: int):
    try:
        from genmusic.data.synthetic import GENRES, synthesize_song
    except ImportError:  # an older checkout: a harmonic test signal
        t = np.arange(int(seconds * sr)) / sr
        return [("harmonic", (0.2 * sum(np.sin(2 * np.pi * 110 * (i + 1) * h * t) / h for h in range(1, 6))
                              ).astype(np.float32)) for i in range(n)]
    return [(GENRES[i % len(GENRES)], synthesize_song(GENRES[i % len(GENRES)], i // len(GENRES), duration=seconds,
                                                      sample_rate=sr, seed=seed)) for i in range(n)]


def main(argv=None) -> int:
    args = get_parser().parse_args(argv)
    import keras

    from genmusic.config import GenmusicConfig
    from genmusic.generation.generator import SoundGenerator
    from genmusic.features.griffinlim import griffinlim
    from genmusic.metrics import mel_distance
    from genmusic.features.spectrogram import LogSpectrogramExtractor, MinMaxNormaliser, db_to_magnitude

    if args.model:
        gen = SoundGenerator.from_folder(args.model, n_iter=args.n_iter, seed=args.seed)
        model_note = f"model {args.model}"
    else:
        from genmusic.models import build_model

        config = GenmusicConfig()
        model = build_model(config.model, config.spectrogram.segment_shape, seed=args.seed)
        gen = SoundGenerator(model, config, n_iter=args.n_iter, seed=args.seed,
                             dataset_normaliser=MinMaxNormaliser.from_stats(-80.0, 0.0))
        model_note = "fresh default-config VAE (untrained)"
    config, spec, sr = gen.config, gen.spec, gen.sample_rate
    print(f"genmusic generation benchmark: {args.batch} x {args.seconds:g} s at {sr} Hz, n_fft {spec.n_fft}, "
          f"hop {spec.hop_length}, segment {spec.segment_frames} frames, {args.n_iter} Griffin-Lim iterations")
    print(f"keras {keras.__version__} backend {keras.backend.backend()}, {os.cpu_count()} CPU core(s); {model_note}, "
          f"latent_dim {gen.model.latent_dim}")

    songs, t_make = timed(test_songs, args.batch, args.seconds, sr, args.seed)
    audio_seconds = sum(len(y) for _, y in songs) / sr
    print(f"made {len(songs)} songs ({', '.join(g for g, _ in songs)}) in {t_make:.1f} s\n")
    rows = []

    def row(what: str, wall: float, seconds: float = audio_seconds, extra: str = "") -> None:
        rows.append((what, wall, seconds / wall if wall > 0 else float("inf"), extra))

    # Griffin-Lim alone, on the songs' own magnitudes.
    extractor = LogSpectrogramExtractor(spec)
    mags = np.stack([db_to_magnitude(extractor.extract(y), restore_nyquist=True) for _, y in songs])
    length = len(songs[0][1])
    options = dict(n_fft=spec.n_fft, hop_length=spec.hop_length, n_iter=args.n_iter, length=length,
                   window=spec.window, seed=args.seed)
    _, wall = timed(lambda: [griffinlim(m, method="librosa", **options) for m in mags])
    row("Griffin-Lim librosa (song by song)", wall)
    if not args.skip_keras:
        _, first = timed(griffinlim, mags, method="keras", **options)
        _, wall = timed(griffinlim, mags, method="keras", **options)
        row(f"Griffin-Lim keras.ops (batch of {len(songs)})", wall, extra=f"first call {first:.2f} s")

    # Whole songs through the generator.
    for overlap in (0.0, 0.5):
        latents, wall = timed(lambda: [gen.encode_song(y, overlap=overlap) for _, y in songs])
        row(f"encode, overlap {overlap:g} (analysis + model)", wall,
            extra=f"{sum(s.n_windows for s in latents)} windows")
        _, wall_model = timed(lambda: [gen.decode_frames(s) for s in latents])
        row(f"decode, overlap {overlap:g}: model + overlap-add", wall_model)
        _, wall = timed(lambda: [gen.decode_song(s) for s in latents])
        row(f"decode, overlap {overlap:g}: + Griffin-Lim (whole song)", wall)

    # Quality.
    resynth_d, recon_d = [], []
    for _, y in songs:
        resynth_d.append(mel_distance(y, gen.resynth(y), sr))
        recon_d.append(mel_distance(y, gen.reconstruct(y), sr))

    width = max(len(r[0]) for r in rows) + 2
    print(f"{'step':<{width}}{'wall (s)':>10}{'x real time':>14}  notes")
    for what, wall, speed, extra in rows:
        print(f"{what:<{width}}{wall:>10.2f}{speed:>14.1f}  {extra}")
    print(f"\nmel distance over {len(songs)} song(s) (mean [min-max]):")
    print(f"  resynth (no model, the ceiling)   {np.mean(resynth_d):.3f} [{min(resynth_d):.3f}-{max(resynth_d):.3f}]")
    print(f"  reconstruct (model, overlap 0.5)  {np.mean(recon_d):.3f} [{min(recon_d):.3f}-{max(recon_d):.3f}]"
          + ("" if args.model else "  (untrained model: not meaningful)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
