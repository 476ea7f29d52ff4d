"""Helpers of the bad-input tests: small audio folders, another process holding a folder's lock."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import soundfile as sf

from tests.conftest import make_sine

ROOT = Path(__file__).resolve().parents[2]
#: preprocess options that make small spectrograms (64 x 16 at 8 kHz), as the tiny store has.
SMALL = ["--sample-rate", "8000", "--n-fft", "128", "--hop-length", "64", "--segment-frames", "16", "--no-progress"]


def audio_folder(root: Path, names=("a", "b", "c"), seconds: float = 0.5, sr: int = 8000) -> Path:
    """``root/<name>.wav``: one sine each, of different pitches."""
    root.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(names):
        sf.write(root / f"{name}.wav", make_sine(300.0 + 150 * k, seconds, sr), sr)
    return root


def snapshot(folder: Path) -> dict:
    """``{relative path: bytes}`` of every file under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_python(code: str, *args: str) -> subprocess.Popen:
    """Run ``code`` in another Python process (the repository on its path), stdout piped."""
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@contextlib.contextmanager
def lock_held_elsewhere(folder: Path, purpose: str = "preprocessing"):
    """Another process holds ``folder``'s lock for the duration of the block; yields its pid."""
    proc = run_python("import sys, time\nfrom genmusic._io import folder_lock\n"
                      "with folder_lock(sys.argv[1], purpose=sys.argv[2]):\n"
                      "    print('locked', flush=True)\n    time.sleep(300)\n", folder, purpose)
    try:
        assert proc.stdout.readline().strip() == "locked", proc.stderr.read()
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def dead_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def raw_wav(path: Path, *, sample_rate: int, n_frames: int, promised_frames: int | None = None) -> Path:
    """A 16-bit mono WAV written byte by byte, so that its header can say anything (a rate of 1 Hz, more
    frames than the file holds)."""
    import struct

    import numpy as np

    data = (np.sin(np.arange(n_frames) * 0.05) * 12000).astype("<i2").tobytes()
    promised = 2 * (n_frames if promised_frames is None else promised_frames)
    header = (b"RIFF" + struct.pack("<I", 36 + promised) + b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1,
              sample_rate, 2 * sample_rate, 2, 16) + b"data" + struct.pack("<I", promised))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + data)
    return path
