#!/usr/bin/env python
"""Multi-worker training on loopback: two processes, ``TF_CONFIG``, ``--distribution multi_worker``.

Three runs of ``scripts/train_autoencoder.py`` on a tiny store (12 synthetic songs of 1.5 s at 8 kHz, 64 x 16
segments, a two-layer autoencoder, MSE loss; the same global batch everywhere):

1. two workers on ``localhost`` (worker 0 is the chief), both given the same ``--model-dir``, as two
   machines sharing a folder would be: the chief alone writes it, and the folder must load
   (:func:`genmusic.models.modelio.load_bundle`) and encode;
2. one process, ``--distribution none``: the losses of every epoch and the weights must agree with run 1
   within float tolerance (the gradients are averaged over the replicas in another order);
3. two workers again, worker 1 killed (SIGKILL) once training runs: worker 0 must stop with genmusic's
   message, not hang; and worker 0 alone with ``GENMUSIC_WORKER_TIMEOUT=20``: it must stop with the message
   that names the cluster once the timeout has passed.

Each worker keeps TensorFlow to one thread (two processes on two cores). Prints the wall times (start-up,
training), the differences, and what each failure case printed.

    nice -n 5 python benchmarks/bench_multiworker.py            # about 2 minutes on 2 idle cores
    nice -n 5 python benchmarks/bench_multiworker.py --epochs 3 --keep /tmp/mw
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIG = {
    "audio": {"sample_rate": 8000},
    "spectrogram": {"n_fft": 128, "hop_length": 64, "segment_frames": 16},
    "model": {"kind": "autoencoder", "loss": "mse", "conv_filters": [8, 16], "conv_kernels": [3, 3],
              "conv_strides": [[2, 2], [2, 2]], "latent_dim": 16},
    "train": {"random_crops": False, "mixed_precision": "off", "patience": 0},
}


def free_ports(n: int) -> list:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def make_store(folder: Path) -> Path:
    from genmusic.config import GenmusicConfig
    from genmusic.data.pipeline import PreprocessingPipeline
    from genmusic.data.synthetic import make_synthetic

    store = folder / "store"
    if not (store / "manifest.csv").is_file():
        audio = make_synthetic(folder / "audio", n_per_genre=4, duration=1.5, sample_rate=8000,
                               genres=("blues", "metal", "techno"))
        PreprocessingPipeline(GenmusicConfig.from_dict(CONFIG)).run(audio, store, workers=1)
    return store


def train_command(store: Path, model_dir: Path, config: Path, epochs: int, batch: int, distribution: str) -> list:
    return [sys.executable, str(ROOT / "scripts" / "train_autoencoder.py"), "--spectrograms", str(store),
            "--model-dir", str(model_dir), "--config", str(config), "--epochs", str(epochs), "--batch-size",
            str(batch), "--distribution", distribution, "--overwrite", "--no-progress"]


def environment(ports: list, index: int, threads: int, **extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
           "TF_NUM_INTRAOP_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": "1", **extra}
    if ports:
        env["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"localhost:{p}" for p in ports]},
                                       "task": {"type": "worker", "index": index}})
    return env


def start(command: list, env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "w")
    return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=log.parent)


def wait_for(path: Path, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def history(model_dir: Path) -> list:
    with open(model_dir / "history.csv", newline="") as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def last_lines(log: Path, needle: str) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if needle in line]
    return lines[-1][:400] if lines else "(nothing)"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=8, help="the global batch (4 per worker)")
    p.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = p.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="genmusic-mw-"))
    work.mkdir(parents=True, exist_ok=True)
    store = make_store(work)
    config = work / "config.json"
    config.write_text(json.dumps(CONFIG))
    print(f"store {store} (load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)")

    # 1. two workers, one shared model folder
    temporaries = set(Path(tempfile.gettempdir()).glob("genmusic-worker-*"))
    ports = free_ports(2)
    shared = work / "multi"
    t0 = time.perf_counter()
    procs = [start(train_command(store, shared, config, args.epochs, args.batch_size, "multi_worker"),
                   environment(ports, i, 1), work / f"worker{i}.log") for i in range(2)]
    codes = [proc.wait(timeout=900) for proc in procs]
    multi_wall = time.perf_counter() - t0
    print(f"\n1. two workers on loopback: exit codes {codes}, {multi_wall:.1f} s wall (start-up included)")
    for i in range(2):
        print(f"   worker {i}: {last_lines(work / f'worker{i}.log', 'training on')}")
    if codes != [0, 0]:
        print((work / "worker0.log").read_text()[-3000:])
        return 1

    # 2. one process, the same global batch
    t0 = time.perf_counter()
    single = work / "single"
    code = start(train_command(store, single, config, args.epochs, args.batch_size, "none"),
                 environment([], 0, 2), work / "single.log").wait(timeout=900)
    single_wall = time.perf_counter() - t0
    print(f"2. one process: exit code {code}, {single_wall:.1f} s wall")
    import numpy as np

    from genmusic.models.modelio import load_bundle

    a, b = history(shared), history(single)
    print(f"   {'epoch':>5} {'loss (2 workers)':>17} {'loss (1 process)':>17} {'val_loss (2)':>13} {'val_loss (1)':>13}")
    for i, (ra, rb) in enumerate(zip(a, b)):
        print(f"   {i + 1:>5} {ra['loss']:>17.6f} {rb['loss']:>17.6f} {ra['val_loss']:>13.6f} {rb['val_loss']:>13.6f}")
    rel = max(abs(ra[k] - rb[k]) / abs(rb[k]) for ra, rb in zip(a, b) for k in ("loss", "val_loss"))
    ma, mb = load_bundle(shared).model, load_bundle(single).model
    weights = max(float(np.max(np.abs(x - y))) for x, y in zip(ma.get_weights(), mb.get_weights()))
    from genmusic.data.store import SpectrogramStore

    data = SpectrogramStore(store)
    x = data.load_segments(data.segment_index()[:8])
    latents = float(np.max(np.abs(ma.encode(x) - mb.encode(x))))
    print(f"   largest relative loss difference {rel:.2e}; largest weight difference {weights:.2e}; "
          f"largest latent difference on 8 segments {latents:.2e}")
    print(f"   the shared folder loads: {sorted(p.name for p in shared.iterdir())}")
    leftovers = set(Path(tempfile.gettempdir()).glob("genmusic-worker-*")) - temporaries
    print(f"   worker 1's temporary model folders left in {tempfile.gettempdir()}: {len(leftovers)}")

    # 3a. worker 1 killed mid-training
    ports = free_ports(2)
    procs = [start(train_command(store, work / "killed", config, 500, args.batch_size, "multi_worker"),
                   environment(ports, i, 1), work / f"kill{i}.log") for i in range(2)]
    if not wait_for(work / "kill0.log", "epoch 2/", 600):
        print("3a. training never started:\n", (work / "kill0.log").read_text()[-2000:])
        for proc in procs:
            proc.kill()
        return 1
    procs[1].send_signal(signal.SIGKILL)
    killed = time.perf_counter()
    try:
        code = procs[0].wait(timeout=600)
        print(f"3a. worker 1 killed: worker 0 exited with code {code} {time.perf_counter() - killed:.1f} s later:")
    except subprocess.TimeoutExpired:
        procs[0].kill()
        print("3a. worker 1 killed: worker 0 HANGS (still running after 600 s)")
        code = None
    print(f"   {last_lines(work / 'kill0.log', 'multi-worker training stopped')}")

    # 3b. worker 0 alone
    ports = free_ports(2)
    t0 = time.perf_counter()
    code = start(train_command(store, work / "alone", config, 2, args.batch_size, "multi_worker"),
                 environment(ports, 0, 1, GENMUSIC_WORKER_TIMEOUT="20"), work / "alone.log").wait(timeout=600)
    print(f"3b. worker 0 alone, GENMUSIC_WORKER_TIMEOUT=20: exit code {code} after {time.perf_counter() - t0:.1f} s "
          f"(start-up included):\n   {last_lines(work / 'alone.log', 'multi-worker training stopped')}")
    print(f"\nlogs in {work}" + ("" if args.keep else " (a temporary folder)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
