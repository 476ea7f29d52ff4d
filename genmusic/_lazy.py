"""Names that load on first use, the names and module paths of earlier releases, and Keras registration.

Three small mechanisms, all here so that the package tree shows no shim files:

* :func:`lazy_names` gives a package a module ``__getattr__`` / ``__dir__`` that import a public name from
  its submodule when it is first used, so ``import genmusic`` (and ``import genmusic.models``) stays fast
  and never imports TensorFlow. Names the package held in an earlier release resolve too, with a warning.
* :data:`MOVED` maps the module paths of genmusic 0.x before the stage packages (``genmusic.pipeline``,
  ``genmusic.generate_modes``, ...) to where the code lives now. :func:`install` puts a finder on
  ``sys.meta_path``: importing an old path warns and gives the new module itself, so
  ``from genmusic.generate_modes import plan`` keeps working for one release.
* :func:`register_with_keras` imports the modules that register genmusic's classes with Keras as soon as
  Keras itself is imported (at once when it already is), so ``keras.saving.load_model("model.keras")``
  works after a bare ``import genmusic``, whichever is imported first, while ``import genmusic`` imports
  no Keras.

Every deprecation warns with :data:`DEPRECATION` (``FutureWarning``): Python shows a ``DeprecationWarning``
only when the line that triggers it is in ``__main__``, so a user whose call is in a module of their own (or
a notebook's helper module) would never learn that the name goes in :data:`REMOVED_IN`; a ``FutureWarning``
is shown by default everywhere, which is what Python recommends for deprecations aimed at the users of a
library rather than at its own developers.

Nothing here imports any other genmusic module (the registering modules are imported by name).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from typing import Callable, Dict, Mapping, Optional, Sequence, Tuple, Union

__all__ = ["MOVED", "REMOVED_IN", "DEPRECATION", "lazy_names", "install", "register_with_keras"]

#: The release that drops the old paths and names.
REMOVED_IN = "0.3"
#: The warning of every deprecated path and name (see the module's notes).
DEPRECATION = FutureWarning

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


def lazy_names(package: str, names: Mapping[str, str], *,
               deprecated: Optional[Mapping[str, Union[str, Tuple[str, str]]]] = None
               ) -> Tuple[Callable[[str], object], Callable[[], list]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package`` that import ``names`` on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of str to str
        Public name -> the module (relative to ``package``, e.g. ``".pipeline"``) that defines it.
    deprecated : mapping of str to str or (str, str), optional
        Names the package held in an earlier release -> the module (absolute) that holds them now, or
        ``(module, advice)`` where the advice replaces "import it from there" (a name with no successor of
        its own); using one warns (:data:`DEPRECATION`), once.

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
            module, advice = deprecated[name] if isinstance(deprecated[name], tuple) else (deprecated[name], None)
            advice = advice or f"it is now {module}.{name}; import it from there"
            warnings.warn(f"{package}.{name} is deprecated: {advice} (the old name goes in genmusic {REMOVED_IN})",
                          DEPRECATION, stacklevel=2)
            value = getattr(importlib.import_module(module), name)
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
    """Imports of :data:`MOVED` paths give the new module, with a warning (:data:`DEPRECATION`)."""

    def __init__(self) -> None:
        self._specs: Dict[str, object] = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} is now {new}; import it from there ({spec.name} goes in genmusic {REMOVED_IN})",
                      DEPRECATION, stacklevel=_caller_stacklevel())
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


# --------------------------------------------------------------------------------------------------
# Keras registration


class _KerasRegistration(importlib.abc.MetaPathFinder):
    """Imports the registering modules right after Keras, or one of them, has finished importing.

    It finds nothing itself: for ``keras`` and the registering modules it hands out the spec the other finders
    give, with its loader's ``exec_module`` wrapped so that :meth:`register` runs when the module is complete.
    Running after the registering modules too matters when Keras is first imported by one of them
    (``genmusic.Autoencoder`` before anything else): ``vae`` cannot be imported while ``autoencoder``, which it
    imports, is still half done, so it is imported when ``autoencoder`` is. A mere lookup of ``keras``
    (TensorFlow's lazy ``tf.keras`` looks before it loads) changes nothing. The finder leaves
    ``sys.meta_path`` once every registering module is imported.
    """

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = tuple(modules)
        self._busy = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" and fullname not in self.modules:
            return None
        spec = None
        for finder in sys.meta_path[sys.meta_path.index(self) + 1:] if self in sys.meta_path else ():
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_then_register(module) -> None:
            exec_module(module)
            self.register(finished=fullname)

        loader.exec_module = exec_then_register
        return spec

    def register(self, finished: Optional[str] = None) -> None:
        """Import every registering module that can be imported now (Keras is there and nothing they need is
        half imported); leave ``sys.meta_path`` when all are.

        ``finished`` names the module whose code has just run to its end (the import system still marks it
        as being imported until this returns)."""
        def complete(name: str) -> bool:
            return name in sys.modules and (name == finished or not _initializing(sys.modules[name]))

        if self._busy or not complete("keras"):
            return
        self._busy = True
        try:
            for name in self.modules:
                if name not in sys.modules:
                    importlib.import_module(name)
                elif not complete(name):
                    return  # the rest may need it: they are imported when it is complete
        except Exception as exc:  # noqa: BLE001 - never break the user's import of Keras
            warnings.warn(f"genmusic could not register its Keras classes ({type(exc).__name__}: {exc}); "
                          f"import genmusic.models.vae before loading a genmusic model with keras.saving.load_model",
                          RuntimeWarning, stacklevel=2)
        finally:
            self._busy = False
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def _initializing(module) -> bool:
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


def register_with_keras(modules: Sequence[str]) -> None:
    """Import ``modules`` (those whose classes carry ``@keras.saving.register_keras_serializable``) when Keras
    is imported: now if it already is, otherwise right after it (once), without importing it here.

    Parameters
    ----------
    modules : sequence of str
        Absolute module names, each after the ones it imports.
    """
    if any(isinstance(finder, _KerasRegistration) for finder in sys.meta_path):
        return
    registration = _KerasRegistration(modules)
    sys.meta_path.insert(0, registration)
    registration.register()
