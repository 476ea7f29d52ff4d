"""Command-line front ends. Each module has ``get_parser()`` and ``main(argv=None) -> int``; the
``genmusic`` console command and ``scripts/*.py`` both call them, and tests call ``main([...])``.

A command parses its options, calls the library and prints. Library errors name API parameters
(``overwrite=True``, ``files=[...]``); :func:`run_main` prints them in command-line words
(:func:`cli_words`: ``--overwrite``, ``--input``), so only the commands know about flags.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import re
import sys
import threading
from typing import Callable, Mapping, Optional

from .._io import set_real_stderr, shown
from ..errors import GenmusicError, ParameterError

__all__ = ["run_main", "setup_logging", "cli_words", "add_engine_arguments", "hide_native_logs", "option_names"]

# The commands print their own progress; TensorFlow's C++ start-up chatter only hides it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: A line of C++ logging (absl / glog: ``I0000 00:00:1795.2 1234 port.cc:153] ...``) and the banners around
#: it, which TensorFlow writes straight to file descriptor 2 whatever TF_CPP_MIN_LOG_LEVEL says.
NATIVE_LOG_LINE = re.compile(rb"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./+-]+:\d+\] |"
                             rb"WARNING: All log messages before absl::InitializeLog\(\) is called|"
                             rb"To enable the following instructions: .* rebuild TensorFlow)")
_MAYBE_NATIVE = re.compile(rb"^(?:[IWEF]\d|WARNING: All log|To enable the)")
_native_filter: Optional[threading.Thread] = None


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

    def format(self, record) -> str:
        return shown(super().format(record))  # a file name that is not UTF-8 shows as \xff escapes


def setup_logging(verbose: bool = False, *, program: bool = False) -> None:
    """``levelname: message`` lines on stderr: genmusic's INFO and up, other libraries' WARNING and up
    (INFO and up with ``verbose``).

    Parameters
    ----------
    verbose : bool
        Show other libraries' INFO lines and TensorFlow's own C++ log lines too.
    program : bool
        The command runs as a program (``main()`` with no argv): without ``verbose``, TensorFlow's C++ log
        lines are removed from stderr (:func:`hide_native_logs`).
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s",
                        handlers=[_StderrHandler()], force=True)
    logging.getLogger("genmusic").setLevel(logging.INFO)
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"  # before TensorFlow is imported (the commands import it late)
    else:
        for name in ("tensorflow", "absl", "jax", "h5py"):
            logging.getLogger(name).setLevel(logging.ERROR)
        if program:
            hide_native_logs()


def hide_native_logs() -> None:
    """Remove TensorFlow's C++ log lines (INFO, WARNING and ERROR lines such as the oneDNN banner or
    ``meta_optimizer.cc ... remapper failed``) from this process's stderr; pass every other line on.

    TensorFlow (2.16 and later) writes them to file descriptor 2 before ``TF_CPP_MIN_LOG_LEVEL`` is read,
    so file descriptor 2 becomes a pipe that a thread reads line by line (:data:`NATIVE_LOG_LINE` lines are
    dropped). At exit the real stderr is put back and the thread drains the pipe. Called once per process,
    by the commands run as programs (tests that call ``main([...])`` keep their stderr as it is).
    """
    global _native_filter
    if _native_filter is not None or os.name != "posix":
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
    except OSError:  # no usable file descriptor 2: nothing to filter
        return
    set_real_stderr(real)

    def pump() -> None:
        pending = b""
        while True:
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if not NATIVE_LOG_LINE.match(line + b"\n"):
                    os.write(real, line + b"\n")
            if pending and not _MAYBE_NATIVE.match(pending):  # a progress bar redrawn with \r: pass it on now
                os.write(real, pending)
                pending = b""
        if pending and not NATIVE_LOG_LINE.match(pending):
            os.write(real, pending)
        os.close(read)

    def restore() -> None:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(real, 2)  # closes the pipe's write end: the thread reads to its end and stops
        set_real_stderr(None)
        _native_filter.join(timeout=2.0)

    _native_filter = threading.Thread(target=pump, name="genmusic-stderr-filter", daemon=True)
    _native_filter.start()
    atexit.register(restore)


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


@contextlib.contextmanager
def option_names(names: Mapping[str, str]):
    """Errors of the library calls in the block name the options the user typed: ``names`` maps a library
    parameter to its option where the two differ (``{"n_per_genre": "--songs-per-genre"}``), using the
    parameter a :class:`~genmusic.errors.ParameterError` names (:attr:`ParameterError.parameter`), so that a
    parameter called like another option (``duration`` here, ``--duration`` there) is never misnamed."""
    try:
        yield
    except ParameterError as exc:
        flag = names.get(getattr(exc, "parameter", None) or "")
        message = str(exc)
        if flag is None or not message.startswith(exc.parameter):
            raise
        raise ParameterError(flag + message[len(exc.parameter):], parameter=flag) from None


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine {local,ray}`` and ``--address`` (see :mod:`genmusic.data.engines`)."""
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
        print(f"error: {shown(cli_words(str(exc), parser, phrases))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: finished files are kept; run the same command again to resume", file=sys.stderr)
        return 130
