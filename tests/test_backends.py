"""Under JAX the package imports, trains, saves, loads and makes sound with TensorFlow absent.

The lent GPU machines have JAX and PyTorch but no TensorFlow, so nothing on the training and
generation path may import it. A subprocess blocks every ``tensorflow`` import and runs the path.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import sys

    class BlockTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name == "tensorflow" or name.startswith("tensorflow."):
                raise ImportError("TensorFlow is blocked in this test")
            return None

    sys.meta_path.insert(0, BlockTensorFlow())
    import keras
    assert keras.backend.backend() == "jax", keras.backend.backend()
    import numpy as np
    import genmusic
    from genmusic.data.store import SpectrogramStore
    from genmusic.models.training import train
    from genmusic.models.modelio import load_bundle
    from genmusic.generation.generator import SoundGenerator

    store = SpectrogramStore(sys.argv[1])
    config = store.config.replace(train={"epochs": 2, "batch_size": 8, "patience": 0})
    result = train(store, sys.argv[2], config, progress=None)
    bundle = load_bundle(sys.argv[2])
    x = store.load_segments(store.segment_index("test"))
    np.testing.assert_allclose(bundle.model.reconstruct(x).spectrograms, result.model.reconstruct(x).spectrograms,
                               atol=1e-6)
    gen = SoundGenerator.from_folder(sys.argv[2], method="keras", n_iter=4)
    audio = gen.sample(1, seed=0)[0]
    assert np.isfinite(audio).all() and audio.shape[-1] > 0
    print("OK", result.epochs_run, "tensorflow" in sys.modules, len(audio))
""")


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_jax_without_tensorflow_trains_loads_and_generates(tiny_store, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tiny_store.path), str(tmp_path / "model")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    line = next(line for line in output.splitlines() if line.startswith("OK"))
    _, epochs, tf_loaded, _ = line.split()
    assert epochs == "2" and tf_loaded == "False"
    assert (tmp_path / "model" / "model.keras").is_file() and (tmp_path / "model" / "genmusic.json").is_file()
