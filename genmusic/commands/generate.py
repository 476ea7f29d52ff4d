"""``python scripts/generate.py``: sound from a trained model -> WAVs, spectrogram pictures, JSON sidecars.

Modes (``--mode``):

=============  ====================================================================  ==========
mode           what it writes                                                        statistics
=============  ====================================================================  ==========
reconstruct    each input encoded and decoded by the model (crossfaded windows)      song
resynth        each input's spectrogram turned back into sound without the model     song
sample         ``--n`` sounds from the VAE's prior (``--temperature``, ``--seconds``)  dataset
interpolate    ``--steps`` points from the first input's latents to the second's      song at the
                                                                                     ends, else
                                                                                     dataset
average        the segment-wise average of the inputs' latents (e.g. a genre)         dataset
remix          the first half of input 1 joined to the second half of input 2        dataset
noise          each input with Gaussian noise of each ``--sigma`` added to its latents  song
scale          each input's latents times each ``--factor``                          song
smooth         each input's latents smoothed over ``--width`` segments               song
=============  ====================================================================  ==========

Without ``--input`` the inputs are songs of the store the model was trained on (``"spectrograms"`` in
its ``genmusic.json``): test-split songs, or songs of ``--genre``; their audio is read again from the
source files (or, if those are gone, the stored spectrograms are used). Every output ``NAME.wav`` comes
with ``NAME.png`` (source and result spectrograms in dB) and ``NAME.json`` (how it was made: mode,
inputs, parameters, seed, model folder, Griffin-Lim settings, which statistics undid the normalisation,
peak normalisation, genmusic version). Existing outputs are kept unless ``--overwrite`` is given.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import numpy as np

from . import run_main, setup_logging
from .._io import safe_name, unique_safe_names
from ..errors import DataError, ParameterError

MODES = ("reconstruct", "resynth", "sample", "interpolate", "average", "remix", "noise", "scale", "smooth")
DEFAULT_MODEL = Path("saved_models") / "vae"
DEFAULT_OUTPUT_ROOT = Path("generated")

#: Songs taken from the store when neither ``--input`` nor ``--n`` says how many.
_DEFAULT_COUNTS = {"reconstruct": 2, "resynth": 2, "noise": 1, "scale": 1, "smooth": 1, "interpolate": 2,
                   "remix": 2, "average": None, "sample": 4}


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="generate",
        description="Make sound with a trained model: reconstruct or resynthesise songs, sample the VAE's prior, "
                    "interpolate, average, remix, or change songs' latents (noise, scale, smooth). Writes WAV + PNG "
                    "+ JSON per output.",
        epilog="Without --input, inputs are songs of the spectrogram store the model was trained on (test split, "
               "or --genre).")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model folder (default: %(default)s)")
    p.add_argument("--mode", required=True, choices=MODES, help="what to make")
    p.add_argument("--input", type=Path, nargs="+", metavar="FILE",
                   help="audio files (any format, rate, channels); default: songs of the training store")
    p.add_argument("--genre", help="without --input: take songs of this genre from the training store")
    p.add_argument("--output", type=Path, help="output folder (default: generated/<mode>)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--n", type=int, help="sample: sounds (default 4); average: songs averaged (default: all of the "
                                         "genre); other modes without --input: songs taken from the store (default 2 "
                                         "for reconstruct/resynth, 1 for noise/scale/smooth)")
    p.add_argument("--steps", type=int, default=5,
                   help="interpolate: points, both songs included (default: %(default)s)")
    p.add_argument("--interpolation", choices=("linear", "slerp"), default="slerp",
                   help="interpolate: path between the latents (default: %(default)s)")
    p.add_argument("--average-mode", choices=("segments", "time"), default="segments",
                   help="average: segment-wise over the shortest song, or each song's mean tiled "
                        "(default: %(default)s)")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="sample: prior standard deviation (default: %(default)s)")
    p.add_argument("--sigma", type=float, nargs="+", default=[0.1, 0.5, 1.0],
                   help="noise: standard deviations, one output each (default: %(default)s)")
    p.add_argument("--factor", type=float, nargs="+", default=[0.5, 1.5],
                   help="scale: factors, one output each (default: %(default)s)")
    p.add_argument("--width", type=int, default=3, help="smooth: segments averaged (default: %(default)s)")
    p.add_argument("--overlap", type=float, default=0.5,
                   help="reconstruct: fraction shared by consecutive windows, crossfaded (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of sampling, noise and Griffin-Lim (default: %(default)s)")
    p.add_argument("--n-iter", type=int, default=32, help="Griffin-Lim iterations (default: %(default)s)")
    p.add_argument("--method", choices=("librosa", "keras"), default="librosa",
                   help="Griffin-Lim implementation (default: %(default)s)")
    p.add_argument("--seconds", type=float,
                   help="sample: length of each sound (default: one segment); other modes: use only the first "
                        "SECONDS of each input")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


# --------------------------------------------------------------------------------------------------
# inputs


@dataclass
class InputSong:
    """One input: where it came from and its analysed spectrogram."""

    label: str
    source: str
    genre: str
    song: object  # SongSpectrogram
    audio: Optional[np.ndarray]
    notes: List[str] = field(default_factory=list)

    def describe(self, sr: int) -> dict:
        return {"label": self.label, "source": self.source, "genre": self.genre, "n_samples": self.song.n_samples,
                "seconds": round(self.song.n_samples / sr, 4), "n_segments": self.song.n_segments,
                "db_min": self.song.db_min, "db_max": self.song.db_max,
                "from": "audio" if self.audio is not None else "stored spectrogram"}


def _safe(text: str) -> str:
    return safe_name(text, fallback="song")


def _num(value: float) -> str:
    return _safe(f"{value:g}".replace("-", "m"))


def _find_store(bundle, model_dir: Path):
    from ..store import SpectrogramStore

    recorded = bundle.meta.get("spectrograms")
    if not recorded:
        raise ParameterError(f"no --input given and {model_dir}/genmusic.json records no training spectrograms; "
                             "pass --input FILE ...")
    recorded_path = Path(recorded)
    candidates = [recorded_path] if recorded_path.is_absolute() else \
        [recorded_path, model_dir / recorded_path, model_dir.parent / recorded_path,
         model_dir.parent.parent / recorded_path]
    for candidate in candidates:
        if candidate.is_dir():
            return SpectrogramStore(candidate)
    raise DataError(f"no --input given and the spectrograms {recorded} the model was trained on (recorded in "
                    f"{model_dir}/genmusic.json) are not there; pass --input FILE ...")


def _store_records(store, mode: str, genre: Optional[str], n: Optional[int]):
    """Songs of the store for a mode: test split (or --genre), two genres for interpolate / remix."""
    order = {"test": 0, "validation": 1, "train": 2}
    songs = sorted(store.songs, key=lambda r: (order.get(r.split, 3), r.song_id))
    if genre is not None:
        if genre not in store.genres:
            raise ParameterError(f"--genre {genre!r} is not in the training store {store.path}; its genres are "
                                 f"{', '.join(store.genres) or '(none)'}")
        songs = [r for r in songs if r.genre == genre]
    if mode in ("interpolate", "remix"):
        first = songs[0]
        other = [r for r in songs[1:] if r.genre != first.genre] or songs[1:]
        if not other:
            raise ParameterError(f"{mode} needs two songs but the store {store.path} offers one; pass --input A B")
        return [first, other[0]]
    if mode == "average":
        if genre is None:
            songs = [r for r in songs if r.genre == songs[0].genre]
        return songs[:n] if n else songs
    test = [r for r in songs if r.split == "test"] or songs
    count = n or _DEFAULT_COUNTS[mode]
    return (test if genre is None else songs)[:count]


def _crop(y: np.ndarray, seconds: Optional[float], sr: int) -> np.ndarray:
    if seconds is None:
        return y
    return y[: max(1, int(round(seconds * sr)))]


def _short_note(n_samples: int, gen) -> List[str]:
    seg = gen.spec.segment_samples
    if n_samples < seg:
        return [f"shorter than one segment ({n_samples / gen.sample_rate:.3f} s < {seg / gen.sample_rate:.3f} s): "
                "padded with silence, output trimmed back to the input's length"]
    return []


def load_inputs(args: argparse.Namespace, gen, bundle) -> List[InputSong]:
    """The inputs of a mode (``--input`` files, or songs of the training store)."""
    sr = gen.sample_rate
    inputs: List[InputSong] = []
    if args.input:
        if args.genre:
            print(f"note: --genre {args.genre} is ignored because --input is given")
        for path in args.input:
            y = _crop(gen.load(path), args.seconds, sr)
            song = gen.analyse(y, name=str(path))
            inputs.append(InputSong(_safe(Path(path).stem), str(path), "", song, y, _short_note(len(y), gen)))
        return inputs
    store = _find_store(bundle, Path(args.model))
    same_spec = store.config.spectrogram == gen.spec and store.config.audio.sample_rate == sr
    for record in _store_records(store, args.mode, args.genre, args.n):
        notes: List[str] = []
        if Path(record.source).is_file():
            y = _crop(gen.load(record.source), args.seconds, sr)
            song = gen.analyse(y, name=record.source)
        elif same_spec:
            y = None
            segments = np.asarray(store.song_array(record.song_id))
            n_samples = record.n_samples
            if args.seconds is not None:
                n_samples = min(n_samples, max(1, int(round(args.seconds * sr))))
                segments = segments[: math.ceil(n_samples / gen.spec.segment_samples)]
            song = gen.spectrogram_from_segments(segments, record.db_min, record.db_max, n_samples,
                                                 source=record.source)
            notes.append(f"source file {record.source} is gone: used the stored spectrogram of {record.song_id}")
        else:
            raise DataError(f"{record.source} (song {record.song_id}) is gone and the store's spectrogram settings "
                            f"differ from the model's; pass --input FILE ...")
        notes += _short_note(song.n_samples, gen)
        inputs.append(InputSong(_safe(record.song_id), record.source, record.genre, song, y, notes))
    if not inputs:
        raise ParameterError(f"the training store {store.path} has no songs for --mode {args.mode}"
                             + (f" and --genre {args.genre}" if args.genre else ""))
    return inputs


# --------------------------------------------------------------------------------------------------
# outputs


@dataclass
class Result:
    audio: np.ndarray
    normaliser: str  # "song" or "dataset"
    stats: tuple  # (db_min, db_max) that undid the normalisation
    inputs: List[InputSong]
    parameters: dict
    notes: List[str] = field(default_factory=list)


@dataclass
class Job:
    name: str
    make: Callable[[], Result]


def _song_result(audio, item: InputSong, parameters: dict) -> Result:
    return Result(audio, "song", (item.song.db_min, item.song.db_max), [item], parameters, list(item.notes))


def _dataset_stats(gen) -> tuple:
    norm = gen.dataset_normaliser
    if norm is None:
        raise ParameterError("latents from no single song need the dataset's dB statistics, but the model folder's "
                             "genmusic.json has none (stats.db_min / db_max); retrain or repair the folder")
    return (norm.data_min_, norm.data_max_)


def _need(inputs: Sequence[InputSong], k: int, mode: str) -> None:
    if len(inputs) < k:
        raise ParameterError(f"--mode {mode} needs {k} inputs, got {len(inputs)}; pass --input A B")


def plan_jobs(args: argparse.Namespace, gen, inputs: List[InputSong]) -> List[Job]:
    """What a mode will write, as named jobs (nothing is computed until a job runs)."""
    from .. import latent_ops

    mode = args.mode
    jobs: List[Job] = []
    spec = gen.spec

    def encode(item: InputSong, overlap: float = 0.0):
        return gen.encode_spectrogram(item.song, overlap=overlap)

    if mode == "reconstruct":
        for item in inputs:
            def make(item=item):
                latents = encode(item, args.overlap)
                return _song_result(gen.decode_song(latents), item,
                                    {"overlap": args.overlap, "n_windows": latents.n_windows,
                                     "hop_frames": latents.hop_frames})
            jobs.append(Job(f"{item.label}_reconstruct", make))
    elif mode == "resynth":
        for item in inputs:
            jobs.append(Job(f"{item.label}_resynth",
                            lambda item=item: _song_result(gen.resynth_spectrogram(item.song), item,
                                                           {"model_used": False})))
    elif mode == "sample":
        n = args.n or _DEFAULT_COUNTS["sample"]
        seg_seconds = spec.segment_samples / gen.sample_rate
        n_segments = 1 if args.seconds is None else max(1, math.ceil(args.seconds / seg_seconds - 1e-9))
        cache: dict = {}

        def sounds():
            if "audio" not in cache:
                cache["audio"] = gen.sample(n, temperature=args.temperature, seed=args.seed, n_segments=n_segments)
            return cache["audio"]

        for i in range(n):
            def make(i=i):
                params = {"index": i, "n": n, "temperature": args.temperature, "n_segments": n_segments}
                if args.seconds is not None:
                    params["seconds_requested"] = args.seconds
                return Result(sounds()[i], "dataset", _dataset_stats(gen), [], params)
            jobs.append(Job(f"sample_{i:02d}_t{_num(args.temperature)}_seed{args.seed}", make))
    elif mode == "interpolate":
        _need(inputs, 2, mode)
        a_in, b_in = inputs[0], inputs[1]
        steps = args.steps
        if steps < 2:
            raise ParameterError(f"--steps must be >= 2 (both songs included), got {steps}")
        cache = {}

        def path():
            if "path" not in cache:
                a, b = encode(a_in), encode(b_in)
                n = min(a.n_windows, b.n_windows)
                cache["path"] = latent_ops.interpolate(a.latents[:n], b.latents[:n], steps, method=args.interpolation)
                cache["length"] = min(a.n_samples, b.n_samples)
                cache["n"] = n
            return cache

        for i in range(steps):
            def make(i=i):
                c = path()
                t = i / (steps - 1)
                params = {"step": i, "steps": steps, "t": t, "interpolation": args.interpolation,
                          "n_segments": c["n"]}
                if i in (0, steps - 1):
                    item = a_in if i == 0 else b_in
                    audio = gen.decode_song(c["path"][i], normaliser=item.song.normaliser, length=c["length"])
                    return Result(audio, "song", (item.song.db_min, item.song.db_max), [a_in, b_in], params)
                audio = gen.decode_song(c["path"][i], length=c["length"])
                return Result(audio, "dataset", _dataset_stats(gen), [a_in, b_in], params)
            jobs.append(Job(f"interpolate_{a_in.label}_to_{b_in.label}_{i:02d}of{steps:02d}", make))
    elif mode == "average":
        _need(inputs, 1, mode)

        def make():
            songs = [encode(item) for item in inputs]
            z = latent_ops.average([s.latents for s in songs], mode=args.average_mode)
            length = min(min(s.n_samples for s in songs), len(z) * spec.segment_samples)
            audio = gen.decode_song(z, length=length)
            return Result(audio, "dataset", _dataset_stats(gen), inputs,
                          {"average_mode": args.average_mode, "n_songs": len(inputs), "n_segments": int(len(z))})
        genres = sorted({item.genre for item in inputs if item.genre})
        what = genres[0] if len(genres) == 1 else "inputs"
        jobs.append(Job(f"average_{_safe(what)}_{len(inputs)}songs", make))
    elif mode == "remix":
        _need(inputs, 2, mode)
        a_in, b_in = inputs[0], inputs[1]

        def make():
            a, b = encode(a_in), encode(b_in)
            z = latent_ops.remix(a.latents, b.latents)
            first = (a.n_windows + 1) // 2
            second_start = b.n_windows // 2
            length = first * spec.segment_samples + (b.n_samples - second_start * spec.segment_samples)
            audio = gen.decode_song(z, length=length)
            return Result(audio, "dataset", _dataset_stats(gen), [a_in, b_in],
                          {"segments_from_first": first, "segments_from_second": b.n_windows - second_start,
                           "second_starts_at_segment": second_start})
        jobs.append(Job(f"remix_{a_in.label}_{b_in.label}", make))
    elif mode in ("noise", "scale", "smooth"):
        values = {"noise": args.sigma, "scale": args.factor, "smooth": [args.width]}[mode]
        for item in inputs:
            for value in values:
                def make(item=item, value=value):
                    song = encode(item)
                    if mode == "noise":
                        z, params = latent_ops.add_noise(song.latents, value, seed=args.seed), {"sigma": value}
                    elif mode == "scale":
                        z, params = latent_ops.scale(song.latents, value), {"factor": value}
                    else:
                        z, params = latent_ops.smooth(song.latents, int(value)), {"width": int(value)}
                    params["n_segments"] = song.n_windows
                    return _song_result(gen.decode_song(song.replace_latents(z)), item, params)
                tag = {"noise": f"sigma{_num(value)}", "scale": f"factor{_num(value)}",
                       "smooth": f"width{int(value)}"}[mode]
                jobs.append(Job(f"{item.label}_{mode}_{tag}", make))
    else:  # argparse's choices make this unreachable
        raise ParameterError(f"unknown mode {mode!r}; modes are {', '.join(MODES)}")
    # Names must be unique (two inputs with the same file stem).
    for job, name in zip(jobs, unique_safe_names([job.name for job in jobs], fallback=mode)):
        job.name = name
    return jobs


def _write(job: Job, result: Result, out_dir: Path, args: argparse.Namespace, gen, argv: List[str]) -> Path:
    from .. import __version__
    from ..audio import write_wav
    from ..plotting import plot_spectrograms
    from .._io import atomic_write_json

    sr = gen.sample_rate
    wav = out_dir / f"{job.name}.wav"
    peak = write_wav(wav, result.audio, sr, overwrite=args.overwrite)
    written = np.asarray(result.audio, dtype=np.float32) * np.float32(peak["gain"])
    extractor = gen.pipeline.extractor
    panels, titles = [], []
    for item in result.inputs[:3]:
        db = extractor.extract(item.audio) if item.audio is not None else item.song.db()
        panels.append(db)
        titles.append(f"source: {item.label}" + (f" ({item.genre})" if item.genre else ""))
    panels.append(extractor.extract(written))
    titles.append(f"result: {job.name}")
    plot_spectrograms(panels, out_dir / f"{job.name}.png", titles=titles, sample_rate=sr,
                      hop_length=gen.spec.hop_length, n_fft=gen.spec.n_fft,
                      suptitle=f"{args.mode} ({result.normaliser} statistics)")
    model_dir = Path(args.model)
    sidecar = {
        "genmusic_version": __version__,
        "mode": args.mode,
        "wav": wav.name,
        "png": f"{job.name}.png",
        "inputs": [item.describe(sr) for item in result.inputs],
        "parameters": result.parameters,
        "seed": args.seed,
        "model_folder": str(model_dir.resolve()),
        "model_kind": getattr(gen.model, "kind", type(gen.model).__name__),
        "latent_dim": int(gen.model.latent_dim),
        "n_iter": gen.n_iter,
        "griffin_lim_method": gen.method,
        "normaliser": result.normaliser,
        "normaliser_stats": {"db_min": float(result.stats[0]), "db_max": float(result.stats[1])},
        "peak_normalised": bool(peak["peak_normalised"]),
        "gain": peak["gain"],
        "gain_db": peak["gain_db"],
        "peak_before": peak["peak"],
        "sample_rate": sr,
        "n_samples": int(len(result.audio)),
        "seconds": round(len(result.audio) / sr, 4),
        "spectrogram": {"n_fft": gen.spec.n_fft, "hop_length": gen.spec.hop_length,
                        "segment_frames": gen.spec.segment_frames, "top_db": gen.spec.top_db},
        "notes": result.notes,
        "command": ["generate", *argv],
    }
    atomic_write_json(out_dir / f"{job.name}.json", sidecar)
    return wav


def _check_outputs(jobs: Sequence[Job], out_dir: Path, overwrite: bool) -> None:
    if overwrite:
        return
    for job in jobs:
        for ext in (".wav", ".png", ".json"):
            path = out_dir / f"{job.name}{ext}"
            if path.exists():
                raise ParameterError(f"{path} already exists; pass --overwrite to replace it, "
                                     "or choose another --output")


# --------------------------------------------------------------------------------------------------
# main


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = get_parser().parse_args(argv)
    setup_logging(args.verbose)

    def body() -> int:
        from ..generation import SoundGenerator
        from ..modelio import read_model_metadata

        for name in ("n", "width", "n_iter"):
            value = getattr(args, name)
            if value is not None and value < (0 if name == "n_iter" else 1):
                raise ParameterError(f"--{name.replace('_', '-')} must be >= {0 if name == 'n_iter' else 1}, "
                                     f"got {value}")
        if args.seconds is not None and not args.seconds > 0:
            raise ParameterError(f"--seconds must be > 0, got {args.seconds}")
        read_model_metadata(args.model)  # a missing or foreign folder is reported before Keras is imported
        gen = SoundGenerator.from_folder(args.model, n_iter=args.n_iter, method=args.method, seed=args.seed)
        if args.mode == "sample" and not gen.is_vae:
            raise ParameterError(f"sampling needs a VAE: {args.model} holds a plain autoencoder, whose latent space "
                                 "has no prior to sample from")
        inputs = [] if args.mode == "sample" else load_inputs(args, gen, gen.bundle)
        for item in inputs:
            for note in item.notes:
                print(f"note: {item.label}: {note}")
        if args.mode in ("interpolate", "remix") and len(inputs) > 2:
            print(f"note: --mode {args.mode} uses the first two inputs; {len(inputs) - 2} more ignored")
        out_dir = args.output or DEFAULT_OUTPUT_ROOT / args.mode
        jobs = plan_jobs(args, gen, inputs)
        _check_outputs(jobs, out_dir, args.overwrite)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for job in jobs:
            result = job.make()
            written.append(_write(job, result, out_dir, args, gen, argv))
            extra = " (peak-normalised to -1 dBFS)" if np.max(np.abs(result.audio)) > 1.0 else ""
            print(f"wrote {written[-1]}{extra}")
        print(f"{args.mode}: {len(written)} WAV file(s), each with a spectrogram picture (.png) and a sidecar (.json), "
              f"in {out_dir}")
        return 0

    return run_main(body)


if __name__ == "__main__":
    raise SystemExit(main())
