"""Bad input, gathered in one place (as librosa's tests/test_failures.py): every refusal raises a
GenmusicError whose message names the parameter or file, the value found and the fix; commands print it in
command-line words and exit with status 1. Damaged and truncated audio files are in test_damaged_audio.py.

Sections follow the data flow: the validator, config, audio and preprocessing, the store, the synthetic
dataset, models, training, Griffin-Lim and metrics, generation and latent operations, analysis, commands.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from genmusic.generation import latent_ops as ops
from genmusic._checks import valid_audio
from genmusic._io import atomic_save_npy
from genmusic.analysis import LatentSet, classify, pca_projection, pool_segments, tsne_projection
from genmusic.audio import Loader
from genmusic.models.callbacks import TimeLimit
from genmusic.commands import analyze, generate, preprocess, train as train_command
from genmusic.config import AudioConfig, GenmusicConfig, SpectrogramConfig, check_compatible
from genmusic.models.dataset import SpectrogramDataset
from genmusic.data.synthetic import GENRES, make_synthetic, synthesize_song
from genmusic.errors import (AudioLoadError, DataError, ModelFolderError, ParameterError, SettingsMismatchError)
from genmusic.analysis.evaluation import PCABaseline, evaluate_reconstruction
from genmusic.generation.generator import SongLatents, SoundGenerator
from genmusic.features.griffinlim import griffinlim
from genmusic.features.inversion import resynthesize
from genmusic.metrics import log_spectral_distance, mel_distance, spectral_convergence
from genmusic.models.modelio import CHECKPOINT_DIR, LAST_MODEL_FILE, META_FILE, MODEL_FILE, load_bundle
from genmusic.models import VAE, Autoencoder
from genmusic.data.pipeline import PreprocessingPipeline
from genmusic.features.spectrogram import LogSpectrogramExtractor, MinMaxNormaliser
from genmusic.data.store import Saver, SpectrogramStore
from genmusic.models.training import train
from tests.conftest import SR, IdentityModel, make_sine, train_config
from tests.test_analysis import blobs
from tests.test_generator import SEG, SMALL as SMALL_GENERATION, identity_generator
from tests.test_griffinlim import HOP, N_FFT, magnitude_of
from tests.test_models import small
from tests.test_store import _store

CFG = GenmusicConfig(audio=AudioConfig(sample_rate=22050),
                     spectrogram=SpectrogramConfig(n_fft=256, hop_length=128, segment_frames=32))
FAST = ["--n-iter", "4"]




# --------------------------------------------------------------------------------------------------
# the one validator


def test_valid_audio_rejects_bad_arrays():
    with pytest.raises(ParameterError, match="audio must hold floating-point numbers, got dtype int16"):
        valid_audio(np.zeros(4, dtype=np.int16))
    with pytest.raises(ParameterError, match=r"audio must be a mono signal of shape \(n,\), got an array of shape"):
        valid_audio(np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(ParameterError, match="audio is empty"):
        valid_audio(np.zeros(0, dtype=np.float32))


# --------------------------------------------------------------------------------------------------
# config


@pytest.mark.parametrize("bad, word", [
    ({"spectrogram": {"n_fft": 1023}}, "n_fft"),
    ({"spectrogram": {"hop_length": 0}}, "hop_length"),
    ({"model": {"activation": "gelu"}}, "activation"),
    ({"model": {"conv_filters": [8, 16], "conv_kernels": [3]}}, "same length"),
    ({"spectrogram": {"nfft": 512}}, "unknown setting"),
    ({"modle": {}}, "unknown section"),
    ({"genmusic_config_version": 99}, "version 99"),
])
def test_bad_configs_name_the_problem(bad, word):
    with pytest.raises(ParameterError, match=word):
        GenmusicConfig.from_dict(bad)


def test_bad_json_file(tmp_path):
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(ParameterError, match="not valid JSON"):
        GenmusicConfig.load(tmp_path / "c.json")
    with pytest.raises(ParameterError, match="does not exist"):
        GenmusicConfig.load(tmp_path / "missing.json")


def test_check_compatible_names_both_and_the_settings(tiny_store):
    other = tiny_store.config.replace(audio={"sample_rate": 16000}, spectrogram={"segment_frames": 32})
    with pytest.raises(SettingsMismatchError) as err:
        check_compatible(other, tiny_store.config, model_name="models/m1", data_name="spec/s1")
    msg = str(err.value)
    assert "models/m1" in msg and "spec/s1" in msg
    assert "audio.sample_rate: 16000 (model) vs 8000 (spectrograms)" in msg
    assert "spectrogram.segment_frames: 32 (model) vs 16 (spectrograms)" in msg
    check_compatible(tiny_store.config, tiny_store.config)
    ae = tiny_store.config.replace(model={"kind": "autoencoder"})  # models may differ unless asked
    check_compatible(ae, tiny_store.config)
    with pytest.raises(SettingsMismatchError, match=r"model\.kind: 'autoencoder' \(model\) vs 'vae'"):
        check_compatible(ae, tiny_store.config, sections=("model",))


# --------------------------------------------------------------------------------------------------
# audio, spectrograms, preprocessing


def test_nothing_processed_is_an_error(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.wav").write_text("nope")
    with pytest.raises(DataError, match="none of the 1 audio file"):
        PreprocessingPipeline(CFG).run(d, tmp_path / "out", workers=1)


def test_missing_or_empty_input_folder(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        PreprocessingPipeline(CFG).run(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no audio files"):
        PreprocessingPipeline(CFG).run(tmp_path / "empty", tmp_path / "out")


def test_loader_errors_name_the_file(tmp_path):
    with pytest.raises(AudioLoadError, match="missing.wav: no such file"):
        Loader().load(tmp_path / "missing.wav")
    sf.write(tmp_path / "a.wav", make_sine(440, 0.1), 22050)
    with pytest.raises(AudioLoadError, match="a.wav: decoded to no samples"):
        Loader(AudioConfig(offset=5.0)).load(tmp_path / "a.wav")


def test_silent_or_nan_audio_is_refused():
    gen = identity_generator(n_iter=2)
    with pytest.raises(ParameterError, match="silent"):
        gen.encode_song(np.zeros(3000, np.float32), name="quiet.wav")
    with pytest.raises(ParameterError, match="NaN"):
        gen.encode_song(np.full(3000, np.nan, np.float32))


def test_extract_segments_refuses_unpadded_signal():
    with pytest.raises(ParameterError, match="pad_to_segments"):
        LogSpectrogramExtractor(SpectrogramConfig(n_fft=256, hop_length=64, segment_frames=16)).extract_segments(
            np.ones(1000, dtype=np.float32))


def test_minmax_errors():
    with pytest.raises(ParameterError, match="not fitted"):
        MinMaxNormaliser().transform(np.ones(3))
    with pytest.raises(ParameterError, match="NaN"):
        MinMaxNormaliser().fit(np.array([0.0, np.nan]))
    with pytest.raises(ParameterError, match="max_val"):
        MinMaxNormaliser(1, 0)


# --------------------------------------------------------------------------------------------------
# the spectrogram store


def test_store_errors(tmp_path, small_config):
    with pytest.raises(DataError, match="does not exist"):
        SpectrogramStore(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no manifest.csv|no config.json"):
        SpectrogramStore(tmp_path / "empty")
    store = _store(tmp_path, small_config, [("a.1", "a", 2)])
    atomic_save_npy(store.path / "songs" / "a.1.npy", np.zeros((2, 3, 3), np.float32))
    with pytest.raises(DataError, match=r"shape \(2, 3, 3\) does not match"):
        SpectrogramStore(store.path).song_array("a.1")
    with pytest.raises(ParameterError, match="split"):
        store.songs_in("dev")


def test_saver_refuses_other_settings_without_overwrite(tmp_path, small_config):
    _store(tmp_path, small_config, [("a.1", "a", 2)])
    other = small_config.replace(spectrogram={"hop_length": 32})
    with pytest.raises(ParameterError, match="overwrite=True"):
        Saver(tmp_path / "store", other)
    Saver(tmp_path / "store", other, overwrite=True)
    assert not list((tmp_path / "store" / "songs").iterdir())


# --------------------------------------------------------------------------------------------------
# the synthetic dataset


@pytest.mark.parametrize("kwargs,name", [
    (dict(genres=["polka"]), "polka"),
    (dict(genres=["jazz", "Rock"]), "Rock"),
    (dict(genres=[]), "genres"),
    (dict(n_per_genre=0), "n_per_genre"),
    (dict(n_per_genre=-2), "n_per_genre"),
    (dict(n_per_genre=2.5), "n_per_genre"),
    (dict(duration=0), "duration"),
    (dict(duration=-1.0), "duration"),
    (dict(duration=float("nan")), "duration"),
    (dict(sample_rate=0), "sample_rate"),
    (dict(seed=-1), "seed"),
])
def test_bad_parameters_raise_parameter_error(tmp_path, kwargs, name):
    with pytest.raises(ParameterError, match=name):
        make_synthetic(tmp_path, **kwargs)
    assert not list(tmp_path.rglob("*.wav"))


def test_unknown_genre_message_lists_known_genres(tmp_path):
    with pytest.raises(ParameterError) as info:
        make_synthetic(tmp_path, genres=["polka"])
    assert all(g in str(info.value) for g in GENRES)
    with pytest.raises(ParameterError, match="genre"):
        synthesize_song("polka", 0)
    with pytest.raises(ParameterError, match="index"):
        synthesize_song("jazz", -1)
    with pytest.raises(ParameterError, match="duration"):
        synthesize_song("jazz", 0, duration=0.0)
    assert issubclass(ParameterError, ValueError)


def test_different_settings_in_the_same_folder_are_refused(tmp_path):
    make_synthetic(tmp_path, n_per_genre=1, duration=1.0, genres=["jazz"])
    with pytest.raises(ParameterError, match="overwrite=True"):
        make_synthetic(tmp_path, n_per_genre=1, duration=2.0, genres=["jazz"])
    root = make_synthetic(tmp_path, n_per_genre=1, duration=2.0, genres=["jazz"], overwrite=True)
    assert sf.info(str(root / "jazz" / "jazz.00000.wav")).frames == 2 * SR


# --------------------------------------------------------------------------------------------------
# models


def test_conv_bottleneck_latent_dim_not_divisible_is_refused():
    with pytest.raises(ParameterError) as info:
        small(VAE, input_shape=(32, 16), latent_dim=10)
    message = str(info.value)
    for part in ("latent_dim=10", "(32, 16)", "(8, 4, 8)", "multiple of 4", "latent_dim=8 or 12", "dense"):
        assert part in message


def test_collapsing_feature_map_is_refused():
    with pytest.raises(ParameterError) as info:
        Autoencoder(input_shape=(64, 4), conv_filters=(4, 4, 4), conv_kernels=(3, 3, 3),
                    conv_strides=((2, 2),) * 3, latent_dim=8)
    message = str(info.value)
    assert "(64, 4)" in message and "multiply to 8" in message and "time strides of 1" in message


@pytest.mark.parametrize("kwargs", [
    dict(activation="gelu"), dict(bottleneck="attention"), dict(conv_kernels=(3,)), dict(latent_dim=0),
    dict(conv_strides=((2, 2), (0, 2))), dict(input_shape=(32, 16, 2)), dict(input_shape=(32,)),
    dict(input_shape=(0, 16)), dict(reconstruction_weight=0.0),
])
def test_bad_hyperparameters_raise_parameter_error(kwargs):
    with pytest.raises(ParameterError):
        small(Autoencoder, **kwargs)


def test_bad_beta_raises_parameter_error():
    with pytest.raises(ParameterError):
        small(VAE, beta=-1.0)


def test_wrong_input_shapes_name_expected_and_received():
    model = small(VAE)
    with pytest.raises(ParameterError, match=r"\(n, 32, 16\).*got \(2, 16, 32\)"):
        model.encode(np.zeros((2, 16, 32), np.float32))
    with pytest.raises(ParameterError, match=r"got \(32, 16\)"):
        model.reconstruct(np.zeros((32, 16), np.float32))
    with pytest.raises(ParameterError, match=r"\(n, 8\).*got \(2, 7\)"):
        model.decode(np.zeros((2, 7), np.float32))


def test_unknown_preset_or_setting_lists_the_known_ones():
    from genmusic.models import get_preset

    with pytest.raises(ParameterError, match="default.*tutorial"):
        get_preset("huge")
    with pytest.raises(ParameterError, match="latent_size"):
        get_preset("default", latent_size=3)


# --------------------------------------------------------------------------------------------------
# training and the model folder


def test_dataset_refuses_a_zero_batch(tiny_store):
    with pytest.raises(ParameterError, match="batch_size"):
        SpectrogramDataset(tiny_store, "train", batch_size=0)


def test_dataset_nan_batch_names_the_song(tiny_store, monkeypatch):
    real = tiny_store.load_segments

    def poisoned(index):
        x = real(index)
        x[0, 0, 0] = np.nan
        return x

    monkeypatch.setattr(tiny_store, "load_segments", poisoned)
    ds = SpectrogramDataset(tiny_store, "train", batch_size=4, shuffle=False)
    first_song = tiny_store.songs[int(ds.index[0, 0])].song_id
    with pytest.raises(DataError, match=first_song):
        ds[0]


def test_time_limit_needs_a_positive_time():
    with pytest.raises(ParameterError):
        TimeLimit(0)


def test_missing_or_empty_store(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        train(tmp_path / "no-such-store", tmp_path / "m")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="not a finished spectrogram store"):
        train(tmp_path / "empty", tmp_path / "m")


def test_config_with_other_spectrogram_settings(tiny_store, tmp_path):
    config = train_config(tiny_store).replace(spectrogram={"n_fft": 256})
    with pytest.raises(SettingsMismatchError, match=r"\(128, 16\).*\(64, 16\)"):
        train(tiny_store, tmp_path / "m", config)


def test_existing_model_needs_resume_or_overwrite(trained, tiny_store):
    *_, folder = trained
    with pytest.raises(ModelFolderError, match="resume=True.*overwrite=True"):
        train(tiny_store, folder, train_config(tiny_store), progress=None)
    with pytest.raises(ParameterError, match=r"config\.train\.epochs above"):
        train(tiny_store, folder, train_config(tiny_store, epochs=4), resume=True, progress=None)
    # an architecture that cannot work is refused before --overwrite removes the old model
    with pytest.raises(ParameterError, match="latent_dim=15"):
        train(tiny_store, folder, train_config(tiny_store).replace(model={"latent_dim": 15}), overwrite=True)
    assert (folder / "model.keras").is_file() and (folder / CHECKPOINT_DIR / LAST_MODEL_FILE).is_file()


def test_resume_refuses_other_versions_shapes_and_architectures(trained, tiny_store, tmp_path):
    *_, folder = trained
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    meta_path = copy / "genmusic.json"
    meta = json.loads(meta_path.read_text())

    with pytest.raises(SettingsMismatchError, match=r"model\.latent_dim: 16 \(saved\) vs 32 \(requested\)"):
        train(tiny_store, copy, train_config(tiny_store, epochs=6).replace(model={"latent_dim": 32}), resume=True)

    other = json.loads(json.dumps(meta))
    other["config"]["spectrogram"].update(n_fft=256, segment_frames=32)  # a model made for other spectrograms
    meta_path.write_text(json.dumps(other))
    with pytest.raises(SettingsMismatchError, match=r"spectrogram\.n_fft: 256 \(model\) vs 128 \(store\).*"
                                                    r"\(128, 32\).*\(64, 16\)"):
        train(tiny_store, copy, train_config(tiny_store, epochs=6), resume=True)

    meta_path.write_text(json.dumps(dict(meta, genmusic_model_version=999)))
    with pytest.raises(ModelFolderError, match="version 999"):
        train(tiny_store, copy, train_config(tiny_store, epochs=6), resume=True)


def test_resume_without_checkpoint(tiny_store, tmp_path):
    with pytest.raises(ModelFolderError, match="nothing to resume"):
        train(tiny_store, tmp_path / "fresh", train_config(tiny_store), resume=True)


def test_nan_data_raises_data_error(tiny_store, tmp_path, monkeypatch):
    real = tiny_store.load_segments
    calls = {"n": 0}

    def poisoned(index):
        calls["n"] += 1
        x = real(index)
        if calls["n"] > 4:  # let the first batches (peeked by Keras) through
            x[:] = np.nan
        return x

    monkeypatch.setattr(tiny_store, "load_segments", poisoned)
    with pytest.raises(DataError, match="NaN or infinite values"):
        train(tiny_store, tmp_path / "nan-data", train_config(tiny_store, epochs=1), progress=None)


def test_broken_model_folders_are_refused_with_the_reason(tiny_model_folder, tmp_path):
    with pytest.raises(ModelFolderError, match="does not exist"):
        load_bundle(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFolderError, match="no genmusic.json"):
        load_bundle(tmp_path / "empty")
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_folder, copy)
    meta = json.loads((copy / META_FILE).read_text())
    (copy / META_FILE).write_text(json.dumps(dict(meta, input_shape=[32, 16, 1])))
    with pytest.raises(ModelFolderError, match=r"takes input \(64, 16, 1\) but genmusic.json says \(32, 16, 1\)"):
        load_bundle(copy)
    (copy / META_FILE).write_text(json.dumps(dict(meta, genmusic_model_version=7)))
    with pytest.raises(ModelFolderError, match="model-folder version 7"):
        load_bundle(copy)
    (copy / META_FILE).write_text(json.dumps(meta))
    (copy / MODEL_FILE).unlink()
    with pytest.raises(ModelFolderError, match="has no model.keras"):
        load_bundle(copy)
    (copy / META_FILE).write_text("{not json")
    with pytest.raises(ModelFolderError, match="not valid JSON"):
        load_bundle(copy)


# --------------------------------------------------------------------------------------------------
# Griffin-Lim and metrics


@pytest.mark.parametrize("method", ["librosa", "keras"])
def test_griffinlim_bad_magnitudes(chirp, method):
    mag = magnitude_of(chirp)
    negative = mag.copy()
    negative[3, 4] = -1.0
    with pytest.raises(ParameterError, match="magnitude holds negative values"):
        griffinlim(negative, n_fft=N_FFT, hop_length=HOP, method=method)
    for value in (np.nan, np.inf):
        bad = mag.copy()
        bad[0, 0] = value
        with pytest.raises(ParameterError, match="magnitude holds NaN or inf values"):
            griffinlim(bad, n_fft=N_FFT, hop_length=HOP, method=method)
    with pytest.raises(ParameterError, match=r"magnitude has 512 frequency bins but n_fft=1024 needs "
                                             r"n_fft // 2 \+ 1 = 513.*restore_nyquist=True"):
        griffinlim(mag[:-1], n_fft=N_FFT, hop_length=HOP, method=method)
    with pytest.raises(ParameterError, match="magnitude has 513 frequency bins but n_fft=2048 needs"):
        griffinlim(mag, n_fft=2048, hop_length=HOP, method=method)
    with pytest.raises(ParameterError, match=r"at least 2 dimensions"):
        griffinlim(mag[:, 0], n_fft=N_FFT, hop_length=HOP, method=method)


def test_griffinlim_bad_options(chirp):
    mag = magnitude_of(chirp)
    with pytest.raises(ParameterError, match=r"method must be one of \('librosa', 'keras'\), got 'torch'"):
        griffinlim(mag, n_fft=N_FFT, hop_length=HOP, method="torch")
    with pytest.raises(ParameterError, match="length=1000 gives 1 \\+ length // hop_length = 4 frames"):
        griffinlim(mag, n_fft=N_FFT, hop_length=HOP, length=1000)
    with pytest.raises(ParameterError, match="n_iter must be an integer >= 0 and <= 10000, got -1"):
        griffinlim(mag, n_fft=N_FFT, hop_length=HOP, n_iter=-1, method="keras")
    with pytest.raises(ParameterError, match="momentum must be a finite number >= 0, got -0.5"):
        griffinlim(mag, n_fft=N_FFT, hop_length=HOP, momentum=-0.5)
    with pytest.raises(ParameterError, match=r"hop_length must be an integer in \(0, n_fft=1024\], got 0"):
        griffinlim(mag, n_fft=N_FFT, hop_length=0, method="keras")
    with pytest.raises(ParameterError, match="y holds NaN or inf values"):
        resynthesize(np.full(1000, np.nan, np.float32))


@pytest.mark.parametrize("bad, match", [
    (np.array([0.0, np.nan, 0.0]), "estimate holds NaN"),
    (np.array([0.0, np.inf, 0.0]), "estimate holds NaN or inf"),
    (np.zeros(0), "estimate is empty"),
    (np.zeros((2, 100)), r"estimate must be a 1-D signal, got an array of shape \(2, 100\)"),
    (np.array(["a", "b"]), "estimate must hold real numbers"),
])
def test_metrics_bad_signals(sine, bad, match):
    with pytest.raises(ParameterError, match=match):
        mel_distance(sine, bad, SR)
    with pytest.raises(ParameterError, match=match.replace("estimate", "reference")):
        spectral_convergence(bad, sine)
    with pytest.raises(ParameterError, match=match):
        log_spectral_distance(sine, bad)


def test_metrics_bad_options(sine):
    for sr in (0, -22050, 22050.0, None):
        with pytest.raises(ParameterError, match=f"sr must be a positive integer sample rate in Hz, got {sr!r}"):
            mel_distance(sine, sine, sr)
    with pytest.raises(ParameterError, match="n_fft must be an integer >= 2, got 1"):
        spectral_convergence(sine, sine, n_fft=1)
    with pytest.raises(ParameterError, match=r"hop_length must be an integer in \(0, n_fft=512\], got 1024"):
        log_spectral_distance(sine, sine, n_fft=512, hop_length=1024)
    with pytest.raises(ParameterError, match="amin must be a finite number > 0, got 0"):
        log_spectral_distance(sine, sine, amin=0)


# --------------------------------------------------------------------------------------------------
# generation and latent operations


def test_generator_refuses_a_model_of_other_shape():
    with pytest.raises(SettingsMismatchError, match=r"shape \(32, 16\) but the config holds segments of shape \(64, 16\)"):
        SoundGenerator(IdentityModel((32, 16)), SMALL_GENERATION)
    with pytest.raises(ParameterError, match="method"):
        identity_generator(method="phase-vocoder")
    with pytest.raises(ParameterError, match="overlap"):
        identity_generator().encode_song(make_sine(sr=8000), overlap=1.0)


def test_encode_file_names_a_missing_file(tmp_path):
    gen = identity_generator(n_iter=2)
    with pytest.raises(AudioLoadError, match="missing.wav"):
        gen.encode_file(tmp_path / "missing.wav")


def test_decoded_nan_is_refused():
    class Broken(IdentityModel):
        def decode(self, latents):
            return np.full((len(latents), *self.spectrogram_shape), np.nan, np.float32)

    gen = SoundGenerator(Broken(SMALL_GENERATION.spectrogram.segment_shape), SMALL_GENERATION)
    song = gen.encode_song(make_sine(300.0, 0.3, sr=8000))
    with pytest.raises(ParameterError, match="NaN"):
        gen.decode_song(song)


def test_plain_latents_need_dataset_statistics():
    gen = identity_generator(n_iter=2)
    z = gen.encode_song(make_sine(300.0, 0.5, sr=8000)).latents
    with pytest.raises(ParameterError, match="dataset_normaliser"):
        gen.decode_song(z)


def test_replaced_latents_keep_the_window_count():
    song = SongLatents(np.zeros((5, 4), np.float32), -80.0, 0.0, n_samples=3 * SEG - 10, segment_frames=16,
                       hop_frames=8, hop_length=64)
    with pytest.raises(ParameterError, match="windows"):
        song.replace_latents(np.zeros((4, 4)))


def test_sample_needs_a_vae(tiny_store):
    from genmusic.models import Autoencoder

    with pytest.raises(ParameterError, match="sampling needs a VAE"):
        SoundGenerator(Autoencoder.from_config(tiny_store), tiny_store.config).sample(2)


def test_interpolate_refuses_bad_input(songs):
    a, b = songs
    with pytest.raises(ParameterError, match="same shape"):
        ops.interpolate(a, b, 3)
    with pytest.raises(ParameterError, match="steps"):
        ops.interpolate(a, a, 1)
    with pytest.raises(ParameterError, match="method"):
        ops.interpolate(a, a, 3, method="cubic")
    with pytest.raises(ParameterError, match="NaN"):
        ops.interpolate(np.full(3, np.nan), np.zeros(3), 3)
    with pytest.raises(ParameterError, match="shape"):
        ops.interpolate(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), 3)


def test_average_refuses_bad_input(songs):
    a, _ = songs
    with pytest.raises(ParameterError, match="non-empty"):
        ops.average([])
    with pytest.raises(ParameterError, match="latent_dim"):
        ops.average([a, np.zeros((4, 3))])
    with pytest.raises(ParameterError, match="mode"):
        ops.average([a], mode="median")


def test_segment_average_is_no_longer_than_the_shortest_song(songs):
    a, b = songs
    with pytest.raises(ParameterError, match="shortest"):
        ops.average([a, b], n_segments=5)


def test_splice_and_remix_refuse_bad_spans(songs):
    a, b = songs
    with pytest.raises(ParameterError, match="start < stop"):
        ops.splice([a, b], [(0, 2, 2)])
    with pytest.raises(ParameterError, match="stop <= 4"):
        ops.splice([a, b], [(0, 0, 5)])
    with pytest.raises(ParameterError, match="song 2"):
        ops.splice([a, b], [(2, 0, 1)])
    with pytest.raises(ParameterError, match="latent_dim"):
        ops.remix(a, np.zeros((3, 5)))
    with pytest.raises(ParameterError, match="shape"):
        ops.remix(a[0], b)


def test_add_noise_refuses_bad_sigma_and_seed():
    z = np.zeros((200, 64), dtype=np.float32)
    with pytest.raises(ParameterError, match="sigma"):
        ops.add_noise(z, -1.0)
    with pytest.raises(ParameterError, match="seed"):
        ops.add_noise(z, 1.0, seed=-2)


def test_scale_refuses_a_non_finite_factor(songs):
    a, _ = songs
    with pytest.raises(ParameterError, match="factor"):
        ops.scale(a, float("inf"))


def test_smooth_refuses_bad_width_and_shape(songs):
    a, b = songs
    with pytest.raises(ParameterError, match="width"):
        ops.smooth(a, 0)
    with pytest.raises(ParameterError, match="shape"):
        ops.smooth(a[0], 3)


# --------------------------------------------------------------------------------------------------
# analysis and evaluation


def test_pool_segments_needs_a_segment_per_song():
    Z = np.array([[0.0, 2.0], [2.0, 4.0], [5.0, 5.0]])
    song = np.array([0, 0, 1])
    with pytest.raises(ParameterError, match="at least one segment"):
        pool_segments(Z, song, 3)


def test_missing_latent_file_is_named(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        LatentSet.load(tmp_path / "missing.npz")


def test_pca_projection_has_two_or_three_components():
    X, _ = blobs()
    with pytest.raises(ParameterError, match="n_components"):
        pca_projection(X, 4)


def test_tsne_needs_three_samples():
    X, _ = blobs(n_per_class=4)
    with pytest.raises(ParameterError, match="at least 3"):
        tsne_projection(X[:2])


def test_classify_refuses_mismatched_features_and_unknown_classifiers():
    X, y = blobs()
    with pytest.raises(ParameterError, match="same number of features"):
        classify(X, y, X[:, :3], y)
    with pytest.raises(ParameterError, match="unknown classifier"):
        classify(X, y, X, y, classifiers=("svm",))


def test_evaluate_empty_split(tiny_store):
    store = SpectrogramStore(tiny_store.path)
    for record in store.songs:
        record.split = "train"
    with pytest.raises(DataError, match="no songs in the 'test' split"):
        evaluate_reconstruction(None, store)


def test_pca_baseline_refuses_unfitted_use_bad_shapes_and_sizes(tiny_store):
    pca = PCABaseline(8, max_fit_segments=20, seed=1).fit_store(tiny_store)
    with pytest.raises(ParameterError, match="not fitted"):
        PCABaseline(4).encode(np.zeros((1, 4, 4)))
    with pytest.raises(ParameterError, match="shape"):
        pca.encode(np.zeros((2, 3, 3)))
    with pytest.raises(ParameterError, match="latent_dim"):
        PCABaseline(0)


# --------------------------------------------------------------------------------------------------
# commands: errors in command-line words, exit status 1


def test_main_errors_exit_nonzero_with_message(tmp_path, capsys):
    assert preprocess.main(["--input", str(tmp_path / "nope"), "--output", str(tmp_path / "out")]) == 1
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.wav").write_text("not audio")
    assert preprocess.main(["--input", str(tmp_path / "junk"), "--output", str(tmp_path / "o2"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "x.wav" in err and "none of the 1 audio file" in err


def test_train_main_errors(tiny_store, tmp_path, capsys):
    rc = train_command.main(["--spectrograms", str(tmp_path / "missing"), "--model-dir", str(tmp_path / "m")])
    assert rc == 1 and "error:" in capsys.readouterr().err
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"spectrogram": {"n_fft": 256}}))
    rc = train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(tmp_path / "m"),
                             "--config", str(config)])
    err = capsys.readouterr().err
    assert rc == 1 and "(128, 128)" in err and "(64, 16)" in err  # the file's other settings are defaults


def test_generate_command_user_errors(tiny_model_folder, tiny_store, tmp_path, capsys):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(4000, np.float32), 8000)
    base = ["--model", str(tiny_model_folder), "--output", str(tmp_path / "x"), *FAST]

    assert generate.main(base + ["--mode", "reconstruct", "--input", str(silent)]) == 1
    err = capsys.readouterr().err
    assert "silent.wav" in err and "silent" in err

    assert generate.main(["--model", str(tmp_path / "nope"), "--mode", "resynth"]) == 1
    assert "does not exist" in capsys.readouterr().err

    assert generate.main(base + ["--mode", "remix", "--input", str(tiny_store.songs[0].source)]) == 1
    assert "needs 2 inputs" in capsys.readouterr().err

    assert generate.main(base + ["--mode", "average", "--genre", "polka"]) == 1
    err = capsys.readouterr().err
    assert "polka" in err and "bass, mid, treble" in err

    with pytest.raises(SystemExit) as exc:
        generate.main(base + ["--mode", "dream"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_sample_refused_for_an_autoencoder(tiny_store, tmp_path, capsys):
    from genmusic.models import Autoencoder
    from genmusic.models.modelio import save_model

    folder = save_model(Autoencoder.from_config(tiny_store.config), tmp_path / "ae", tiny_store.config,
                        stats=tiny_store.stats, genres=tiny_store.genres)
    assert generate.main(["--model", str(folder), "--mode", "sample", "--output", str(tmp_path / "s")]) == 1
    assert "sampling needs a VAE" in capsys.readouterr().err
    assert generate.main(["--model", str(folder), "--mode", "resynth", "--output", str(tmp_path / "s")]) == 1
    assert "--input" in capsys.readouterr().err  # no training store recorded: say how to give inputs


def test_missing_model_and_missing_store_are_clear_errors(tiny_store, tmp_path, capsys):
    rc = analyze.main(["--model", str(tmp_path / "nope"), "--spectrograms", str(tiny_store.path), "--output",
               str(tmp_path / "out"), "--no-tsne"])
    err = capsys.readouterr().err
    assert rc == 1 and f"model folder {tmp_path / 'nope'} does not exist" in err
    assert (tmp_path / "out" / "report.md").is_file()
    rc = analyze.main(["--model", str(tmp_path / "nope"), "--spectrograms", str(tmp_path / "no_store"),
               "--output", str(tmp_path / "out2")])
    err = capsys.readouterr().err
    assert rc == 1 and f"spectrogram folder {tmp_path / 'no_store'} does not exist" in err
    assert analyze.main(["--max-eval-songs", "0"]) == 1
    assert "--max-eval-songs must be an integer >= 1 and <= 10000, got 0" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# the report of odd data: it renders, and names what is missing


def _report(out):
    results = json.loads((out / "results.json").read_text())
    (model,) = results["models"]
    return model, (out / "report.html").read_text()


def test_report_without_test_songs_and_with_one_genre_names_what_is_missing(one_genre_report):
    model, html = _report(one_genre_report)
    lis = model["listening"]
    assert lis["test_songs"] == [] and lis["missing"] == {"test_songs": "reconstruction not available: the store has "
                                                                        "no test songs"}
    assert "Missing: reconstruction not available: the store has no test songs." in html
    assert "note: interpolation strip: the store has one genre (solo), so it joins two songs of the same genre" in html
    assert "note: new pieces: one genre (solo), so the prior draws are not sorted by genre" in html
    # What can be heard is there: the map's clips, the strip, one piece; the legend has the one genre.
    assert sorted(lis["songs"]) == [f"solo.{i:05d}" for i in range(4)]
    assert lis["interpolation"]["to"]["song_id"] == "solo.00001" and [p["genre"] for p in lis["pieces"]] == ["solo"]
    assert html.count('class="legend-item"') == 1 and html.count("<audio ") == 2 + 5 + 1
    assert all((one_genre_report / c["original"]).is_file() for c in lis["songs"].values())


def test_report_of_songs_shorter_than_a_segment(short_songs_report):
    import soundfile as sf

    model, html = _report(short_songs_report)
    lis = model["listening"]
    assert not lis["missing"] and len(lis["songs"]) == 9
    for clip in lis["songs"].values():  # as long as the song: 0.1 s, not a padded segment
        assert clip["seconds"] == 0.1 and sf.info(short_songs_report / clip["reconstruction"]).frames == 800
    assert "map audio: 9 song(s) shorter than one segment (0.128 s), padded for the model and trimmed back" in html
    assert model["reconstruction"]["available"] and len(lis["test_songs"]) == 1
    assert "t-SNE view: not computed" in html


def test_bad_listening_settings_are_refused(tiny_model_folder, tiny_store, tmp_path, capsys):
    rc = analyze.main(["--model", str(tiny_model_folder), "--spectrograms", str(tiny_store.path), "--output",
                       str(tmp_path / "out"), "--clip-seconds", "0"])
    assert rc == 1 and "--clip-seconds must be a finite number > 0 and <= 600, got 0.0" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # refused before any work
