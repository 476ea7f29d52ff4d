"""Tests of genmusic.models: shapes (odd sizes included), refused configs, losses, training, saving, seeds.

Tiny inputs (tens of bins and frames, 4-8 filters) keep the whole file at well under a minute on a CPU.
Run it under every installed backend: ``KERAS_BACKEND=jax pytest tests/test_models.py``.
"""

from __future__ import annotations

import json
import dataclasses
import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from genmusic.config import ACTIVATIONS, ModelConfig, SpectrogramConfig  # noqa: E402
from genmusic.errors import ParameterError  # noqa: E402
from genmusic.models import (PRESET_INPUT_SHAPES, PRESETS, VAE, Autoencoder, Sampling, build_model,  # noqa: E402
                             get_preset, kl_divergence, plan_architecture)

# batch_norm on: the save / load tests then carry non-trivial normalisation statistics too.
SMALL = dict(conv_filters=(4, 8), conv_kernels=(3, 3), conv_strides=((2, 2), (2, 2)), batch_norm=True)


def small(cls=VAE, input_shape=(32, 16), latent_dim=8, **kwargs):
    return cls(input_shape=input_shape, latent_dim=latent_dim, **{**SMALL, **kwargs})


def structured_spectrograms(n: int, shape, seed: int = 0) -> np.ndarray:
    """Spectrogram-like images in [0, 1]: a few harmonic stripes with a decaying envelope, plus noise."""
    rng = np.random.default_rng(seed)
    n_freq, n_frames = shape
    f = np.arange(n_freq)[:, None]
    t = np.arange(n_frames)[None, :]
    out = np.empty((n, n_freq, n_frames), np.float32)
    for i in range(n):
        f0 = rng.uniform(2, n_freq / 4)
        image = sum(np.exp(-0.5 * ((f - k * f0) / 1.0) ** 2) / k for k in range(1, 4))
        image = image * np.exp(-t / rng.uniform(n_frames / 2, 2 * n_frames))
        out[i] = np.clip(0.8 * image + 0.05 * rng.random((n_freq, n_frames)), 0, 1)
    return out


@pytest.fixture
def restore_policy():
    policy = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(policy)


# -- shapes -----------------------------------------------------------------------------------------

SHAPE_CASES = [
    # input_shape, filters, kernels, strides, latent_dim, bottleneck
    ((32, 16), (4, 8), (3, 3), ((2, 2), (2, 2)), 8, "conv"),
    ((33, 17), (4, 8), (3, 3), ((2, 2), (2, 2)), 15, "conv"),
    ((50, 13), (4, 8, 8), (3, 3, 3), ((2, 1), (1, 2), (2, 2)), 8, "conv"),
    ((50, 13), (4, 8, 8), (3, 3, 3), ((2, 1), (1, 2), (2, 2)), 7, "dense"),
    ((64, 16), (4, 8, 8), (3, 3, 3), ((2, 2), (2, 2), (2, 1)), 12, "dense"),
    ((31, 9), (4, 8), (5, 1), ((3, 1), (1, 3)), 12, "conv"),
    ((7, 5), (4,), (3,), ((1, 1),), 10, "conv"),
]


@pytest.mark.parametrize("cls", [Autoencoder, VAE])
@pytest.mark.parametrize("input_shape, filters, kernels, strides, latent_dim, bottleneck", SHAPE_CASES)
def test_decoder_output_shape_equals_input_shape(cls, input_shape, filters, kernels, strides, latent_dim, bottleneck):
    model = cls(input_shape=input_shape, conv_filters=filters, conv_kernels=kernels, conv_strides=strides,
                latent_dim=latent_dim, bottleneck=bottleneck, batch_norm=bottleneck == "conv")
    x = np.random.default_rng(0).random((3, *input_shape)).astype(np.float32)
    assert tuple(model.decoder.output_shape) == (None, *input_shape, 1)
    assert tuple(model.encoder.input_shape) == (None, *input_shape, 1)
    y = model(x, training=False)
    assert tuple(y.shape) == (3, *input_shape, 1)
    assert model.encode(x).shape == (3, latent_dim)
    spectrograms, latents = model.reconstruct(x)
    assert spectrograms.shape == (3, *input_shape)
    np.testing.assert_array_equal(latents, model.encode(x))
    # The planned feature maps are the ones the encoder builds.
    for i, planned in enumerate(model.feature_map_shapes):
        assert tuple(model.encoder.get_layer(f"encoder_conv_{i}").output.shape[1:]) == planned
    padded = model.plan.padded_shape
    assert all(p >= s and p - s < math.prod(st[a] for st in strides)
               for a, (p, s) in enumerate(zip(padded, input_shape)))


def test_conv_bottleneck_latent_keeps_time_steps():
    plan = plan_architecture((512, 128), (16, 32, 64, 128), [(2, 2)] * 4, 128, "conv")
    assert plan.feature_shapes == ((256, 64, 16), (128, 32, 32), (64, 16, 64), (32, 8, 128))
    assert (plan.latent_steps, plan.latent_channels) == (8, 16)
    assert plan.padding == ((0, 0), (0, 0))

    model = small(VAE, input_shape=(32, 16), latent_dim=12)  # last map (8, 4, 8): 4 steps x 3 channels
    assert model.encoder.get_layer("mean_conv").output.shape[1:] == (1, 4, 3)
    mean, log_var = model.encode(np.zeros((2, 32, 16, 1), np.float32), return_log_var=True)
    assert mean.shape == log_var.shape == (2, 12) and mean.dtype == np.float32
    assert model.decode(mean).shape == (2, 32, 16)


# -- refused configs and bad input -------------------------------------------------------------------


# -- construction from configs and presets ---------------------------------------------------------

def test_build_model_picks_class_by_kind(small_config):
    shape = small_config.spectrogram.segment_shape
    vae = build_model(small_config.model, shape, seed=3)
    assert isinstance(vae, VAE) and vae.latent_dim == 16 and vae.spectrogram_shape == shape
    assert vae.input_spec_shape == (*shape, 1) and vae.model_config == small_config.model
    ae = build_model(ModelConfig(kind="autoencoder", **SMALL, latent_dim=8), (32, 16))
    assert type(ae) is Autoencoder


def test_classes_without_arguments_are_the_config_defaults():
    """The defaults live in ModelConfig only: a bare class is ModelConfig() on the default segment shape."""
    assert VAE().model_config == ModelConfig()
    ae = Autoencoder()
    assert ae.model_config == dataclasses.replace(ModelConfig(), kind="autoencoder")
    assert ae.spectrogram_shape == SpectrogramConfig().segment_shape
    assert not any("batch_norm" in layer.name or "bn" in layer.name for layer in ae.encoder.layers)


def test_get_config_holds_the_model_config():
    model = small(VAE, latent_dim=12, beta=0.5, activation="silu", seed=3)
    config = model.get_config()
    fields = {f.name: config[f.name] for f in dataclasses.fields(ModelConfig)}
    assert ModelConfig(**fields) == model.model_config
    assert (config["kind"], config["beta"], config["latent_dim"], config["seed"]) == ("vae", 0.5, 12, 3)
    assert VAE.from_config(config).model_config == model.model_config


def test_keyword_settings_override_the_config():
    base = ModelConfig(**SMALL, latent_dim=8, beta=0.25)
    model = VAE(base, input_shape=(32, 16), latent_dim=12)
    assert model.model_config == dataclasses.replace(base, latent_dim=12)
    assert model.encode(np.zeros((1, 32, 16), np.float32)).shape == (1, 12)


def test_same_seed_same_initial_weights():
    a, b, c = small(Autoencoder, seed=5), small(Autoencoder, seed=5), small(Autoencoder, seed=6)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights()))


def test_presets():
    # The tutorial's design on its own 256 x 64 spectrograms: five halvings of frequency, four of time, then
    # 32 channels flattened into one dense latent with no time axis.
    plan = plan_architecture(PRESET_INPUT_SHAPES["tutorial"], get_preset("tutorial").conv_filters,
                             get_preset("tutorial").conv_strides, 128, get_preset("tutorial").bottleneck)
    assert plan.feature_shapes[-1] == (8, 4, 32) and (plan.latent_steps, plan.latent_channels) == (1, 128)
    default = plan_architecture(PRESET_INPUT_SHAPES["default"], PRESETS["default"].conv_filters,
                                PRESETS["default"].conv_strides, 128, PRESETS["default"].bottleneck)
    assert (default.latent_steps, default.latent_channels) == (4, 32)  # the last layer strides 4 along time
    assert default.feature_shapes[-1] == (32, 4, 128)
    large = plan_architecture(PRESET_INPUT_SHAPES["large"], PRESETS["large"].conv_filters,
                              PRESETS["large"].conv_strides, 512, PRESETS["large"].bottleneck)
    assert (large.latent_steps, large.latent_channels) == (8, 64)
    changed = get_preset("tutorial", kind="vae", latent_dim=64)
    assert changed == dataclasses.replace(get_preset("tutorial"), kind="vae", latent_dim=64)


# -- losses ------------------------------------------------------------------------------------------

def test_kl_divergence_values():
    zeros = np.zeros((4, 6), np.float32)
    assert float(keras.ops.convert_to_numpy(kl_divergence(zeros, zeros))) == 0.0
    mean = np.array([[1.0, 2.0], [0.0, 0.0]], np.float32)
    log_var = np.array([[0.0, math.log(2.0)], [0.0, 0.0]], np.float32)
    # sample 0: -0.5 * (1 + 0 - 1 - 1) = 0.5 and -0.5 * (1 + ln 2 - 4 - 2) = 2.5 - 0.5 ln 2; sample 1: 0
    expected = (0.5 + 2.5 - 0.5 * math.log(2.0)) / 2
    assert float(keras.ops.convert_to_numpy(kl_divergence(mean, log_var))) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("cls", [Autoencoder, VAE])
def test_training_lowers_loss_and_reports_terms(cls):
    x = structured_spectrograms(8, (32, 16), seed=1)
    kwargs = dict(beta=1e-2) if cls is VAE else {}
    model = small(cls, latent_dim=8, reconstruction_weight=2.0, seed=0, **kwargs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(x[..., None], epochs=30, batch_size=8, shuffle=False, verbose=0,
                        validation_data=(x[:4, ..., None], x[:4, ..., None])).history
    assert history["loss"][-1] < 0.7 * history["loss"][0]
    expected_keys = {"loss", "reconstruction_loss", "val_loss", "val_reconstruction_loss"}
    if cls is VAE:
        expected_keys |= {"kl_loss", "val_kl_loss"}
    assert set(history) == expected_keys
    for prefix in ("", "val_"):
        total = 2.0 * history[prefix + "reconstruction_loss"][-1]
        if cls is VAE:
            assert history[prefix + "kl_loss"][-1] > 0
            total += 1e-2 * history[prefix + "kl_loss"][-1]
        assert history[prefix + "loss"][-1] == pytest.approx(total, rel=1e-4)
    assert all(np.isfinite(v).all() for v in history.values())


def test_fit_with_y_none_uses_x_as_target():
    x = structured_spectrograms(4, (32, 16))
    model = small(VAE)
    model.compile(optimizer="adam")
    loss_x = model.evaluate(x, verbose=0, return_dict=True)
    loss_xx = model.evaluate(x, x, verbose=0, return_dict=True)
    assert loss_x["loss"] == pytest.approx(loss_xx["loss"], rel=1e-6)
    assert set(loss_x) == {"loss", "reconstruction_loss", "kl_loss"}


# -- sampling and determinism --------------------------------------------------------------------------

def test_sampling_layer_is_seedable():
    mean = np.zeros((3, 5), np.float32)
    log_var = np.zeros((3, 5), np.float32)
    draw = lambda layer: keras.ops.convert_to_numpy(layer([mean, log_var]))  # noqa: E731
    a, b, c = Sampling(seed=7), Sampling(seed=7), Sampling(seed=8)
    first = draw(a)
    np.testing.assert_array_equal(first, draw(b))
    assert not np.array_equal(first, draw(c))
    assert not np.array_equal(first, draw(a))  # the generator moves on
    restored = Sampling.from_config(a.get_config())
    assert restored.seed == 7
    # mean + exp(0.5 log_var) eps
    shifted = keras.ops.convert_to_numpy(Sampling(seed=7)([mean + 1, np.full((3, 5), 2 * math.log(3), "float32")]))
    np.testing.assert_allclose(shifted, 1 + 3 * first, rtol=1e-5, atol=1e-5)


def test_vae_sampling_is_seedable_and_inference_deterministic():
    model = small(VAE)
    x = structured_spectrograms(4, (32, 16))
    np.testing.assert_array_equal(model.sample_prior(5, seed=1), model.sample_prior(5, seed=1))
    assert not np.array_equal(model.sample_prior(5, seed=1), model.sample_prior(5, seed=2))
    np.testing.assert_allclose(model.sample_prior(5, temperature=0.5, seed=1), 0.5 * model.sample_prior(5, seed=1))
    assert model.sample_prior(5).shape == (5, 8)
    np.testing.assert_array_equal(model.sample_posterior(x, seed=3), model.sample_posterior(x, seed=3))
    assert not np.array_equal(model.sample_posterior(x, seed=3), model.sample_posterior(x, seed=4))
    np.testing.assert_allclose(model.sample_posterior(x, seed=3, temperature=0.0), model.encode(x), atol=1e-6)
    generated = model.generate(3, temperature=0.7, seed=2)
    assert generated.shape == (3, 32, 16) and generated.min() >= 0 and generated.max() <= 1
    np.testing.assert_array_equal(generated, model.generate(3, temperature=0.7, seed=2))
    first = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_array_equal(first, keras.ops.convert_to_numpy(model(x, training=False)))
    np.testing.assert_array_equal(first[..., 0], model.reconstruct(x).spectrograms)
    # training=True samples z, so the output moves away from the mean's reconstruction
    assert not np.allclose(first, keras.ops.convert_to_numpy(model(x, training=True)))


# -- saving -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, bottleneck, latent_dim", [(Autoencoder, "dense", 8), (VAE, "conv", 15)])
def test_save_load_round_trip(tmp_path, cls, bottleneck, latent_dim):
    x = structured_spectrograms(8, (33, 17), seed=2)
    model = small(cls, input_shape=(33, 17), latent_dim=latent_dim, bottleneck=bottleneck, seed=4)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=2, batch_size=4, verbose=0)  # BN statistics and optimizer state become non-trivial
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is cls
    assert loaded.get_config() == model.get_config()
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    z = model.encode(x)
    np.testing.assert_allclose(loaded.encode(x), z, rtol=0, atol=1e-6)
    np.testing.assert_allclose(loaded.decode(z), model.decode(z), rtol=0, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x, training=False)),
                               keras.ops.convert_to_numpy(model(x, training=False)), rtol=0, atol=1e-6)
    # The compile config travels with the model: the loaded copy keeps training.
    assert loaded.compiled and int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == 4
    history = loaded.fit(x, epochs=1, batch_size=4, verbose=0).history
    assert np.isfinite(history["loss"][0])


def test_uncompiled_model_saves_loads_and_can_be_compiled(tmp_path):
    model = small(VAE)
    path = tmp_path / "fresh.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert not loaded.compiled
    loaded.compile(optimizer="adam")
    history = loaded.fit(structured_spectrograms(4, (32, 16)), epochs=1, verbose=0).history
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(history)


# -- activations and mixed precision ----------------------------------------------------------------

@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_builds_and_runs(activation):
    model = small(Autoencoder, activation=activation)
    out = model.reconstruct(structured_spectrograms(2, (32, 16))).spectrograms
    assert out.shape == (2, 32, 16) and np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("cls", [Autoencoder, VAE])
def test_mixed_precision_gives_float32_outputs(cls, restore_policy):
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = small(cls, input_shape=(33, 17), latent_dim=15)
    assert model.encoder.get_layer("encoder_conv_0").compute_dtype == "bfloat16"
    x = structured_spectrograms(4, (33, 17))
    assert keras.backend.standardize_dtype(model(x, training=False).dtype) == "float32"
    assert model.encode(x).dtype == np.float32 and model.reconstruct(x).spectrograms.dtype == np.float32
    model.compile(optimizer="adam")
    history = model.fit(x, epochs=1, batch_size=4, verbose=0).history
    assert np.isfinite(history["loss"][0])


# -- the "mel" loss and the frequency bias ------------------------------------------------------------------

def test_log_mel_l1_of_a_level_change_is_that_change_in_log10_units():
    from genmusic.models import log_mel_l1, mel_filterbank

    fb = mel_filterbank(22050, 64, 20)
    rng = np.random.default_rng(0)
    target = rng.uniform(0.7, 0.9, size=(3, 64, 8, 1)).astype("float32")
    assert float(log_mel_l1(target, target, fb, 120.0)) == 0.0
    # +6 dB in every bin multiplies every mel band by 10 ** (6 / 20): log10 moves by exactly 0.3.
    louder = target + np.float32(6.0 / 120.0)
    assert float(log_mel_l1(target, louder, fb, 120.0)) == pytest.approx(0.3, abs=2e-5)
    # The same change read with a 60 dB range is 12 dB.
    assert float(log_mel_l1(target, louder, fb, 60.0)) == pytest.approx(0.15, abs=2e-5)


def test_mel_filterbank_leaves_out_empty_bands():
    from genmusic.models import mel_filterbank

    fb = mel_filterbank(22050, 32, 80)       # 64-point FFT: far fewer bins than 80 bands need
    assert fb.shape[1] == 32 and 0 < fb.shape[0] < 80
    assert (fb.sum(axis=1) > 0).all()
    assert mel_filterbank(22050, 512, 80).shape == (80, 512)


def test_mel_loss_terms_of_a_model():
    shape = (64, 16)
    ae = Autoencoder(input_shape=shape, **SMALL, latent_dim=8, loss="mel", l1_weight=0.1, mel_bands=20)
    x = np.random.default_rng(1).uniform(0.75, 0.95, size=(2, *shape, 1)).astype("float32")
    terms = ae.loss_terms(x, x + np.float32(0.05))          # +6 dB everywhere
    # mel 0.3 + L1 0.1 x 0.05 + semitone bands 0.3 (weight 1); the chroma term (weight 1) ignores loudness.
    assert float(terms["reconstruction_loss"]) == pytest.approx(0.3 + 0.1 * 0.05 + 0.3, abs=1e-4)
    plain = Autoencoder(input_shape=shape, **SMALL, latent_dim=8, mel_bands=20, semitone_weight=0.0, chroma_weight=0.0)
    assert float(plain.loss_terms(x, x + np.float32(0.05))["reconstruction_loss"]) == pytest.approx(0.305, abs=3e-5)
    mse = Autoencoder(input_shape=shape, **SMALL, latent_dim=8, loss="mse")
    assert float(mse.loss_terms(x, x + np.float32(0.05))["reconstruction_loss"]) == pytest.approx(0.0025, rel=1e-4)


def test_frequency_bias_starts_at_zero_and_adds_per_bin_and_channel():
    from genmusic.models import FrequencyBias

    layer = FrequencyBias()
    x = np.random.default_rng(2).standard_normal((2, 4, 3, 2)).astype("float32")
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    bias = np.arange(8, dtype="float32").reshape(4, 1, 2)
    layer.set_weights([bias])
    np.testing.assert_allclose(np.asarray(layer(x)), x + bias[None], rtol=0, atol=1e-6)
    ae = Autoencoder(input_shape=(64, 16), **SMALL, latent_dim=8)
    names = [l.name for l in ae.decoder.layers if isinstance(l, FrequencyBias)]
    assert len(names) == len(SMALL["conv_filters"])    # after every decoder convolution
    assert not any(isinstance(l, FrequencyBias) for l in
                   Autoencoder(input_shape=(64, 16), **SMALL, latent_dim=8, freq_bias=False).decoder.layers)


def test_models_saved_before_the_mel_loss_load_as_they_were_built(tmp_path):
    from genmusic.models import FrequencyBias

    old = Autoencoder(input_shape=(64, 16), **SMALL, latent_dim=8, loss="mse", freq_bias=False)
    config = old.get_config()
    for key in ("loss", "freq_bias", "mel_bands", "l1_weight", "sample_rate", "db_range"):
        config.pop(key)                                      # what an older genmusic wrote
    rebuilt = Autoencoder.from_config(config)
    assert rebuilt.model_config.loss == "mse" and rebuilt.model_config.freq_bias is False
    assert not any(isinstance(l, FrequencyBias) for l in rebuilt.decoder.layers)
    rebuilt.set_weights(old.get_weights())                   # same architecture, weight for weight
    new = VAE(input_shape=(64, 16), **SMALL, latent_dim=8, sample_rate=16000, db_range=80.0)
    path = tmp_path / "m.keras"
    new.save(path)
    loaded = keras.saving.load_model(path)
    assert (loaded.sample_rate, loaded.db_range, loaded.model_config.loss) == (16000, 80.0, "mel")
    np.testing.assert_array_equal(loaded._mel_filters, new._mel_filters)


# -- issue 16: linear-frequency and chroma terms, bins as channels, rectangular kernels ------------------

def test_log_linear_l1_at_one_bin_is_the_normalised_l1_in_log10_units_and_pooling_sees_the_envelope():
    from genmusic.models import log_linear_l1

    rng = np.random.default_rng(3)
    target = rng.uniform(0.6, 0.9, size=(2, 16, 4, 1)).astype("float32")
    pred = rng.uniform(0.6, 0.9, size=(2, 16, 4, 1)).astype("float32")
    # One bin: log10 magnitude is db_range / 20 times the normalised value.
    expected = 120.0 / 20.0 * np.mean(np.abs(target - pred))
    assert float(log_linear_l1(target, pred, 120.0, (1,))) == pytest.approx(expected, rel=1e-5)
    # Two partials swapped between neighbouring bins: wrong at the bins' resolution, right in the envelope.
    a = np.full((1, 16, 4, 1), 0.5, "float32")
    b = a.copy()
    a[0, 4], b[0, 5] = 0.9, 0.9
    assert float(log_linear_l1(a, b, 120.0, (1,))) == pytest.approx(2 * 0.4 * 6.0 / 16, rel=1e-5)
    assert float(log_linear_l1(a, b, 120.0, (2,))) == pytest.approx(0.0, abs=1e-6)
    assert float(log_linear_l1(a, b, 120.0, (1, 2))) == pytest.approx(float(log_linear_l1(a, b, 120.0, (1,))) / 2,
                                                                      rel=1e-5)
    with pytest.raises(ValueError, match="does not divide"):
        log_linear_l1(a, b, 120.0, (3,))


def _partial_spectrum(hz, n_freq=512, sr=22050, level=0.9):
    """A normalised spectrogram with one partial (two neighbouring bins) at ``hz`` over a quiet floor."""
    x = np.full((1, n_freq, 4, 1), 0.2, "float32")
    k = int(round(hz / (sr / (2 * n_freq))))
    x[0, k:k + 2] = level
    return x


def test_chroma_l1_tells_pitch_classes_apart_and_ignores_loudness_and_octave():
    from genmusic.models import chroma_filterbank, chroma_l1

    fb = chroma_filterbank(22050, 512)
    assert fb.shape == (12, 512)
    a4 = _partial_spectrum(440.0)
    assert float(chroma_l1(a4, a4, fb, 120.0)) == 0.0
    # 6 dB louder: the same pitch classes.
    assert float(chroma_l1(a4, a4 + np.float32(0.05), fb, 120.0)) < 0.01
    # An octave up is the same pitch class; a tritone away is not.
    octave = float(chroma_l1(a4, _partial_spectrum(880.0), fb, 120.0))
    tritone = float(chroma_l1(a4, _partial_spectrum(622.3), fb, 120.0))
    assert octave < 0.05 < 0.2 < tritone
    # Near-silent frames count for nothing.
    quiet = np.full((1, 512, 4, 1), 0.05, "float32")
    assert float(chroma_l1(quiet, quiet * 0.5, fb, 120.0)) < 1e-3


def test_spectral_and_chroma_terms_add_to_the_mel_loss():
    shape = (64, 16)
    base = Autoencoder(input_shape=shape, **SMALL, latent_dim=8, mel_bands=20)
    both = Autoencoder(input_shape=shape, **SMALL, latent_dim=8, mel_bands=20, spectral_weight=2.0,
                       spectral_pools=(1,), chroma_weight=0.5)
    x = np.random.default_rng(1).uniform(0.75, 0.95, size=(2, *shape, 1)).astype("float32")
    y = x + np.float32(0.05)                                 # +6 dB everywhere: chroma unchanged
    assert float(both.loss_terms(x, y)["reconstruction_loss"]) == pytest.approx(
        float(base.loss_terms(x, y)["reconstruction_loss"]) + 2.0 * 0.3, abs=1e-3)


@pytest.mark.parametrize("cls", [Autoencoder, VAE])
def test_bins_as_channels_spans_the_frequency_axis_and_round_trips(tmp_path, cls):
    model = cls(input_shape=(33, 16), conv_filters=(8, 8), conv_kernels=(3, 3), conv_strides=((1, 2), (1, 2)),
                latent_dim=8, bins_as_channels=True, seed=1)
    conv0 = model.encoder.get_layer("encoder_conv_0")
    assert tuple(conv0.kernel.shape) == (1, 3, 33, 8)        # every bin is an input channel
    assert model.feature_map_shapes == ((1, 8, 8), (1, 4, 8))
    x = structured_spectrograms(4, (33, 16))
    assert model.reconstruct(x).spectrograms.shape == (4, 33, 16)
    model.compile(optimizer="adam")
    model.fit(x, epochs=1, batch_size=2, verbose=0)
    path = tmp_path / "bins.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.model_config == model.model_config
    np.testing.assert_array_equal(loaded.reconstruct(x).spectrograms, model.reconstruct(x).spectrograms)
    with pytest.raises(ParameterError, match="frequency stride must be 1"):
        cls(input_shape=(32, 16), conv_filters=(8,), conv_kernels=(3,), conv_strides=((2, 2),), latent_dim=8,
            bins_as_channels=True)


def test_rectangular_kernels_build_and_survive_json():
    from genmusic.config import GenmusicConfig

    cfg = ModelConfig(conv_filters=(4, 8), conv_kernels=((7, 3), 3), conv_strides=((2, 2), (2, 2)), latent_dim=8)
    model = build_model(cfg, (32, 16))
    assert tuple(model.encoder.get_layer("encoder_conv_0").kernel.shape[:2]) == (7, 3)
    assert tuple(model.decoder.get_layer("decoder_output_conv").kernel.shape[:2]) == (7, 3)
    full = GenmusicConfig(model=cfg)
    assert GenmusicConfig.from_dict(json.loads(full.to_json())) == full


def test_semitone_bands_are_a_semitone_apart_non_empty_and_a_level_change_moves_them_all():
    from genmusic.models import log_mel_l1, semitone_filterbank

    fb = semitone_filterbank(22050, 512)
    assert fb.shape == (60, 512) and (fb > 0).any(axis=1).all()
    np.testing.assert_allclose(fb.sum(axis=1), 1.0, rtol=1e-5)
    centres = (fb * np.arange(512) * 22050 / 1024).sum(axis=1)   # each band's centre of mass, in Hz
    high = centres[24:]                                          # above ~520 Hz a semitone spans > 1 bin
    np.testing.assert_allclose(np.diff(np.log2(high)) * 12, 1.0, atol=0.12)
    x = np.random.default_rng(4).uniform(0.6, 0.9, size=(2, 512, 4, 1)).astype("float32")
    assert float(log_mel_l1(x, x + np.float32(0.05), fb, 120.0)) == pytest.approx(0.3, abs=2e-5)


def test_models_saved_before_the_pitch_terms_load_without_them():
    model = VAE(input_shape=(64, 16), **SMALL, latent_dim=8)
    assert (model.model_config.semitone_weight, model.model_config.chroma_weight) == (1.0, 0.5)   # the defaults
    config = model.get_config()
    for key in ("semitone_weight", "chroma_weight", "spectral_weight", "spectral_pools", "bins_as_channels"):
        config.pop(key)                                      # what genmusic wrote before issue 16
    rebuilt = VAE.from_config(config)
    assert (rebuilt.model_config.semitone_weight, rebuilt.model_config.chroma_weight) == (0.0, 0.0)
    rebuilt.set_weights(model.get_weights())                 # same architecture
