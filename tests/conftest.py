"""Shared fixtures: seeded generators, known signals, small configs that keep the suite fast."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from genmusic.config import AudioConfig, GenmusicConfig, ModelConfig, SpectrogramConfig, TrainConfig

SR = 22050


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def sr():
    return SR


@pytest.fixture
def songs(rng):
    """Two latent sequences of different lengths, latent_dim 8."""
    return rng.standard_normal((4, 8)).astype(np.float32), rng.standard_normal((6, 8)).astype(np.float32)


def make_sine(freq: float = 440.0, seconds: float = 1.0, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def make_chirp(f0: float = 200.0, f1: float = 4000.0, seconds: float = 1.0, sr: int = SR,
               amplitude: float = 0.5) -> np.ndarray:
    import librosa

    return (amplitude * librosa.chirp(fmin=f0, fmax=f1, sr=sr, duration=seconds)).astype(np.float32)


@pytest.fixture
def sine():
    return make_sine()


@pytest.fixture
def chirp():
    return make_chirp()


@pytest.fixture
def small_config() -> GenmusicConfig:
    """A config with small spectrograms (64 x 16) and a tiny model, for fast end-to-end tests."""
    return GenmusicConfig(
        audio=AudioConfig(sample_rate=8000),
        spectrogram=SpectrogramConfig(n_fft=128, hop_length=64, segment_frames=16),
        model=ModelConfig(kind="vae", conv_filters=(4, 8), conv_kernels=(3, 3), conv_strides=((2, 2), (2, 2)),
                          latent_dim=16),
        train=TrainConfig(epochs=2, batch_size=4, patience=0),
    )


class IdentityModel:
    """A stand-in model that passes spectrograms through: the latent is the flattened spectrogram.

    Gives :class:`~genmusic.generation.generator.SoundGenerator` the encode / decode path of a perfect model, so
    whole-song decoding, overlap-add and seams can be checked without training anything.
    """

    kind = "identity"

    def __init__(self, spectrogram_shape) -> None:
        self.spectrogram_shape = tuple(int(v) for v in spectrogram_shape)
        self.latent_dim = int(np.prod(self.spectrogram_shape))

    def encode(self, spectrograms: np.ndarray) -> np.ndarray:
        """[shape=(n, n_freq, n_frames)] -> [shape=(n, n_freq * n_frames)]."""
        x = np.asarray(spectrograms, dtype=np.float32)
        assert x.shape[1:] == self.spectrogram_shape, x.shape
        return x.reshape(len(x), -1).copy()

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """[shape=(n, latent_dim)] -> [shape=(n, n_freq, n_frames)]."""
        z = np.asarray(latents, dtype=np.float32)
        assert z.ndim == 2 and z.shape[1] == self.latent_dim, z.shape
        return z.reshape(len(z), *self.spectrogram_shape).copy()


def _tiny_song(genre: int, index: int, sr: int, seconds: float) -> np.ndarray:
    """A short 'song' whose genre sets its register and rhythm: notes on a beat grid with harmonics."""
    rng = np.random.default_rng([genre, index])
    n = int(seconds * sr)
    t = np.arange(n) / sr
    base = (110.0, 440.0, 1200.0)[genre % 3] * (1 + 0.03 * rng.standard_normal())
    beat = (0.25, 0.125, 0.5)[genre % 3]
    y = np.zeros(n, np.float32)
    for start in np.arange(0, seconds, beat):
        f = base * 2 ** (rng.integers(0, 8) / 12)
        idx = (t >= start) & (t < start + beat)
        env = np.exp(-(t[idx] - start) * 8)
        for h in (1, 2, 3):
            y[idx] += (0.4 / h) * env * np.sin(2 * np.pi * f * h * t[idx])
    return y


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory):
    """A preprocessed store of 3 'genres' x 4 songs of 1.5 s at 8 kHz (64 x 16 spectrogram segments)."""
    import soundfile as sf

    from genmusic.data.pipeline import PreprocessingPipeline

    config = GenmusicConfig(
        audio=AudioConfig(sample_rate=8000),
        spectrogram=SpectrogramConfig(n_fft=128, hop_length=64, segment_frames=16),
        model=ModelConfig(kind="vae", conv_filters=(8, 16), conv_kernels=(3, 3),
                          conv_strides=((2, 2), (2, 2)), latent_dim=16, beta=1e-3),
        train=TrainConfig(epochs=3, batch_size=8, patience=0),
    )
    root = tmp_path_factory.mktemp("tiny_audio")
    for g, name in enumerate(("bass", "mid", "treble")):
        (root / name).mkdir()
        for i in range(4):
            sf.write(root / name / f"{name}.{i:05d}.wav", _tiny_song(g, i, 8000, 1.5), 8000, subtype="FLOAT")
    out = tmp_path_factory.mktemp("tiny_store")
    PreprocessingPipeline(config).run(root, out, workers=1)
    from genmusic.data.store import SpectrogramStore

    return SpectrogramStore(out)


@pytest.fixture(scope="session")
def tiny_model_folder(tiny_store, tmp_path_factory):
    """A model folder with a VAE trained briefly on ``tiny_store`` by hand (written with genmusic.save_model)."""
    import keras

    from genmusic.models import VAE
    from genmusic.models.modelio import save_model

    keras.utils.set_random_seed(0)
    model = VAE.from_config(tiny_store, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    x = tiny_store.load_segments(tiny_store.segment_index("train"))[..., None]
    model.fit(x, x, epochs=40, batch_size=8, verbose=0, shuffle=True)
    return save_model(model, tmp_path_factory.mktemp("tiny_model"), tiny_store)


# -- training ---------------------------------------------------------------------------------------------


def edited_store_copy(store, model_folder, tmp_path, edit):
    """Copies of a store (every manifest row changed in place by ``edit(row)``) and of a model folder
    that points at the copy: ``(store_copy, model_copy)`` under ``tmp_path``."""
    import csv
    import json
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(store.path, copy)
    with open(copy / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        edit(row)
    with open(copy / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    model = tmp_path / "model"
    shutil.copytree(model_folder, model)
    meta = json.loads((model / "genmusic.json").read_text())
    (model / "genmusic.json").write_text(json.dumps({**meta, "spectrograms": str(copy)}))
    return copy, model


def train_config(store, **train):
    """The store's config with fast training settings (2 epochs, batch 8, no early stopping) and ``train``."""
    settings = {"epochs": 2, "batch_size": 8, "learning_rate": 3e-3, "patience": 0}
    settings.update(train)
    return store.config.replace(train=settings)


def optimizer_iterations(folder) -> int:
    """Optimizer steps taken by the checkpoint of a model folder."""
    import keras

    from genmusic.models.modelio import CHECKPOINT_DIR, LAST_MODEL_FILE

    model = keras.saving.load_model(folder / CHECKPOINT_DIR / LAST_MODEL_FILE, compile=True)
    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


@pytest.fixture(scope="session")
def trained(tiny_store, tmp_path_factory):
    """2 epochs, then resumed to 4: (result after 2, iterations after 2, result after 4, folder)."""
    from genmusic.models.training import train

    folder = tmp_path_factory.mktemp("trained") / "model"
    first = train(tiny_store, folder, train_config(tiny_store, epochs=2), progress=None)
    after_2 = optimizer_iterations(folder)
    second = train(tiny_store, folder, train_config(tiny_store, epochs=4), resume=True, progress=None)
    return first, after_2, second, folder


# -- reading reports back ------------------------------------------------------------------------------

def table_rows(markdown: str) -> list:
    """Every row of every Markdown table, as a list of cell strings (header and separator rows included)."""
    return [[cell.strip() for cell in line.strip()[1:-1].split("|")] for line in markdown.splitlines()
            if line.startswith("| ")]


def shows(cell: str, value) -> bool:
    """A table cell shows ``value``: "n/a" for None, else a number within half a unit of its last digit."""
    if value is None:
        return cell == "n/a"
    try:
        number = float(cell)
    except ValueError:
        return False
    decimals = len(cell.split(".")[1]) if "." in cell else 0
    return abs(number - value) <= 0.5 * 10 ** -decimals + 1e-12


# -- reports ------------------------------------------------------------------------------------------------


def write_new_song(path, sr=22050):
    """A stereo 22.05 kHz file (the store is mono 8 kHz): a 'mid' register tune of 1.2 s."""
    import soundfile as sf

    t = np.arange(int(1.2 * sr)) / sr
    y = np.zeros_like(t)
    for i, start in enumerate(np.arange(0, 1.2, 0.125)):
        f = 440.0 * 2 ** ((i * 5 % 8) / 12)
        idx = (t >= start) & (t < start + 0.125)
        env = np.exp(-(t[idx] - start) * 8)
        for h in (1, 2, 3):
            y[idx] += (0.4 / h) * env * np.sin(2 * np.pi * f * h * t[idx])
    sf.write(path, np.stack([y, 0.8 * y], axis=1).astype(np.float32), sr)
    return path


@pytest.fixture(scope="session")
def tiny_report(tiny_store, tiny_model_folder, tmp_path_factory):
    """The report the demo's last step makes (players, latent map, new music), of the tiny VAE on the tiny
    store with one new file: a :class:`genmusic.analysis.report.AnalysisReport`."""
    from genmusic.analysis import run_analysis

    work = tmp_path_factory.mktemp("report")
    new = write_new_song(work / "my tune.wav")
    return run_analysis([tiny_model_folder], work / "out", spectrograms=tiny_store.path, inputs=[new], seed=0,
                        max_eval_songs=2)


# -- reports of odd stores (bad input that must still give a page) -------------------------------------------


def store_of(root, songs, config, *, test_fraction: float = 0.1):
    """A store preprocessed (with ``config``, and the split's ``test_fraction``) from ``{genre: [signal, ...]}``
    written as 8 kHz WAVs under ``root/audio/<genre>/``."""
    import soundfile as sf

    from genmusic.data.pipeline import PreprocessingPipeline
    from genmusic.data.store import SpectrogramStore

    for genre, signals in songs.items():
        (root / "audio" / genre).mkdir(parents=True)
        for i, y in enumerate(signals):
            sf.write(root / "audio" / genre / f"{genre}.{i:05d}.wav", y, 8000, subtype="FLOAT")
    config = config.replace(split={"test_fraction": test_fraction, "validation_fraction": 0.0})
    PreprocessingPipeline(config).run(root / "audio", root / "store", workers=1)
    return SpectrogramStore(root / "store")


def report_of(model_folder, store, out, *extra: str):
    """``analyze`` of one model on a store into ``out`` (exit status 0 asserted); returns ``out``."""
    from genmusic.commands import analyze

    rc = analyze.main(["--model", str(model_folder), "--spectrograms", str(store.path), "--output", str(out),
                       "--max-eval-songs", "1", "--clip-seconds", "1", *extra])
    assert rc == 0
    return out


@pytest.fixture(scope="session")
def one_genre_report(tiny_store, tiny_model_folder, tmp_path_factory):
    """A report of the tiny model on a store of one genre and no test split."""
    root = tmp_path_factory.mktemp("one_genre")
    store = store_of(root, {"solo": [_tiny_song(1, i, 8000, 1.0) for i in range(4)]}, tiny_store.config,
                     test_fraction=0.0)
    assert not store.songs_in("test") and store.genres == ["solo"]
    return report_of(tiny_model_folder, store, root / "out")


@pytest.fixture(scope="session")
def short_songs_report(tiny_store, tiny_model_folder, tmp_path_factory):
    """A report of the tiny model on songs shorter than a segment (0.1 s < 0.128 s), three genres."""
    root = tmp_path_factory.mktemp("short_songs")
    songs = {name: [_tiny_song(g, i, 8000, 0.1) for i in range(3)] for g, name in enumerate(("bass", "mid", "treble"))}
    store = store_of(root, songs, tiny_store.config, test_fraction=0.34)
    assert store.songs_in("test") and all(r.n_samples < store.config.spectrogram.segment_samples for r in store.songs)
    return report_of(tiny_model_folder, store, root / "out", "--no-tsne")
