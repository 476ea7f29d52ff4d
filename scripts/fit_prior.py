#!/usr/bin/env python
"""Fit a trained model's latent prior and sequence model; see ``--help``. Same as ``genmusic fit-prior``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genmusic.commands.fit_prior import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
