#!/usr/bin/env python
"""Preprocess a folder of audio into spectrograms; see ``--help``. Same as ``genmusic preprocess``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genmusic.commands.preprocess import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
