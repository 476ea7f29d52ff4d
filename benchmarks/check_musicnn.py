#!/usr/bin/env python
"""Check genmusic's numpy music tagger against musicnn's own code on real clips.

musicnn needs TensorFlow's v1 layers (``tf_keras``) and the NumPy its metadata pins, so its side runs in a
separate environment (``--musicnn-python``), e.g.::

    python -m venv /work/venvs/musicnn
    echo "$PWD/.venv/lib/python3.11/site-packages" > /work/venvs/musicnn/lib/python3.11/site-packages/zz.pth
    /work/venvs/musicnn/bin/pip install --no-deps musicnn==0.1.0 tf-keras==2.21.0 numpy==1.26.4 ml_dtypes==0.5.1
    # TensorFlow's lite module imports jax when it is there; jax needs NumPy 2: hide it in that venv
    mkdir /work/venvs/musicnn/lib/python3.11/site-packages/jax
    echo 'raise ImportError' > /work/venvs/musicnn/lib/python3.11/site-packages/jax/__init__.py

    python benchmarks/check_musicnn.py /work/realmusic/genres_original/*/*.00000.wav

That side builds musicnn's graph with its own ``models.define_model``, restores the ``MSD_musicnn``
checkpoint with ``tf.compat.v1.train.Saver`` (as ``musicnn.extractor.extractor`` does), feeds every patch of
``musicnn.extractor.batch_data`` and returns the penultimate features and the tag probabilities; it also
runs ``musicnn.extractor.extractor`` itself for its taggram. This side runs genmusic's
:class:`~genmusic.metrics.tagger.MusicTagger` on (a) musicnn's own input patches (the network alone) and
(b) the audio file (input pipeline + network), and prints the largest absolute differences.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def reference(files, out: str) -> None:
    """musicnn's side (run by the musicnn environment's Python)."""
    import numpy as np
    import tensorflow as tf
    import musicnn
    from musicnn import extractor as mx, models

    results = {}
    tf.compat.v1.disable_eager_execution()
    for i, f in enumerate(files):
        batch, _ = mx.batch_data(f, 187, 187)
        tf.compat.v1.reset_default_graph()
        with tf.name_scope("model"):
            x = tf.compat.v1.placeholder(tf.float32, [None, 187, 96])
            is_training = tf.compat.v1.placeholder(tf.bool)
            logits, *_, penultimate = models.define_model(x, is_training, "MSD_musicnn", 50)
            tags = tf.nn.sigmoid(logits)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver().restore(sess, os.path.join(os.path.dirname(musicnn.__file__), "MSD_musicnn") + "/")
            pen, tg = sess.run([penultimate, tags], feed_dict={x: batch, is_training: False})
        taggram, _, _ = mx.extractor(f, model="MSD_musicnn", input_length=3)
        results.update({f"{i}/input": batch, f"{i}/penultimate": pen, f"{i}/taggram": tg,
                        f"{i}/extractor_taggram": taggram})
    np.savez(out, numpy=np.array(np.__version__), tensorflow=np.array(tf.__version__), **results)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="check_musicnn", description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", help="audio files (e.g. /work/realmusic/genres_original/*/*.00000.wav)")
    p.add_argument("--musicnn-python", default="/work/venvs/musicnn/bin/python",
                   help="Python of the environment with musicnn (default: %(default)s)")
    p.add_argument("--write-test-reference", metavar="NPZ", type=Path,
                   help="also store musicnn's outputs for the unit test's synthetic signal here "
                        "(tests/data/musicnn_reference.npz)")
    p.add_argument("--reference", metavar="OUT", help=argparse.SUPPRESS)  # musicnn's side, internal
    args = p.parse_args(argv)
    if args.reference:
        reference(args.files, args.reference)
        return 0

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    import librosa
    import numpy as np
    import soundfile as sf

    from genmusic.metrics.tagger import MusicTagger

    tmpdir = tempfile.TemporaryDirectory()  # kept until the comparison below has read the files
    tmp = tmpdir.name
    files = list(args.files)
    if args.write_test_reference:
        from tests.test_metrics_tagger import REFERENCE_RECIPE, synthetic_song

        files.append(os.path.join(tmp, "synthetic.wav"))  # float32 at 16 kHz: read back exactly, not resampled
        sf.write(files[-1], synthetic_song(**REFERENCE_RECIPE), REFERENCE_RECIPE["sr"], subtype="FLOAT")
    out = os.path.join(tmp, "reference.npz")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", PYTHONWARNINGS="ignore")
    subprocess.run([args.musicnn_python, os.path.abspath(__file__), "--reference", out, *files],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    with np.load(out) as data:
        ref = {k: data[k] for k in data.files}
    if args.write_test_reference:
        i = len(files) - 1
        np.savez_compressed(args.write_test_reference, recipe=np.array(json.dumps(REFERENCE_RECIPE)),
                            penultimate=ref[f"{i}/penultimate"], taggram=ref[f"{i}/taggram"],
                            versions=np.array(f"musicnn 0.1.0, NumPy {ref['numpy']}, TensorFlow {ref['tensorflow']}"))
        print(f"wrote {args.write_test_reference}")
    args.files = files
    print(f"musicnn 0.1.0 under NumPy {ref['numpy']}, TensorFlow {ref['tensorflow']}; genmusic under NumPy "
          f"{np.__version__}\n")
    tagger = MusicTagger.load()
    worst = {}
    print("| clip | patches | input | penultimate (musicnn's input) | taggram (musicnn's input) | penultimate "
          "(file) | taggram (file) | taggram vs `extractor()` |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for i, f in enumerate(args.files):
        y, sr = librosa.load(f, sr=None, mono=True)
        patches = tagger.patches(y, sr)
        pen_net, tags_net = tagger.forward(ref[f"{i}/input"])
        pen_file, tags_file = tagger.run(y, sr)
        row = {"input": np.abs(patches - ref[f"{i}/input"]).max(),
               "penultimate_net": np.abs(pen_net - ref[f"{i}/penultimate"]).max(),
               "taggram_net": np.abs(tags_net - ref[f"{i}/taggram"]).max(),
               "penultimate_file": np.abs(pen_file - ref[f"{i}/penultimate"]).max(),
               "taggram_file": np.abs(tags_file - ref[f"{i}/taggram"]).max(),
               "taggram_extractor": np.abs(tags_file - ref[f"{i}/extractor_taggram"]).max()}
        for k, v in row.items():
            worst[k] = max(worst.get(k, 0.0), float(v))
        print(f"| {Path(f).name} | {len(patches)} | " + " | ".join(f"{v:.2e}" for v in row.values()) + " |")
    scale = float(np.abs(np.concatenate([ref[f"{i}/penultimate"] for i in range(len(args.files))])).max())
    print(f"\nlargest |penultimate| of musicnn: {scale:.2f}")
    print(json.dumps({k: float(f"{v:.3g}") for k, v in worst.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
