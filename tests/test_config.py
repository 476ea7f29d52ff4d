import json

import pytest

from genmusic.config import GenmusicConfig, ModelConfig, SpectrogramConfig, check_compatible
from genmusic.errors import GenmusicError, ParameterError, SettingsMismatchError


def test_json_round_trip(tmp_path):
    cfg = GenmusicConfig().replace(spectrogram={"hop_length": 512, "n_fft": 2048},
                                   model={"conv_strides": [[2, 1], [2, 2], [1, 2], [2, 2]]})
    path = cfg.save(tmp_path / "c.json")
    back = GenmusicConfig.load(path)
    assert back == cfg
    assert back.model.conv_strides == ((2, 1), (2, 2), (1, 2), (2, 2))
    assert json.loads(path.read_text())["genmusic_config_version"] == 1


def test_partial_json_uses_defaults(tmp_path):
    (tmp_path / "c.json").write_text('{"spectrogram": {"n_fft": 512}}')
    cfg = GenmusicConfig.load(tmp_path / "c.json")
    assert cfg.spectrogram.n_fft == 512 and cfg.spectrogram.hop_length == 256 and cfg.model == ModelConfig()


def test_derived_sizes():
    s = SpectrogramConfig(n_fft=1024, hop_length=256, segment_frames=128)
    assert s.n_freq_bins == 512 and s.segment_samples == 32768 and s.segment_shape == (512, 128)


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


def test_user_errors_share_one_base():
    assert issubclass(ParameterError, GenmusicError) and issubclass(ParameterError, ValueError)


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
