"""``genmusic encode`` / :func:`genmusic.encoding.folder.encode_folder` with the local engine."""

import csv

import numpy as np
import pytest
import soundfile as sf

from genmusic.encoding.latents import pool_segments
from genmusic.commands.encode import main
from genmusic.encoding.folder import load_latents
from genmusic.errors import DataError
from tests.conftest import make_chirp, make_sine


def write_folder(root, sr=8000):
    """Two genres x two songs (stereo at 16 kHz among them) and one corrupt file."""
    for g, f in (("low", 220.0), ("high", 1800.0)):
        (root / g).mkdir(parents=True, exist_ok=True)
        sf.write(root / g / f"{g}.0.wav", make_sine(f, 1.1, sr), sr)
        y = make_chirp(f, 2 * f, 0.7, 16000)
        sf.write(root / g / f"{g}.1.flac", np.stack([y, 0.5 * y], axis=1), 16000)
    (root / "low" / "broken.wav").write_text("not audio\n" * 10)
    return root


@pytest.fixture(scope="module")
def encoded(tiny_model_folder, tmp_path_factory):
    root = write_folder(tmp_path_factory.mktemp("enc_in"))
    out = tmp_path_factory.mktemp("enc") / "latents"
    assert main(["--model", str(tiny_model_folder), "--input", str(root), "--output", str(out), "--no-progress"]) == 0
    return root, out


def test_encode_writes_latents_song_vectors_and_index(encoded, tiny_model_folder):
    from genmusic.models.modelio import load_bundle
    from genmusic.data.pipeline import PreprocessingPipeline

    root, out = encoded
    lat = load_latents(out)
    assert lat.song_ids == ["high.0", "high.1", "low.0", "low.1"] and lat.genres == ["high", "high", "low", "low"]
    np.testing.assert_allclose(lat.seconds, [1.1, 0.7, 1.1, 0.7], atol=1e-3)
    bundle = load_bundle(tiny_model_folder)
    seg = bundle.config.spectrogram.segment_samples
    for i, (sid, z) in enumerate(zip(lat.song_ids, lat.segment_latents)):
        assert z.shape == (-(-round(lat.seconds[i] * 8000) // seg), 16) and z.dtype == np.float32
        # the song vector is the analysis's: mean then std of the segment latents
        np.testing.assert_allclose(lat.song_vectors[i], pool_segments(z, np.zeros(len(z), int), 1)[0], atol=1e-6)
    # the latents are the model's on preprocessing's segments
    pipeline = PreprocessingPipeline(bundle.config)
    segments, *_ = pipeline.process_signal(pipeline.loader.load(root / "low" / "low.1.flac"))
    np.testing.assert_allclose(lat.segment_latents[3], bundle.model.encode(segments), atol=1e-5)
    assert lat.song_vectors.shape == (4, 32)
    assert lat.to_latent_set().n_songs == 4
    with open(out / "index.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["song_id", "source", "genre", "segments", "seconds", "file"]
    assert rows[2]["source"] == str(root / "low" / "low.0.wav")


def test_bad_file_is_skipped_by_name_and_rerun_resumes(encoded, tiny_model_folder, capsys):
    root, out = encoded
    skipped = (out / "skipped.csv").read_text()
    assert "broken.wav" in skipped and "not a readable audio file" in skipped
    before = {p.name: p.read_bytes() for p in (out / "songs").iterdir()}
    assert main(["--model", str(tiny_model_folder), "--input", str(root), "--output", str(out), "--no-progress"]) == 0
    assert "files done: 0 new, 4 reused" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in (out / "songs").iterdir()} == before


def test_encode_refuses_other_models_latents_and_reads_only_finished_folders(encoded, tiny_model_folder, tmp_path,
                                                                              capsys):
    root, out = encoded
    import shutil

    other = tmp_path / "other_model"
    shutil.copytree(tiny_model_folder, other)
    rc = main(["--model", str(other), "--input", str(root), "--output", str(out), "--no-progress"])
    assert rc == 1 and "--overwrite" in capsys.readouterr().err
    with pytest.raises(DataError, match="not a finished latent folder"):
        load_latents(tmp_path)


def test_two_workers_write_the_one_worker_folder_byte_for_byte(encoded, tiny_model_folder, tmp_path):
    """Two local workers (each loads the model once and keeps the backend to its share of the cores) write
    the same latents as one, bit for bit."""
    from genmusic.encoding.folder import encode_folder

    root, out = encoded
    report = encode_folder(tiny_model_folder, root, tmp_path / "two", workers=2)
    assert len(report.processed) == 4 and len(report.skipped) == 1

    def tree(folder):
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
                if p.is_file() and p.name != ".genmusic.lock"}

    assert tree(tmp_path / "two") == tree(out)
