#!/usr/bin/env python
"""Benchmark: do new pieces from a trained model sound like music, and like the genre they were asked for?

On a corpus of real songs (GTZAN layout ``genres_original/<genre>/*``, e.g. GTZAN itself or the real-music
dev corpus the README's "Quality on real music" describes) and a model trained on it (with ``genmusic fit-prior`` run on
its folder; the benchmark fits the prior itself into a copy when the folder has none):

1. every piece (real song or generated) is summarised by :func:`genmusic.metrics.music_embedding` (mean and
   std of 20 MFCCs and 64 log-mel bands) and a set of pieces by a Gaussian; the Frechet distance
   (:func:`genmusic.metrics.frechet_distance`) to the real songs' Gaussian says how far a set is from music;
2. the rows: real songs (one half against the other, split within each genre), the model's
   reconstructions of its test songs (never trained on), beside PCA with the same floats per segment and the
   resynthesis of the stored spectrograms (the ceiling), two chance lines (another test song in place of
   each; white noise as loud as each), ``generate --mode sample --genre G`` (prior + sequence model), the
   prior alone (independent segments of the genre's prior) and the VAE's plain ``N(0, I)`` prior; ``--n``
   pieces of ``--seconds`` per genre for each generated row;
3. genre accuracy: a logistic classifier on mean + std of 20 MFCCs, trained on all real songs, labels each
   piece; the share labelled with the genre asked for (chance: 1 / genres);
4. independent ears (issue 16; ``--no-ears`` skips them): musicnn's tagger embeds every piece
   (:func:`genmusic.metrics.music_tagger_embedding`, 200-d per 3 s); the Frechet audio distance of a row's
   patches to the real songs' (:func:`genmusic.metrics.frechet_audio_distance`), and how many pieces a
   :class:`genmusic.metrics.StyleRecogniser` fitted on all real songs hears as the style asked for; for rows
   with originals also the mel distance, chroma similarity, log-spectral distance above 1 kHz and the partials
   kept (:func:`genmusic.metrics.tonal_peak_f1`). The real
   songs' embeddings are cached in ``--work-dir``;
5. targets: Frechet distance of ``sample`` pieces <= 3x real-vs-real, >= 50 % of them recognised.

Prints a Markdown table and writes ``sampling.json`` in ``--work-dir``.

    python benchmarks/bench_sampling.py --corpus /path/to/genres_original --model-dir M --spectrograms S --n 4 --seconds 30
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

AUDIO_EXTENSIONS = (".wav", ".au", ".flac", ".mp3", ".ogg")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench_sampling", description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, required=True, help="folder of real songs (GTZAN layout)")
    p.add_argument("--model-dir", type=Path, required=True, help="trained model folder")
    p.add_argument("--spectrograms", type=Path, help="the model's store (default: recorded in genmusic.json)")
    p.add_argument("--n", type=int, default=4, help="pieces per genre and row (default: %(default)s)")
    p.add_argument("--seconds", type=float, default=30.0, help="length of each piece (default: %(default)s)")
    p.add_argument("--temperature", type=float, default=1.0, help="(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations (default: %(default)s)")
    p.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "genmusic-bench-sampling",
                   help="results, and a copy of the model folder when it has no prior (default: %(default)s)")
    p.add_argument("--candidates", type=int, default=16,
                   help="prior draws the sequence model chooses each segment from; 0: it draws the frames "
                        "itself (default: %(default)s)")
    p.add_argument("--focus", type=int, default=None,
                   help="prior draws per proposal, the most genre-typical kept (default: the Composer's)")
    p.add_argument("--only-sample", action="store_true", help="only the real-vs-real and `sample` rows (tuning)")
    p.add_argument("--save-audio", action="store_true", help="write every generated piece as WAV into --work-dir")
    p.add_argument("--no-ears", action="store_true",
                   help="skip the music tagger's figures, chroma and the high-band LSD")
    return p


def _corpus(path: Path, loader, seconds: float, sr: int):
    root = path / "genres_original" if (path / "genres_original").is_dir() else path
    songs = []
    for genre_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(genre_dir.iterdir()):
            if f.suffix.lower() in AUDIO_EXTENSIONS:
                songs.append((genre_dir.name, f, loader.load(f)[: int(seconds * sr)]))
    return songs


def _model_with_prior(model_dir: Path, spectrograms, work_dir: Path, seed: int) -> Path:
    from genmusic.generation.composer import fit_priors
    from genmusic.generation.prior import PRIOR_FILE
    from genmusic.generation.sequence import SEQUENCE_FILE

    if (model_dir / PRIOR_FILE).exists() and (model_dir / SEQUENCE_FILE).exists():
        return model_dir
    copy = work_dir / "model"
    if not ((copy / PRIOR_FILE).exists() and (copy / SEQUENCE_FILE).exists()):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(model_dir, copy, ignore=shutil.ignore_patterns("checkpoint", "tensorboard", ".genmusic.lock"))
        print(f"fitting the prior and sequence model into {copy} ...", flush=True)
        t = time.perf_counter()
        fit_priors(copy, spectrograms, seed=seed, overwrite=True)
        print(f"  {time.perf_counter() - t:.0f} s", flush=True)
    return copy


def _novelty(composer, model, store, genres, args) -> dict:
    """How far the sampled pieces are from copies of the training songs, in the latent space.

    Each segment of each piece (its latent, composed again with the same seeds) is matched to its nearest
    training segment. ``consecutive_copied``: the share of consecutive segment pairs whose matches are
    consecutive segments of one training song (a piece that replays a training song scores 1);
    ``nearest_ratio``: the median distance to the nearest training segment over the median distance from a
    training segment to its nearest other (0: the piece is made of training segments; about 1: as far from
    them as they are from each other).
    """
    from genmusic.encoding.latents import encode_store

    encoded = encode_store(model, store, split="train")
    train = encoded.segment_latents.astype(np.float64)
    song = encoded.segment_song
    position = np.zeros(len(train), int)
    for s_ in np.unique(song):
        idx = np.flatnonzero(song == s_)
        position[idx] = np.arange(len(idx))
    sq = (train ** 2).sum(1)
    d_train = sq[:, None] + sq[None] - 2 * train @ train.T
    np.fill_diagonal(d_train, np.inf)
    own = np.sqrt(np.maximum(d_train.min(1), 0))
    n_samples = composer.n_samples_for(args.seconds)
    copied, pairs, nearest = 0, 0, []
    for g in genres:
        frames, _ = composer.compose_frames(args.n, composer.latent_frames_for(n_samples), genre=g,
                                            temperature=args.temperature, seed=args.seed)
        steps = composer.latent_steps
        for piece in frames:
            z = piece[: len(piece) // steps * steps].reshape(-1, steps * piece.shape[1]).astype(np.float64)
            d = (z ** 2).sum(1)[:, None] + sq[None] - 2 * z @ train.T
            match = np.argmin(d, axis=1)
            nearest += np.sqrt(np.maximum(d[np.arange(len(z)), match], 0)).tolist()
            for a, b in zip(match, match[1:]):
                pairs += 1
                copied += bool(song[a] == song[b] and position[b] == position[a] + 1)
    return {"consecutive_copied": copied / max(pairs, 1), "pairs": pairs,
            "nearest_ratio": float(np.median(nearest) / np.median(own))}


def main(argv=None) -> int:
    args = get_parser().parse_args(argv)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from genmusic.analysis.probes import mfcc_features
    from genmusic.audio import write_wav
    from genmusic.generation.composer import Composer
    from genmusic.generation.generator import SoundGenerator
    from genmusic.metrics import frechet_distance, music_embedding

    args.work_dir.mkdir(parents=True, exist_ok=True)
    model_dir = _model_with_prior(args.model_dir, args.spectrograms, args.work_dir, args.seed)
    gen = SoundGenerator.from_folder(model_dir, n_iter=args.n_iter, seed=args.seed)
    composer = Composer.from_folder(gen, candidates=args.candidates,
                                    **({"focus": args.focus} if args.focus is not None else {}))
    sr = gen.sample_rate
    started = time.perf_counter()

    real = _corpus(args.corpus, gen.pipeline.loader, args.seconds, sr)
    genres = sorted({g for g, _, _ in real})
    real_genres = np.array([g for g, _, _ in real])
    real_emb = np.stack([music_embedding(y, sr) for _, _, y in real])
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, C=1.0))
    classifier.fit(mfcc_features([(y, sr) for _, _, y in real]), real_genres)

    rng = np.random.default_rng(args.seed)
    half = np.zeros(len(real), bool)
    for g in genres:
        idx = np.flatnonzero(real_genres == g)
        half[rng.permutation(idx)[: len(idx) // 2]] = True
    rows = {"real songs, one half against the other": {"fd": frechet_distance(real_emb[half], real_emb[~half]),
                                                      "pieces": int(len(real))}}
    ears = None
    if not args.no_ears:
        from _ears import Ears, TaggerCache

        from genmusic.metrics import StyleRecogniser, frechet_audio_distance

        cache = TaggerCache(args.work_dir / "tagger_cache.npz")
        tagged = [cache.embedding(f, y, sr) for _, f, y in real]
        cache.save()
        recogniser = StyleRecogniser().fit(tagged, real_genres)
        ears = Ears(sr, recogniser, tagged)
        rows["real songs, one half against the other"]["tagger_fad"] = frechet_audio_distance(
            [e for e, h in zip(tagged, half) if h], [e for e, h in zip(tagged, half) if not h])
        tagger_cv = recogniser.cross_validate(tagged, real_genres)
        print(f"tagger: style accuracy {tagger_cv['accuracy']:.3f} in cross-validation between real songs, FAD "
              f"real-vs-real {rows['real songs, one half against the other']['tagger_fad']:.1f}  "
              f"({time.perf_counter() - started:.0f} s)", flush=True)

    def evaluate(name: str, pieces, asked=None, originals=None, tagged_pieces=None) -> None:
        emb = np.stack([music_embedding(y, sr) for y in pieces])
        row = {"fd": frechet_distance(emb, real_emb), "pieces": len(pieces)}
        if asked is not None:
            predicted = classifier.predict(mfcc_features([(y, sr) for y in pieces]))
            row["genre_accuracy"] = float(np.mean(predicted == np.asarray(asked)))
            row["per_genre"] = {g: float(np.mean(predicted[np.asarray(asked) == g] == g)) for g in genres}
        if ears is not None:
            for i, y in enumerate(pieces):
                ears.song(name, y, asked[i] if asked is not None else None,
                          originals[i] if originals is not None else None,
                          embedding=tagged_pieces[i] if tagged_pieces is not None else None)
            heard = ears.summary()[name]  # only this row is new; the others are summarised again (cheap)
            row.update({"tagger_fad": heard["fad"], "mel_distance": heard["mel"], "chroma": heard["chroma"],
                        "lsd_above_1k": heard["lsd_high"], "tonal_peak_f1": heard["peaks"]})
            if asked is not None:
                row["tagger_recognised"] = heard["recognised"]
        rows[name] = row
        print(f"{name}: FD {row['fd']:.1f}" + (f", genre {row['genre_accuracy']:.0%}" if asked is not None else "")
              + (f", tagger FAD {row['tagger_fad']:.1f}" if "tagger_fad" in row else "")
              + (f", chroma {row['chroma']:.3f}" if row.get("chroma") is not None else "")
              + f"  ({time.perf_counter() - started:.0f} s)", flush=True)
        if args.save_audio:
            folder = args.work_dir / "audio" / name.split(" ")[0].strip("`,():")
            folder.mkdir(parents=True, exist_ok=True)
            for i, y in enumerate(pieces):
                write_wav(folder / f"{i:03d}{'_' + asked[i] if asked is not None else ''}.wav", y, sr, overwrite=True)

    # reconstructions of the model's test songs (from the store's manifest)
    from genmusic.data.store import SpectrogramStore
    from genmusic.models.modelio import find_training_store

    store = SpectrogramStore(args.spectrograms or find_training_store(model_dir))
    test = [r for r in store.songs_in("test") if Path(r.source).is_file()]
    n_pieces = args.n * len(genres)
    if not args.only_sample:
        from _ears import derangement, noise_like

        from genmusic.analysis.evaluation import PCABaseline, evaluate_reconstruction

        originals = [gen.load(r.source)[: int(args.seconds * sr)] for r in test]
        test_genres = [r.genre for r in test]
        evaluate("the model's reconstructions of unseen songs", [gen.reconstruct(y) for y in originals],
                 test_genres, originals)
        # PCA with the model's floats per segment and the resynthesis of the stored spectrograms, same songs
        pca = PCABaseline(gen.model.latent_dim, seed=args.seed).fit_store(store, "train")
        heard = {}
        evaluate_reconstruction(None, store, split="test", max_songs=None, max_seconds=args.seconds,
                                n_iter=args.n_iter, seed=args.seed, baselines={"pca": pca},
                                on_song=lambda record, audio: heard.__setitem__(record.song_id, audio))
        for key, name in (("pca", f"PCA, {pca.n_components_} floats per segment"),
                          ("resynth", "resynth (no model: the ceiling)")):
            evaluate(name, [heard[r.song_id][key] for r in test], test_genres, originals)
        stand_in = derangement(len(test), rng) if len(test) > 1 else np.zeros(len(test), int)
        evaluate("chance: another test song", [originals[j] for j in stand_in], test_genres, originals)
        evaluate("white noise, as loud as each test song", [noise_like(y, rng) for y in originals], test_genres,
                 originals)

    asked = [g for g in genres for _ in range(args.n)]
    pieces = []
    for g in genres:
        pieces += [p.audio for p in composer.compose(args.n, args.seconds, genre=g, temperature=args.temperature,
                                                     seed=args.seed)]
    evaluate("`sample --genre G`: prior + sequence model", pieces, asked)
    novelty = _novelty(composer, gen.model, store, genres, args)
    print(f"novelty of the sampled pieces: {novelty['consecutive_copied']:.1%} of consecutive segment pairs are "
          f"neighbours in one training song; nearest training segment at {novelty['nearest_ratio']:.2f}x the distance "
          f"between a training segment and its nearest other", flush=True)

    alone = Composer(gen, composer.prior, None)
    pieces = []
    for g in genres if not args.only_sample else ():
        pieces += [p.audio for p in alone.compose(args.n, args.seconds, genre=g, temperature=args.temperature,
                                                  seed=args.seed)]
    if pieces:
        evaluate("prior alone (independent segments of the genre's prior)", pieces, asked)

    if gen.is_vae and not args.only_sample:
        n_seg = int(np.ceil(args.seconds * sr / gen.spec.segment_samples))
        pieces = [y[: int(args.seconds * sr)] for y in gen.sample(n_pieces, temperature=args.temperature,
                                                                   seed=args.seed, n_segments=n_seg)]
        evaluate("plain N(0, I) prior (no fitted prior)", pieces)

    real_vs_real = rows["real songs, one half against the other"]["fd"]
    sampled = rows["`sample --genre G`: prior + sequence model"]
    targets = {"fd_at_most_3x_real": bool(sampled["fd"] <= 3 * real_vs_real),
               "genre_at_least_50_percent": bool(sampled["genre_accuracy"] >= 0.5)}
    same_size = None
    if ears is not None:
        from _ears import held_out_fad

        # issue 16's "3x the real-vs-real figure", with real songs as many per style as the pieces
        same_size = held_out_fad(tagged, real_genres, ears.rows["`sample --genre G`: prior + sequence model"]["embeddings"],
                                 per_style=args.n, seed=args.seed)
        targets["tagger_fad_at_most_3x_real_same_size"] = bool(same_size["ratio"] <= 3)
        targets["tagger_recognises_half"] = bool(2 * sampled["tagger_recognised"] >= sampled["pieces"])
    print()
    print(f"{len(real)} real songs of {len(genres)} genres, {args.n} pieces of {args.seconds:g} s per genre; "
          f"temperature {args.temperature:g}, seed {args.seed}, Griffin-Lim {args.n_iter} iterations")
    print()
    if ears is None:
        print("| pieces | Frechet distance to real songs | x real-vs-real | genre recognised |")
        print("| --- | --- | --- | --- |")
    else:
        print("| pieces | Frechet distance to real songs | x real-vs-real | genre recognised | FAD (tagger) | x "
              "real-vs-real | style recognised by the tagger | mel distance | chroma similarity | LSD > 1 kHz (dB) | "
              "partials kept (tonal peak F1) |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    tagger_real = rows["real songs, one half against the other"].get("tagger_fad")
    for name, row in rows.items():
        acc = f"{row['genre_accuracy']:.0%}" if "genre_accuracy" in row else "n/a"
        line = f"| {name} | {row['fd']:.1f} | {row['fd'] / real_vs_real:.2f} | {acc} |"
        if ears is not None:
            rec = f"{row['tagger_recognised']} of {row['pieces']}" if "tagger_recognised" in row else "n/a"
            line += (f" {row['tagger_fad']:.1f} | {row['tagger_fad'] / tagger_real:.2f} | {rec} | "
                     + " | ".join(f"{row[k]:{fmt}}" if row.get(k) is not None else ""
                                  for k, fmt in (("mel_distance", ".3f"), ("chroma", ".3f"), ("lsd_above_1k", ".1f"),
                                                 ("tonal_peak_f1", ".3f")))
                     + " |")
        print(line)
    print()
    print(f"targets: FD <= 3x real-vs-real: {'met' if targets['fd_at_most_3x_real'] else 'NOT met'}; genre >= 50 %: "
          f"{'met' if targets['genre_at_least_50_percent'] else 'NOT met'} (chance {1 / len(genres):.0%})")
    if ears is not None:
        print(f"\nthe tagger's style recogniser is fitted on all {len(real)} real songs (cross-validated between "
              f"them: {tagger_cv['accuracy']:.3f}); FAD against all real songs' patches")
        print(f"\nthe sampled pieces' tagger FAD against real songs of the same size ({same_size['per_style']} per style "
              f"held out of the reference, {same_size['draws']} draws): pieces {same_size['pieces']:.1f}, held-out real "
              f"songs {same_size['real']:.1f}: {same_size['ratio']:.2f}x (target 3x: "
              f"{'met' if targets['tagger_fad_at_most_3x_real_same_size'] else 'NOT met'}); style recognised by the "
              f"tagger: {sampled['tagger_recognised']} of {sampled['pieces']} (target half: "
              f"{'met' if targets['tagger_recognises_half'] else 'NOT met'})")
    result = {"rows": rows, "targets": targets, "tagger_fad_same_size": same_size, "novelty": novelty, "tagger_style_cv": tagger_cv if ears is not None else None, "settings": {k: str(v) for k, v in vars(args).items()},
              "model_dir": str(model_dir), "sampler": composer.describe(), "seconds": time.perf_counter() - started}
    (args.work_dir / "sampling.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
