"""The report's sound: what a user hears beside the numbers, written compressed into the report folder.

* test songs: the original, the model's reconstruction, PCA's with the same floats per segment and the
  resynthesis ceiling, from the same run of :func:`genmusic.analysis.evaluation.evaluate_reconstruction` that
  gives the report's mel distances (:func:`evaluated_song_clips` is its ``on_song`` hook);
* map clips (:func:`map_clips`): the first ``clip_seconds`` of every song (at most ``max_clip_songs``,
  dealt over the genres) and its reconstruction: what a click on the latent map plays; and the same for
  new music (``--input``);
* an interpolation strip (:func:`interpolation_strip`) between two songs of different genres
  (:func:`genmusic.generation.modes.interpolate`);
* new pieces per genre (:func:`genre_pieces`, the one place they come from: ``generate --mode sample``
  with the fitted prior; N(0, I) draws sorted by a genre probe only when no prior is fitted).

Every clip is OGG Vorbis (:data:`genmusic.audio.COMPRESSED`) under ``<report>/audio/``, and the results
name it by its path relative to the report folder, so the folder can be moved, zipped or opened from
``file://`` as it is. Originals and resynthesised songs do not depend on the model and are written once
per report (``audio/songs/``); the rest goes to ``audio/<model>/``. A part that cannot be made (no test
songs, one genre, an autoencoder without a prior) is left out with a note that names it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .._checks import check_integer, check_number
from .._io import Ledger, inner_folder, safe_name, shown
from ..audio import COMPRESSED, write_audio
from ..data.store import SongRecord, SpectrogramStore
from ..encoding.latents import LatentSet
from ..errors import GenmusicError, ParameterError
from ..generation.composer import composer_for
from .probes import predict_genres

__all__ = ["ListeningOptions", "ClipWriter", "GenrePiece", "genre_pieces", "listen", "evaluated_song_clips",
           "map_clips", "new_song_clips", "interpolation_strip", "pieces_per_genre", "AUDIO_DIR"]

logger = logging.getLogger("genmusic")

#: The report's audio folder, relative to the report.
AUDIO_DIR = "audio"


@dataclass(frozen=True)
class ListeningOptions:
    """What the report lets you hear.

    Attributes
    ----------
    clip_seconds : float
        Length of the map's clips (the first seconds of each song) and of the interpolation strip.
    max_clip_songs : int
        Songs of the map that get clips (dealt round-robin over the genres); the others are drawn but silent.
    steps : int
        Points of the interpolation strip, both songs included.
    pieces_per_genre : int
    piece_segments : int
        Segments per generated piece.
    temperature : float
        Standard deviation of the prior draws.
    draws : int
        Without a fitted prior: the N(0, I) draws :func:`genre_pieces` sorts into genres.
    """

    clip_seconds: float = 10.0
    max_clip_songs: int = 120
    steps: int = 5
    pieces_per_genre: int = 1
    piece_segments: int = 4
    temperature: float = 1.0
    draws: int = 1024

    def __post_init__(self) -> None:
        check_number(self.clip_seconds, "clip_seconds", minimum=0, exclusive_minimum=True, limit="clip_seconds")
        check_integer(self.max_clip_songs, "max_clip_songs", minimum=1, limit="max_eval_songs")
        check_integer(self.steps, "steps", minimum=2, limit="steps")
        check_integer(self.pieces_per_genre, "pieces_per_genre", minimum=0, limit="pieces_per_genre")
        check_integer(self.piece_segments, "piece_segments", minimum=1, limit="piece_segments")
        check_number(self.temperature, "temperature", minimum=0, limit="temperature")
        check_integer(self.draws, "draws", minimum=1, limit="draws")


class ClipWriter:
    """Writes the report's clips (compressed, atomically), each path once per report.

    Parameters
    ----------
    root : path-like
        The report folder; clips go under ``root/audio/`` and are named relative to ``root``.
    sample_rate : int

    ledger : genmusic._io.Ledger, optional
        The report folder's ledger (default: read from ``root``): every clip is recorded there before it is
        written, and only recorded clips are ever replaced or removed.
    """

    def __init__(self, root, sample_rate: int, ledger: Optional[Ledger] = None) -> None:
        self.root = Path(root)
        self.sample_rate = int(sample_rate)
        self.ledger = ledger if ledger is not None else Ledger(self.root, "report")
        self.written: Dict[str, dict] = {}

    def path(self, *parts: str) -> str:
        """``audio/<part>/.../<last part>.ogg`` with file-safe parts (relative to the report)."""
        safe = [safe_name(str(p), fallback="clip") for p in parts]
        return "/".join([AUDIO_DIR, *safe[:-1], safe[-1] + COMPRESSED["suffix"]])

    def write(self, rel: str, audio: np.ndarray) -> dict:
        """Write ``audio`` [shape=(n,)] to ``root/rel`` unless this report already did.

        Returns
        -------
        dict
            ``{"path": rel, "seconds": ...}`` (and ``"peak_normalised": True`` when it was scaled down).
        """
        if rel not in self.written:
            target = self.root / rel
            inner_folder(self.root, *rel.split("/")[:-1])  # never through a link out of the report folder
            if os.path.lexists(target) and not self.ledger.owns(target):
                raise ParameterError(f"{shown(target)} was not written by genmusic, and the report's clip would "
                                     f"replace it: move it away, or choose another output_dir")
            self.ledger.claim(target)
            info = write_audio(target, audio, self.sample_rate, overwrite=True,
                               format=COMPRESSED["format"], subtype=COMPRESSED["subtype"])
            clip = {"path": rel, "seconds": round(len(audio) / self.sample_rate, 3)}
            if info["peak_normalised"]:
                clip["peak_normalised"] = True
            self.written[rel] = clip
        return dict(self.written[rel])

    def remove_stale(self) -> List[str]:
        """Remove the clips an earlier report in this folder wrote that this one did not: the clips the
        folder's ledger records under ``audio/``, and nothing else (a file genmusic did not write stays, and
        is named), so the folder holds what the page plays; folders left empty go too.

        Returns
        -------
        list of str
            The removed paths, relative to the report folder.
        """
        audio = self.root / AUDIO_DIR
        stale = [p for p in self.ledger.owned() if p.relative_to(self.root).parts[:1] == (AUDIO_DIR,)
                 and p.relative_to(self.root).as_posix() not in self.written]
        removed = sorted(self.ledger.remove(stale))
        if removed:
            logger.info("removed %d clip(s) of an earlier report from %s", len(removed), shown(audio))
        kept = self.ledger.unrecorded(AUDIO_DIR)
        if kept:
            logger.warning("%s: kept %d file(s) genmusic did not write: %s", shown(audio), len(kept),
                           shown(", ".join(str(p.relative_to(audio)) for p in kept[:8]) + (" ..." if len(kept) > 8 else "")))
        return removed


# --------------------------------------------------------------------------------------------------
# songs of the store: test songs and map clips


def evaluated_song_clips(writer: ClipWriter, model_name: str, collected: Dict[str, dict]):
    """An ``on_song`` hook for :func:`genmusic.analysis.evaluation.evaluate_reconstruction` that writes a test song's
    original, resynthesis, model and baseline (``pca``) reconstructions, whole, into ``collected``
    (song_id -> ``{"genre", "clips": {kind: clip}}``)."""
    def hook(record: SongRecord, heard: Dict[str, Optional[np.ndarray]]) -> None:
        clips = {}
        for kind, audio in heard.items():
            if audio is None:
                continue
            shared = kind in ("original", "resynth")
            rel = writer.path("songs", f"{record.song_id}_whole_{kind}") if shared else \
                writer.path(model_name, "test", f"{record.song_id}_{kind}")
            clips[kind] = writer.write(rel, audio)
        collected[record.song_id] = {"song_id": record.song_id, "genre": record.genre, "clips": clips}
    return hook


def map_clips(model, store: SpectrogramStore, writer: ClipWriter, model_name: str, options: ListeningOptions, *,
              n_iter: int = 32, seed: int = 0) -> Tuple[Dict[str, dict], List[str]]:
    """The first ``clip_seconds`` of songs of the store and their reconstructions by ``model``.

    Returns
    -------
    clips : dict
        song_id -> ``{"original": path, "reconstruction": path, "seconds", "mel_distance"}`` (the mel
        distance of this clip's reconstruction).
    notes : list of str
    """
    from .evaluation import evaluate_reconstruction

    clips: Dict[str, dict] = {}

    def hook(record: SongRecord, heard: Dict[str, Optional[np.ndarray]]) -> None:
        original = heard["original"] if heard["original"] is not None else heard["resynth"]
        kind = "original" if heard["original"] is not None else "resynth"
        entry = writer.write(writer.path("songs", f"{record.song_id}_{kind}"), original)
        rebuilt = writer.write(writer.path(model_name, "songs", record.song_id), heard["model"])
        clips[record.song_id] = {"original": entry["path"], "original_kind": kind,
                                 "reconstruction": rebuilt["path"], "seconds": entry["seconds"]}

    numbers = evaluate_reconstruction(model, store, split=None, max_songs=options.max_clip_songs,
                                      max_seconds=options.clip_seconds, n_iter=n_iter, seed=seed, ceiling=False,
                                      on_song=hook)
    for song_id, row in numbers["per_song"].items():
        clips[song_id]["mel_distance"] = row["mel_distance"]
    notes = []
    if len(clips) < len(store.songs):
        notes.append(f"map audio: {len(clips)} of {len(store.songs)} songs have clips (max_clip_songs="
                     f"{options.max_clip_songs}, dealt over the genres); the others are silent on the map")
    segment = store.config.spectrogram.segment_samples
    short = [r.song_id for r in store.songs if r.song_id in clips and r.n_samples < segment]
    if short:
        notes.append(f"map audio: {len(short)} song(s) shorter than one segment "
                     f"({segment / writer.sample_rate:.3f} s), padded for the model and trimmed back: "
                     f"{', '.join(short[:5])}" + (" ..." if len(short) > 5 else ""))
    if numbers["missing_sources"]:
        notes.append(f"map audio: the source audio of {', '.join(numbers['missing_sources'])} is gone: their "
                     "'original' is the resynthesis of the stored spectrogram")
    return clips, notes


def new_song_clips(gen, sources: Sequence[str], names: Sequence[str], writer: ClipWriter, model_name: str,
                   options: ListeningOptions) -> Tuple[Dict[str, dict], List[str]]:
    """The first ``clip_seconds`` of each file from outside the data set and its reconstruction
    (:meth:`genmusic.generation.generator.SoundGenerator.reconstruct`: crossfaded windows, as ``generate``).

    Returns
    -------
    clips : dict
        name -> ``{"original": path, "reconstruction": path, "seconds"}``
    notes : list of str
    """
    clips, notes = {}, []
    for source, name in zip(sources, names):
        try:
            y = gen.load(source)[: max(1, int(round(options.clip_seconds * gen.sample_rate)))]
            rebuilt = gen.reconstruct(y, name=str(source))
        except GenmusicError as exc:
            notes.append(f"no audio for new music {name}: {exc}")
            continue
        original = writer.write(writer.path("new", name), y)
        clips[name] = {"original": original["path"], "original_kind": "original",
                       "reconstruction": writer.write(writer.path(model_name, "new", name), rebuilt)["path"],
                       "seconds": original["seconds"]}
    return clips, notes


# --------------------------------------------------------------------------------------------------
# new sound: interpolation and pieces per genre


def interpolation_strip(gen, store: SpectrogramStore, writer: ClipWriter, model_name: str,
                        options: ListeningOptions, *, seed: int = 0) -> Tuple[Optional[dict], List[str]]:
    """``steps`` points between two songs of different genres (``generate --mode interpolate``: slerp, the
    ends with their own songs' statistics), the first ``clip_seconds`` of each.

    Returns
    -------
    strip : dict or None
        ``{"from": {"song_id", "genre"}, "to": {...}, "interpolation", "clips": [{"t", "path", "seconds"}]}``;
        None when the store has fewer than two songs.
    notes : list of str
    """
    from ..generation import modes as generate_modes

    try:
        inputs = generate_modes.load_inputs(gen, "interpolate", store=store, seconds=options.clip_seconds)
        generate_options = generate_modes.GenerateOptions(steps=options.steps, seconds=options.clip_seconds,
                                                          seed=seed)
        jobs = generate_modes.interpolate(gen, inputs, generate_options)
        outputs = [job.make() for job in jobs]
    except GenmusicError as exc:
        return None, [f"interpolation strip not available: {exc}"]
    a, b = inputs[0], inputs[1]
    clips = []
    for i, (job, output) in enumerate(zip(jobs, outputs)):
        clip = writer.write(writer.path(model_name, "interpolation", f"{i:02d}_{job.name}"),
                            np.concatenate([np.asarray(block, np.float32) for block in output.blocks]))
        clips.append(dict(clip, t=round(float(output.parameters["t"]), 4)))
    notes = [f"{item.label}: {note}" for item in (a, b) for note in item.notes]
    if a.genre == b.genre:
        notes.append(f"interpolation strip: the store has one genre ({a.genre or 'no labels'}), so it joins two "
                     "songs of the same genre")
    strip = {"from": {"song_id": a.label, "genre": a.genre}, "to": {"song_id": b.label, "genre": b.genre},
             "interpolation": generate_options.interpolation, "clips": clips}
    return strip, notes


#: Where a piece comes from (:attr:`GenrePiece.source`).
FROM_PRIOR = "fitted prior"
FROM_STANDARD_NORMAL = "standard normal"


@dataclass
class GenrePiece:
    """One generated piece: its genre, its audio [shape=(n,)], where it came from and how sure a probe was.

    Attributes
    ----------
    source : {"fitted prior", "standard normal"}
        :data:`FROM_PRIOR`: ``generate --mode sample`` with the model's fitted prior and sequence model
        (``probability`` None); :data:`FROM_STANDARD_NORMAL`: N(0, I) draws sorted into genres by a probe.
    sampler : dict or None
        With the fitted prior: what the composer samples from (``Composer.describe()``).
    """

    genre: str
    audio: np.ndarray
    probability: Optional[float]
    n_segments: int
    source: str = FROM_STANDARD_NORMAL
    sampler: Optional[dict] = None


def genre_pieces(gen, reference: LatentSet, *, per_genre: int = 1, n_segments: int = 4, temperature: float = 1.0,
                 seed: int = 0, draws: int = 1024) -> Tuple[List[GenrePiece], List[str]]:
    """New music for each genre: the one place the report's generated pieces come from.

    With a fitted prior (``genmusic fit-prior``, which the demo runs) the pieces are made by the same function
    as ``generate --mode sample --genre G``: :meth:`~genmusic.generation.composer.Composer.compose` of the
    generator's composer (:func:`~genmusic.generation.composer.composer_for`), ``per_genre`` pieces of
    ``n_segments`` segments for each genre the prior was fitted on.

    Without one (a VAE whose prior was not fitted) the pieces are ``draws`` segment latents of the VAE's
    nominal prior N(0, I) (:meth:`SoundGenerator.sample_latents`), sorted into genres by a probe (logistic
    regression on the segment latents of the labelled train + validation songs of ``reference``); a genre's
    piece is its ``n_segments`` most confident draws in sequence, decoded with the dataset statistics.

    Parameters
    ----------
    gen : SoundGenerator
    reference : LatentSet
        The store's latents (genres, splits, segment latents): the probe's training data.

    Returns
    -------
    pieces : list of GenrePiece
        Genres in sorted order; ``genre`` is ``""`` when the songs carry no labels.
    notes : list of str
        What could not be made and why (one genre, a genre no draw landed in).

    Raises
    ------
    ParameterError
        No fitted prior and no N(0, I) prior either (a plain autoencoder).
    """
    composer = composer_for(gen) if getattr(gen, "bundle", None) is not None else getattr(gen, "composer", None)
    if composer is not None and composer.prior is not None:
        return _composed_pieces(gen, composer, per_genre, n_segments, temperature, seed), []
    gen.check_can_sample()
    z = gen.sample_latents(draws, temperature=temperature, seed=seed)[:, 0]
    songs = reference.mask("train", "validation") & (reference.genres != "")
    genres = sorted(set(reference.genres[songs].tolist()))
    notes: List[str] = []
    if len(genres) >= 2:
        segments = reference.segment_mask(songs)
        labels = reference.genres[reference.segment_song[segments]]
        predicted, probability = predict_genres(reference.segment_latents[segments], labels, z, seed=seed)
    else:
        only = genres[0] if genres else ""
        predicted, probability = np.full(len(z), only), None
        notes.append(f"new pieces: {'one genre (' + only + ')' if only else 'no genre labels'}, so the prior draws "
                     "are not sorted by genre")
        genres = [only]
    pieces: List[GenrePiece] = []
    for genre in genres:
        index = np.flatnonzero(predicted == genre)
        if probability is not None:
            index = index[np.argsort(-probability[index], kind="stable")]
        if len(index) < per_genre * n_segments:
            notes.append(f"new pieces: {len(index)} of {draws} prior draws were classified as {genre}"
                         + (", so it has no piece" if len(index) == 0 else
                            f", fewer than the {per_genre * n_segments} segments asked for"))
        for k in range(per_genre):
            chosen = index[k * n_segments:(k + 1) * n_segments]
            if len(chosen) == 0:
                break
            prob = None if probability is None else float(np.mean(probability[chosen]))
            pieces.append(GenrePiece(genre, gen.decode_song(z[chosen]), prob, int(len(chosen))))
    return pieces, notes


def _composed_pieces(gen, composer, per_genre: int, n_segments: int, temperature: float,
                     seed: int) -> List[GenrePiece]:
    """``per_genre`` pieces of ``n_segments`` segments for every genre of the fitted prior, as ``generate
    --mode sample --genre G --n per_genre --seconds ... --seed seed`` makes them."""
    seconds = n_segments * gen.spec.segment_samples / gen.sample_rate
    sampler = composer.describe()
    pieces = []
    for genre in sorted(composer.prior.genres_):
        for piece in composer.compose(per_genre, seconds, genre=genre, temperature=temperature, seed=seed):
            pieces.append(GenrePiece(genre, piece.audio, None, int(n_segments), FROM_PRIOR, sampler))
    return pieces


def pieces_per_genre(gen, reference: LatentSet, writer: ClipWriter, model_name: str, options: ListeningOptions, *,
                     seed: int = 0) -> Tuple[List[dict], List[str]]:
    """:func:`genre_pieces`, written: ``[{"genre", "path", "seconds", "probability", "n_segments"}]`` and notes."""
    if options.pieces_per_genre == 0:
        return [], []
    try:
        pieces, notes = genre_pieces(gen, reference, per_genre=options.pieces_per_genre,
                                     n_segments=options.piece_segments, temperature=options.temperature, seed=seed,
                                     draws=options.draws)
    except GenmusicError as exc:
        return [], [f"new pieces per genre not available: {exc}"]
    written, counts = [], {}
    for piece in pieces:
        counts[piece.genre] = counts.get(piece.genre, 0) + 1
        clip = writer.write(writer.path(model_name, "pieces", f"{piece.genre or 'song'}_{counts[piece.genre]:02d}"),
                            piece.audio)
        written.append(dict(clip, genre=piece.genre, probability=piece.probability, n_segments=piece.n_segments,
                            source=piece.source, sequence=(piece.sampler or {}).get("sequence"),
                            draws=((piece.sampler or {}).get("prior") or {}).get("draws"),
                            focus=(piece.sampler or {}).get("focus")))
    return written, notes


# --------------------------------------------------------------------------------------------------
# all of it for one model


def listen(bundle, store: SpectrogramStore, study, writer: ClipWriter, options: ListeningOptions, *,
           test_clips: Dict[str, dict], n_iter: int = 32, seed: int = 0) -> dict:
    """Everything one model's section of the report plays (see the module's docstring).

    Parameters
    ----------
    bundle : ModelBundle
    study : ModelStudy
        Its ``reconstruction`` (test songs and their mel distances), ``latents`` and ``new_songs``.
    test_clips : dict
        What :func:`evaluated_song_clips` collected while the reconstruction was measured.

    Returns
    -------
    dict
        JSON-friendly: ``test_songs``, ``songs`` (map clips), ``new_songs``, ``interpolation``, ``pieces``,
        ``missing`` (part -> why it is not there: ``test_songs``, ``interpolation``, ``pieces``) and
        ``notes``; clip paths are relative to the report folder.
    """
    from ..generation.generator import SoundGenerator

    name = study.name
    notes: List[str] = []
    missing: Dict[str, str] = {}
    rec = study.reconstruction
    per_song = rec.get("per_song") or {}
    test_songs = []
    for song_id, entry in test_clips.items():
        row = per_song.get(song_id, {})
        for kind, clip in entry["clips"].items():
            if kind != "original":
                prefix = {"model": ""}.get(kind, f"{kind}_")
                clip["mel_distance"] = row.get(f"{prefix}mel_distance")
                clip["chroma_similarity"] = row.get(f"{prefix}chroma_similarity")
        test_songs.append(dict(entry, seconds=row.get("seconds")))
    if not test_songs:
        missing["test_songs"] = rec.get("note") or "no test songs were evaluated"
    elif "pca_mel_distance" not in rec:
        notes.append("test songs: no PCA reconstruction (" + (rec.get("pca_note") or "PCA baseline not fitted") + ")")

    songs, more = map_clips(bundle.model, store, writer, name, options, n_iter=n_iter, seed=seed)
    notes += more
    gen = SoundGenerator.from_bundle(bundle, n_iter=n_iter, seed=seed)
    new_songs: Dict[str, dict] = {}
    if study.new_songs:
        new_songs, more = new_song_clips(gen, [s["path"] for s in study.new_songs],
                                         [s["name"] for s in study.new_songs], writer, name, options)
        notes += more
    strip, more = interpolation_strip(gen, store, writer, name, options, seed=seed)
    if strip is None:
        missing["interpolation"] = "; ".join(more)
    else:
        notes += more
    pieces, more = pieces_per_genre(gen, study.latents, writer, name, options, seed=seed)
    if not pieces:
        missing["pieces"] = "; ".join(more) or "no pieces asked for (pieces_per_genre=0)"
    else:
        notes += more
    return {"clip_seconds": options.clip_seconds, "format": f"{COMPRESSED['format']} {COMPRESSED['subtype']}",
            "test_songs": test_songs, "songs": songs, "new_songs": new_songs, "interpolation": strip,
            "pieces": pieces, "missing": missing, "notes": notes}
