"""Convert musicnn's MSD_musicnn TensorFlow checkpoint into the ``.npz`` that :mod:`genmusic.metrics.tagger` reads.

Run once, by whoever refreshes the weights shipped inside genmusic (needs TensorFlow only to read the
checkpoint; nothing at run time does)::

    pip download musicnn==0.1.0 --no-deps -d /tmp/mnn      # the wheel ships the checkpoints (ISC licence)
    python -m genmusic.metrics._convert_musicnn /tmp/mnn/musicnn-0.1.0-py3-none-any.whl

The checkpoint's variables are named by the order in which musicnn's ``models.build_musicnn`` creates its
layers; :data:`LAYERS` gives each one the name the numpy forward pass uses. Only the inference weights are
kept (no optimiser slots), as float32: 792,081 numbers, about 3 MB.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

#: genmusic name -> checkpoint scope, in musicnn's order (``models.build_musicnn`` with the MSD settings).
LAYERS = {
    "input_bn": "batch_normalization",          # batch norm of the log-mel input (one channel)
    "timbral_74": "conv2d",                     # 204 filters of 7 frames x 38 mel bands
    "timbral_74_bn": "batch_normalization_1",
    "timbral_77": "conv2d_1",                   # 204 filters of 7 frames x 67 mel bands
    "timbral_77_bn": "batch_normalization_2",
    "temporal_128": "conv2d_2",                 # 51 filters of 128 frames x 1 band
    "temporal_128_bn": "batch_normalization_3",
    "temporal_64": "conv2d_3",
    "temporal_64_bn": "batch_normalization_4",
    "temporal_32": "conv2d_4",
    "temporal_32_bn": "batch_normalization_5",
    "midend_1": "conv2d_5",                     # 64 filters of 7 frames x 561 front-end features
    "midend_1_bn": "batch_normalization_6",
    "midend_2": "conv2d_6",                     # 64 filters of 7 frames x 64, residual
    "midend_2_bn": "batch_normalization_7",
    "midend_3": "conv2d_7",
    "midend_3_bn": "batch_normalization_8",
    "pool_bn": "batch_normalization_9",         # batch norm of the 1506 pooled features
    "penultimate": "dense",                     # 1506 -> 200, ReLU
    "penultimate_bn": "batch_normalization_10",
    "tags": "dense_1",                          # 200 -> 50 tag logits
}
_BN = {"gamma": "gamma", "beta": "beta", "mean": "moving_mean", "variance": "moving_variance"}
_DENSE = {"kernel": "kernel", "bias": "bias"}
MODEL = "MSD_musicnn"
SOURCE = "musicnn 0.1.0 (Jordi Pons, Music Technology Group, Universitat Pompeu Fabra, 2019; ISC licence)"


def read_checkpoint(prefix: str) -> dict:
    """Every inference weight of the checkpoint at ``prefix``, under genmusic's names, as float32."""
    import tensorflow as tf

    reader = tf.compat.v1.train.NewCheckpointReader(prefix)
    weights = {}
    for name, scope in LAYERS.items():
        parts = _BN if name.endswith("bn") else _DENSE
        for key, variable in parts.items():
            weights[f"{name}/{key}"] = np.asarray(reader.get_tensor(f"{scope}/{variable}"), dtype=np.float32)
    return weights


def convert(wheel: Path, out: Path) -> dict:
    """Read ``MSD_musicnn`` from musicnn's wheel (or an unpacked ``musicnn`` folder) and write ``out``."""
    with tempfile.TemporaryDirectory() as tmp:
        if wheel.is_file():
            with zipfile.ZipFile(wheel) as z:
                members = [m for m in z.namelist() if m.startswith(f"musicnn/{MODEL}/")]
                if not members:
                    raise SystemExit(f"{wheel} holds no musicnn/{MODEL}/ checkpoint: give musicnn 0.1.0's wheel")
                z.extractall(tmp, members)
            folder = Path(tmp) / "musicnn" / MODEL
        else:
            folder = wheel / MODEL if (wheel / MODEL).is_dir() else wheel
        # musicnn saved its checkpoint with an empty file prefix: the files are ".index" and ".data-*"
        weights = read_checkpoint(str(folder) + "/")
    meta = {"model": MODEL, "source": SOURCE, "format": 1,
            "n_weights": int(sum(w.size for w in weights.values()))}
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, __meta__=np.array(json.dumps(meta)), **weights)
    return meta


def main(argv=None) -> int:
    from .tagger import WEIGHTS_FILE

    p = argparse.ArgumentParser(prog="python -m genmusic.metrics._convert_musicnn", description=__doc__.split("\n\n")[0])
    p.add_argument("wheel", type=Path, help="musicnn-0.1.0-py3-none-any.whl, or an unpacked musicnn folder")
    p.add_argument("--out", type=Path, default=WEIGHTS_FILE, help="(default: %(default)s)")
    args = p.parse_args(argv)
    meta = convert(args.wheel, args.out)
    print(f"{args.out}: {meta['n_weights']} weights, {args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
