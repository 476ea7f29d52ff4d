#!/usr/bin/env python
"""Latent-size study: train one model per latent size and tabulate loss and sound; see ``--help``.
Same as ``genmusic sweep-latent``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genmusic.commands.sweep import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
