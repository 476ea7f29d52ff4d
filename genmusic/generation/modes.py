"""The modes of ``generate``: what a trained model makes, one function per mode, written as WAV + PNG + JSON.

=============  ====================================================================  ==========
mode           what it makes                                                         statistics
=============  ====================================================================  ==========
reconstruct    each input encoded and decoded by the model (crossfaded windows)      song
resynth        each input's spectrogram turned back into sound without the model     song
sample         ``n`` pieces of ``seconds`` in ``genre``, from the fitted prior and the   genre
               sequence model (``temperature``); without a prior, N(0, I)
interpolate    ``steps`` points from the first input's latents to the second's       song at the
                                                                                     ends, else
                                                                                     dataset
average        the segment-wise average of the inputs' latents (e.g. a genre)        dataset
remix          the first half of input 1 joined to the second half of input 2        dataset
noise          each input with Gaussian noise of each ``sigma`` added to its latents song
scale          each input's latents times each ``factor``                            song
smooth         each input's latents smoothed over ``width`` segments                 song
continue       each input followed by ``seconds`` of new music (sequence model)      song
=============  ====================================================================  ==========

:data:`MODES` maps each mode name to its function ``(generator, inputs, options) -> list of Job``; a job
has a file name and a ``make()`` that computes its :class:`Output` only when it runs. :func:`plan` is the
whole job: it opens the model folder, finds the inputs (:func:`~genmusic.generation.inputs.load_inputs`:
files, or songs of the store the model was trained on, re-read from their audio or, when that is gone,
from the stored spectrograms), and plans the jobs; :meth:`Plan.write` runs them and writes each
(:func:`~genmusic.generation.outputs.write_output`: ``NAME.wav``, ``NAME.png``, ``NAME.json``), refusing
to replace files unless told to.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from .._checks import LIMITS, check_choice, check_integer, check_number, check_seed, require
from .._io import Ledger, check_folder_kind, folder_lock, safe_name, shown, unique_safe_names
from .. import pretrained
from ..errors import ParameterError
from . import latent_ops
from .composer import composer_for
from .inputs import DEFAULT_COUNTS, InputSong, load_inputs
from .outputs import Job, Output, Written, write_output

__all__ = ["MODES", "GenerateOptions", "InputSong", "Output", "Job", "Written", "Plan", "plan", "load_inputs",
           "plan_jobs", "reconstruct", "resynth", "sample", "continue_song", "interpolate", "average", "remix",
           "noise", "scale", "smooth"]

#: Paths of ``interpolate``: :data:`genmusic.generation.latent_ops.INTERPOLATION_METHODS` and ``"prior"``
#: (:meth:`genmusic.generation.prior.LatentPrior.path`).
INTERPOLATIONS = (*latent_ops.INTERPOLATION_METHODS, "prior")
#: ``continue``: seconds added when ``seconds`` is not given.
DEFAULT_CONTINUE_SECONDS = 10.0
#: Shortest ``seconds`` / ``start_seconds`` a mode takes: 10 ms (shorter is a typo, and holds no sound).
MIN_SECONDS = 0.01

logger = logging.getLogger("genmusic")


@dataclass(frozen=True)
class GenerateOptions:
    """The settings of every mode (each mode reads the ones it needs); the defaults are ``generate``'s.

    Attributes
    ----------
    n : int or None
        ``sample``: sounds (default 4); ``average``: songs averaged (default: all of the genre); other modes
        without files: songs taken from the store (see :data:`DEFAULT_COUNTS`).
    steps : int
        ``interpolate``: points, both songs included.
    interpolation : {"linear", "slerp"}
    average_mode : {"segments", "time"}
    temperature : float
        ``sample``: standard deviation of the prior.
    sigma, factor : tuple of float
        ``noise`` / ``scale``: one output per value.
    width : int
        ``smooth``: segments averaged.
    overlap : float
        ``reconstruct``: fraction shared by consecutive windows (crossfaded).
    seed : int
        Seed of sampling, noise and Griffin-Lim.
    seconds : float or None
        ``sample``: length of each sound (default one segment); ``continue``: seconds added after the input
        (default 10); other modes: use only the first seconds of each input.
    genre : str or None
        ``sample`` / ``continue``: the genre to compose in (default: drawn by the genres' shares / the
        prior's most likely genre of the input).
    start_seconds : float or None
        ``continue``: use only the first seconds of the input as the start (default: all of it).
    """

    n: Optional[int] = None
    steps: int = 5
    interpolation: str = "slerp"
    average_mode: str = "segments"
    temperature: float = 1.0
    sigma: Tuple[float, ...] = (0.1, 0.5, 1.0)
    factor: Tuple[float, ...] = (0.5, 1.5)
    width: int = 3
    overlap: float = 0.5
    seed: int = 0
    seconds: Optional[float] = None
    genre: Optional[str] = None
    start_seconds: Optional[float] = None

    def __post_init__(self) -> None:
        """Every option is checked here, before a model is opened or a file written."""
        object.__setattr__(self, "sigma", tuple(self.sigma))
        object.__setattr__(self, "factor", tuple(self.factor))
        check_integer(self.n, "n", minimum=1, limit="n", allow_none=True)
        check_integer(self.steps, "steps", minimum=2, limit="steps")
        check_integer(self.width, "width", minimum=1, limit="width")
        check_seed(self.seed)
        check_number(self.temperature, "temperature", minimum=0, limit="temperature")
        check_number(self.overlap, "overlap", minimum=0, maximum=1, exclusive_maximum=True, what="a number in [0, 1)")
        if self.seconds is not None:
            check_number(self.seconds, "seconds", minimum=MIN_SECONDS, limit="seconds", noun="a number of seconds")
        for name in ("sigma", "factor"):
            values = getattr(self, name)
            require(len(values) >= 1, f"{name} must list at least one value")
            bound = LIMITS[name][0]
            require(len(values) <= LIMITS["n"][0], f"{name} must be at most {LIMITS['n'][0]} values (one output "
                                                   f"each), got {len(values)}; {LIMITS['n'][0]} is genmusic's bound "
                                                   f"on {LIMITS['n'][1]}")
            for value in values:
                check_number(value, name, minimum=0 if name == "sigma" else -bound, limit=name,
                             what=f"finite numbers >= {0 if name == 'sigma' else -bound:g} and <= {bound:g}")
        if self.start_seconds is not None:
            check_number(self.start_seconds, "start_seconds", minimum=MIN_SECONDS, limit="seconds",
                         noun="a number of seconds")
        check_choice(self.interpolation, "interpolation", INTERPOLATIONS)
        check_choice(self.average_mode, "average_mode", latent_ops.AVERAGE_MODES)


def _num(value: float) -> str:
    return safe_name(f"{value:g}".replace("-", "m"), fallback="0")


# --------------------------------------------------------------------------------------------------
# the modes


def _song_output(blocks, item: InputSong, parameters: dict) -> Output:
    return Output(blocks, "song", (item.song.db_min, item.song.db_max), [item], parameters, list(item.notes))


def _dataset_stats(gen) -> tuple:
    norm = gen.dataset_normaliser
    if norm is None:
        raise ParameterError("latents from no single song need the dataset's dB statistics, but the model folder's "
                             "genmusic.json has none (stats.db_min / db_max); retrain or repair the folder")
    return (norm.data_min_, norm.data_max_)


def _need(inputs: Sequence[InputSong], k: int, mode: str) -> None:
    if len(inputs) < k:
        raise ParameterError(f"mode {mode!r} needs {k} inputs, got {len(inputs)}; pass files=[A, B]")


def _encode(gen, item: InputSong, overlap: float = 0.0):
    return gen.encode_spectrogram(item.song, overlap=overlap)


def reconstruct(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """Each input encoded and decoded whole, with crossfaded windows (``options.overlap``)."""
    def make(item: InputSong) -> Output:
        latents = _encode(gen, item, options.overlap)
        return _song_output(gen.decode_song_blocks(latents), item, {"overlap": options.overlap,
                                                                     "n_windows": latents.n_windows,
                                                                     "hop_frames": latents.hop_frames})
    return [Job(f"{item.label}_reconstruct", lambda item=item: make(item), [item]) for item in inputs]


def resynth(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """Each input's spectrogram back to sound without the model: the ceiling of the representation."""
    return [Job(f"{item.label}_resynth",
                lambda item=item: _song_output(gen.resynth_blocks(item.song), item, {"model_used": False}), [item])
            for item in inputs]


def sample(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """``options.n`` new pieces of ``options.seconds`` (default one segment), in ``options.genre``.

    With a fitted prior (``genmusic fit-prior``): :meth:`genmusic.generation.composer.Composer.compose` (first segment
    from the genre's prior, the rest from the sequence model), denormalised with the genre's typical dB
    statistics. Without one: independent ``N(0, temperature^2 I)`` segments of the VAE's nominal prior,
    with a warning (they sound like noise for a VAE trained with a small beta).
    """
    composer = composer_for(gen)
    if composer.prior is None:
        return _sample_standard_normal(gen, options)
    composer.check_ready(options.genre)
    n = options.n or DEFAULT_COUNTS["sample"]
    seconds = options.seconds or gen.spec.segment_samples / gen.sample_rate
    cache: dict = {}

    def make(i: int) -> Output:
        if "pieces" not in cache:  # every piece comes from one batch of draws
            cache["pieces"] = composer.compose(n, seconds, genre=options.genre, temperature=options.temperature,
                                               seed=options.seed)
        piece = cache["pieces"][i]
        params = {**piece.info, "seconds_requested": options.seconds, "sampler": composer.describe()}
        return Output(piece.audio, "genre" if piece.genre else "dataset", piece.db_stats, [], params)
    tag = safe_name(options.genre, fallback="genre") + "_" if options.genre else ""
    return [Job(f"sample_{tag}{i:02d}_t{_num(options.temperature)}_seed{options.seed}", lambda i=i: make(i))
            for i in range(n)]


def _sample_standard_normal(gen, options: GenerateOptions) -> List[Job]:
    """``sample`` without a fitted prior: the VAE's N(0, I)."""
    folder = getattr(gen.bundle, "folder", "MODEL")
    if options.genre is not None:
        raise ParameterError(f"genre={options.genre!r} needs the model's fitted prior, and {folder} has none; fit "
                             f"it with `genmusic fit-prior --model-dir {folder}`")
    gen.check_can_sample()
    warning = (f"{folder} has no fitted prior: sampling the VAE's N(0, I), which sounds like noise for a model "
               f"trained with a small beta; fit one with `genmusic fit-prior --model-dir {folder}`")
    logger.warning(warning)
    n = options.n or DEFAULT_COUNTS["sample"]
    seg_seconds = gen.spec.segment_samples / gen.sample_rate
    n_segments = 1 if options.seconds is None else max(1, math.ceil(options.seconds / seg_seconds - 1e-9))
    cache: dict = {}

    def make(i: int) -> Output:
        if "z" not in cache:  # every sound comes from one draw of the prior
            cache["z"] = gen.sample_latents(n, temperature=options.temperature, seed=options.seed,
                                            n_segments=n_segments)
            if n_segments == 1:  # one segment each: Griffin-Lim runs once over the batch
                cache["audio"] = gen.sample(n, temperature=options.temperature, seed=options.seed)
        blocks = iter([cache["audio"][i]]) if n_segments == 1 else gen.decode_song_blocks(cache["z"][i])
        params = {"index": i, "n": n, "temperature": options.temperature, "n_segments": n_segments,
                  "sampler": {"prior": "standard normal (no fitted prior)", "sequence_model": None}}
        if options.seconds is not None:
            params["seconds_requested"] = options.seconds
        return Output(blocks, "dataset", _dataset_stats(gen), [], params, [warning])
    return [Job(f"sample_{i:02d}_t{_num(options.temperature)}_seed{options.seed}", lambda i=i: make(i))
            for i in range(n)]


def continue_song(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """Each input followed by ``options.seconds`` (default 10) of new music from the sequence model.

    The input's whole segments are encoded (a last partial segment, padded with silence, is left out
    unless it is the only one), continued frame by frame in ``options.genre`` (default: the prior's most
    likely genre for the input), and decoded as one song with the input's own dB statistics: the output
    is the reconstruction of the start followed by the continuation.
    """
    _need(inputs, 1, "continue")
    composer = composer_for(gen)
    composer.check_ready(options.genre)
    if composer.sequence_model is None:
        raise ParameterError(f"mode 'continue' needs the sequence model (sequence.keras) of {gen.bundle.folder}; "
                             f"fit it with `genmusic fit-prior --model-dir {gen.bundle.folder} --overwrite`")
    seconds = options.seconds or DEFAULT_CONTINUE_SECONDS
    seg = gen.spec.segment_samples

    def make(item: InputSong) -> Output:
        song = _encode(gen, item)
        whole = max(1, item.song.n_samples // seg)
        latents = song.latents[:whole]
        start_samples = min(item.song.n_samples, whole * seg)
        n_samples = start_samples + composer.n_samples_for(seconds)
        n_new = composer.latent_frames_for(n_samples) - whole * composer.latent_steps
        frames, genre = composer.continue_latents(latents, n_new, genre=options.genre,
                                                  temperature=options.temperature, seed=options.seed)
        audio = composer.decode_frames(frames, n_samples, item.song.normaliser)
        params = {"genre": genre, "genre_asked": options.genre, "temperature": options.temperature,
                  "seed": options.seed, "start_seconds": round(start_samples / gen.sample_rate, 4),
                  "seconds_added": seconds, "continuation_starts_at_sample": int(start_samples),
                  "sampler": composer.describe()}
        return _song_output(audio, item, params)
    return [Job(f"{item.label}_continue_{_num(seconds)}s_t{_num(options.temperature)}_seed{options.seed}",
                lambda item=item: make(item)) for item in inputs]


def interpolate(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """``options.steps`` points on the path from the first input's latents to the second's.

    ``options.interpolation``: ``"linear"`` / ``"slerp"`` (:func:`genmusic.generation.latent_ops.interpolate`), or
    ``"prior"``: each point between the ends starts on the straight line and climbs the fitted prior's
    log-density while a spring holds it near its place on the line (:meth:`genmusic.generation.prior.LatentPrior.path`),
    so the path passes through latents the prior finds likely. The two ends are decoded with their own song's statistics, the points between with the dataset's.
    """
    _need(inputs, 2, "interpolate")
    steps = options.steps
    a_in, b_in = inputs[0], inputs[1]
    cache: dict = {}

    def make(i: int) -> Output:
        if "path" not in cache:
            a, b = _encode(gen, a_in), _encode(gen, b_in)
            n = min(a.n_windows, b.n_windows)
            if options.interpolation == "prior":
                composer_for(gen).check_ready()
                path = composer_for(gen).prior.path(a.latents[:n], b.latents[:n], steps)
            else:
                path = latent_ops.interpolate(a.latents[:n], b.latents[:n], steps, method=options.interpolation)
            cache.update(path=path,
                         length=min(a.n_samples, b.n_samples), n=n)
        params = {"step": i, "steps": steps, "t": i / (steps - 1), "interpolation": options.interpolation,
                  "n_segments": cache["n"]}
        if i in (0, steps - 1):
            item = a_in if i == 0 else b_in
            blocks = gen.decode_song_blocks(cache["path"][i], normaliser=item.song.normaliser, length=cache["length"])
            return Output(blocks, "song", (item.song.db_min, item.song.db_max), [a_in, b_in], params)
        blocks = gen.decode_song_blocks(cache["path"][i], length=cache["length"])
        return Output(blocks, "dataset", _dataset_stats(gen), [a_in, b_in], params)
    return [Job(f"interpolate_{a_in.label}_to_{b_in.label}_{i:02d}of{steps:02d}", lambda i=i: make(i),
                [a_in, b_in]) for i in range(steps)]


def average(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """The average of the inputs' latents (``options.average_mode``), decoded with the dataset's statistics."""
    _need(inputs, 1, "average")

    def make() -> Output:
        songs = [_encode(gen, item) for item in inputs]
        z = latent_ops.average([s.latents for s in songs], mode=options.average_mode)
        length = min(min(s.n_samples for s in songs), len(z) * gen.spec.segment_samples)
        return Output(gen.decode_song_blocks(z, length=length), "dataset", _dataset_stats(gen), list(inputs),
                      {"average_mode": options.average_mode, "n_songs": len(inputs), "n_segments": int(len(z))})
    genres = sorted({item.genre for item in inputs if item.genre})
    what = genres[0] if len(genres) == 1 else "inputs"
    return [Job(f"average_{safe_name(what, fallback='inputs')}_{len(inputs)}songs", make, list(inputs))]


def remix(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """The first half of the first input joined to the second half of the second (:func:`latent_ops.remix`)."""
    _need(inputs, 2, "remix")
    a_in, b_in = inputs[0], inputs[1]

    def make() -> Output:
        a, b = _encode(gen, a_in), _encode(gen, b_in)
        (_, _, first), (_, second_start, _) = latent_ops.remix_spans(a.n_windows, b.n_windows)
        z = latent_ops.remix(a.latents, b.latents)
        seg = gen.spec.segment_samples
        length = first * seg + (b.n_samples - second_start * seg)
        return Output(gen.decode_song_blocks(z, length=length), "dataset", _dataset_stats(gen), [a_in, b_in],
                      {"segments_from_first": first, "segments_from_second": b.n_windows - second_start,
                       "second_starts_at_segment": second_start})
    return [Job(f"remix_{a_in.label}_{b_in.label}", make, [a_in, b_in])]


def _change_latents(gen, inputs: Sequence[InputSong], mode: str, values: Sequence, change: Callable,
                    parameter: str, tag: Callable[[object], str]) -> List[Job]:
    """One job per input and value: the input's latents changed by ``change(latents, value)``."""
    def make(item: InputSong, value) -> Output:
        song = _encode(gen, item)
        params = {parameter: value, "n_segments": song.n_windows}
        return _song_output(gen.decode_song_blocks(song.replace_latents(change(song.latents, value))), item, params)
    return [Job(f"{item.label}_{mode}_{tag(value)}", lambda item=item, value=value: make(item, value), [item])
            for item in inputs for value in values]


def noise(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """Each input with Gaussian noise of each ``options.sigma`` added to its latents (seeded)."""
    return _change_latents(gen, inputs, "noise", options.sigma,
                           lambda z, sigma: latent_ops.add_noise(z, sigma, seed=options.seed), "sigma",
                           lambda sigma: f"sigma{_num(sigma)}")


def scale(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """Each input's latents times each ``options.factor``."""
    return _change_latents(gen, inputs, "scale", options.factor, latent_ops.scale, "factor",
                           lambda factor: f"factor{_num(factor)}")


def smooth(gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """Each input's latents smoothed over ``options.width`` segments."""
    return _change_latents(gen, inputs, "smooth", [int(options.width)], latent_ops.smooth, "width",
                           lambda width: f"width{int(width)}")


#: Mode name -> function ``(generator, inputs, options) -> list of Job``.
MODES: Dict[str, Callable[..., List[Job]]] = {
    "reconstruct": reconstruct, "resynth": resynth, "sample": sample, "interpolate": interpolate,
    "average": average, "remix": remix, "noise": noise, "scale": scale, "smooth": smooth,
    "continue": continue_song,
}


def plan_jobs(mode: str, gen, inputs: Sequence[InputSong], options: GenerateOptions) -> List[Job]:
    """The jobs of ``mode``, with unique file names (two inputs may share a file stem)."""
    check_choice(mode, "mode", tuple(MODES))
    jobs = MODES[mode](gen, inputs, options)
    bound, why = LIMITS["n"]
    require(len(jobs) <= bound, f"mode {mode!r} would write {len(jobs)} outputs; {bound} is genmusic's bound on {why}: "
                                f"give fewer inputs or values")
    for job, name in zip(jobs, unique_safe_names([job.name for job in jobs], fallback=mode)):
        job.name = name
    return jobs


# --------------------------------------------------------------------------------------------------
# the whole job


@dataclass
class Plan:
    """What :func:`plan` found: the generator, the inputs, the jobs, and notes about them.

    Attributes
    ----------
    notes : list of str
        About the inputs (short, gone from disk) and inputs a mode does not use.
    """

    mode: str
    generator: object
    inputs: List[InputSong]
    jobs: List[Job]
    options: GenerateOptions
    notes: List[str] = field(default_factory=list)

    def output_paths(self, output_dir: str | os.PathLike) -> List[Path]:
        """Every file the jobs will write."""
        return [Path(output_dir) / f"{job.name}{ext}" for job in self.jobs for ext in (".wav", ".png", ".json")]

    def write(self, output_dir: str | os.PathLike, *, overwrite: bool = False, normalise_peak: bool = False,
              command: Sequence[str] = ()) -> Iterator[Written]:
        """Run every job and write its files, yielding each as it is done.

        Nothing is computed or written when any output exists and ``overwrite`` is False. The folder is
        locked while the outputs are written (a second run into it is refused).

        Parameters
        ----------
        output_dir : path-like
        overwrite : bool
            Replace existing outputs.
        normalise_peak : bool
            Scale each output to a peak of -1 dBFS. By default every output keeps the level it was made at
            (32-bit float WAV: nothing clips), and the sidecar records its peak.
        command : sequence of str
            The command line, recorded in each sidecar.

        Raises
        ------
        ParameterError
            An output exists and ``overwrite`` is False.
        FolderLockedError
            Another run is writing to ``output_dir``.
        OutputError
            Writing failed (disk full, read-only folder); no temporary file is left.
        """
        output_dir = Path(output_dir)
        if output_dir.exists() and not output_dir.is_dir():
            raise ParameterError(f"output {shown(output_dir)} exists and is not a folder; choose another output_dir")
        check_folder_kind(output_dir, "generated")
        with folder_lock(output_dir, purpose="generation"):
            ledger = Ledger(output_dir, "generated")
            paths = self.output_paths(output_dir)
            for path in paths:
                if os.path.lexists(path) and not overwrite:
                    raise ParameterError(f"{shown(path)} already exists; pass overwrite=True to replace it, "
                                         "or choose another output_dir")
                if os.path.lexists(path) and not (ledger.owns(path) or (not ledger.found and _earlier_output(path))):
                    raise ParameterError(f"{shown(path)} was not written by genmusic generate (or genmusic cannot "
                                         f"prove it was), and an output would replace it: move it away, or choose "
                                         f"another output_dir")
            ledger.scratch()
            ledger.claim(*paths)
            last_use = {id(item): j for j, job in enumerate(self.jobs) for item in job.inputs}
            try:
                for j, job in enumerate(self.jobs):
                    output = job.make()
                    yield write_output(job.name, output, output_dir, self.generator, mode=self.mode,
                                       seed=self.options.seed, overwrite=overwrite, normalise_peak=normalise_peak,
                                       command=command)
                    for item in job.inputs:
                        if last_use[id(item)] == j:
                            item.close()
            finally:
                for item in self.inputs:
                    item.close()
                ledger.close()


def _earlier_output(path: Path) -> bool:
    """``path`` is a file of an output that a genmusic without ledgers wrote: its sidecar ``NAME.json`` is a
    generate sidecar that names ``NAME.wav``."""
    sidecar = path.with_suffix(".json")
    try:
        data = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "genmusic_version" in data and data.get("wav") == path.with_suffix(".wav").name


def plan(model_dir: str | os.PathLike, mode: str, *, files: Sequence[str | os.PathLike] = (),
         genre: Optional[str] = None, options: Optional[GenerateOptions] = None, n_iter: int = 32,
         method: str = "librosa", spool_dir: Optional[str | os.PathLike] = None) -> Plan:
    """Open a model folder, find the inputs of ``mode`` and plan its outputs (nothing is computed yet).

    Parameters
    ----------
    model_dir : path-like
        A model folder (:mod:`genmusic.models.modelio`).
    mode : str
        One of :data:`MODES`.
    files : sequence of path-like
        Input audio files; without them, songs of the store the model was trained on (the test split,
        or ``genre``).
    genre : str, optional
        Without files: take songs of this genre.
    options : GenerateOptions, optional
    n_iter : int
        Griffin-Lim iterations.
    method : {"librosa", "keras"}
        Griffin-Lim implementation.
    spool_dir : path-like, optional
        Where inputs longer than about three minutes are spooled while they are used (unnamed temporary
        files; default: the system's temporary folder).

    Returns
    -------
    Plan
        Call :meth:`Plan.write` to make and write the outputs.

    Examples
    --------
    >>> p = plan("saved_models/vae", "interpolate", files=["a.wav", "b.flac"])   # doctest: +SKIP
    >>> [w.wav.name for w in p.write("generated/interpolate")]                  # doctest: +SKIP
    """
    from .generator import SoundGenerator
    from ..features.griffinlim import METHODS
    from ..models.modelio import read_model_metadata

    options = options or GenerateOptions()
    check_choice(mode, "mode", tuple(MODES))
    check_integer(n_iter, "n_iter", minimum=0, limit="n_iter")
    check_choice(method, "method", METHODS)
    require(len(files) <= LIMITS["n"][0], f"files must be at most {LIMITS['n'][0]} inputs, got {len(files)}; "
                                          f"{LIMITS['n'][0]} is genmusic's bound on {LIMITS['n'][1]}")
    if mode == "sample" and files:
        raise ParameterError("mode=sample composes new music and reads no audio, but files are given; to extend a "
                             "file with new music use mode=continue, to change one use mode=reconstruct, noise, "
                             "scale or smooth")
    model_dir = pretrained.resolve(model_dir)  # an installed model's name works too
    meta = read_model_metadata(model_dir)  # a missing or foreign folder is reported before Keras is imported
    if mode in ("sample", "continue") and (genre or options.genre):
        options = replace(options, genre=options.genre or genre)
        if options.genre not in meta.get("genres", []):
            raise ParameterError(f"genre must be one of the model's genres {', '.join(meta.get('genres', []))}; "
                                 f"got {options.genre!r}")
    gen = SoundGenerator.from_folder(model_dir, n_iter=n_iter, method=method, seed=options.seed)
    gen.spool_dir = spool_dir
    inputs = [] if mode == "sample" else load_inputs(gen, mode, files=files, genre=genre, n=options.n,
                                                      seconds=options.start_seconds if mode == "continue"
                                                      else options.seconds)
    notes = [f"{item.label}: {note}" for item in inputs for note in item.notes]
    if files and genre:
        notes.insert(0, f"genre {genre!r} is ignored because files are given")
    if mode in ("interpolate", "remix") and len(inputs) > 2:
        notes.append(f"mode {mode!r} uses the first two inputs; {len(inputs) - 2} more ignored")
    return Plan(mode, gen, inputs, plan_jobs(mode, gen, inputs, options), options, notes)
