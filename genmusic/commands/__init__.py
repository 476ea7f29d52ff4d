"""Command-line front ends. Each module has ``get_parser()`` and ``main(argv=None) -> int``; the
``genmusic`` console command and ``scripts/*.py`` both call them, and tests call ``main([...])``."""

from __future__ import annotations

import logging
import os
import sys
from typing import Callable

from ..errors import GenmusicError

__all__ = ["run_main", "setup_logging"]

# The commands print their own progress; TensorFlow's C++ start-up chatter only hides it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s", stream=sys.stderr, force=True)
    logging.getLogger("genmusic").setLevel(logging.INFO)


def run_main(body: Callable[[], int]) -> int:
    """Run a command body; a user error prints ``error: ...`` and returns 1 instead of a traceback."""
    try:
        return body()
    except GenmusicError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: finished files are kept; run the same command again to resume", file=sys.stderr)
        return 130
