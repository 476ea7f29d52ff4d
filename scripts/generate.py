#!/usr/bin/env python
"""Make sound with a trained model (reconstruct, resynth, sample, interpolate, average, remix, noise, scale,
smooth); see ``--help``. Same as ``genmusic generate``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genmusic.commands.generate import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
