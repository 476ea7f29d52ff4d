#!/usr/bin/env python
"""Encode a folder of audio into latents with a trained model; see ``--help``. Same as ``genmusic encode``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genmusic.commands.encode import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
