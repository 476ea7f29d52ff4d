"""genmusic.cli: the ``genmusic`` console command and its dispatch to the command modules."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from genmusic import cli

ROOT = Path(__file__).resolve().parents[1]


def test_no_command_prints_the_commands_and_fails(capsys):
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: genmusic <command>")
    for name in ("preprocess", "train-vae", "train-autoencoder", "sweep-latent", "generate", "analyze", "demo"):
        assert f"  {name} " in out


def test_help_succeeds_and_unknown_commands_fail(capsys):
    assert cli.main(["--help"]) == 0 and "commands:" in capsys.readouterr().out
    assert cli.main(["dance"]) == 2
    assert "unknown command 'dance'" in capsys.readouterr().err


@pytest.mark.parametrize("command, prog", [("preprocess", "preprocess"), ("train-vae", "train_vae"),
                                           ("train-autoencoder", "train_autoencoder"),
                                           ("sweep-latent", "sweep_latent"), ("generate", "generate"),
                                           ("analyze", "analyze"), ("demo", "demo")])
def test_each_command_dispatches_to_its_module(command, prog, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {prog} ")


def test_the_console_script_is_declared_and_runs():
    (entry,) = [e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == "genmusic"]
    assert entry.value == "genmusic.cli:main"
    done = subprocess.run([sys.executable, "-m", "genmusic.cli", "generate", "--help"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0 and "--mode" in done.stdout


def test_native_log_lines_are_filtered_and_everything_else_passes():
    """The stderr filter (run in a child process, as a command does): TensorFlow's C++ lines go, ours stay."""
    code = ("import os, sys\nfrom genmusic.commands import hide_native_logs\nhide_native_logs()\n"
            "os.write(2, b'I0000 00:00:1795282434.467707   30429 port.cc:153] oneDNN custom operations are on.\\n')\n"
            "os.write(2, b'E0000 00:00:1795282463.406311   30429 meta_optimizer.cc:967] remapper failed: x\\n')\n"
            "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
            "print('error: something the user must see', file=sys.stderr)\n"
            "os.write(2, b'W0000 00:00:1.5 7 some/file.cc:9] partial')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0
    assert done.stderr == "error: something the user must see\n"


def test_commands_are_quiet_and_print_one_line_per_epoch_into_a_pipe(tiny_store, tmp_path):
    """train_vae.py and generate.py run as programs, output into pipes: no TensorFlow C++ lines (oneDNN
    banner, meta_optimizer ... remapper failed), no progress bar; one line per epoch."""
    model = tmp_path / "model"
    train = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_vae.py"), "--spectrograms",
                            str(tiny_store.path), "--model-dir", str(model), "--epochs", "2", "--batch-size", "8"],
                           capture_output=True, text=True, cwd=ROOT, timeout=600)
    generate = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "--model", str(model),
                               "--mode", "reconstruct", "--n", "1", "--n-iter", "2", "--output", str(tmp_path / "g")],
                              capture_output=True, text=True, cwd=ROOT, timeout=600)
    for done in (train, generate):
        assert done.returncode == 0, done.stderr
        for marker in ("port.cc", "meta_optimizer", "absl::InitializeLog", "cpu_feature_guard", "I0000", "E0000"):
            assert marker not in done.stderr, done.stderr
    epochs = [line for line in train.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"]
    assert "val_loss" in epochs[0] and "\x1b[" not in train.stdout and "━" not in train.stdout
