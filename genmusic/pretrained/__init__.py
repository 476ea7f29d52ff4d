"""Installed models: trained model folders shipped inside the package, used by name.

Each sub-folder of this package that holds a ``genmusic.json`` is an installed model, named by its folder
(``realmusic-v1``). Wherever genmusic reads a model folder (``genmusic generate / encode / analyze /
fit-prior --model``, :func:`genmusic.load_bundle`, :meth:`genmusic.SoundGenerator.from_folder`), an installed
model's name works as well as a path (:func:`resolve`)::

    genmusic.load_bundle("realmusic-v1")
    python scripts/generate.py --model realmusic-v1 --mode reconstruct --input my_song.wav

The rules, for a bare name (one path component, no folder separator):

* a folder of that name in the working folder wins over an installed model of the same name, and a warning
  names both and the installed model's full path (pass that path to use it);
* otherwise an installed model of that name is taken;
* otherwise the name is a path like any other (a missing folder is reported by the caller, with the
  installed names).

Installed models are read-only for genmusic: training, resuming or fitting a prior into one is refused
(:class:`~genmusic.errors.InstalledModelError`); copy the folder first. ``genmusic models`` lists them
(:func:`describe`).

This module reads only files and JSON (it is plumbing: it imports nothing of genmusic's models).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Set, Tuple

from .._io import shown
from ..errors import InstalledModelError, ModelFolderError

__all__ = ["ROOT", "InstalledModel", "names", "path_of", "resolve", "installed_name", "check_writable", "describe",
           "missing_message"]

logger = logging.getLogger("genmusic")

#: Where the installed models are: this package's folder (package data, carried by the wheel).
ROOT = Path(__file__).resolve().parent
#: The file that makes a folder a model folder (:data:`genmusic.models.modelio.META_FILE`).
META_FILE = "genmusic.json"
#: The model card of an installed model.
CARD_FILE = "MODEL_CARD.md"
#: (name, folder) collisions already reported in this process: a name is resolved by several layers of
#: one call (the command, then the library), and the warning is said once.
_warned: Set[Tuple[str, str]] = set()


def names() -> List[str]:
    """The installed models' names, sorted: the sub-folders of :data:`ROOT` that hold a ``genmusic.json``."""
    if not ROOT.is_dir():
        return []
    return sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / META_FILE).is_file())


def path_of(name: str) -> Path:
    """The folder of the installed model ``name``.

    Raises
    ------
    ModelFolderError
        No installed model has that name (the message lists those installed).
    """
    if _is_bare_name(name) and str(name) in names():
        return ROOT / str(name)
    raise ModelFolderError(f"no installed model is named {shown(name)!r}; installed: {_listed()}")


def _is_bare_name(value) -> bool:
    text = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if not text or text in (".", "..") or os.sep in text or (os.altsep and os.altsep in text):
        return False
    return len(Path(text).parts) == 1 and not Path(text).is_absolute()


def _listed() -> str:
    installed = names()
    return ", ".join(installed) if installed else "none (this genmusic was installed without models)"


def resolve(model: str | os.PathLike) -> Path:
    """The model folder that ``model`` (a path, or an installed model's name) stands for, for reading.

    A folder of that name in the working folder wins over an installed model (with a warning naming both);
    anything that is not a bare name comes back as a :class:`~pathlib.Path` unchanged.

    Parameters
    ----------
    model : str or path-like

    Returns
    -------
    Path
        The folder (not checked further: :func:`genmusic.models.modelio.read_model_metadata` does that).
    """
    given = Path(model)
    if not _is_bare_name(model) or given.name not in names():
        return given
    installed = ROOT / given.name
    if not os.path.lexists(given):
        return installed
    key = (given.name, str(given.resolve()))
    if key not in _warned and given.resolve() != installed:
        _warned.add(key)
        logger.warning("%s names both a folder here (%s) and an installed model (%s): the folder is used; to use "
                       "the installed model, pass its full path instead of the name, or rename the folder",
                       given.name, shown(given.resolve()), shown(installed))
    return given


def installed_name(folder: str | os.PathLike) -> Optional[str]:
    """The name of the installed model that ``folder`` is (or is inside), else None."""
    try:
        relative = Path(folder).resolve().relative_to(ROOT)
    except (ValueError, OSError):
        return None
    return relative.parts[0] if relative.parts and (ROOT / relative.parts[0]).is_dir() else None


def check_writable(folder: str | os.PathLike, *, action: str) -> None:
    """Refuse to write into an installed model.

    Parameters
    ----------
    folder : path-like
        The folder about to be written (already resolved: :func:`resolve`).
    action : str
        What would write, for the message ("training", "fitting the prior").

    Raises
    ------
    InstalledModelError
        ``folder`` is an installed model (or inside one): naming it, and the copy to make instead.
    """
    name = installed_name(folder)
    if name is None:
        return
    raise InstalledModelError(
        f"{name} is an installed model ({shown(ROOT / name)}) and genmusic does not change it ({action}); copy it "
        f"first and use the copy: cp -r {shown(ROOT / name)} my-{name} (or shutil.copytree), then pass my-{name}")


def missing_message(folder: str | os.PathLike) -> str:
    """What to add about a model folder that does not exist: the installed names a user may have meant."""
    if _is_bare_name(folder):
        return f"nor is it the name of an installed model (installed: {_listed()}; `genmusic models` lists them)"
    return f"and installed models (usable by name) are: {_listed()}"


@dataclass
class InstalledModel:
    """What ``genmusic models`` shows of one installed model (from its ``genmusic.json`` and ``priors.json``).

    Attributes
    ----------
    name : str
    folder : Path
    size_bytes : int
        All its files together.
    kind : str or None
        ``"vae"`` or ``"autoencoder"``.
    latent_dim : int or None
        Latent floats per segment.
    sample_rate : int or None
        Hz: audio of any rate is resampled to it.
    segment_seconds : float or None
        The audio one latent vector stands for.
    styles : list of str
        The genres it was trained on (and its prior samples in, when ``priors.json`` is there).
    sampling : bool
        A prior is fitted (``generate --mode sample`` works).
    card : Path or None
        ``MODEL_CARD.md``.
    """

    name: str
    folder: Path
    size_bytes: int
    kind: Optional[str]
    latent_dim: Optional[int]
    sample_rate: Optional[int]
    segment_seconds: Optional[float]
    styles: List[str]
    sampling: bool
    card: Optional[Path]


def describe(name: str) -> InstalledModel:
    """One installed model, read from its files (a field its ``genmusic.json`` lacks is None).

    Raises
    ------
    ModelFolderError
        No installed model has that name, or its ``genmusic.json`` is not JSON.
    """
    folder = path_of(name)
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFolderError(f"{shown(folder / META_FILE)}: cannot be read ({exc}); reinstall genmusic") from None
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    audio, spec = config.get("audio") or {}, config.get("spectrogram") or {}
    rate = audio.get("sample_rate")
    hop, frames = spec.get("hop_length"), spec.get("segment_frames")
    seconds = (hop * frames / rate) if all(isinstance(v, int) and v > 0 for v in (rate, hop, frames)) else None
    styles = [g for g in meta.get("genres", []) if isinstance(g, str)]
    sampling = (folder / "priors.json").is_file()
    if sampling:
        try:
            prior_styles = json.loads((folder / "priors.json").read_text(encoding="utf-8"))["prior"]["components"]
            styles = [str(g) for g in prior_styles] or styles
        except (OSError, ValueError, KeyError, TypeError):
            pass
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return InstalledModel(name=name, folder=folder, size_bytes=size, kind=meta.get("kind"),
                          latent_dim=meta.get("latent_dim"), sample_rate=rate, segment_seconds=seconds,
                          styles=styles, sampling=sampling,
                          card=folder / CARD_FILE if (folder / CARD_FILE).is_file() else None)
