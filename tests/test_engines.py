"""``engine="ray"`` on a local Ray instance of 2 CPUs: the same files as the local engine, bad files named,
a killed worker's file retried. Skipped when Ray is not installed (``pip install "genmusic[ray]"``)."""

import functools
import os
import signal
import sys
from pathlib import Path

import pytest

from genmusic.data.engines import check_engine, map_jobs
from genmusic.errors import ParameterError

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "genmusic[ray]")')


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import tests/
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    from genmusic.data.synthetic import make_synthetic

    root = make_synthetic(tmp_path_factory.mktemp("synth"), n_per_genre=1, duration=1.5, sample_rate=8000,
                          genres=("blues", "metal", "techno"))
    (root / "metal" / "corrupt.wav").write_bytes(b"RIFF\x00\x00" + os.urandom(300))
    return root


def tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_preprocess_with_ray_writes_the_local_engines_bytes(audio, tiny_store, tmp_path):
    from genmusic.data.pipeline import PreprocessingPipeline

    pipeline = PreprocessingPipeline(tiny_store.config)
    local = pipeline.run(audio, tmp_path / "local", workers=2)
    remote = pipeline.run(audio, tmp_path / "ray", engine="ray")
    assert len(remote.processed) == 3 and [Path(s).name for s, _ in remote.skipped] == ["corrupt.wav"]
    assert "not a readable audio file" in remote.skipped[0][1]
    assert remote.skipped == local.skipped
    assert tree(tmp_path / "ray") == tree(tmp_path / "local") and len(tree(tmp_path / "local")) == 11  # with the ledger


def test_encode_with_ray_writes_the_local_engines_bytes(audio, tiny_model_folder, tmp_path):
    from genmusic.commands.encode import main

    for engine in ("local", "ray"):
        assert main(["--model", str(tiny_model_folder), "--input", str(audio), "--output", str(tmp_path / engine),
                     "--engine", engine, "--no-progress"]) == 0
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    assert "corrupt.wav" in (tmp_path / "ray" / "skipped.csv").read_text()


class KillOnce:
    """Kills its worker process (SIGKILL) the first time it meets ``victim``; a marker file remembers."""

    def __init__(self, task, victim: str, marker: str) -> None:
        self.task, self.victim, self.marker = task, victim, marker

    def __call__(self, path, song_id, genre):
        if song_id == self.victim and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.task(path, song_id, genre)


def test_a_worker_killed_mid_run_is_retried_and_the_output_is_complete(audio, tiny_store, tmp_path):
    from genmusic.data.pipeline import PreprocessingPipeline, find_audio_files
    from genmusic.data.store import Saver, SongRecord

    saver = Saver(tmp_path / "out", tiny_store.config)
    root, files = find_audio_files(audio)
    jobs = [(str(p), p.stem, g) for p, g in files if p.stem != "corrupt"]
    task = KillOnce(functools.partial(PreprocessingPipeline(tiny_store.config).process_file, saver=saver),
                    "metal.00000", str(tmp_path / "killed"))
    results = list(map_jobs(task, jobs, engine="ray"))
    assert (tmp_path / "killed").exists()  # the worker was killed once
    assert sorted(r.song_id for r in results if isinstance(r, SongRecord)) == sorted(j[1] for j in jobs)
    for _, song_id, _ in jobs:
        assert saver.existing(song_id) is not None


def test_unknown_engine_and_address_without_ray_are_refused():
    with pytest.raises(ParameterError, match="engine must be one of local, ray"):
        check_engine("dask")
    with pytest.raises(ParameterError, match="is for engine='ray'"):
        check_engine("local", "auto")
