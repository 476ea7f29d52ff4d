"""How many CPU threads the Keras backend may use in this process: one knob for every backend.

A process that encodes files beside other such processes (:func:`genmusic.encoding.folder.encode_folder`
with several workers) must keep to its share of the cores: by default TensorFlow starts a pool of threads
per core in every process, and two processes on two cores then spend their time taking the cores from each
other (issue 21: 2 workers took twice as long as 1). Nothing here imports a backend: the limits are set
before it starts, where it reads them.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Optional

from .._checks import check_integer

__all__ = ["limit_backend_threads"]

logger = logging.getLogger("genmusic")


def limit_backend_threads(cpus: Optional[int]) -> None:
    """Let the Keras backend of this process use at most ``cpus`` threads for its operations.

    TensorFlow: ``TF_NUM_INTRAOP_THREADS`` = ``cpus`` and ``TF_NUM_INTEROP_THREADS`` = 1, read when its runtime
    starts (set here before it is imported; when it is imported but has not run an operation yet, the same
    through ``tf.config.threading``). PyTorch: ``torch.set_num_threads``. JAX with ``cpus == 1``: XLA's CPU
    backend without its Eigen thread pool. ``OMP_NUM_THREADS`` for the numerical libraries under all of them.
    The results do not depend on the number of threads (checked on TensorFlow 2.21: the same latents bit for
    bit with 1, 2 and the default).

    Parameters
    ----------
    cpus : int >= 1, or None
        None leaves every setting as it is (the backend uses all cores).
    """
    if cpus is None:
        return
    cpus = check_integer(cpus, "cpus", minimum=1)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(cpus)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = str(cpus)
    if cpus == 1 and "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".strip()
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(cpus)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # its runtime has started: the pools it has are kept
            logger.debug("TensorFlow already runs: its thread pools are kept")
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(cpus)
