"""genmusic.tutorial: the tutorial's API, and three scripts written with its calls, run end to end.

The scripts (tests/tutorial_scripts/) run once per module on synthetic audio (sines and a chord, 128 x 32
spectrograms, 2 epochs); the tests below check what they wrote, then each class on its own and bad input.
"""

from __future__ import annotations

import json
import logging
import os
import pickle

import numpy as np
import pytest
import soundfile as sf

import genmusic
from genmusic.errors import GenmusicError, ModelFolderError, ParameterError
from genmusic.tutorial import (VAE, Loader, LogSpectrogramExtractor, MinMaxNormaliser, Padder,
                               PreprocessingPipeline, Saver, SoundGenerator)
from tests.conftest import make_sine
from tests.tutorial_scripts import generate, preprocess, train

SR = preprocess.SAMPLE_RATE
#: Samples the Loader reads, frames and audio length of one spectrogram (as the tutorial's istft gave).
N_SAMPLES = int(SR * preprocess.DURATION)
N_FRAMES = 1 + N_SAMPLES // preprocess.HOP_LENGTH
AUDIO_LENGTH = (N_FRAMES - 1) * preprocess.HOP_LENGTH
FREQS = {"a.wav": 344.53125, "b.wav": 689.0625, "c.wav": 1378.125}  # on bins of n_fft 256 at 22050 Hz


def _rms(y):
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))


def _peak_hz(y, sr=SR):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.argmax(spectrum) * sr / len(y)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The three scripts on a folder of three sines (0.3 s: cut to the duration), a chord that is too short
    (padded), a silent file and a text file (both skipped)."""
    root = tmp_path_factory.mktemp("tutorial")
    audio = root / "audio"
    (audio / "sub").mkdir(parents=True)
    for name, freq in FREQS.items():
        sf.write(audio / name, make_sine(freq, 0.3, SR, amplitude=0.5), SR)
    chord = make_sine(261.6, 0.1, SR, 0.3) + make_sine(329.6, 0.1, SR, 0.3) + make_sine(392.0, 0.1, SR, 0.3)
    sf.write(audio / "sub" / "chord.flac", chord, SR)
    sf.write(audio / "silent.wav", np.zeros(SR // 10, np.float32), SR)
    (audio / "notes.txt").write_text("not audio")
    pipeline = preprocess.main([str(audio), str(root / "spectrograms"), str(root)])
    vae = train.main([str(root / "spectrograms"), str(root / "model")])
    chosen = generate.main([str(root / "model"), str(root / "spectrograms"), str(root / "min_max_values.pkl"),
                            str(root / "original"), str(root / "generated")])
    return {"root": root, "audio": audio, "pipeline": pipeline, "vae": vae, "chosen": chosen}


# --------------------------------------------------------------------------------------------------
# the scripts, end to end


def test_preprocess_script_writes_one_normalised_spectrogram_per_audio_file(run):
    spectrograms = run["root"] / "spectrograms"
    assert sorted(os.listdir(spectrograms)) == ["a.wav.npy", "b.wav.npy", "c.wav.npy", "chord.flac.npy"]
    for name in os.listdir(spectrograms):
        spec = np.load(spectrograms / name, allow_pickle=False)
        assert spec.shape == (preprocess.FRAME_SIZE // 2, N_FRAMES)
        assert spec.min() == 0.0 and spec.max() == pytest.approx(1.0, abs=1e-6)
    skipped = sorted(os.path.basename(path) for path, _ in run["pipeline"].skipped)
    assert skipped == ["notes.txt", "silent.wav"]


def test_min_max_values_are_each_files_db_range_under_its_spectrogram_path(run):
    root = run["root"]
    with open(root / "min_max_values.pkl", "rb") as handle:
        pickled = pickle.load(handle)
    assert json.loads((root / "min_max_values.json").read_text()) == pickled == run["pipeline"].min_max_values
    loader = Loader(SR, preprocess.DURATION, True)
    extractor = LogSpectrogramExtractor(preprocess.FRAME_SIZE, preprocess.HOP_LENGTH)
    for source in [run["audio"] / name for name in FREQS] + [run["audio"] / "sub" / "chord.flac"]:
        signal = loader.load(source)
        signal = Padder().right_pad(signal, N_SAMPLES - len(signal))
        db = extractor.extract(signal)
        key = os.path.join(str(root / "spectrograms"), source.name + ".npy")
        assert pickled[key] == {"min": float(db.min()), "max": float(db.max())}
        assert pickled[key]["max"] - pickled[key]["min"] == pytest.approx(120.0)  # the floor, not the tutorial's 80


def test_train_script_saves_a_genmusic_model_folder(run):
    bundle = genmusic.load_bundle(run["root"] / "model")
    spec = bundle.config.spectrogram
    assert (spec.n_fft, spec.hop_length, spec.segment_frames) == (preprocess.FRAME_SIZE, preprocess.HOP_LENGTH,
                                                                   N_FRAMES)
    assert bundle.config.audio.sample_rate == SR
    assert bundle.config.model.conv_filters == (16, 8, 8, 4) and bundle.config.model.latent_dim == 16
    assert bundle.config.model.bottleneck == "dense" and bundle.config.model.activation == "relu"
    assert not bundle.config.model.batch_norm
    assert (bundle.config.train.learning_rate, bundle.config.train.batch_size, bundle.config.train.epochs) == (
        train.LEARNING_RATE, train.BATCH_SIZE, train.EPOCHS)


def test_generate_script_writes_finite_audible_wavs_of_the_spectrograms_length(run):
    for folder in ("original", "generated"):
        names = sorted(os.listdir(run["root"] / folder))
        assert names == ["0.wav", "1.wav", "2.wav"]
        for name in names:
            y, sr = sf.read(run["root"] / folder / name)
            assert sr == SR and y.shape == (AUDIO_LENGTH,)
            assert np.all(np.isfinite(y)) and _rms(y) > 1e-3


def test_the_originals_come_back_at_their_pitch_and_level(run):
    """Griffin-Lim of a stored spectrogram gives back the sine it was made from (the tutorial's zero-phase
    inverse could not: see test_griffin_lim_beats_the_tutorials_zero_phase_inverse)."""
    for i, path in enumerate(run["chosen"]):
        y, _ = sf.read(run["root"] / "original" / f"{i}.wav")
        source = os.path.basename(path)[:-len(".npy")]
        if source in FREQS:
            assert _peak_hz(y) == pytest.approx(FREQS[source], abs=SR / len(y))
            assert 20 * np.log10(_rms(y) / _rms(make_sine(FREQS[source], 1.0, SR, 0.5))) == pytest.approx(0.0,
                                                                                                          abs=0.5)


def test_genmusics_own_generator_reads_the_tutorials_model_folder(run):
    gen = genmusic.SoundGenerator.from_folder(run["root"] / "model")
    y = make_sine(440.0, 0.5, SR)
    out = gen.reconstruct(y)
    assert out.shape == y.shape and np.all(np.isfinite(out))


# --------------------------------------------------------------------------------------------------
# the classes


def test_normalise_denormalise_round_trip(rng):
    norm = MinMaxNormaliser(0, 1)
    assert (norm.min, norm.max) == (0.0, 1.0)
    x = rng.uniform(-100.0, 20.0, (64, 16))
    y = norm.normalise(x)
    assert y.min() == 0.0 and y.max() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(norm.denormalise(y, x.min(), x.max()), x, rtol=0, atol=1e-12)
    shifted = MinMaxNormaliser(-1, 1)
    np.testing.assert_allclose(shifted.denormalise(shifted.normalise(x), x.min(), x.max()), x, rtol=0, atol=1e-12)
    constant = np.full((4, 4), -100.0)
    assert np.all(norm.normalise(constant) == 0.0)  # the tutorial's gave NaN
    assert np.all(norm.denormalise(norm.normalise(constant), -100.0, -100.0) == -100.0)


def test_extractor_is_the_tutorials_stft_with_a_120_db_floor(chirp):
    import librosa

    extractor = LogSpectrogramExtractor(512, 256)
    assert (extractor.frame_size, extractor.hop_length) == (512, 256)
    expected = librosa.amplitude_to_db(np.abs(librosa.stft(chirp, n_fft=512, hop_length=256)[:-1]), top_db=120.0)
    got = extractor.extract(chirp)
    assert got.shape == expected.shape == (256, 1 + len(chirp) // 256)
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_loader_cuts_and_mixes_down(tmp_path):
    stereo = np.stack([make_sine(440.0, 1.0, 44100), make_sine(440.0, 1.0, 44100)], axis=1)
    sf.write(tmp_path / "s.wav", stereo, 44100)
    loader = Loader(22050, 0.5, True)
    assert (loader.sample_rate, loader.duration, loader.mono) == (22050, 0.5, True)
    y = loader.load(tmp_path / "s.wav")
    assert y.shape == (11025,) and _rms(y) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_reconstruct_returns_spectrograms_and_latents(run):
    vae = run["vae"]
    for n in (2, 3):  # two inputs must not unpack into two spectrograms
        x = np.random.default_rng(n).uniform(0, 1, (n, 128, N_FRAMES, 1)).astype(np.float32)
        reconstructions, latents = vae.reconstruct(x)
        assert reconstructions.shape == (n, 128, N_FRAMES, 1) and latents.shape == (n, 16)
        assert np.all((reconstructions >= 0) & (reconstructions <= 1))
        np.testing.assert_array_equal(vae.reconstruct(x)[1], latents)  # the posterior mean: deterministic


def test_load_gives_back_the_saved_model(run, tmp_path):
    vae = run["vae"]
    vae.save(tmp_path / "again")
    loaded = VAE.load(tmp_path / "again")
    x = np.load(run["root"] / "spectrograms" / "a.wav.npy")[None, ..., None]
    np.testing.assert_allclose(loaded.reconstruct(x)[0], vae.reconstruct(x)[0], atol=1e-6)
    assert loaded.input_shape == (128, N_FRAMES, 1) and loaded.latent_space_dim == 16
    assert loaded.conv_strides == ((2, 2), (2, 2), (2, 2), (2, 1))


def test_sound_generator_takes_a_genmusic_model():
    model = genmusic.VAE(input_shape=(64, 16), conv_filters=(4, 8), conv_kernels=(3, 3),
                         conv_strides=((2, 2), (2, 2)), latent_dim=8)
    gen = SoundGenerator(model, 32)
    signals, latents = gen.generate(np.full((2, 64, 16, 1), 0.5, np.float32), [{"min": -60.0, "max": 20.0}] * 2)
    assert [s.shape for s in signals] == [(15 * 32,)] * 2 and latents.shape == (2, 8)


# --------------------------------------------------------------------------------------------------
# bad input


def test_pipeline_names_a_missing_stage_before_reading_anything(tmp_path):
    pipeline = PreprocessingPipeline()
    pipeline.loader = Loader(SR, 0.1, True)
    pipeline.extractor = LogSpectrogramExtractor(256, 128)
    pipeline.normaliser = MinMaxNormaliser(0, 1)
    pipeline.saver = Saver(tmp_path / "spec", tmp_path)
    with pytest.raises(ParameterError, match="pipeline.padder"):
        pipeline.process(tmp_path)
    pipeline.padder = genmusic.MinMaxNormaliser()
    with pytest.raises(ParameterError, match="right_pad"):
        pipeline.process(tmp_path)


def test_pipeline_refuses_a_loader_without_duration_and_files_that_would_share_a_name(tmp_path):
    pipeline = PreprocessingPipeline()
    with pytest.raises(ParameterError, match="duration"):
        pipeline.loader = genmusic.Loader()
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        sf.write(tmp_path / sub / "same.wav", make_sine(440.0, 0.2, SR), SR)
    pipeline.loader, pipeline.padder = Loader(SR, 0.1, True), Padder()
    pipeline.extractor, pipeline.normaliser = LogSpectrogramExtractor(256, 128), MinMaxNormaliser(0, 1)
    pipeline.saver = Saver(tmp_path / "spec", tmp_path)
    with pytest.raises(ParameterError, match=r"x/same.wav and .*y/same.wav would be saved to the same file"):
        pipeline.process(tmp_path)
    assert os.listdir(tmp_path / "spec") == ["same.wav.npy"]


def test_tutorial_settings_errors_name_the_tutorials_argument():
    with pytest.raises(ParameterError, match=r"frame_size=511.*frame_size is the n_fft"):
        LogSpectrogramExtractor(511, 256)
    with pytest.raises(ParameterError, match=r"Loader\(sample_rate=22"):
        Loader(22.05, 0.74, True)
    with pytest.raises(ParameterError, match="same length"):
        VAE((64, 16, 1), (4, 8), (3,), (2, 2), 8)
    with pytest.raises(ParameterError, match=r"input_shape"):
        VAE((64, 16, 2), (4, 8), (3, 3), (2, 2), 8)


def test_train_before_compile_and_bad_arrays_are_refused():
    vae = VAE((64, 16, 1), (4, 8), (3, 3), (2, 2), 8)
    x = np.zeros((2, 64, 16, 1), np.float32)
    with pytest.raises(ParameterError, match="compile"):
        vae.train(x, 2, 1)
    with pytest.raises(ParameterError, match=r"\(n, 64, 16, 1\)"):
        vae.reconstruct(np.zeros((2, 64, 15, 1)))
    with pytest.raises(ParameterError, match="NaN"):
        vae.reconstruct(np.full((1, 64, 16), np.nan))


def test_sound_generator_refuses_min_max_values_that_do_not_match(run, caplog):
    gen = SoundGenerator(run["vae"], preprocess.HOP_LENGTH)
    specs = np.full((2, 128, N_FRAMES, 1), 0.5, np.float32)
    with pytest.raises(ParameterError, match="got 1 min_max_values for 2 spectrograms"):
        gen.convert_spectrograms_to_audio(specs, [{"min": -80.0, "max": 0.0}])
    with pytest.raises(ParameterError, match=r"min_max_values\[1\]"):
        gen.convert_spectrograms_to_audio(specs, [{"min": -80.0, "max": 0.0}, "path.npy"])
    with pytest.raises(ParameterError, match=r"min_max_values\[0\]"):
        gen.convert_spectrograms_to_audio(specs[:1], [{"min": 0.0, "max": -80.0}])
    with caplog.at_level(logging.WARNING, logger="genmusic"):
        SoundGenerator(run["vae"], 64)
    assert "hop_length 128 but SoundGenerator was given 64" in caplog.text


def test_load_refuses_the_tutorials_own_pickled_folder(tmp_path):
    (tmp_path / "parameters.pkl").write_bytes(pickle.dumps([(256, 64, 1)]))
    (tmp_path / "weights.h5").write_bytes(b"\x89HDF")
    with pytest.raises(ModelFolderError, match="loads no pickles"):
        VAE.load(tmp_path)
    with pytest.raises(GenmusicError):
        VAE.load(tmp_path / "missing")
