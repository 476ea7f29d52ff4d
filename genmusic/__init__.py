"""genmusic: compress music into latent vectors and back.

The package tree is the pipeline, one package per stage, in the order data flows::

    audio/       decode any file, the spooling signal buffer, write WAV / OGG
    features/    log spectrogram, normaliser, frames <-> audio (windows, inversion, Griffin-Lim)
    data/        spectrogram store, preprocessing pipeline, engines (local, Ray), the synthetic dataset
    models/      Autoencoder / VAE, training, the model folder
    encoding/    a model's latents of stores, files and folders
    generation/  SoundGenerator, latent operations, prior, sequence model, composer, the generate modes
    analysis/    the latent-space study, reconstruction quality, the latent-size sweep, the report
    commands/    the command line (``genmusic <command>``, ``scripts/*.py``)

with ``_io``, ``_checks``, ``errors``, ``config`` and ``pretrained`` (the models installed with genmusic, used by
name: ``load_bundle("realmusic-v1")``) under all of them and ``metrics`` beside features. A
module imports only from its own stage and the stages before it (``tests/test_layout.py`` checks it).

The names below are the public API, in the order data flows. Configuration: :class:`GenmusicConfig` and its
sections. Every user error is a :class:`GenmusicError` (the specific kinds are in :mod:`genmusic.errors`).

Heavy modules (Keras models, training, generation) load on first use, so ``import genmusic`` is fast and
never imports TensorFlow; genmusic's Keras classes are registered as soon as Keras is imported, so
``keras.saving.load_model`` reads genmusic's ``.keras`` files after a bare ``import genmusic``. Module paths
and top-level names of earlier releases (``genmusic.pipeline``, ``genmusic.load_model``, ...) still work,
with a ``FutureWarning``, until genmusic 0.3 (:mod:`genmusic._lazy`).
"""

from __future__ import annotations

from . import _lazy
from ._version import __version__
from .config import AudioConfig, GenmusicConfig, ModelConfig, SpectrogramConfig, TrainConfig
from .errors import GenmusicError

_lazy.install()

_LAZY = {
    "Loader": ".audio", "Padder": ".audio",
    "LogSpectrogramExtractor": ".features.spectrogram", "MinMaxNormaliser": ".features.spectrogram",
    "PreprocessingPipeline": ".data.pipeline", "SpectrogramStore": ".data.store",
    "Autoencoder": ".models", "VAE": ".models", "train": ".models.training",
    "load_bundle": ".models.modelio", "SoundGenerator": ".generation.generator",
    "encode_folder": ".encoding.folder", "load_latents": ".encoding.folder",
    "save_model": ".models.modelio",
}

#: Top-level names of genmusic 0.1 that left the top level: where each lives now (a FutureWarning on use).
_REMOVED = {
    "load_model": ("genmusic.models.modelio", "use genmusic.load_bundle(folder).model"),
    "preprocess": ("genmusic.data.pipeline", "use genmusic.PreprocessingPipeline(config).run(input_dir, output_dir)"),
    "build_model": "genmusic.models", "Saver": "genmusic.data.store", "mel_distance": "genmusic.metrics",
    "make_synthetic": "genmusic.data.synthetic", "SplitConfig": "genmusic.config",
    **{name: "genmusic.errors" for name in ("ParameterError", "AudioLoadError", "DataError", "ModelFolderError",
                                           "TrainingError")},
}

__all__ = ["__version__", "GenmusicConfig", "AudioConfig", "SpectrogramConfig", "ModelConfig", "TrainConfig",
           "GenmusicError", *_LAZY]


__getattr__, __dir__ = _lazy.lazy_names(__name__, _LAZY, deprecated=_REMOVED)

#: The modules whose classes are registered with Keras (``register_keras_serializable``), each after those it
#: imports: imported when Keras is (at once if it already is).
_lazy.register_with_keras(("genmusic.models.layers", "genmusic.models.autoencoder", "genmusic.models.vae",
                           "genmusic.generation.sequence"))
