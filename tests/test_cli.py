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
