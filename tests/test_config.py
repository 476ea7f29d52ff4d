import json


from genmusic.config import GenmusicConfig, ModelConfig, SpectrogramConfig
from genmusic.errors import GenmusicError, ParameterError


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


def test_user_errors_share_one_base():
    assert issubclass(ParameterError, GenmusicError) and issubclass(ParameterError, ValueError)
