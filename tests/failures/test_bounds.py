"""Issue 20, hangs and unbounded work: a Ray address that does not answer fails in bounded time, and every
size a user can type has an upper bound, named (with the flag) in the message.

* ``--engine ray --address`` of nothing listening, of garbage, ``ray://`` with no server, ``auto`` with no
  cluster, and a port that accepts but never answers: one error naming the address and what to check,
  within the time-out, and the folder lock is released.
* ``generate --mode interpolate --steps 100000000`` (it grew to 12.6 GB), ``preprocess --sample-rate
  1000000000`` (4 GB per worker in 7 s) and every other option of every command, and every setting of a
  config file: refused before any work, naming the option, the value and the bound.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from genmusic import _checks
from genmusic.commands import analyze, demo, encode, fit_prior, generate, preprocess, sweep, train as train_command
from genmusic.config import GenmusicConfig
from genmusic.errors import ParameterError
from tests.failures._helpers import ROOT, SMALL, audio_folder, run_python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------
# Ray addresses that do not answer

_RAY_CASES = r"""
import json, os, socket, sys, threading, time
from pathlib import Path
from genmusic.commands import preprocess

work = Path(sys.argv[1])
silent = socket.socket()  # accepts connections, never answers
silent.bind(("127.0.0.1", 0))
silent.listen(16)
threading.Thread(target=lambda: [silent.accept() for _ in range(64)], daemon=True).start()
cases = {"nothing listening": f"127.0.0.1:{sys.argv[2]}", "garbage": "garbage:::", "ray client, no server":
         f"ray://127.0.0.1:{sys.argv[2]}"}
if not Path("/tmp/ray/ray_current_cluster").exists():
    cases["auto, no cluster"] = "auto"
cases["silent port"] = f"127.0.0.1:{silent.getsockname()[1]}"  # last: its connection attempt goes on in Ray
out = {}
for name, address in cases.items():
    start = time.time()
    store = work / name.replace(" ", "_").replace(",", "")
    rc = preprocess.main(["--input", str(work / "in"), "--output", str(store), "--engine", "ray", "--address",
                          address, "--sample-rate", "8000", "--n-fft", "128", "--hop-length", "64",
                          "--segment-frames", "16", "--no-progress"])
    out[name] = {"rc": rc, "seconds": time.time() - start, "address": address,
                 "lock": (store / ".genmusic.lock").exists()}
print("RESULT " + json.dumps(out), flush=True)
os._exit(0)  # a connection attempt Ray still makes in the background ends with the process
"""


def test_ray_addresses_that_do_not_answer_fail_in_bounded_time_and_release_the_lock(tmp_path):
    pytest.importorskip("ray")
    audio_folder(tmp_path / "in", ("a",))
    proc = run_python(_RAY_CASES, tmp_path, _free_port())  # GENMUSIC_RAY_TIMEOUT=5 (the fixture below)
    out, err = proc.communicate(timeout=240)
    results = json.loads(next(line[7:] for line in out.splitlines() if line.startswith("RESULT ")))
    for name, result in results.items():
        assert result["rc"] == 1, (name, err)
        # bounded, not a hang: GENMUSIC_RAY_TIMEOUT is 5 s (below); the rest is starting Python and Ray on a busy machine
        assert result["seconds"] < 90, (name, result)
        assert not result["lock"], name
    messages = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(messages) == len(results) and "Traceback" not in err, err
    said = dict(zip(results, messages))
    for name, result in results.items():
        assert f"--address {result['address']}" in said[name], (name, said[name])
    assert "nothing listens there (connection refused)" in said["nothing listening"]
    assert "ray start --head" in said["nothing listening"]
    assert "not a Ray address" in said["garbage"] and "HOST:PORT" in said["garbage"]
    assert "nothing listens there" in said["ray client, no server"] and "10001" in said["ray client, no server"]
    assert "did not answer within 5 s" in said["silent port"] and "GENMUSIC_RAY_TIMEOUT" in said["silent port"]
    if "auto, no cluster" in results:
        assert "no Ray cluster runs on this machine" in said["auto, no cluster"]


@pytest.fixture(autouse=True)
def _short_ray_timeout(monkeypatch):
    monkeypatch.setenv("GENMUSIC_RAY_TIMEOUT", "5")


# --------------------------------------------------------------------------------------------------
# every size a user can type is bounded, and the message names the option and the bound


def _generate(tiny_model_folder, tmp_path, *extra):
    return generate.main(["--model", str(tiny_model_folder), "--output", str(tmp_path / "gen"), *extra])


GENERATE = [
    (["--mode", "interpolate", "--steps", "100000000"], "--steps must be an integer >= 2 and <= 1000"),
    (["--mode", "sample", "--n", "100000"], "--n must be None or an integer >= 1 and <= 1000"),
    (["--mode", "sample", "--temperature", "1e30"], "--temperature must be a finite number >= 0 and <= 10"),
    (["--mode", "noise", "--sigma", "1e30"], "--sigma must be finite numbers >= 0 and <= 100"),
    (["--mode", "scale", "--factor", "1e30"], "--factor must be finite numbers >= -100 and <= 100"),
    (["--mode", "smooth", "--width", "100000"], "--width must be an integer >= 1 and <= 1000"),
    (["--mode", "resynth", "--n-iter", "1000000"], "--n-iter must be an integer >= 0 and <= 10000"),
    (["--mode", "sample", "--seconds", "1e9"], "--seconds must be a number of seconds >= 0.01 and <= 21600"),
    (["--mode", "sample", "--seconds", "1e-9"], "--seconds must be a number of seconds >= 0.01 and <= 21600"),
    (["--mode", "continue", "--start-seconds", "1e9"], "--start-seconds must be"),
    (["--mode", "reconstruct", "--overlap", "1"], "--overlap must be a number in [0, 1)"),
]


@pytest.mark.parametrize("argv, words", GENERATE, ids=[a[-2] for a, _ in GENERATE])
def test_generate_bounds(tiny_model_folder, tmp_path, capsys, argv, words):
    assert _generate(tiny_model_folder, tmp_path, *argv) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and not (tmp_path / "gen").exists(), err


PREPROCESS = [
    (["--sample-rate", "1000000000"], "--sample-rate must be an integer >= 1000 and <= 384000"),
    (["--n-fft", "1048576"], "--n-fft must be an even integer >= 16 and <= 65536"),
    (["--segment-frames", "1000000"], "--segment-frames must be an integer >= 1 and <= 8192"),
    (["--n-fft", "65536", "--segment-frames", "8192"], "a segment of 32768 x 8192 values"),
    (["--duration", "1e9"], "--duration must be None or a number of seconds > 0 and <= 21600"),
    (["--workers", "100000"], "--workers must be an integer >= 1 and <= 1024"),
    (["--songs-per-genre", "100000"], "--songs-per-genre must be an integer >= 1 and <= 1000"),
    (["--song-seconds", "1e9"], "--song-seconds must be a finite number of seconds > 0 and <= 600"),
    (["--song-seconds", "1e-9"], "--song-seconds"),
]


@pytest.mark.parametrize("argv, words", PREPROCESS, ids=[a[0] for a, _ in PREPROCESS])
def test_preprocess_bounds(tmp_path, capsys, argv, words):
    inputs = [] if "--songs-per-genre" in argv or "--song-seconds" in argv else \
        ["--input", str(audio_folder(tmp_path / "in", ("a",)))]
    assert preprocess.main([*inputs, "--output", str(tmp_path / "store"), "--synthetic-dir", str(tmp_path / "syn"),
                            "--no-progress", *argv]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err, err
    assert not (tmp_path / "store").exists() and not (tmp_path / "syn").exists()


TRAIN = [
    (["--epochs", "1000000000"], "--epochs must be an integer >= 1 and <= 100000"),
    (["--batch-size", "1000000"], "--batch-size must be an integer >= 1 and <= 4096"),
    (["--learning-rate", "1e9"], "--learning-rate must be a finite number > 0 and <= 1"),
    (["--patience", "1000000000"], "--patience must be an integer >= 0 and <= 100000"),
    (["--max-train-segments", "10000000000000"], "--max-train-segments must be None (all) or an integer >= 1 and "
                                                 "<= 1000000000"),
    (["--beta", "1e30"], "--beta must be a finite number >= 0 and <= 1e+06"),
    (["--latent-dim", "1000000000"], "--latent-dim must be an integer >= 1 and <= 65536"),
]


@pytest.mark.parametrize("argv, words", TRAIN, ids=[a[0] for a, _ in TRAIN])
def test_train_bounds(tiny_store, tmp_path, capsys, argv, words):
    assert train_command.main(["--spectrograms", str(tiny_store.path), "--model-dir", str(tmp_path / "m"),
                               "--no-progress", *argv]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and not (tmp_path / "m").exists(), err


OTHERS = [
    (encode, ["--workers", "100000"], "--workers must be an integer >= 1 and <= 1024"),
    (encode, ["--batch-size", "100000000"], "--batch-size must be an integer >= 1 and <= 4096"),
    (fit_prior, ["--components", "100000"], "--components must be an integer >= 1 and <= 64"),
    (fit_prior, ["--exemplars", "1000000"], "--exemplars must be an integer >= 0 and <= 100000"),
    (fit_prior, ["--bandwidth", "-1"], "--bandwidth must be a finite number >= 0"),
    (fit_prior, ["--epochs", "1000000000"], "--epochs must be an integer >= 1 and <= 100000"),
    (fit_prior, ["--context-frames", "100000"], "--context-frames must be an integer >= 1 and <= 4096"),
    (fit_prior, ["--context-frames", "0"], "--context-frames must be an integer >= 1"),
    (analyze, ["--max-eval-songs", "1000000000"], "--max-eval-songs must be an integer >= 1 and <= 10000"),
    (analyze, ["--clip-seconds", "1e9"], "--clip-seconds must be a finite number > 0 and <= 600"),
    (demo, ["--songs-per-genre", "100000"], "--songs-per-genre must be an integer >= 1 and <= 1000"),
    (demo, ["--song-seconds", "1e9"], "--song-seconds must be a finite number of seconds > 0 and <= 600"),
    (demo, ["--epochs", "1000000000"], "--epochs must be an integer >= 1 and <= 100000"),
    (demo, ["--max-train-segments", "0"], "--max-train-segments must be None (all) or an integer >= 1"),
    (sweep, ["--base-latent-dim", "1000000000"], "--base-latent-dim must be an integer >= 1 and <= 65536"),
    (sweep, ["--factors", "1e9"], "--factors must be numbers > 0 and <= 64"),
    (sweep, ["--eval-songs", "1000000000"], "--eval-songs must be None or an integer >= 1 and <= 10000"),
    (sweep, ["--eval-seconds", "1e9"], "--eval-seconds must be None or a finite number > 0 and <= 21600"),
    (sweep, ["--n-iter", "100000000"], "--n-iter must be an integer >= 0 and <= 10000"),
]


@pytest.mark.parametrize("command, argv, words", OTHERS, ids=[f"{c.__name__.split('.')[-1]}{a[0]}" for c, a, _ in OTHERS])
def test_other_command_bounds(command, argv, words, tiny_model_folder, tiny_store, tmp_path, capsys):
    name = command.__name__.split(".")[-1]
    base = {"encode": ["--model", str(tiny_model_folder), "--input", str(tmp_path / "in"), "--output",
                       str(tmp_path / "out"), "--no-progress"],
            "fit_prior": ["--model-dir", str(tiny_model_folder)],
            "analyze": ["--model", str(tiny_model_folder), "--output", str(tmp_path / "out")],
            "demo": ["--workdir", str(tmp_path / "out"), "--no-progress"],
            "sweep": ["--spectrograms", str(tiny_store.path), "--output", str(tmp_path / "out"), "--no-progress"]}[name]
    (tmp_path / "in").mkdir()
    assert command.main([*base, *argv]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and not (tmp_path / "out").exists(), err


@pytest.mark.parametrize("section, setting, value, words", [
    ("audio", "sample_rate", 10 ** 9, "sample_rate must be an integer >= 1000 and <= 384000"),
    ("audio", "offset", 1e12, "offset must be a number of seconds >= 0 and <= 21600"),
    ("spectrogram", "n_fft", 2 ** 20, "n_fft must be an even integer >= 16 and <= 65536"),
    ("spectrogram", "top_db", 1e9, "top_db must be a finite number > 0 and <= 400"),
    ("spectrogram", "amin", 10.0, "amin must be a finite number > 0 and <= 0.1"),
    ("model", "latent_dim", 10 ** 9, "latent_dim must be an integer >= 1 and <= 65536"),
    ("model", "conv_filters", [8] * 40, "conv_filters must list 1 to 16 layers"),
    ("model", "conv_filters", [10 ** 6, 32, 64, 128], "conv_filters must be integers >= 1 and <= 4096"),
    ("model", "conv_kernels", [10 ** 6, 3, 3, 3], "conv_kernels must be integers >= 1 and <= 63"),
    ("model", "conv_strides", [[1000, 2], [2, 2], [2, 2], [2, 2]],
     "conv_strides must be positive (frequency, time) pairs <= 16"),
    ("model", "mel_bands", 10 ** 6, "mel_bands must be an integer >= 1 and <= 1024"),
    ("model", "beta", 1e30, "beta must be a finite number >= 0 and <= 1e+06"),
    ("model", "reconstruction_weight", 1e30, "reconstruction_weight must be a finite number > 0 and <= 1e+06"),
    ("model", "l1_weight", 1e30, "l1_weight must be a finite number >= 0 and <= 1e+06"),
    ("train", "batch_size", 10 ** 6, "batch_size must be an integer >= 1 and <= 4096"),
    ("train", "max_train_segments", 10 ** 13, "max_train_segments must be None (all) or an integer >= 1 and "
                                              "<= 1000000000"),
])
def test_every_config_setting_is_bounded_in_python_too(tmp_path, section, setting, value, words):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({section: {setting: value}}))
    with pytest.raises(ParameterError, match=re.escape(words)):
        GenmusicConfig.load(path)
    with pytest.raises(ParameterError, match=re.escape(words)):
        GenmusicConfig().replace(**{section: {setting: value}})


def test_the_python_api_has_the_same_bounds():
    from genmusic.analysis import ListeningOptions
    from genmusic.generation.modes import GenerateOptions

    with pytest.raises(ParameterError, match=r"steps must be an integer >= 2 and <= 1000, got 100000000"):
        GenerateOptions(steps=100_000_000)
    with pytest.raises(ParameterError, match="temperature must be a finite number >= 0 and <= 10"):
        GenerateOptions(temperature=1e30)
    with pytest.raises(ParameterError, match="draws must be an integer >= 1 and <= 1000000"):
        ListeningOptions(draws=10 ** 9)
    with pytest.raises(ParameterError, match="n_per_genre must be an integer >= 1 and <= 1000"):
        from genmusic.data.synthetic import make_synthetic

        make_synthetic("nowhere", n_per_genre=10 ** 6)


def test_the_readme_lists_every_bound():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Reliability"):]
    section = section[:section.index("\n## ", 1)]
    for name, (maximum, why) in _checks.LIMITS.items():
        assert re.search(rf"\| `{name}` .*\| {re.escape(_checks.format_limit(maximum))} \|", section), name


def test_counts_of_values_and_outputs_are_bounded(tiny_model_folder, tmp_path, capsys):
    """``--sigma`` with a million values, a million ``--input`` files: refused before any file is read."""
    assert _generate(tiny_model_folder, tmp_path, "--mode", "noise", "--sigma", *["0.1"] * 1001) == 1
    assert "--sigma must be at most 1000 values (one output each), got 1001" in capsys.readouterr().err
    assert _generate(tiny_model_folder, tmp_path, "--mode", "resynth", "--input", *["nowhere.wav"] * 1001) == 1
    assert "--input must be at most 1000 inputs, got 1001" in capsys.readouterr().err
    from genmusic.analysis.sweep import latent_sizes

    with pytest.raises(ParameterError, match="factors must list 1 to 64 factors, got 65"):
        latent_sizes(128, [1.0] * 65)
