"""Names that load on first use, and the module paths of earlier releases.

Two small mechanisms, both here so that the package tree shows no shim files:

* :func:`lazy_names` gives a package a module ``__getattr__`` / ``__dir__`` that import a public name from
  its submodule when it is first used, so ``import genmusic`` (and ``import genmusic.models``) stays fast
  and never imports TensorFlow.
* :data:`MOVED` maps the module paths of genmusic 0.x before the stage packages (``genmusic.pipeline``,
  ``genmusic.generate_modes``, ...) to where the code lives now. :func:`install` puts a finder on
  ``sys.meta_path``: importing an old path warns (``DeprecationWarning``) and gives the new module itself,
  so ``from genmusic.generate_modes import plan`` keeps working for one release.

Nothing here imports any other genmusic module.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from typing import Callable, Dict, Mapping, Optional, Tuple

__all__ = ["MOVED", "REMOVED_IN", "lazy_names", "install"]

#: The release that drops the old paths.
REMOVED_IN = "0.3"

#: Old module path -> the module that holds its code now.
MOVED: Dict[str, str] = {
    "genmusic.audio": "genmusic.audio",  # a package now; listed for completeness, never redirected
    "genmusic.spectrogram": "genmusic.features.spectrogram",
    "genmusic.windows": "genmusic.features.windows",
    "genmusic.griffinlim": "genmusic.features.griffinlim",
    "genmusic.inversion": "genmusic.features.inversion",
    "genmusic.store": "genmusic.data.store",
    "genmusic.pipeline": "genmusic.data.pipeline",
    "genmusic.engines": "genmusic.data.engines",
    "genmusic.datasets": "genmusic.data.synthetic",
    "genmusic.datasets.synthetic": "genmusic.data.synthetic",
    "genmusic.callbacks": "genmusic.models.callbacks",
    "genmusic.devices": "genmusic.models.devices",
    "genmusic.training": "genmusic.models.training",
    "genmusic.modelio": "genmusic.models.modelio",
    "genmusic.analysis.latents": "genmusic.encoding.latents",
    "genmusic.latent_ops": "genmusic.generation.latent_ops",
    "genmusic.prior": "genmusic.generation.prior",
    "genmusic.sequence": "genmusic.generation.sequence",
    "genmusic.composing": "genmusic.generation.composer",
    "genmusic.generate_modes": "genmusic.generation.modes",
    "genmusic.evaluation": "genmusic.analysis.evaluation",
    "genmusic.plotting": "genmusic.analysis.plotting",
    "genmusic.latent_map": "genmusic.analysis.latent_map",
    "genmusic.report": "genmusic.analysis.report",
}
MOVED.pop("genmusic.audio")
# ``genmusic.data`` (training batches) and ``genmusic.generation`` / ``genmusic.encoding`` (one module each)
# are packages now whose namespaces still hold every name the old modules had.


def lazy_names(package: str, names: Mapping[str, str], *, deprecated: Optional[Mapping[str, str]] = None
               ) -> Tuple[Callable[[str], object], Callable[[], list]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package`` that import ``names`` on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to str
        Public name -> the module (relative to ``package``, e.g. ``".pipeline"``) that defines it.
    deprecated : mapping of str to str, optional
        Names the package held in an earlier release -> the module (absolute) that holds them now; using
        one warns (``DeprecationWarning``).

    Examples
    --------
    >>> __getattr__, __dir__ = lazy_names(__name__, {"SoundGenerator": ".generator"})  # doctest: +SKIP
    """
    module_globals = sys.modules[package].__dict__

    def __getattr__(name: str):
        if name in names:
            value = getattr(importlib.import_module(names[name], package), name)
            module_globals[name] = value  # the next lookup is a plain attribute
            return value
        if deprecated and name in deprecated:
            warnings.warn(f"{package}.{name} is now {deprecated[name]}.{name}; import it from there (the old name "
                          f"goes in genmusic {REMOVED_IN})", DeprecationWarning, stacklevel=2)
            value = getattr(importlib.import_module(deprecated[name]), name)
            module_globals[name] = value  # warned once
            return value
        moved = MOVED.get(f"{package}.{name}")
        if moved is not None:  # genmusic.generate_modes as an attribute of the package
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list:
        return sorted(set(module_globals) | set(names))

    return __getattr__, __dir__


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that names the first frame outside this module and the import machinery (whose
    frames ``warnings`` skips itself)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename in (__file__, importlib.__file__)
                                 or frame.f_code.co_filename.startswith("<frozen importlib")):
        if not frame.f_code.co_filename.startswith("<frozen importlib"):
            level += 1
        frame = frame.f_back
    return level


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of :data:`MOVED` paths give the new module, with a ``DeprecationWarning``."""

    def __init__(self) -> None:
        self._specs: Dict[str, object] = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} is now {new}; import it from there ({spec.name} goes in genmusic {REMOVED_IN})",
                      DeprecationWarning, stacklevel=_caller_stacklevel())
        module = importlib.import_module(new)
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # the import system gave the module the old path's spec: give it its own back
        old = module.__spec__.name
        module.__spec__ = self._specs.pop(old, module.__spec__)


def install() -> None:
    """Put the finder of the old module paths on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
