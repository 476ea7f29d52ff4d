"""Data-parallel training over two logical CPU devices, in subprocesses (device setup is process-wide)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TRAIN = textwrap.dedent("""
    import logging, sys
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    {setup}
    from genmusic.data.store import SpectrogramStore
    from genmusic.models.training import train
    store = SpectrogramStore(sys.argv[1])
    # The MSE loss: its scale is known (< 0.2 after an epoch), so a loss summed over replicas would show.
    config = store.config.replace(model={{"loss": "mse"}}, train={{"epochs": 1, "batch_size": 8, "patience": 0,
                                                                  "distribution": sys.argv[3]}})
    result = train(store, sys.argv[2], config, progress=None)
    print("RESULT", result.n_replicas, result.epochs_run, result.best_val_loss, "tensorflow" in sys.modules)
""")

TF_SETUP = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""


def _run(setup: str, env: dict, store, folder, distribution: str) -> str:
    code = TRAIN.format(setup=setup)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    proc = subprocess.run([sys.executable, "-c", code, str(store.path), str(folder), distribution], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def _result(output: str):
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    replicas, epochs, loss, tf_loaded = line.split()[1:]
    return int(replicas), int(epochs), float(loss), tf_loaded == "True"


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed")
def test_mirrored_strategy_on_two_logical_cpus(tiny_store, tmp_path):
    output = _run(TF_SETUP, {"KERAS_BACKEND": "tensorflow"}, tiny_store, tmp_path / "mirrored", "mirrored")
    assert "training on 2 replica(s)" in output and "MirroredStrategy" in output
    replicas, epochs, loss, _ = _result(output)
    assert replicas == 2 and epochs == 1 and 0 < loss < 0.2  # the loss is not reported twice over
    assert (tmp_path / "mirrored" / "model.keras").is_file()


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_jax_data_parallel_on_two_cpu_devices(tiny_store, tmp_path):
    env = {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    output = _run("", env, tiny_store, tmp_path / "dp", "data_parallel")
    assert "training on 2 replica(s)" in output and "DataParallel" in output
    replicas, epochs, loss, _ = _result(output)
    assert replicas == 2 and epochs == 1 and 0 < loss < 0.2
    assert (tmp_path / "dp" / "model.keras").is_file()


# -- multi-worker training: the parts that need no second worker (the whole run: benchmarks/bench_multiworker.py)


def test_a_worker_that_waits_too_long_for_the_others_is_stopped_with_a_message():
    """TensorFlow waits for the workers of TF_CONFIG in C++ for hours; genmusic's watchdog (a separate process)
    stops the waiting process once the timeout has passed, and says why."""
    import time

    from genmusic.models.devices import _WATCHDOG

    waiting = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    start = time.monotonic()
    watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(waiting.pid), "0.5", "not every worker joined"],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # stdin open: not joined
    try:
        assert waiting.wait(timeout=30) == -15 and time.monotonic() - start < 20  # SIGTERM
    finally:
        waiting.kill()
        watchdog.stdin.close()
    assert watchdog.stderr.read().strip() == "not every worker joined"
    assert watchdog.wait(timeout=10) == 0


def test_the_watchdog_leaves_a_worker_that_joined_in_time_alone(monkeypatch):
    from genmusic.models.devices import _join_watchdog

    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["localhost:1", "localhost:2"]}, '
                                    '"task": {"type": "worker", "index": 1}}')
    with _join_watchdog(0.5):
        pass  # joined at once: the watchdog ends with the block
    import time

    time.sleep(1.0)  # past the timeout: this process is still here


def test_chief_and_lost_worker_errors(monkeypatch):
    tf = pytest.importorskip("tensorflow")

    from genmusic.errors import TrainingError
    from genmusic.models.devices import is_chief_task, multi_worker_failure

    cluster = {"cluster": {"worker": ["host0:2222", "host1:2222"]}}
    for task, chief in (({"type": "worker", "index": 0}, True), ({"type": "worker", "index": 1}, False)):
        monkeypatch.setenv("TF_CONFIG", json.dumps({**cluster, "task": task}))
        assert is_chief_task() is chief
    monkeypatch.delenv("TF_CONFIG")
    assert is_chief_task()
    lost = tf.errors.UnavailableError(None, None, "Collective ops is aborted by: The following tasks are unhealthy "
                                                  "(stopped sending heartbeats):\n/job:worker/replica:0/task:1\n")
    error = multi_worker_failure(lost)
    assert isinstance(error, TrainingError) and "a worker is gone" in str(error) and "task:1" in str(error)
    assert multi_worker_failure(ValueError("a bad batch")) is None
