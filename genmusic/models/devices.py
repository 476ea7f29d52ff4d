"""Devices: GPUs, mixed precision and data-parallel training, for every Keras backend.

``TrainConfig.distribution`` picks how the batches are spread:

* TensorFlow: ``"mirrored"`` (or ``"auto"`` with more than one GPU) builds and compiles the model inside
  ``tf.distribute.MirroredStrategy`` over the local GPUs (the logical CPUs when there is no GPU);
  ``"multi_worker"`` uses ``tf.distribute.MultiWorkerMirroredStrategy`` (the cluster comes from
  ``TF_CONFIG``; only the chief writes the model folder).
* JAX: ``"data_parallel"`` (or ``"auto"`` with more than one device) sets
  ``keras.distribution.DataParallel(devices=jax.devices())`` for the duration of :func:`genmusic.models.training.train`.
* ``"mirrored"`` on JAX means ``"data_parallel"`` and vice versa on TensorFlow.

Multi-worker training (``"multi_worker"``) runs one process per machine, each with the same ``TF_CONFIG``
cluster and its own task index; worker 0 is the chief and writes the model folder, the others write to a
temporary folder. Three things make it safe to start: the workers wait for each other at most
:func:`worker_timeout` seconds, then stop with a message naming the cluster (TensorFlow would wait for hours);
a worker that dies mid-run stops the others with a :class:`~genmusic.errors.TrainingError`
(:func:`multi_worker_failure`); and two Keras 3 bugs under ``MultiWorkerMirroredStrategy`` are worked around
for the duration of the run (:func:`_keras_multi_worker_fixes`).

``TrainConfig.batch_size`` is the GLOBAL batch: each of ``R`` replicas sees ``batch_size / R`` segments
per step, so the same config gives the same number of steps per epoch on any number of devices (scale
the learning rate yourself if you scale the batch). It must be a multiple of ``R``; the last, smaller
batch of an epoch is topped up with segments from the start of the epoch so that it splits evenly too.

TensorFlow is imported only inside the TensorFlow branches, so genmusic trains under
``KERAS_BACKEND=jax`` on a machine without TensorFlow.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import keras

from .._checks import env_seconds
from .._io import real_stderr
from ..errors import ParameterError, TrainingError

__all__ = ["visible_gpus", "mixed_precision", "Devices", "distribution", "scale_loss_for_replicas",
           "WORKER_TIMEOUT", "worker_timeout", "multi_worker_failure", "is_chief_task"]

logger = logging.getLogger("genmusic")


def visible_gpus(backend: Optional[str] = None) -> int:
    """Number of GPUs the Keras backend sees (0 when it sees none or cannot tell)."""
    backend = backend or keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return len(tf.config.list_physical_devices("GPU"))
        if backend == "jax":
            import jax

            return sum(1 for d in jax.devices() if d.platform == "gpu")
        if backend == "torch":
            import torch

            return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception as exc:  # noqa: BLE001 - a broken driver means "no GPU", said once
        logger.warning("could not list the GPUs of the %s backend (%s); training on the CPU", backend, exc)
    return 0


@contextlib.contextmanager
def mixed_precision(setting: str, backend: str, n_gpus: int) -> Iterator[Optional[str]]:
    """Set the global dtype policy for the model's construction; restore the previous one afterwards."""
    use = setting == "on" or (setting == "auto" and n_gpus > 0)
    if not use:
        yield None
        return
    policy = "mixed_bfloat16" if backend == "jax" else "mixed_float16"
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield policy
    finally:
        keras.mixed_precision.set_global_policy(previous)


@dataclass
class Devices:
    """What :func:`distribution` chose."""

    replicas: int = 1
    description: str = "one device"
    strategy: Any = None  # tf.distribute.Strategy on TensorFlow
    is_chief: bool = True

    def scope(self):
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()


@contextlib.contextmanager
def distribution(setting: str, backend: str, n_gpus: int) -> Iterator[Devices]:
    if backend == "tensorflow":
        if setting == "data_parallel":
            logger.info("distribution='data_parallel' on TensorFlow: using tf.distribute.MirroredStrategy")
            setting = "mirrored"
        if setting == "mirrored" or (setting == "auto" and n_gpus > 1):
            import tensorflow as tf

            devices = [d.name for d in tf.config.list_logical_devices("GPU")]
            devices = devices or [d.name for d in tf.config.list_logical_devices("CPU")]
            strategy = tf.distribute.MirroredStrategy(devices)
            yield Devices(strategy.num_replicas_in_sync, f"MirroredStrategy over {', '.join(devices)}", strategy)
            return
        if setting == "multi_worker":
            import tensorflow as tf

            with _join_watchdog(worker_timeout()):
                strategy = tf.distribute.MultiWorkerMirroredStrategy()
            resolver = strategy.cluster_resolver
            task_type, task_id = getattr(resolver, "task_type", None), getattr(resolver, "task_id", 0)
            cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
            is_chief = _is_chief(task_type, task_id, cluster)
            with _keras_multi_worker_fixes():
                yield Devices(strategy.num_replicas_in_sync,
                              f"MultiWorkerMirroredStrategy (task {task_type}:{task_id})", strategy, is_chief)
            return
        yield Devices()
        return
    if backend == "jax":
        if setting == "multi_worker":
            raise ParameterError("distribution='multi_worker' needs the TensorFlow backend; under JAX start one "
                                 "process per host with keras.distribution.initialize() and use 'data_parallel'")
        if setting == "mirrored":
            logger.info("distribution='mirrored' on JAX: using keras.distribution.DataParallel")
            setting = "data_parallel"
        import jax

        devices = jax.devices()
        if setting == "data_parallel" or (setting == "auto" and len(devices) > 1):
            previous = keras.distribution.distribution()
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            try:
                yield Devices(len(devices), f"keras.distribution.DataParallel over {len(devices)} "
                                             f"{devices[0].platform} device(s)")
            finally:
                keras.distribution.set_distribution(previous)
            return
        yield Devices()
        return
    if setting not in ("auto", "none"):
        raise ParameterError(f"distribution={setting!r} is not supported on the {backend} backend; "
                             f"use 'none' (or the TensorFlow / JAX backend)")
    yield Devices()


def scale_loss_for_replicas(model) -> None:
    """Divide the model's loss by the replica count inside a ``tf.distribute`` strategy.

    Keras' TensorFlow train step sums the replicas' gradients and multiplies the reported loss by the
    replica count, expecting ``compute_loss`` to return the per-replica loss divided by it, as Keras'
    built-in losses do. genmusic's models return a plain mean, which would make the step (and the
    logged loss) ``R`` times too large. A model class that scales its loss itself says so with a true
    ``scales_loss_for_distribution`` attribute and is left alone.
    """
    if getattr(model, "scales_loss_for_distribution", False):
        return
    import tensorflow as tf

    compute_loss = model.compute_loss

    def scaled_compute_loss(*args, **kwargs):
        loss = compute_loss(*args, **kwargs)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return loss / tf.cast(replicas, loss.dtype) if replicas > 1 else loss

    model.compute_loss = scaled_compute_loss


# --------------------------------------------------------------------------------------------------
# multi-worker training: waiting for the workers, a worker lost, Keras' bugs

#: Seconds the workers of a multi-worker run wait for each other to start (the environment variable
#: ``GENMUSIC_WORKER_TIMEOUT`` sets another).
WORKER_TIMEOUT = 600.0

#: The watchdog of :func:`_join_watchdog`: a tiny process (no imports beyond the standard library) that stops
#: its parent unless the parent closes the pipe (it joined) or dies first.
_WATCHDOG = """
import os, select, signal, sys, time
parent, seconds, message = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ready, _, _ = select.select([sys.stdin], [], [], seconds)
if not ready:
    sys.stderr.write(message + "\\n")
    sys.stderr.flush()
    os.kill(parent, signal.SIGTERM)
    ready, _, _ = select.select([sys.stdin], [], [], 3.0)  # the pipe ends when the parent does
    if not ready:  # a SIGTERM handler that cannot run while TensorFlow waits: end it for good
        os.kill(parent, signal.SIGKILL)
"""


def _is_chief(task_type: Optional[str], task_id: int, cluster: dict) -> bool:
    """The task that writes the model folder: the chief, or worker 0 of a cluster without one."""
    return task_type in (None, "chief") or (task_type == "worker" and task_id == 0 and "chief" not in cluster)


def is_chief_task() -> bool:
    """Whether this process writes the model folder of a multi-worker run (``TF_CONFIG``; True without it)."""
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
        task = config.get("task") or {}
        return _is_chief(task.get("type"), int(task.get("index", 0)), config.get("cluster") or {})
    except (ValueError, TypeError, AttributeError):
        return True  # TensorFlow refuses a broken TF_CONFIG itself, with its message


def worker_timeout() -> float:
    """:data:`WORKER_TIMEOUT`, or ``GENMUSIC_WORKER_TIMEOUT`` (seconds) when it is set."""
    return env_seconds("GENMUSIC_WORKER_TIMEOUT", WORKER_TIMEOUT)


def _cluster_text() -> str:
    """The cluster of ``TF_CONFIG`` and this process's task, for messages."""
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
        task = config.get("task", {})
        hosts = ", ".join(f"{kind} {i}: {host}" for kind, hosts in config.get("cluster", {}).items()
                          for i, host in enumerate(hosts))
        return f"task {task.get('type')} {task.get('index')} of TF_CONFIG's cluster ({hosts})"
    except (ValueError, AttributeError):
        return "TF_CONFIG is not valid JSON"


@contextlib.contextmanager
def _join_watchdog(seconds: float) -> Iterator[None]:
    """Stop this process with a message when the block (the workers meeting) takes more than ``seconds``.

    TensorFlow waits for the other workers inside C++ with Python's interpreter held, for hours, and no
    Python thread or signal handler runs meanwhile: a separate process does the waiting, writes the message to
    this process's real standard error and ends it (SIGTERM, then SIGKILL 3 s later: a SIGTERM handler cannot
    run while TensorFlow holds the interpreter). Nothing was written yet.
    """
    message = (f"genmusic: multi-worker training stopped: not every worker joined within {seconds:g} s "
               f"({_cluster_text()}). Start one process per task, each with the same cluster and its own task "
               f"index, and check that the hosts reach each other on those ports; set GENMUSIC_WORKER_TIMEOUT="
               f"SECONDS to wait longer")
    logger.info("waiting up to %g s for every worker of the cluster to join (%s)", seconds, _cluster_text())
    watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(seconds), message],
                                stdin=subprocess.PIPE, stderr=real_stderr())
    try:
        yield
    finally:
        watchdog.stdin.close()
        watchdog.wait()


#: TensorFlow's errors when a peer of a collective operation is gone (killed, its machine lost, unreachable).
_PEER_ERRORS = ("UnavailableError", "AbortedError", "DeadlineExceededError", "CancelledError")


def multi_worker_failure(exc: BaseException) -> Optional[TrainingError]:
    """The error to raise when ``exc`` says a worker of a multi-worker run was lost; None for any other error."""
    if type(exc).__name__ not in _PEER_ERRORS or "tensorflow" not in type(exc).__module__:
        return None
    import re

    text = re.sub(r"\{\{.*?\}\}\s*", "", str(exc))  # TensorFlow's name of the operation
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = next((i for i, line in enumerate(lines) if re.search(  # TensorFlow's words on the peer, and the next line
        r"aborted|unhealthy|heartbeat|reset by peer|failed to connect", line, re.IGNORECASE)), 0)
    lost = " ".join(lines[first:first + 2])
    return TrainingError(f"multi-worker training stopped: a worker is gone (killed, its machine lost, or unreachable; "
                         f"{type(exc).__name__}: {lost[:300]}). Every worker stops with it ({_cluster_text()}); "
                         f"what the chief saved of the finished epochs is kept. Start every worker again")


@contextlib.contextmanager
def _keras_multi_worker_fixes() -> Iterator[None]:
    """Work around two Keras 3 bugs under ``MultiWorkerMirroredStrategy`` (checked on Keras 3.15) while the
    block runs, and restore Keras afterwards.

    1. The TensorFlow trainer builds the model from its first batch by averaging the batch over the replicas,
       which fails for a multi-worker batch ("Attempt to convert a value (PerReplica...) to a Tensor"): the
       model is built from this worker's own part of the batch instead (same shapes).
    2. The logs of every step (scalars) are reduced with ``axis=0``, which fails on a scalar ("Invalid
       reduction dimension 0 for input with 0 dimensions"): they are averaged over the replicas with
       ``axis=None``.
    """
    import tensorflow as tf
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer as tf_trainer

    build, reduce = tf_trainer.TensorFlowTrainer._maybe_symbolic_build, tf_trainer.reduce_per_replica

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return build(self, iterator=iterator, data_batch=data_batch)
        for _, _, it in iterator:
            data_batch = tree.map_structure(lambda v: strategy.experimental_local_results(v)[0]
                                            if isinstance(v, tf.distribute.DistributedValues) else v, next(it))
            break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce(values, strategy, reduction)

    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    tf_trainer.reduce_per_replica = reduce_per_replica
    try:
        yield
    finally:
        tf_trainer.TensorFlowTrainer._maybe_symbolic_build = build
        tf_trainer.reduce_per_replica = reduce
