#!/usr/bin/env python
"""Train the plain autoencoder on a spectrogram store; see ``--help``. Same as ``genmusic train-autoencoder``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genmusic.commands.train import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(kind="autoencoder"))
