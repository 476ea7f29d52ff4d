"""Preprocessing and encoding on a simulated two-node Ray cluster on this machine (issue 21).

Two Ray nodes of one CPU each (``ray.cluster_utils.Cluster``: a head and a worker node, each with its own
raylet, on loopback), the input and output folders at the same path on both (trivially: one machine). The
tests check that both nodes did work (each file records the node that ran it), that the files written are the
local engine's byte for byte, and that killing the worker node while it writes a file leaves a complete
folder: the file is done again on the head node, no temporary file is left, the manifest lists every song.
Encoding runs on a pool of actors (one per CPU) that load the model once; preprocessing on one Ray task per
file.

The cluster gets its own ``RAY_TMPDIR``: ``Cluster`` writes ``ray_current_cluster`` there, and in the shared
``/tmp/ray`` every ``ray.init()`` on the machine (another test run, a user's script) would join this cluster.
Skipped when Ray is not installed (``pip install "genmusic[ray]"``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "genmusic[ray]")')

import genmusic.encoding.folder  # noqa: E402
from genmusic._io import atomic_path  # noqa: E402
from genmusic.data.pipeline import PreprocessingPipeline  # noqa: E402
from genmusic.data.store import SpectrogramStore  # noqa: E402
from genmusic.encoding.folder import EncodeTask, encode_folder, load_latents  # noqa: E402

#: Seconds the killed node's task waits, mid-write, for the node to be removed (it never finishes).
STALL_SECONDS = 300


@pytest.fixture(scope="module")
def cluster():
    """A running two-node cluster (1 CPU each) and a driver connected to it; yields a :class:`TwoNodes`."""
    from ray.cluster_utils import Cluster

    ray_tmp = tempfile.mkdtemp(prefix="gmray", dir="/tmp")  # short: Ray's socket paths must stay < 108 chars
    patch = pytest.MonkeyPatch()
    patch.setenv("RAY_TMPDIR", ray_tmp)
    start = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    worker = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, include_dashboard=False, configure_logging=False, log_to_driver=False)
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import tests/
    print(f"\ncluster of 2 nodes up in {time.perf_counter() - start:.1f} s")
    try:
        yield TwoNodes(cluster, worker)
    finally:
        ray.shutdown()
        cluster.shutdown()
        patch.undo()
        shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    from genmusic.data.synthetic import make_synthetic

    return make_synthetic(tmp_path_factory.mktemp("synth"), n_per_genre=2, duration=1.5, sample_rate=8000,
                          genres=("blues", "metal", "techno"))


class TwoNodes:
    """The cluster and its worker node; :meth:`worker` adds a fresh one when a test killed it."""

    def __init__(self, cluster, worker) -> None:
        self.cluster, self._worker = cluster, worker

    def worker(self):
        if self._worker is None:
            self._worker = self.cluster.add_node(num_cpus=1)
            self.cluster.wait_for_nodes()
        return self._worker

    def kill_worker(self) -> None:
        self.cluster.remove_node(self._worker, allow_graceful=False)
        self._worker = None


def tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
            and p.name != ".genmusic.lock"}


def nodes_used(log_dir: Path) -> set:
    return {p.read_text() for p in log_dir.iterdir()}


def temporaries(folder: Path) -> list:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*.tmp*"))


def _note_node(log_dir: str, song_id: str) -> str:
    node = ray.get_runtime_context().get_node_id() if ray.is_initialized() else "local"
    Path(log_dir, song_id).write_text(node)
    time.sleep(0.3)  # a file takes long enough that the scheduler spreads them over both nodes
    return node


def _stall_mid_write(path: Path, marker: str, song_id: str) -> None:
    """Start writing ``path`` (atomically, as genmusic does: a temporary file) and never finish."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(b"\x93NUMPY half a file")
        Path(marker).write_text(song_id)
        time.sleep(STALL_SECONDS)


class NodeNotingPipeline(PreprocessingPipeline):
    """Records the node of every file it processes in ``log_dir``; on ``victim_node`` it stalls in the middle of
    writing its first file, so that the node can be killed there."""

    log_dir, victim_node, marker = "", None, ""  # declared: a pipeline refuses attributes it does not have

    def __init__(self, config, log_dir, victim_node=None, marker=None):
        super().__init__(config)
        self.log_dir, self.victim_node, self.marker = str(log_dir), victim_node, marker

    def process_file(self, path, song_id, genre, saver, *, notes=None):
        node = _note_node(self.log_dir, song_id)
        if node == self.victim_node and not Path(self.marker).exists():
            _stall_mid_write(saver.song_path(song_id), self.marker, song_id)
        return super().process_file(path, song_id, genre, saver, notes=notes)


class NodeNotingEncodeTask(EncodeTask):
    """:class:`NodeNotingPipeline`'s notes and stall, for encoding (the class attributes are set by the test)."""

    log_dir, victim_node, marker = "", None, ""

    def __call__(self, path, song_id, genre):
        node = _note_node(self.log_dir, song_id)
        if node == self.victim_node and not Path(self.marker).exists():
            _stall_mid_write(self.writer.songs_dir / f"{song_id}.npy", self.marker, song_id)
        return super().__call__(path, song_id, genre)


def run_and_kill(nodes: TwoNodes, run, marker: Path, output: Path):
    """``run()`` in a thread; kill the worker node once it stalls mid-write; the run's report."""
    outcome = {}

    def target():
        try:
            outcome["report"] = run()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.1)
    assert marker.exists(), f"the worker node never started writing: {outcome}"
    assert temporaries(output), "the stalled file should be half-written in a temporary file"
    killed = time.perf_counter()
    nodes.kill_worker()
    thread.join(180)
    assert not thread.is_alive(), "the run hangs after the node was killed"
    print(f"\nrun finished {time.perf_counter() - killed:.1f} s after the node was killed")
    assert "error" not in outcome, outcome.get("error")
    return outcome["report"]


def test_preprocess_spreads_over_both_nodes_and_writes_the_local_engines_bytes(cluster, audio, tiny_store, tmp_path):
    worker = cluster.worker()
    (tmp_path / "nodes").mkdir()
    local = PreprocessingPipeline(tiny_store.config).run(audio, tmp_path / "local", workers=1)
    remote = NodeNotingPipeline(tiny_store.config, tmp_path / "nodes").run(audio, tmp_path / "ray", engine="ray")
    assert len(remote.processed) == len(local.processed) == 6
    assert len(nodes_used(tmp_path / "nodes")) == 2 and worker.node_id in nodes_used(tmp_path / "nodes")
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")


def test_a_node_killed_mid_write_leaves_a_complete_store(cluster, audio, tiny_store, tmp_path):
    worker = cluster.worker()
    (tmp_path / "nodes").mkdir()
    marker = tmp_path / "stalled"
    PreprocessingPipeline(tiny_store.config).run(audio, tmp_path / "local", workers=1)
    pipeline = NodeNotingPipeline(tiny_store.config, tmp_path / "nodes", worker.node_id, str(marker))
    report = run_and_kill(cluster, lambda: pipeline.run(audio, tmp_path / "ray", engine="ray"), marker,
                          tmp_path / "ray")
    assert len(report.processed) == 6 and not report.skipped
    assert Path(tmp_path / "nodes" / marker.read_text()).read_text() != worker.node_id  # done again on the head
    assert len(SpectrogramStore(tmp_path / "ray").songs_in()) == 6
    assert not temporaries(tmp_path / "ray")
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")


def test_encode_on_actors_over_both_nodes_survives_a_killed_node(cluster, audio, tiny_model_folder, tmp_path,
                                                                 monkeypatch):
    """Each node's actor loads the model once; the worker node is killed while it writes its first song: the
    song is encoded again on the head node, and the folder is the local engine's, byte for byte."""
    worker = cluster.worker()
    (tmp_path / "nodes").mkdir()
    marker = tmp_path / "stalled"
    encode_folder(tiny_model_folder, audio, tmp_path / "local", workers=1)
    for name, value in (("log_dir", str(tmp_path / "nodes")), ("victim_node", worker.node_id),
                        ("marker", str(marker))):
        monkeypatch.setattr(NodeNotingEncodeTask, name, value)
    monkeypatch.setattr(genmusic.encoding.folder, "EncodeTask", NodeNotingEncodeTask)
    report = run_and_kill(cluster, lambda: encode_folder(tiny_model_folder, audio, tmp_path / "ray", engine="ray"),
                          marker, tmp_path / "ray")
    assert len(report.processed) == 6 and not report.skipped  # the worker node's actor had started (the marker)
    assert Path(tmp_path / "nodes" / marker.read_text()).read_text() != worker.node_id  # done again on the head
    assert len(load_latents(tmp_path / "ray").song_ids) == 6
    assert not temporaries(tmp_path / "ray")
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
