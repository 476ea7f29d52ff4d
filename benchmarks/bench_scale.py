#!/usr/bin/env python
"""How preprocessing and encoding scale: 1 and 2 local workers, Ray on 1 and 2 nodes, and the naive loop.

Every variant runs in a fresh process on the same folder, so start-up (imports, starting the workers, loading
the model) is paid as a user pays it. The Ray variants connect to a cluster this script starts beforehand on
this machine (``ray.cluster_utils.Cluster``: one node of 1 CPU, or two nodes of 1 CPU each, each with its own
raylet) -- the cluster's own start is timed apart, as it would be running already on real machines.

Columns: ``wall s`` the whole run; ``first s`` until the first file was done (start-up plus one file);
``files/s*`` the rate after that (files 2..N over the time after the first), i.e. the rate with start-up
left out; ``x base`` and ``x base*`` the speed-up over the first row (local engine, 1 worker) in wall time
and in that rate; ``cpu s`` CPU seconds of everything the run used: the command, its worker processes, and
the Ray cluster's processes during the run, and ``cpu s/h`` the same per hour of audio; ``same`` whether the files written are those of the first row,
byte for byte. ``x naive`` compares preprocessing's wall time with the tutorial's loop (librosa.load ->
stft -> amplitude_to_db -> min-max -> np.save, one process).

    nice -n 5 python benchmarks/bench_scale.py --audio /work/realmusic --repeats 3
    nice -n 5 python benchmarks/bench_scale.py --synthetic 100 --only preprocess
    python benchmarks/bench_scale.py --make-real94 /tmp/real94     # 77 clips + 17 cut from the whole tracks

Encoding uses an untrained model of the default architecture (speed does not depend on the weights).
Runs are interleaved (every variant once, then again), the median of ``--repeats`` is shown.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: (task, variant) pairs: the variant's engine, workers and Ray nodes.
VARIANTS = {
    "naive": ("local", 1, 0),
    "local1": ("local", 1, 0),
    "local2": ("local", 2, 0),
    "ray-1node": ("ray", 1, 1),
    "ray-2nodes": ("ray", 2, 2),
}
TASKS = {"preprocess": ("naive", "local1", "local2", "ray-1node", "ray-2nodes"),
         "encode": ("local1", "local2", "ray-1node", "ray-2nodes")}


def _cpu_s() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# --------------------------------------------------------------------------------------------------
# one variant, in a fresh process


def _naive(audio_dir: str, out_dir: str, times: list) -> int:
    import librosa
    import numpy as np

    from genmusic.data.pipeline import find_audio_files

    _, files = find_audio_files(audio_dir)
    seconds = 0.0
    for path, _ in files:
        y, _ = librosa.load(path, sr=22050, mono=True)
        seconds += len(y) / 22050
        db = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=1024, hop_length=256)))
        np.save(os.path.join(out_dir, path.stem + ".npy"), ((db - db.min()) / (db.max() - db.min())).astype(np.float64))
        times.append(time.perf_counter())
    return len(files), seconds


def run_variant(task: str, variant: str, audio_dir: str, out_dir: str, model_dir: str, address: str) -> dict:
    """Runs inside a fresh subprocess; everything after the interpreter's start is timed."""
    start, cpu = time.perf_counter(), _cpu_s()
    engine, workers, _ = VARIANTS[variant]
    times: list = []
    if variant == "naive":
        n, seconds = _naive(audio_dir, out_dir, times)
    else:
        from genmusic.data import engines

        map_jobs = engines.map_jobs

        def timed_map_jobs(*args, **kwargs):  # the time of every file done, as the engine yields it
            for result in map_jobs(*args, **kwargs):
                times.append(time.perf_counter())
                yield result

        engines.map_jobs = timed_map_jobs
        options = {"engine": engine, "workers": workers, "address": address or None}
        if task == "encode":
            from genmusic.encoding.folder import encode_folder

            report = encode_folder(model_dir, audio_dir, out_dir, **options)
        else:
            from genmusic.data.pipeline import PreprocessingPipeline

            report = PreprocessingPipeline().run(audio_dir, out_dir, **options)
        n = len(report.processed)
        seconds = sum(r.n_samples for r in report.processed) / report.sample_rate
    wall = time.perf_counter() - start
    first = times[0] - start if times else wall
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else float("nan")
    return {"task": task, "variant": variant, "files": n, "wall_s": wall, "first_s": first, "rate": rate,
            "cpu_s": _cpu_s() - cpu, "audio_h": seconds / 3600, "load": os.getloadavg()[0]}


# --------------------------------------------------------------------------------------------------
# the driver: clusters, runs, the table


def _processes() -> dict:
    """``{(pid, start time): (parent pid, own CPU ticks)}`` of every process (``/proc``: Linux only)."""
    found = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[(int(entry), fields[19])] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


class TreeCPU:
    """CPU seconds used by the processes under ``root`` (not ``root`` itself, not ``exclude`` and its own) while the block
    runs, processes that start and end within it included: ``/proc`` is read every 0.1 s, and each process
    counts from its CPU when first seen (0 when it started in the block) to its CPU when last seen."""

    def __init__(self, root: int) -> None:
        self.root, self.exclude = root, -1
        self.first: dict = {}
        self.last: dict = {}
        self.seconds = 0.0

    def _sample(self, initial: bool = False) -> None:
        found = _processes()
        below, frontier = set(), {self.root}
        while frontier:
            frontier = {key[0] for key, (parent, _) in found.items()
                        if parent in frontier and key[0] not in below and key[0] != self.exclude}
            below |= frontier
        for key, (_, ticks) in found.items():
            if key[0] in below:
                self.first.setdefault(key, ticks if initial else 0)
                self.last[key] = ticks

    def __enter__(self) -> "TreeCPU":
        import threading

        self._sample(initial=True)
        self._stop = threading.Event()

        def poll() -> None:
            while not self._stop.wait(0.1):
                self._sample()

        self._thread = threading.Thread(target=poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        ticks = sum(self.last[key] - self.first[key] for key in self.last)
        self.seconds = ticks / os.sysconf("SC_CLK_TCK")


class Clusters:
    """Ray clusters on this machine, one per node count, started on first use and kept for every run."""

    def __init__(self) -> None:
        self.held: dict = {}
        self.started_s: dict = {}
        self.tmp = tempfile.mkdtemp(prefix="gmbs", dir="/tmp")  # short: Ray's socket paths

    def address(self, nodes: int) -> str:
        if nodes not in self.held:
            for other in list(self.held):  # one cluster at a time: they would share the cores
                self.held.pop(other).shutdown()
            os.environ["RAY_TMPDIR"] = os.path.join(self.tmp, str(nodes))
            from ray.cluster_utils import Cluster

            start = time.perf_counter()
            cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
            for _ in range(nodes - 1):
                cluster.add_node(num_cpus=1)
            cluster.wait_for_nodes()
            self.started_s[nodes] = time.perf_counter() - start
            self.held[nodes] = cluster
            time.sleep(2.0)  # let the nodes settle (prestarted workers) before anything is timed
        return self.held[nodes].address

    def close(self) -> None:
        for cluster in self.held.values():
            cluster.shutdown()
        shutil.rmtree(self.tmp, ignore_errors=True)


def make_model(folder: Path) -> Path:
    """An untrained model of the default settings, saved as a model folder."""
    if (folder / "model.keras").is_file():
        return folder
    from genmusic.config import GenmusicConfig
    from genmusic.models import build_model
    from genmusic.models.modelio import write_model_metadata

    config = GenmusicConfig()
    model = build_model(config.model, config.spectrogram.segment_shape, seed=0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.keras")
    write_model_metadata(folder, config, stats={"db_min": -80.0, "db_max": 0.0}, genres=[])
    return folder


def make_real94(out: Path, clips: Path = Path("/work/realmusic"), full: Path = Path("/work/realmusic_full")) -> Path:
    """94 real 30 s songs: every clip of ``clips`` plus 17 excerpts (30 s from 120 s in) of ``full``'s tracks."""
    import soundfile as sf

    out = out / "genres_original"
    for p in sorted((clips / "genres_original").rglob("*.wav")):
        (out / p.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(p, out / p.parent.name / p.name)
    for p in sorted((full / "genres_original").rglob("*.wav"))[::4][:17]:
        info = sf.info(p)
        start = int(min(120.0, max(0.0, info.duration - 30.0)) * info.samplerate)
        y, sr = sf.read(p, start=start, frames=30 * info.samplerate, dtype="int16")
        (out / p.parent.name).mkdir(parents=True, exist_ok=True)
        sf.write(out / p.parent.name / f"{p.stem}.cut120.wav", y, sr, subtype="PCM_16")
    return out.parent


def digest(folder: Path) -> str:
    """A hash of every file genmusic wrote (names and bytes; the lock file left out)."""
    h = hashlib.sha1()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != ".genmusic.lock":
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--audio", type=Path, help="a folder of audio (genre folders allowed)")
    source.add_argument("--synthetic", type=int, metavar="SONGS", help="that many synthetic 30 s songs (default 100)")
    source.add_argument("--make-real94", type=Path, metavar="OUT", help="write the 94-song real set there and stop")
    p.add_argument("--only", nargs="+", choices=sorted({*TASKS, *VARIANTS}), help="tasks and/or variants to run")
    p.add_argument("--repeats", type=int, default=1, help="runs per variant (the median is shown)")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "genmusic-bench-scale")
    p.add_argument("--_child", nargs=6, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        print(json.dumps(run_variant(*args._child)))
        return 0
    if args.make_real94:
        print(f"{len(list(make_real94(args.make_real94).rglob('*.wav')))} songs in {args.make_real94}")
        return 0
    if args.audio:
        audio = args.audio
    else:
        from genmusic.data.synthetic import GENRES, make_synthetic

        per_genre = -(-(args.synthetic or 100) // len(GENRES))
        audio = make_synthetic(args.cache / f"audio_{per_genre}x30", n_per_genre=per_genre, duration=30.0)
    chosen = set(args.only or [*TASKS, *VARIANTS])
    tasks = [t for t in TASKS if t in chosen or not chosen & set(TASKS)]
    runs = [(t, v) for t in tasks for v in TASKS[t] if v in chosen or not chosen & set(VARIANTS)]
    model = str(make_model(args.cache / "model")) if any(t == "encode" for t, _ in runs) else ""
    clusters, results, same = Clusters(), {}, {}
    try:
        for _ in range(args.repeats):
            for task, variant in sorted(runs, key=lambda r: VARIANTS[r[1]][2]):  # one cluster size at a time
                nodes = VARIANTS[variant][2]
                address = clusters.address(nodes) if nodes else ""
                out = Path(tempfile.mkdtemp(prefix="gmbs-out-"))
                with TreeCPU(os.getpid()) as cluster_cpu:
                    proc = subprocess.Popen([sys.executable, __file__, "--_child", task, variant, str(audio),
                                             str(out), model, address], stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
                    cluster_cpu.exclude = proc.pid  # the command counts its own CPU and its children's
                    stdout, stderr = proc.communicate()
                if proc.returncode:
                    print(stderr[-3000:], file=sys.stderr)
                    return 1
                row = json.loads(stdout.strip().splitlines()[-1])
                if nodes:  # the cluster's processes (workers, actors) are not the command's children
                    row["cpu_s"] += cluster_cpu.seconds
                results.setdefault((task, variant), []).append(row)
                if variant != "naive":
                    same.setdefault((task, variant), set()).add(digest(out))
                shutil.rmtree(out, ignore_errors=True)
    finally:
        clusters.close()
    from genmusic.data.pipeline import find_audio_files

    songs = len(find_audio_files(audio)[1])
    print(f"{audio}: {songs} files; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; "
          f"medians of {args.repeats}; Ray cluster start (not in the rows): "
          + ", ".join(f"{n} node(s) {s:.1f} s" for n, s in sorted(clusters.started_s.items())))
    for task in tasks:
        rows = [(v, results[(task, v)]) for v in TASKS[task] if (task, v) in results]
        if not rows:
            continue
        median = {v: sorted(r, key=lambda x: x["wall_s"])[len(r) // 2] for v, r in rows}
        base = median.get("local1")
        naive = median.get("naive")
        reference = same.get((task, "local1"))
        print(f"\n{task}\n{'variant':<11} {'files':>5} {'wall s':>7} {'first s':>8} {'files/s*':>9} {'x base':>7} "
              f"{'x base*':>8} {'x naive':>8} {'cpu s':>7} {'cpu s/h':>8} {'same':>5} {'load':>5}")
        for v, r in median.items():
            x_base = f"{base['wall_s'] / r['wall_s']:.2f}" if base else "-"
            x_rate = f"{r['rate'] / base['rate']:.2f}" if base else "-"
            x_naive = f"{naive['wall_s'] / r['wall_s']:.2f}" if naive and task == "preprocess" else "-"
            ok = "-" if v == "naive" or not reference else ("yes" if same[(task, v)] == reference and
                                                            len(reference) == 1 else "NO")
            print(f"{v:<11} {r['files']:>5} {r['wall_s']:>7.2f} {r['first_s']:>8.2f} {r['rate']:>9.2f} {x_base:>7} "
                  f"{x_rate:>8} {x_naive:>8} {r['cpu_s']:>7.2f} {r['cpu_s'] / r['audio_h']:>8.1f} {ok:>5} "
                  f"{r['load']:>5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
