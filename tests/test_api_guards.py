"""The Python API never silently does the wrong thing (issue 18): each case either works or stops with a
GenmusicError that says what to do.

Cases: genmusic's .keras files load with plain Keras after ``import genmusic`` (every import order, both
backends); ``reconstruct`` gives ``(spectrograms, latents)``; a pipeline uses every stage it is given, or refuses
it; a class that takes a config refuses anything else; a model built for one dB range / sample rate is not fed
spectrograms of another; a model saved by hand becomes a model folder (``save_model``); the top-level names of
genmusic 0.1 still work, with a FutureWarning.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

import genmusic
from genmusic import AudioConfig, GenmusicConfig, SpectrogramConfig
from genmusic.errors import ModelFolderError, ParameterError, SettingsMismatchError
from tests.conftest import make_sine

ROOT = pathlib.Path(genmusic.__file__).parent.parent
SMALL = dict(input_shape=(64, 16), conv_filters=(4, 8), conv_kernels=(3, 3), conv_strides=((2, 2), (2, 2)),
             latent_dim=8)
#: The spectrogram settings of SMALL's input shape (64 bins x 16 frames).
SMALL_CONFIG = GenmusicConfig(audio=AudioConfig(sample_rate=8000),
                              spectrogram=SpectrogramConfig(n_fft=128, hop_length=64, segment_frames=16))


def small_vae(**kwargs):
    return genmusic.VAE(**{**SMALL, **kwargs})


# --------------------------------------------------------------------------------------------------
# Keras finds genmusic's classes after `import genmusic`, whatever is imported first


#: Each route: environment, then the code that loads the model file (argv[1]) with Keras and prints its class.
ROUTES = {
    "genmusic, then keras": ({}, "import genmusic\nimport keras\nload = keras.saving.load_model"),
    "keras, then genmusic": ({}, "import keras\nimport genmusic\nload = keras.saving.load_model"),
    "tf.keras": ({}, "import genmusic\nimport tensorflow as tf\nload = tf.keras.models.load_model"),
    # under JAX, and Keras first imported by a genmusic module that the other registering modules import
    "jax, keras through genmusic.Autoencoder": (
        {"KERAS_BACKEND": "jax"}, "import genmusic\ngenmusic.Autoencoder\nimport keras\nload = keras.saving.load_model"),
}
CHECK = """
import sys
model = load(sys.argv[1], compile=False)
import keras
print(type(model).__name__, keras.backend.backend(),
      keras.saving.get_registered_object("genmusic>LatentSequenceModel") is not None)
"""


def test_keras_loads_genmusic_models_after_import_genmusic_by_every_route(tmp_path):
    path = tmp_path / "vae.keras"
    small_vae(loss="mse").save(path)  # the mse loss: loading it imports no librosa
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    runs = {name: subprocess.Popen([sys.executable, "-c", code + CHECK, str(path)], cwd=ROOT, text=True,
                                   env={**env, **extra}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for name, (extra, code) in ROUTES.items()}
    for name, run in runs.items():
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, f"{name}: {err[-2000:]}"
        assert out.split("\n")[-2] == ("VAE jax True" if "jax" in name else "VAE tensorflow True"), name


# --------------------------------------------------------------------------------------------------
# reconstruct gives (spectrograms, latents)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_reconstruct_unpacks_into_spectrograms_and_latents_for_any_number_of_inputs(n, rng):
    vae = small_vae()
    x = rng.uniform(0, 1, (n, 64, 16)).astype(np.float32)
    spectrograms, latents = vae.reconstruct(x)
    assert spectrograms.shape == (n, 64, 16) and latents.shape == (n, 8)
    np.testing.assert_array_equal(latents, vae.encode(x))
    np.testing.assert_allclose(spectrograms, vae.decode(latents), atol=1e-6)
    with pytest.raises(AttributeError, match=r"result.spectrograms.shape"):
        vae.reconstruct(x).shape  # code written when reconstruct gave one array fails, and says why


# --------------------------------------------------------------------------------------------------
# the pipeline uses every stage it is given, or refuses it


def _one_song_folder(tmp_path, sr=8000):
    folder = tmp_path / "in"
    folder.mkdir()
    sf.write(folder / "a.wav", make_sine(440.0, 1.0, sr), sr)
    return folder


@pytest.mark.parametrize("stage", ["padder", "normaliser", "saver", "extracter"])
def test_pipeline_refuses_a_stage_it_does_not_have(stage):
    pipeline = genmusic.PreprocessingPipeline(SMALL_CONFIG)
    with pytest.raises(ParameterError, match="genmusic.tutorial.PreprocessingPipeline" if stage != "extracter" else
                       "its stages are config, loader and extractor"):
        setattr(pipeline, stage, object())


def test_a_swapped_extractor_and_loader_bring_their_settings_into_the_store(tmp_path):
    pipeline = genmusic.PreprocessingPipeline(SMALL_CONFIG)
    pipeline.extractor = genmusic.LogSpectrogramExtractor(SpectrogramConfig(n_fft=64, hop_length=32, segment_frames=8))
    pipeline.loader = genmusic.Loader(AudioConfig(sample_rate=4000))
    assert (pipeline.config.spectrogram.n_fft, pipeline.config.audio.sample_rate) == (64, 4000)
    report = pipeline.run(_one_song_folder(tmp_path), tmp_path / "out", workers=1)
    assert len(report.processed) == 1 and report.skipped == []
    store = genmusic.SpectrogramStore(tmp_path / "out")
    assert store.segment_shape == (32, 8) and store.config.audio.sample_rate == 4000
    assert store.song_array(store.songs[0].song_id).shape == (1 + 4000 // (32 * 8), 32, 8)


def test_pipeline_stages_must_be_genmusic_stages():
    pipeline = genmusic.PreprocessingPipeline()
    with pytest.raises(ParameterError, match=r"pipeline.extractor takes a LogSpectrogramExtractor"):
        pipeline.extractor = SpectrogramConfig()
    with pytest.raises(ParameterError, match=r"pipeline.loader takes a Loader"):
        pipeline.loader = "librosa.load"


# --------------------------------------------------------------------------------------------------
# a class that takes a config refuses anything else, and names the fix


@pytest.mark.parametrize("call, message", [
    (lambda: genmusic.Loader(22050), r"Loader takes an AudioConfig, got 22050 \(int\): "
                                     r"Loader\(AudioConfig\(sample_rate=22050\)\); the tutorial's call is "
                                     r"genmusic.tutorial.Loader"),
    (lambda: genmusic.LogSpectrogramExtractor(512, 256), None),  # two positional arguments: Python's TypeError
    (lambda: genmusic.LogSpectrogramExtractor(512), r"takes a SpectrogramConfig.*genmusic.tutorial.LogSpectrogram"),
    (lambda: genmusic.PreprocessingPipeline(22050), r"takes a GenmusicConfig.*genmusic.tutorial.PreprocessingPipeline"),
    (lambda: genmusic.data.Saver("features", "min_max"), r"takes a GenmusicConfig.*genmusic.tutorial.Saver"),
    (lambda: genmusic.SoundGenerator(small_vae(), 256), r"takes a GenmusicConfig.*from_folder.*genmusic.tutorial"),
    (lambda: genmusic.VAE((256, 64, 1)), r"VAE\(model_config\) takes a ModelConfig.*genmusic.tutorial.VAE"),
    (lambda: genmusic.VAE(latent_space_dim=128), r"latent_space_dim is genmusic's latent_dim.*genmusic.tutorial.VAE"),
    (lambda: genmusic.Autoencoder(latent_dims=128), r"unknown setting\(s\) \['latent_dims'\].*'latent_dim'"),
])
def test_a_config_of_the_wrong_type_is_refused_with_the_fix(call, message):
    if message is None:
        with pytest.raises(TypeError):
            call()
        return
    with pytest.raises(ParameterError, match=message):
        call()


# --------------------------------------------------------------------------------------------------
# a model reads spectrograms of its own scale


def test_a_model_built_for_another_db_range_or_rate_is_refused():
    top_db_80 = SMALL_CONFIG.replace(spectrogram={"top_db": 80.0})
    with pytest.raises(SettingsMismatchError, match=r"sample_rate: 22050 \(model\) vs 8000.*120.0 \(model\) vs 80.0.*"
                                                    r"VAE.from_config"):
        genmusic.SoundGenerator(small_vae(), top_db_80)  # built by hand: 22050 Hz, 120 dB
    model = genmusic.VAE.from_config(top_db_80.replace(model=dict(latent_dim=8, conv_filters=(4, 8),
                                                                  conv_kernels=(3, 3), conv_strides=((2, 2), (2, 2)))))
    assert (model.db_range, model.sample_rate, model.spectrogram_shape, model.latent_dim) == (80.0, 8000, (64, 16), 8)
    genmusic.SoundGenerator(model, top_db_80)  # accepted
    genmusic.SoundGenerator(small_vae(loss="mse"), top_db_80)  # the mse loss reads no scale


def test_from_config_takes_a_store(tiny_store):
    model = genmusic.Autoencoder.from_config(tiny_store, latent_dim=32)
    assert model.kind == "autoencoder" and model.latent_dim == 32
    assert (model.sample_rate, model.db_range) == (tiny_store.config.audio.sample_rate,
                                                  tiny_store.config.spectrogram.top_db)
    assert model.model_config.conv_filters == tiny_store.config.model.conv_filters
    with pytest.raises(ParameterError, match="takes a GenmusicConfig or a spectrogram store"):
        genmusic.VAE.from_config("spectrograms")


# --------------------------------------------------------------------------------------------------
# a model saved by hand becomes a model folder


def test_save_model_writes_a_folder_that_load_bundle_and_the_generator_read(tmp_path, rng):
    config = SMALL_CONFIG.replace(spectrogram={"top_db": 80.0})
    model = genmusic.VAE.from_config(config, **{k: v for k, v in SMALL.items() if k != "input_shape"})
    stats = {"db_min": -80.0, "db_max": 0.0}
    genmusic.save_model(model, tmp_path / "m", config, stats=stats, genres=["a", "b"])
    bundle = genmusic.load_bundle(tmp_path / "m")
    assert bundle.config.spectrogram == config.spectrogram and bundle.config.model == model.model_config
    assert bundle.stats == stats and bundle.genres == ["a", "b"]
    x = rng.uniform(0, 1, (2, 64, 16)).astype(np.float32)
    np.testing.assert_allclose(bundle.model.reconstruct(x).spectrograms, model.reconstruct(x).spectrograms, atol=1e-6)
    assert genmusic.SoundGenerator.from_folder(tmp_path / "m").dataset_normaliser is not None
    with pytest.raises(ModelFolderError, match="overwrite=True"):
        genmusic.save_model(model, tmp_path / "m", config)
    with pytest.raises(SettingsMismatchError, match="120.0 \\(model\\) vs 80.0"):
        genmusic.save_model(small_vae(sample_rate=8000), tmp_path / "other", config)


def test_a_folder_saved_with_model_save_says_how_to_make_it_a_model_folder(tmp_path):
    (tmp_path / "m").mkdir()
    small_vae().save(tmp_path / "m" / "model.keras")
    for load in (genmusic.load_bundle, genmusic.SoundGenerator.from_folder):
        with pytest.raises(ModelFolderError, match=r"model.keras but no genmusic.json \(model.save\(\).*"
                                                   r"genmusic.save_model\(model, "):
            load(tmp_path / "m")
    with pytest.raises(ModelFolderError, match=r"is a model file, not a model folder.*genmusic.save_model"):
        genmusic.load_bundle(tmp_path / "m" / "model.keras")


# --------------------------------------------------------------------------------------------------
# the top-level names of genmusic 0.1


@pytest.mark.parametrize("name, where", [
    ("build_model", "genmusic.models"), ("Saver", "genmusic.data.store"), ("mel_distance", "genmusic.metrics"),
    ("make_synthetic", "genmusic.data.synthetic"), ("SplitConfig", "genmusic.config"),
    ("ParameterError", "genmusic.errors"), ("AudioLoadError", "genmusic.errors"), ("DataError", "genmusic.errors"),
    ("ModelFolderError", "genmusic.errors"), ("TrainingError", "genmusic.errors"),
])
def test_removed_top_level_names_still_resolve_with_a_visible_warning(name, where):
    import importlib

    genmusic.__dict__.pop(name, None)
    with pytest.warns(FutureWarning, match=rf"genmusic.{name} is deprecated: it is now {where}.{name}.*genmusic 0.3"):
        value = getattr(genmusic, name)
    assert value is getattr(importlib.import_module(where), name)
    assert name not in genmusic.__all__


def test_load_model_and_preprocess_of_genmusic_0_1_still_work(tiny_model_folder, tmp_path):
    for name in ("load_model", "preprocess"):
        genmusic.__dict__.pop(name, None)
    with pytest.warns(FutureWarning, match=r"genmusic.load_model is deprecated: use genmusic.load_bundle"):
        model = genmusic.load_model(tiny_model_folder)
    assert model.latent_dim == genmusic.load_bundle(tiny_model_folder).model.latent_dim
    with pytest.warns(FutureWarning, match=r"genmusic.preprocess is deprecated: use genmusic.PreprocessingPipeline"):
        report = genmusic.preprocess(_one_song_folder(tmp_path), tmp_path / "out", config=SMALL_CONFIG, workers=1)
    assert len(report.processed) == 1


def test_deprecation_warnings_are_shown_by_default_outside_main(tmp_path):
    """Python's default filters show a FutureWarning to code in any module (a DeprecationWarning only to
    ``__main__``): a user's own module that calls a deprecated name is told."""
    (tmp_path / "users_module.py").write_text("import genmusic\n\ndef config():\n    return genmusic.SplitConfig()\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    out = subprocess.run([sys.executable, "-c", "import users_module; users_module.config()"], cwd=tmp_path, text=True,
                         env={**env, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}, capture_output=True,
                         check=True)
    assert "users_module.py:4: FutureWarning: genmusic.SplitConfig is deprecated" in out.stderr
