"""Devices: GPUs, mixed precision and data-parallel training, for every Keras backend.

``TrainConfig.distribution`` picks how the batches are spread:

* TensorFlow: ``"mirrored"`` (or ``"auto"`` with more than one GPU) builds and compiles the model inside
  ``tf.distribute.MirroredStrategy`` over the local GPUs (the logical CPUs when there is no GPU);
  ``"multi_worker"`` uses ``tf.distribute.MultiWorkerMirroredStrategy`` (the cluster comes from
  ``TF_CONFIG``; only the chief writes the model folder).
* JAX: ``"data_parallel"`` (or ``"auto"`` with more than one device) sets
  ``keras.distribution.DataParallel(devices=jax.devices())`` for the duration of :func:`genmusic.models.training.train`.
* ``"mirrored"`` on JAX means ``"data_parallel"`` and vice versa on TensorFlow.

``TrainConfig.batch_size`` is the GLOBAL batch: each of ``R`` replicas sees ``batch_size / R`` segments
per step, so the same config gives the same number of steps per epoch on any number of devices (scale
the learning rate yourself if you scale the batch). It must be a multiple of ``R``; the last, smaller
batch of an epoch is topped up with segments from the start of the epoch so that it splits evenly too.

TensorFlow is imported only inside the TensorFlow branches, so genmusic trains under
``KERAS_BACKEND=jax`` on a machine without TensorFlow.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import keras

from ..errors import ParameterError

__all__ = ["visible_gpus", "mixed_precision", "Devices", "distribution", "scale_loss_for_replicas"]

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

            strategy = tf.distribute.MultiWorkerMirroredStrategy()
            resolver = strategy.cluster_resolver
            task_type, task_id = getattr(resolver, "task_type", None), getattr(resolver, "task_id", 0)
            cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
            is_chief = (task_type in (None, "chief")
                        or (task_type == "worker" and task_id == 0 and "chief" not in cluster))
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
