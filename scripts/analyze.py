#!/usr/bin/env python
"""Study the latent space of trained models and write a report; see ``--help``. Same as ``genmusic analyze``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genmusic.commands.analyze import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
