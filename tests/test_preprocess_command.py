import json

import numpy as np
import soundfile as sf

from genmusic.commands.preprocess import main
from genmusic.data.store import SpectrogramStore
from tests.conftest import make_sine


def _folder(root):
    for g, f in (("a", 300.0), ("b", 1500.0)):
        (root / g).mkdir(parents=True)
        for i in range(3):
            sf.write(root / g / f"{g}.{i:05d}.wav", make_sine(f, 0.8, 16000), 16000)
    return root


def test_main_on_a_folder(tmp_path, capsys):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"audio": {"sample_rate": 8000}, "spectrogram": {"n_fft": 128, "hop_length": 64}}))
    rc = main(["--input", str(_folder(tmp_path / "in")), "--output", str(tmp_path / "out"), "--config", str(cfg),
               "--segment-frames", "16", "--workers", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "files done: 6 new, 0 reused" in out and "files skipped: 0" in out
    assert "segments: 42" in out  # 0.8 s at 8 kHz = 6400 samples; 16 frames x 64 hop = 1024 -> 7 segments
    store = SpectrogramStore(tmp_path / "out")
    assert store.config.audio.sample_rate == 8000 and store.segment_shape == (64, 16)
    assert store.songs[0].n_samples == 6400


def test_main_resumes_and_reports_reuse(tmp_path, capsys):
    args = ["--input", str(_folder(tmp_path / "in")), "--output", str(tmp_path / "out"), "--sample-rate", "8000",
            "--n-fft", "128", "--hop-length", "64", "--segment-frames", "16", "--no-progress", "--workers", "1"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert "files done: 0 new, 6 reused" in capsys.readouterr().out


def test_main_without_input_uses_the_embedded_dataset(tmp_path, capsys):
    rc = main(["--output", str(tmp_path / "out"), "--synthetic-dir", str(tmp_path / "synth"),
               "--songs-per-genre", "2", "--song-seconds", "2", "--sample-rate", "8000", "--n-fft", "128",
               "--hop-length", "64", "--segment-frames", "16", "--no-progress"])
    assert rc == 0
    store = SpectrogramStore(tmp_path / "out")
    assert len(store.genres) >= 6 and len(store.songs) == 2 * len(store.genres)
    assert all(r.n_samples == 16000 for r in store.songs)
    assert "embedded synthetic dataset" in capsys.readouterr().out
    x = store.load_segments(store.segment_index())
    assert np.isfinite(x).all()
