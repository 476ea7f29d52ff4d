"""Bad input to composing (``generate --mode sample / continue``, ``fit-prior``): a clear message naming the
value and the fix, exit status 1, and nothing written, before any model work."""

from __future__ import annotations

import shutil

import pytest

from genmusic.commands import fit_prior
from genmusic.commands.generate import main as generate
from genmusic.generation.composer import fit_priors
from genmusic.errors import ParameterError


@pytest.fixture(scope="module")
def prior_only_folder(tiny_model_folder, tmp_path_factory):
    """A copy of the tiny model with a prior but no sequence model."""
    folder = tmp_path_factory.mktemp("prior_only") / "model"
    shutil.copytree(tiny_model_folder, folder)
    fit_priors(folder, sequence=False, max_components=1)
    return folder


@pytest.mark.parametrize("extra, message", [
    (["--genre", "jazz"], "--genre must be one of the model's genres bass, mid, treble; got 'jazz'"),
    (["--seconds", "0"], "--seconds must be a number of seconds >= 0.01 and <= 21600"),
    (["--seconds", "-3"], "--seconds must be a number of seconds >= 0.01 and <= 21600"),
    (["--seconds", "1e9"], "--seconds must be a number of seconds >= 0.01 and <= 21600"),
    (["--seconds", "nan"], "--seconds must be a number of seconds >= 0.01 and <= 21600"),
    (["--temperature", "-0.5"], "--temperature must be"),
    (["--n", "0"], "--n must be"),
])
def test_bad_sample_values_refused_before_any_work(prior_only_folder, tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    assert generate(["--model", str(prior_only_folder), "--mode", "sample", "--output", str(out), *extra]) == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert not out.exists()


def test_genre_without_a_prior_says_how_to_fit_one(tiny_model_folder, tmp_path, capsys):
    assert generate(["--model", str(tiny_model_folder), "--mode", "sample", "--genre", "mid",
                     "--output", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "needs the model's fitted prior" in err and f"genmusic fit-prior --model-dir {tiny_model_folder}" in err
    assert not (tmp_path / "o").exists()


def test_continue_without_sequence_model_says_how_to_fit_it(prior_only_folder, tiny_store, tmp_path, capsys):
    assert generate(["--model", str(prior_only_folder), "--mode", "continue", "--input",
                     tiny_store.songs[0].source, "--output", str(tmp_path / "o")]) == 1
    assert "needs the sequence model (sequence.keras)" in capsys.readouterr().err


def test_fit_prior_bad_settings(prior_only_folder, tmp_path, capsys):
    with pytest.raises(ParameterError, match="max_components"):
        fit_priors(prior_only_folder, max_components=0, overwrite=True)
    with pytest.raises(ParameterError, match="epochs"):
        fit_priors(prior_only_folder, epochs=0, overwrite=True)
    assert fit_prior.main(["--model-dir", str(tmp_path / "missing")]) == 1
    assert "missing" in capsys.readouterr().err
