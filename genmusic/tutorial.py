"""The API of Valerio Velardo's tutorial "Generating sound with neural networks", backed by genmusic.

The final scripts of the tutorial (``preprocess.py``, ``train.py`` and ``generate.py`` in its folder
"14 Sound generation with VAE") run on genmusic with only their import lines changed::

    from genmusic.tutorial import (Loader, Padder, LogSpectrogramExtractor, MinMaxNormaliser, Saver,
                                   PreprocessingPipeline, VAE, SoundGenerator)

Every class keeps the tutorial's constructor and method signatures, and does its work with genmusic's own
classes: :class:`genmusic.Loader` decodes, :class:`genmusic.LogSpectrogramExtractor` computes the STFT,
:class:`genmusic.MinMaxNormaliser` normalises, :class:`genmusic.VAE` is the model and
:class:`genmusic.SoundGenerator` turns spectrograms back into sound. These names live in a module of their
own because they share their names, not their signatures, with genmusic's (``genmusic.Loader`` takes an
``AudioConfig``, this one ``(sample_rate, duration, mono)``): ``import genmusic`` stays one API, and a
script says which one it uses in its import line.

What changes against the tutorial, and why
------------------------------------------
Where the tutorial's behaviour was wrong, genmusic does better; this list is the one place that says so.
Mel distances are genmusic's (``genmusic.metrics.mel_distance``, lower is better) for the spectrogram ->
audio round trip without a model, measured with ``benchmarks/bench_resynth.py`` (see the README).

* **Phase.** :meth:`SoundGenerator.convert_spectrograms_to_audio` rebuilds the phase with Griffin-Lim (32
  iterations) instead of ``librosa.istft`` of the magnitude, i.e. zero phase (0.763, near white noise's
  0.906, against 0.124 at the same n_fft 512).
* **n_fft of the inverse.** The tutorial dropped the Nyquist bin after the STFT, so its ``istft`` guessed
  ``n_fft = frame_size - 2`` (510); genmusic puts a zero bin back and inverts with ``frame_size``.
* **The dB floor.** :class:`LogSpectrogramExtractor` keeps 120 dB below each file's peak instead of
  ``librosa.amplitude_to_db``'s 80 dB, a speech habit that cuts the quiet tails of notes and doubles the
  round-trip error on music (0.066 against 0.033 at n_fft 1024).
* **Silence.** A constant spectrogram normalises to ``min`` instead of NaN; a silent or undecodable file
  is skipped with a warning that names it instead of stopping the run (or training on NaN).
* **The model.** :class:`VAE` builds the architecture you describe with genmusic's layers (your filters,
  kernels and strides, a dense bottleneck, ReLU: the tutorial's design) and trains it with genmusic's loss:
  L1 between log-mel spectrograms + 0.1 x L1 + 1e-6 x KL, which on real music beat the classic 1e6 x MSE +
  KL (``loss="mse"`` gives that one). It leaves out batch normalisation (``batch_norm=True`` puts it back):
  its moving statistics need hundreds of steps to settle, and until then the model reconstructs far worse
  than its training loss says (the tutorial's scripts on 12 real clips, 150 epochs of one step: loss 0.126
  in training mode, 1.148 in inference mode); without it genmusic's models train faster and as well.
  ``reconstruct`` decodes the posterior mean, so it is deterministic, and the latents it returns are those
  means, not random draws.
* **Files.** :meth:`VAE.save` writes a genmusic model folder (``model.keras`` + ``genmusic.json``, no
  pickle), which genmusic's own tools read too (``genmusic.load_bundle``, ``genmusic generate``);
  :meth:`VAE.load` reads it, and any folder ``genmusic.train`` wrote. :class:`Saver` writes
  ``min_max_values.pkl`` because the tutorial's ``generate.py`` reads it with ``pickle``, and the same
  values as ``min_max_values.json``; genmusic itself never loads a pickle.

What stays the tutorial's: ``n_fft = frame_size`` and one clip of ``duration`` seconds per file (the
model's ``input_shape`` depends on both); per-file min-max statistics; the audio of a spectrogram of ``T``
frames is ``(T - 1) * hop_length`` samples long, as ``istft`` gave. genmusic's native pipeline does better
there too (n_fft 1024: 0.033 against 0.124; whole songs as consecutive segments): see the README's
"Coming from the tutorial".
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

import genmusic
from genmusic import AudioConfig, GenmusicConfig, ModelConfig, SpectrogramConfig, TrainConfig
from genmusic.errors import AudioLoadError, DataError, ModelFolderError, ParameterError, TrainingError

# genmusic's atomic writers (a killed script leaves no half-written file), which the store uses too.
from genmusic._io import atomic_save_npy, atomic_write, atomic_write_json

__all__ = ["Loader", "Padder", "LogSpectrogramExtractor", "MinMaxNormaliser", "Saver", "PreprocessingPipeline",
           "VAE", "SoundGenerator", "TUTORIAL_ARCHITECTURE"]

logger = logging.getLogger("genmusic")

#: The :class:`~genmusic.ModelConfig` settings of the tutorial's design that its ``VAE(...)`` call does not
#: name: a dense bottleneck and ReLU. Batch normalisation is left out (see the module's notes).
TUTORIAL_ARCHITECTURE = {"kind": "vae", "bottleneck": "dense", "activation": "relu", "batch_norm": False}


def _settings(make, what: str, fix: str = ""):
    """``make()``, with a :class:`ParameterError` of genmusic's config prefixed by the tutorial call that
    caused it (the config names genmusic's settings, the user typed the tutorial's)."""
    try:
        return make()
    except ParameterError as exc:
        raise ParameterError(f"{what}: {exc}{fix}") from None


# --------------------------------------------------------------------------------------------------
# preprocessing


class Loader(genmusic.Loader):
    """``Loader(sample_rate, duration, mono)``: decode the first ``duration`` seconds of an audio file.

    genmusic's decoder: any format soundfile or ffmpeg reads, resampled with soxr, mixed down when ``mono``.

    Parameters
    ----------
    sample_rate : int
        Rate every file is resampled to, in Hz.
    duration : float
        Seconds read from the start of every file.
    mono : bool
    """

    def __init__(self, sample_rate: int, duration: float, mono: bool) -> None:
        config = _settings(lambda: AudioConfig(sample_rate=sample_rate, duration=duration, mono=mono),
                           f"Loader(sample_rate={sample_rate!r}, duration={duration!r}, mono={mono!r})")
        super().__init__(config)

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    @property
    def duration(self) -> Optional[float]:
        return self.config.duration

    @property
    def mono(self) -> bool:
        return self.config.mono


#: ``Padder(mode="constant")`` with ``left_pad(array, n)`` / ``right_pad(array, n)``: genmusic's own.
Padder = genmusic.Padder


class LogSpectrogramExtractor(genmusic.LogSpectrogramExtractor):
    """``LogSpectrogramExtractor(frame_size, hop_length)``: ``|STFT|`` in dB, Nyquist bin dropped.

    ``extract(signal)`` gives ``frame_size // 2`` bins by ``1 + len(signal) // hop_length`` frames, floored
    120 dB below the signal's peak (the tutorial: 80 dB).
    """

    def __init__(self, frame_size: int, hop_length: int) -> None:
        config = _settings(lambda: SpectrogramConfig(n_fft=frame_size, hop_length=hop_length),
                           f"LogSpectrogramExtractor(frame_size={frame_size!r}, hop_length={hop_length!r})",
                           " (frame_size is the n_fft)")
        super().__init__(config)

    @property
    def frame_size(self) -> int:
        return self.config.n_fft

    @property
    def hop_length(self) -> int:
        return self.config.hop_length


class MinMaxNormaliser(genmusic.MinMaxNormaliser):
    """``MinMaxNormaliser(min_val, max_val)`` with the tutorial's ``normalise`` / ``denormalise``.

    genmusic's normaliser (``fit`` / ``transform`` / ``inverse_transform`` work too); a constant array
    normalises to ``min_val`` instead of NaN.
    """

    @property
    def min(self) -> float:
        return self.min_val

    @property
    def max(self) -> float:
        return self.max_val

    def normalise(self, array: np.ndarray) -> np.ndarray:
        """``array`` scaled from its own ``[array.min(), array.max()]`` to ``[min, max]`` (keeps no state)."""
        return genmusic.MinMaxNormaliser(self.min_val, self.max_val).fit_transform(array)

    def denormalise(self, norm_array: np.ndarray, original_min: float, original_max: float) -> np.ndarray:
        """Undo :meth:`normalise` of an array whose own range was ``[original_min, original_max]``."""
        return genmusic.MinMaxNormaliser.from_stats(original_min, original_max, self.min_val,
                                                    self.max_val).inverse_transform(norm_array)


class Saver:
    """``Saver(feature_save_dir, min_max_values_save_dir)``: write features and their min-max values.

    ``save_feature(feature, file_path)`` writes ``feature_save_dir/<file name>.npy`` (atomically, no
    pickle) and returns that path, the key of the file's entry in the min-max values.
    ``save_min_max_values(values)`` writes ``min_max_values.pkl`` (for scripts that read it with pickle, as
    the tutorial's ``generate.py`` does) and the same values as ``min_max_values.json``. The folders are
    created when missing.
    """

    PICKLE_FILE = "min_max_values.pkl"
    JSON_FILE = "min_max_values.json"

    def __init__(self, feature_save_dir: str | os.PathLike, min_max_values_save_dir: str | os.PathLike) -> None:
        self.feature_save_dir = feature_save_dir
        self.min_max_values_save_dir = min_max_values_save_dir

    def save_path(self, file_path: str | os.PathLike) -> str:
        """Where :meth:`save_feature` writes the feature of ``file_path``."""
        return os.path.join(self.feature_save_dir, os.path.split(file_path)[1] + ".npy")

    def save_feature(self, feature: np.ndarray, file_path: str | os.PathLike) -> str:
        save_path = self.save_path(file_path)
        atomic_save_npy(save_path, feature)
        return save_path

    def save_min_max_values(self, min_max_values: Dict[str, dict]) -> None:
        values = {str(path): {"min": float(v["min"]), "max": float(v["max"])} for path, v in min_max_values.items()}
        folder = Path(self.min_max_values_save_dir)
        atomic_write(folder / self.PICKLE_FILE, lambda handle: pickle.dump(values, handle))
        atomic_write_json(folder / self.JSON_FILE, values)


class PreprocessingPipeline:
    """The tutorial's pipeline: every audio file under a folder -> a normalised log spectrogram file.

    Assign the stages (``loader``, ``padder``, ``extractor``, ``normaliser``, ``saver``), then
    ``process(audio_files_dir)``. Each file is loaded (its first ``loader.duration`` seconds), right-padded
    to that length, turned into a log spectrogram, normalised and saved; its dB minimum and maximum go to
    ``min_max_values`` under the saved file's path, and are saved at the end. Every assigned stage is used;
    a missing one is named before any file is read. A file that cannot be decoded, or is silent, is skipped
    with a warning (``skipped`` lists them).
    """

    #: Each stage, the methods the pipeline calls on it and the class of this module that has them.
    STAGES = {"loader": (("load",), "Loader"), "padder": (("right_pad",), "Padder"),
              "extractor": (("extract",), "LogSpectrogramExtractor"), "normaliser": (("normalise",), "MinMaxNormaliser"),
              "saver": (("save_feature", "save_min_max_values"), "Saver")}

    def __init__(self) -> None:
        self.padder = None
        self.extractor = None
        self.normaliser = None
        self.saver = None
        self.min_max_values: Dict[str, dict] = {}
        self.skipped: List[Tuple[str, str]] = []
        self._loader = None
        self._num_expected_samples = None

    @property
    def loader(self):
        return self._loader

    @loader.setter
    def loader(self, loader) -> None:
        duration = getattr(loader, "duration", None)
        if duration is None:
            raise ParameterError("the pipeline's loader needs a duration in seconds (Loader(sample_rate, duration, "
                                 "mono)): every spectrogram must have the same shape for the model")
        self._loader = loader
        self._num_expected_samples = int(loader.sample_rate * duration)

    def _check_stages(self) -> None:
        for name, (methods, cls) in self.STAGES.items():
            stage = getattr(self, name)
            if stage is None:
                raise ParameterError(f"assign pipeline.{name} before process(), e.g. pipeline.{name} = {cls}(...) "
                                     f"from genmusic.tutorial")
            missing = [m for m in methods if not callable(getattr(stage, m, None))]
            if missing:
                raise ParameterError(f"pipeline.{name} is a {type(stage).__name__}, which has no {', '.join(missing)}(); "
                                     f"assign genmusic.tutorial.{cls}(...)")

    def _audio_files(self, audio_files_dir) -> List[str]:
        if not os.path.isdir(audio_files_dir):
            raise ParameterError(f"audio folder {audio_files_dir} does not exist or is not a folder")
        return sorted(os.path.join(root, name) for root, _, names in os.walk(audio_files_dir)
                      for name in names if not name.startswith("."))

    def process(self, audio_files_dir: str | os.PathLike) -> None:
        """Process every file under ``audio_files_dir`` (sorted; hidden files are left out).

        Raises
        ------
        ParameterError
            A stage is missing, the folder does not exist, or two files would be saved to the same path (the
            first is kept).
        DataError
            No file could be processed.
        """
        self._check_stages()
        files = self._audio_files(audio_files_dir)
        saved: Dict[str, str] = {}
        for file_path in files:
            try:
                self._process_file(file_path, saved)
            except AudioLoadError as exc:
                logger.warning("skipped: %s", exc)
                self.skipped.append((file_path, str(exc)))
                continue
            print(f"Processed file {file_path}")
        if not saved:
            raise DataError(f"none of the {len(files)} file(s) under {audio_files_dir} could be processed"
                            + (f" (the first: {self.skipped[0][1]})" if self.skipped else ""))
        self.saver.save_min_max_values(self.min_max_values)

    def _process_file(self, file_path: str, saved: Dict[str, str]) -> None:
        signal = self.loader.load(file_path)
        if np.ndim(signal) != 1:
            raise ParameterError(f"{file_path}: the loader gave a signal of shape {np.shape(signal)}; the model "
                                 f"takes mono spectrograms: Loader(sample_rate, duration, mono=True)")
        if not np.any(signal):
            raise AudioLoadError(f"{file_path}: the audio is all silent")
        if len(signal) < self._num_expected_samples:
            signal = self.padder.right_pad(signal, self._num_expected_samples - len(signal))
        feature = self.extractor.extract(signal)
        norm_feature = self.normaliser.normalise(feature)
        if isinstance(self.saver, Saver) and self.saver.save_path(file_path) in saved:
            raise ParameterError(f"{saved[self.saver.save_path(file_path)]} and {file_path} would be saved to the same "
                                 f"file {self.saver.save_path(file_path)} (the Saver names a spectrogram after its "
                                 f"file's name): rename one, or process their folders separately")
        save_path = self.saver.save_feature(norm_feature, file_path)
        saved[save_path] = file_path
        self.min_max_values[save_path] = {"min": float(feature.min()), "max": float(feature.max())}


# --------------------------------------------------------------------------------------------------
# the model


class VAE:
    """``VAE(input_shape, conv_filters, conv_kernels, conv_strides, latent_space_dim)``: genmusic's VAE.

    The tutorial's design built with :class:`genmusic.VAE` (see :data:`TUTORIAL_ARCHITECTURE`; batch
    normalisation only with ``batch_norm=True``), with the
    tutorial's methods: ``summary``, ``compile(learning_rate)``, ``train(x_train, batch_size, num_epochs)``,
    ``reconstruct(images) -> (reconstructions, latents)``, ``save(folder)`` and ``VAE.load(folder)``.
    ``model``, ``encoder`` and ``decoder`` are the Keras models.

    Parameters
    ----------
    input_shape : (int, int, 1)
        ``(frequency bins, frames, 1)`` of the spectrograms: ``frame_size // 2`` bins.
    conv_filters, conv_kernels : sequence of int
    conv_strides : sequence of int or (int, int)
    latent_space_dim : int
    sample_rate, hop_length, top_db : optional
        The settings the spectrograms were made with (default: 22050 Hz, ``frame_size // 2``, 120 dB, the
        tutorial's): the loss reads them, and :meth:`save` records them for genmusic's tools.
    seed : int
        Seeds the initial weights and the sampling.
    **options
        Any other :class:`genmusic.ModelConfig` setting, e.g. ``loss="mse"`` (the tutorial's loss) or
        ``bottleneck="conv"`` (genmusic's default: keeps the time axis, and reconstructs far better).
    """

    def __init__(self, input_shape: Sequence[int], conv_filters: Sequence[int], conv_kernels: Sequence[int],
                 conv_strides: Sequence, latent_space_dim: int, *, sample_rate: int = 22050,
                 hop_length: Optional[int] = None, top_db: float = 120.0, seed: int = 0, **options) -> None:
        what = "VAE(...)"
        shape = tuple(input_shape)
        if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 1):
            raise ParameterError(f"{what}: input_shape must be (frequency bins, frames, 1), got {input_shape!r}")
        config = _settings(lambda: ModelConfig(**{**TUTORIAL_ARCHITECTURE, "conv_filters": tuple(conv_filters),
                                                  "conv_kernels": tuple(conv_kernels),
                                                  "conv_strides": tuple(conv_strides),
                                                  "latent_dim": latent_space_dim, **options}),
                           what, " (latent_space_dim is the latent_dim)")
        model = _settings(lambda: genmusic.VAE(config, input_shape=shape[:2], seed=seed, sample_rate=sample_rate,
                                               db_range=top_db), what)
        self._attach(model, hop_length)
        self.input_shape = input_shape
        self.conv_filters = conv_filters
        self.conv_kernels = conv_kernels
        self.conv_strides = conv_strides
        self.latent_space_dim = latent_space_dim

    def _attach(self, model, hop_length: Optional[int]) -> None:
        self.model = model
        self.hop_length = int(hop_length or model.spectrogram_shape[0])  # n_fft // 2: the tutorial's ratio
        self._fitted: dict = {}

    @classmethod
    def _from_model(cls, model, hop_length: Optional[int] = None) -> "VAE":
        """Wrap a genmusic ``Autoencoder`` or ``VAE`` (what :func:`genmusic.load_bundle` or ``genmusic.VAE(...)``
        gives)."""
        vae = cls.__new__(cls)
        vae._attach(model, hop_length)
        cfg = model.model_config
        vae.input_shape = (*model.spectrogram_shape, 1)
        vae.conv_filters, vae.conv_kernels, vae.conv_strides = cfg.conv_filters, cfg.conv_kernels, cfg.conv_strides
        vae.latent_space_dim = cfg.latent_dim
        return vae

    @property
    def encoder(self):
        """The Keras encoder: spectrograms -> latent (an autoencoder) or ``[mean, log_var]`` (a VAE)."""
        return self.model.encoder

    @property
    def decoder(self):
        return self.model.decoder

    def summary(self) -> None:
        self.model.encoder.summary()
        self.model.decoder.summary()
        self.model.summary()

    def compile(self, learning_rate: float = 0.0001) -> None:
        import keras

        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate))
        self._fitted["learning_rate"] = float(learning_rate)

    def _spectrograms(self, x, what: str) -> np.ndarray:
        n_freq, n_frames = self.model.spectrogram_shape
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 3:
            x = x[..., np.newaxis]
        if x.ndim != 4 or x.shape[1:] != (n_freq, n_frames, 1) or len(x) == 0:
            raise ParameterError(f"{what} must have shape (n, {n_freq}, {n_frames}, 1) for this model (n >= 1), got "
                                 f"{np.shape(x)}")
        if not np.all(np.isfinite(x)):
            raise ParameterError(f"{what} holds NaN or inf values")
        return x

    def train(self, x_train: np.ndarray, batch_size: int, num_epochs: int):
        """``fit`` on ``x_train`` ``(n, bins, frames, 1)`` for ``num_epochs``; returns Keras' ``History``.

        Raises
        ------
        TrainingError
            The loss became NaN (lower the learning rate).
        """
        import keras

        if not getattr(self.model, "compiled", False):
            raise ParameterError("call compile(learning_rate) before train(...)")
        x = self._spectrograms(x_train, "x_train")
        history = self.model.fit(x, x, batch_size=batch_size, epochs=num_epochs, shuffle=True,
                                 callbacks=[keras.callbacks.TerminateOnNaN()])
        if not np.all(np.isfinite(history.history.get("loss", [0.0]))):
            raise TrainingError(f"the loss became NaN (learning rate {self._fitted.get('learning_rate')}): compile "
                                f"with a lower learning rate and train again")
        self._fitted.update(batch_size=int(batch_size), epochs=int(num_epochs))
        return history

    def reconstruct(self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Encode and decode spectrograms.

        Parameters
        ----------
        images : np.ndarray [shape=(n, bins, frames, 1) or (n, bins, frames)]

        Returns
        -------
        reconstructions : np.ndarray [shape=(n, bins, frames, 1)], float32 in [0, 1]
        latents : np.ndarray [shape=(n, latent_space_dim)], float32
            The posterior means (the decoder's inputs).
        """
        spectrograms, latents = self.model.reconstruct(self._spectrograms(images, "images"))
        return spectrograms[..., np.newaxis], latents

    def genmusic_config(self, hop_length: Optional[int] = None) -> GenmusicConfig:
        """The :class:`genmusic.GenmusicConfig` of this model (what :meth:`save` writes in ``genmusic.json``)."""
        n_freq, n_frames = self.model.spectrogram_shape
        hop_length = hop_length or self.hop_length
        spectrogram = _settings(
            lambda: SpectrogramConfig(n_fft=2 * n_freq, hop_length=hop_length, segment_frames=n_frames,
                                      top_db=self.model.db_range),
            f"VAE with input_shape {self.input_shape!r} and hop_length {hop_length!r}",
            f" (spectrograms of {n_freq} bins come from frame_size {2 * n_freq}: pass VAE(..., hop_length=...))")
        train = TrainConfig(**{k: v for k, v in self._fitted.items() if k in ("learning_rate", "batch_size", "epochs")})
        return GenmusicConfig(audio=AudioConfig(sample_rate=self.model.sample_rate), spectrogram=spectrogram,
                              model=self.model.model_config, train=train)

    def save(self, save_folder: str | os.PathLike = ".") -> None:
        """Write a genmusic model folder: ``model.keras`` and ``genmusic.json`` (no pickle), replacing the one
        there as the tutorial's did (:func:`genmusic.save_model`).

        ``VAE.load``, :func:`genmusic.load_bundle` and genmusic's commands read it.
        """
        genmusic.save_model(self.model, save_folder, self.genmusic_config(), overwrite=True)

    @classmethod
    def load(cls, save_folder: str | os.PathLike = ".") -> "VAE":
        """Read a folder :meth:`save` (or ``genmusic.train``) wrote.

        Raises
        ------
        ModelFolderError
            The folder is missing or incomplete, or holds the tutorial's own ``parameters.pkl`` /
            ``weights.h5`` (genmusic does not load pickles: train again with this class).
        """
        folder = Path(save_folder)
        if (folder / "parameters.pkl").is_file() and not (folder / "genmusic.json").is_file():
            raise ModelFolderError(f"{folder} holds parameters.pkl and weights.h5, which the tutorial's own "
                                   f"autoencoder.py wrote: genmusic loads no pickles and no TensorFlow 2 weights; "
                                   f"train the model again with genmusic.tutorial.VAE and save it there")
        bundle = genmusic.load_bundle(folder)
        return cls._from_model(bundle.model, bundle.config.spectrogram.hop_length)


# --------------------------------------------------------------------------------------------------
# sound


class SoundGenerator:
    """``SoundGenerator(vae, hop_length)``: spectrograms -> audio, through the model or directly.

    Griffin-Lim (``n_iter`` iterations, genmusic's :class:`genmusic.SoundGenerator`) with ``n_fft = 2 x``
    the model's frequency bins rebuilds the phase; a spectrogram of ``T`` frames gives ``(T - 1) *
    hop_length`` samples, at the rate the spectrograms were made at.

    Parameters
    ----------
    vae : VAE
        This module's :class:`VAE`, or a genmusic ``Autoencoder`` / ``VAE``.
    hop_length : int
        The hop the spectrograms were made with.
    n_iter : int
        Griffin-Lim iterations.
    """

    def __init__(self, vae, hop_length: int, *, n_iter: int = 32) -> None:
        if not isinstance(vae, VAE):
            if not isinstance(vae, genmusic.Autoencoder):
                raise ParameterError(f"vae must be a genmusic.tutorial.VAE (VAE.load(folder)), got "
                                     f"{type(vae).__name__}")
            vae = VAE._from_model(vae, hop_length)
        if hop_length != vae.hop_length:
            logger.warning("the VAE was made for hop_length %s but SoundGenerator was given %s: the spectrograms "
                           "are turned into sound with %s (build the VAE with VAE(..., hop_length=%s) so that its "
                           "folder records the right one)", vae.hop_length, hop_length, hop_length, hop_length)
        self.vae = vae
        self.hop_length = hop_length
        self._generator = genmusic.SoundGenerator(vae.model, vae.genmusic_config(hop_length), n_iter=n_iter)

    def generate(self, spectrograms: np.ndarray, min_max_values: Sequence[dict]) -> Tuple[List[np.ndarray], np.ndarray]:
        """Reconstruct spectrograms with the model and turn them into sound.

        Returns
        -------
        signals : list of np.ndarray [shape=((frames - 1) * hop_length,)], float32
        latents : np.ndarray [shape=(n, latent_space_dim)]
        """
        generated_spectrograms, latent_representations = self.vae.reconstruct(spectrograms)
        signals = self.convert_spectrograms_to_audio(generated_spectrograms, min_max_values)
        return signals, latent_representations

    def convert_spectrograms_to_audio(self, spectrograms: np.ndarray,
                                      min_max_values: Sequence[dict]) -> List[np.ndarray]:
        """Normalised spectrograms -> audio, each with its file's ``{"min": dB, "max": dB}``.

        Parameters
        ----------
        spectrograms : np.ndarray [shape=(n, bins, frames, 1) or (n, bins, frames)]
        min_max_values : sequence of n dicts with "min" and "max"
            What the pipeline stored for each spectrogram's file.

        Returns
        -------
        list of n np.ndarray [shape=((frames - 1) * hop_length,)], float32
        """
        specs = self.vae._spectrograms(spectrograms, "spectrograms")[..., 0]
        min_max_values = list(min_max_values)
        if len(min_max_values) != len(specs):
            raise ParameterError(f"got {len(min_max_values)} min_max_values for {len(specs)} spectrograms: pass the "
                                 f"values of each spectrogram's file, in the same order")
        length = (specs.shape[2] - 1) * self.hop_length
        return [self._generator.frames_to_audio(spec, _denormaliser(values, i), length)
                for i, (spec, values) in enumerate(zip(specs, min_max_values))]


def _denormaliser(values, index: int):
    """The :class:`genmusic.MinMaxNormaliser` of one entry of the pipeline's min-max values."""
    try:
        low, high = values["min"], values["max"]
    except (TypeError, KeyError, IndexError):
        raise ParameterError(f"min_max_values[{index}] must be a dict with 'min' and 'max' (dB), as the pipeline "
                             f"stored them, got {values!r}") from None
    return _settings(lambda: genmusic.MinMaxNormaliser.from_stats(low, high), f"min_max_values[{index}]")
