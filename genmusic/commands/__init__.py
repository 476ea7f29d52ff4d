"""Command-line front ends. Each module has ``get_parser()`` and ``main(argv=None) -> int``; the
``genmusic`` console command and ``scripts/*.py`` both call them, and tests call ``main([...])``.

A command parses its options, calls the library and prints. Library errors name API parameters
(``overwrite=True``, ``files=[...]``); :func:`run_main` prints them in command-line words
(:func:`cli_words`: ``--overwrite``, ``--input``), so only the commands know about flags.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from typing import Callable, Mapping, Optional

from ..errors import GenmusicError

__all__ = ["run_main", "setup_logging", "cli_words", "add_engine_arguments"]

# The commands print their own progress; TensorFlow's C++ start-up chatter only hides it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class _StderrHandler(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stderr`` is when a record is emitted.

    A plain ``StreamHandler(sys.stderr)`` keeps the stream it was given; when a caller swaps
    ``sys.stderr`` (pytest's capture, a notebook) and closes the old one, later records would go to a
    closed file.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler sets it; the property always answers sys.stderr
        pass


def setup_logging(verbose: bool = False) -> None:
    """``levelname: message`` lines on stderr: genmusic's INFO and up, other libraries' WARNING and up
    (INFO and up with ``verbose``)."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s",
                        handlers=[_StderrHandler()], force=True)
    logging.getLogger("genmusic").setLevel(logging.INFO)


def cli_words(message: str, parser: Optional[argparse.ArgumentParser] = None,
              phrases: Optional[Mapping[str, str]] = None) -> str:
    """A library message in command-line words.

    ``phrases`` are replaced first (e.g. ``"files=[A, B]"`` -> ``"--input A B"``); then, for every long
    option of ``parser``, ``dest=True`` becomes ``--option``, ``dest=value`` becomes ``--option value`` and
    ``dest must be`` becomes ``--option must be``.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); _ = p.add_argument("--model-dir"); _ = p.add_argument("--n-iter")
    >>> _ = p.add_argument("--overwrite")
    >>> cli_words("pass overwrite=True, or model_dir=other; n_iter must be >= 0", p)
    'pass --overwrite, or --model-dir other; --n-iter must be >= 0'
    """
    for phrase, words in (phrases or {}).items():
        message = message.replace(phrase, words)
    for action in (parser._actions if parser is not None else ()):
        flags = [o for o in action.option_strings if o.startswith("--")]
        if flags:
            message = re.sub(rf"(?<![\w.]){action.dest}=True\b", flags[0], message)
            message = re.sub(rf"(?<![\w.]){action.dest}=(?=\S)", flags[0] + " ", message)
            # not a key of a config file, which its message introduces as "FILE [section]: key must be"
            message = re.sub(rf"(?<![\w.-])(?<!\]: ){action.dest}(?= must be\b)", flags[0], message)
    return message


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine {local,ray}`` and ``--address`` (see :mod:`genmusic.engines`)."""
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local: a process pool here (default); ray: Ray tasks on --address, RAY_ADDRESS, or a "
                             "Ray instance started here (pip install \"genmusic[ray]\")")
    parser.add_argument("--address", help="Ray cluster address for --engine ray (default: RAY_ADDRESS, else a Ray "
                                          "instance on this machine); input and output must be on a shared folder")


def run_main(body: Callable[[], int], parser: Optional[argparse.ArgumentParser] = None,
             phrases: Optional[Mapping[str, str]] = None) -> int:
    """Run a command body; a user error prints ``error: ...`` (in command-line words, see :func:`cli_words`)
    and returns 1 instead of a traceback."""
    try:
        return body()
    except GenmusicError as exc:
        print(f"error: {cli_words(str(exc), parser, phrases)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: finished files are kept; run the same command again to resume", file=sys.stderr)
        return 130
