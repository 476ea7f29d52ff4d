"""Engines: one per-file function mapped over a file list, on this machine or on a Ray cluster.

Preprocessing (:class:`~genmusic.data.pipeline.PreprocessingPipeline`) and batch encoding
(:func:`~genmusic.encoding.folder.encode_folder`) are the same shape of work: a list of jobs
``(path, song_id, genre)``, a picklable *task* called as ``task(path, song_id, genre)`` that writes one
song and returns its record, and a summary (manifest, index) written at the end by the caller. An engine
only decides where the task runs:

* ``"local"`` (the default) -- a process pool on this machine (:func:`_local_map`): workers die
  with the run, a worker that dies is reported and its files are tried again one at a time.
* ``"ray"`` -- one Ray task per file on a Ray cluster (``address=`` or ``RAY_ADDRESS``), or on a Ray
  instance started on this machine for the run. A task whose worker dies is retried by Ray
  (:data:`RAY_MAX_RETRIES` times), then named and skipped. Every node must see the input and output
  folders at the same path (a shared folder); relative paths are taken from the caller's folder.

Both engines run the same :func:`run_job` around the task, so a bad file is skipped with the same named
reason, and the files written are byte for byte the same.

A task that holds state worth keeping between files (a model) says so with a ``setup(cpus)`` method: each
worker then calls it once, before its first file, with the CPUs it may use (None: all of this machine's), and
keeps the set-up task for all its files. On Ray such a task runs in a pool of actors that start once, one per
``task.cpus_per_worker`` CPUs of the cluster, each given several files per call; the files of an actor that
dies (its node lost) are given to the others.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
from pathlib import Path
import signal
import socket
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from .._checks import env_seconds
from ..errors import GenmusicError, OutputError, ParameterError

__all__ = ["ENGINES", "RAY_INSTALL", "RAY_MAX_RETRIES", "RAY_CONNECT_TIMEOUT", "WORKER_DIED", "Done", "check_engine",
           "ray_timeout", "run_job", "map_jobs", "plan_jobs", "collect", "reuse_freed_memory"]

logger = logging.getLogger("genmusic")

#: The engines :func:`map_jobs` knows.
ENGINES = ("local", "ray")

#: How to install the optional Ray dependency.
RAY_INSTALL = 'pip install "genmusic[ray]"'

#: Times Ray runs a file's task again after its worker died (killed, out of memory, node lost).
RAY_MAX_RETRIES = 3

#: What a file whose worker died (twice with the local engine; after every retry with Ray) is skipped with.
WORKER_DIED = ("the worker process died while processing this file, twice (killed, or out of memory); "
               "skipped")

Job = Tuple[str, str, str]
Skipped = Tuple[str, str]


def check_engine(engine: str, address: Optional[str] = None) -> None:
    """Check ``engine`` (and that Ray can be imported when it is ``"ray"``) before any work starts.

    Raises
    ------
    ParameterError
        ``engine`` is not one of :data:`ENGINES`, ``address`` is given for the local engine, or Ray is
        not installed (the message says how to install it).
    """
    if engine not in ENGINES:
        raise ParameterError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "local" and address:
        raise ParameterError(f"address={address} is for engine='ray' (a Ray cluster); the local engine runs on "
                             f"this machine")
    if engine == "ray":
        _import_ray()
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address and address != "auto":
            _ray_host_port(address)  # a malformed address is refused before any work


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ParameterError(f"engine='ray' needs Ray, which is not installed: {RAY_INSTALL}") from None
    return ray


def run_job(task: Callable, job: Job):
    """``task(*job)``, or ``(path, reason)`` when the file cannot be used.

    A :class:`~genmusic.errors.OutputError` (disk full, read-only folder) is raised: the output side
    failed, the input is not to blame, and the run stops.

    Returns
    -------
    The task's record, or ``(path, reason)``: the reason without the path it would start with.
    """
    path = job[0]
    try:
        return task(*job)
    except OutputError:
        raise
    except GenmusicError as exc:
        return (path, str(exc).replace(f"{path}: ", "", 1))
    except MemoryError:
        return (path, "out of memory while processing this file")
    except Exception as exc:  # noqa: BLE001 - one bad file never kills the run
        return (path, f"unexpected {type(exc).__name__}: {exc}")


def plan_jobs(files: Sequence[Tuple[os.PathLike, str]], song_ids: Sequence[str],
              existing: Callable[[str], Optional[object]]) -> Tuple[List[object], List[Job]]:
    """Split files into songs an earlier run finished and jobs still to do.

    Parameters
    ----------
    files : sequence of (path, genre)
    song_ids : sequence of str, one per file
    existing : callable
        ``existing(song_id)`` -> the record an earlier run wrote (with ``source`` and ``genre``), or None.

    Returns
    -------
    reused : list of records whose source and genre match the file
    todo : list of (path, song_id, genre)
    """
    reused, todo = [], []
    for (path, genre), song_id in zip(files, song_ids):
        record = existing(song_id)
        # an earlier genmusic stored sources relative to the folder it ran in: the same file all the same
        if record is not None and os.path.abspath(record.source) == os.path.abspath(path) and record.genre == genre:
            reused.append(record)
        else:
            todo.append((str(path), song_id, genre))
    return reused, todo


class Done:
    """What a task returns for a file it processed that was worth a warning: its record and the warnings.

    A task may return its record alone; a tuple result always means a skipped file, so this is no tuple.
    """

    def __init__(self, record, notes: Sequence[str] = ()) -> None:
        self.record, self.notes = record, list(notes)


def collect(task: Callable, jobs: Sequence[Job], report, **engine_options) -> None:
    """Run ``task`` over ``jobs`` (:func:`map_jobs`) into ``report.processed`` and ``report.skipped``.

    Each skipped file is logged once as a warning; ``report.skipped`` ends sorted by path, so what is
    written from it does not depend on the order in which workers finished.
    """
    for result in map_jobs(task, jobs, **engine_options):
        if isinstance(result, tuple):
            report.skipped.append(result)
            logger.warning("skipped %s: %s", *result)
        else:
            done = result if isinstance(result, Done) else Done(result)
            report.processed.append(done.record)
            for note in done.notes:
                report.warnings.append((done.record.source, note))
                logger.warning("%s: %s", done.record.source, note)
    report.skipped.sort()


def map_jobs(task: Callable, jobs: Sequence[Job], *, engine: str = "local", workers: int = 1,
             address: Optional[str] = None, progress: bool = False,
             desc: str = "files") -> Iterator[Union[object, Skipped]]:
    """:func:`run_job` of ``task`` over ``jobs`` on ``engine``; results as they come.

    Parameters
    ----------
    task : picklable callable ``task(path, song_id, genre) -> record``
    jobs : sequence of (path, song_id, genre)
    engine : {"local", "ray"}
    workers : int >= 1
        Local engine: processes. Ray without ``address``: CPUs of the Ray instance started for the run.
    address : str, optional
        A Ray cluster (``"auto"``, ``"ray://head:10001"``, ``"head:6379"``); default ``RAY_ADDRESS``, else a
        Ray instance on this machine. A Ray instance this process already started is used as it is.
    progress : bool
        A progress bar (tqdm) on stderr, labelled ``desc``.

    Yields
    ------
    The task's record for each file done, or ``(path, reason)`` for each file skipped.
    """
    check_engine(engine, address)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), unit="file", desc=desc, dynamic_ncols=True)
    try:
        if engine == "ray":
            results = _ray_map(task, jobs, workers=workers, address=address)
        else:
            results = _local_map(task, jobs, workers)
        for result in results:
            yield result
            if bar:
                bar.update()
    finally:
        if bar:
            bar.close()


# --------------------------------------------------------------------------------------------------
# the local engine: a process pool; worker state lives in module globals set by the pool initializer

_WORKER: dict = {}

#: Below this many files per process, extra processes cost more to start than they save.
MIN_FILES_PER_WORKER = 2


#: glibc's ``mallopt`` settings of a process that runs file tasks (:func:`reuse_freed_memory`).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_BYTES = 256 << 20
_TRIM_THRESHOLD_BYTES = 1 << 30


def reuse_freed_memory() -> None:
    """Keep the memory this process frees for its next file instead of handing it back to the system (glibc).

    A song's analysis allocates tens of MiB of arrays and frees them; by default glibc returns such blocks to
    the kernel (``mmap`` above 128 KiB-32 MiB, heap trimming), and the next song faults every page in again:
    on 94 real 30 s songs that was 500,000+ minor page faults and 1.5 s of system time, a third of the run.
    With allocations up to 256 MiB served from the heap and up to 1 GiB of freed heap kept, the same run
    takes 14,000 faults and 0.2 s. The process's peak memory is unchanged; its resident size stays near that
    peak until it ends. Called once in every process that runs file tasks (workers die with the run; in the
    caller's process for a one-worker run). Does nothing where the C library has no ``mallopt``.
    """
    if _WORKER.get("malloc_tuned") or not sys.platform.startswith("linux"):
        return
    _WORKER["malloc_tuned"] = True
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        pass


def worker_cpus(workers: int) -> int:
    """The CPUs each of ``workers`` local worker processes may use: this process's CPUs shared evenly (>= 1)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 1
    return max(1, usable // max(1, workers))


def _set_up(task, cpus: Optional[int]) -> None:
    """``task.setup(cpus)`` when the task has one (once per worker, before its first file)."""
    setup = getattr(task, "setup", None)
    if setup is not None:
        setup(cpus)


def _init_worker(task, parent: Optional[int] = None, cpus: Optional[int] = None) -> None:
    if parent is not None:
        _die_with_parent(parent)
    reuse_freed_memory()
    _WORKER["task"] = task
    try:
        _set_up(task, cpus)
    except Exception as exc:  # noqa: BLE001 - named for every file this worker is given, not a dead pool
        _WORKER["setup_error"] = f"the worker could not start ({type(exc).__name__}: {exc})"


def _die_with_parent(parent: int) -> None:
    """Make this worker process end when ``parent`` does, however it ends (``kill -9`` included).

    Linux: the kernel sends SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``). Elsewhere a daemon
    thread checks every second whether the parent is still there.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        else:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="genmusic-parent-watch", daemon=True).start()


def _work(job: Tuple[str, str, str]):
    if "setup_error" in _WORKER:
        return (job[0], _WORKER["setup_error"])
    return run_job(_WORKER["task"], job)


def _local_map(task, jobs: Sequence[tuple], workers: int):
    """Results of ``task`` (:func:`run_job`) for every job, as they come: a record or ``(path, reason)``.
    One process (this one) for fewer than ``2 * MIN_FILES_PER_WORKER`` files."""
    workers = max(1, min(workers, len(jobs) // MIN_FILES_PER_WORKER))
    if workers == 1:
        reuse_freed_memory()
        _set_up(task, None)
        return map(functools.partial(run_job, task), jobs)
    _preload(task)
    _warm_librosa_cache()
    return _parallel(jobs, workers, (task, os.getpid(), worker_cpus(workers)))


def _warm_librosa_cache() -> None:
    """librosa compiles its numba functions when it is first imported and caches them beside its code. Worker
    processes of a fresh install that import it at once write that cache together and can corrupt it: a
    later process then dies of a segmentation fault in a numba gufunc (seen: ``make demo`` on a fresh clone,
    in ``analyze``). So while the cache is cold, this process imports librosa first, once."""
    import importlib.util

    spec = importlib.util.find_spec("librosa")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if locations and not any(Path(locations[0]).glob("util/__pycache__/*.nbi")):
        import librosa  # noqa: F401


def _preload(task) -> None:
    """Import in this process what every worker would otherwise import again (forked workers inherit it):
    soundfile's decoder and scipy's FFT (see ``benchmarks/bench_scale.py`` for what start-up costs)."""
    if _start_method(task) == "fork":
        import scipy.fft  # noqa: F401
        import soundfile  # noqa: F401


def _start_method(task) -> Optional[str]:
    """``fork`` where the system has it (workers start at once with what this process imported), unless the
    task asks for another (``task.start_method``: a process that has loaded TensorFlow must not be forked)."""
    import multiprocessing

    wanted = getattr(task, "start_method", None) or "fork"
    return wanted if wanted in multiprocessing.get_all_start_methods() else None


def _parallel(jobs: Sequence[tuple], workers: int, initargs: tuple):
    """:func:`_work` over ``jobs`` in worker processes. When a worker dies, the files in flight are tried
    again one at a time in a fresh process; a file whose worker dies again is named and skipped."""
    queue = list(jobs)
    while queue:
        lost = yield from _pool_pass(queue, workers, initargs)
        if lost is None:
            return
        in_flight, queue = lost
        logger.warning("a worker process died (killed, or out of memory) with %d file(s) in flight; trying "
                       "them again one at a time: %s", len(in_flight), ", ".join(job[0] for job in in_flight))
        for job in in_flight:
            if (yield from _pool_pass([job], 1, initargs)) is not None:
                yield (job[0], WORKER_DIED)


def _pool_pass(jobs: Sequence[tuple], workers: int, initargs: tuple):
    """Run ``jobs`` in one pool, yielding results; at most two jobs per worker are submitted at a time.

    Returns
    -------
    None when every job finished, else ``(in_flight, not_started)`` after a worker died.
    """
    pending = iter(jobs)
    running: dict = {}
    import multiprocessing

    method = _start_method(initargs[0])
    context = multiprocessing.get_context(method) if method else None
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=initargs,
                             mp_context=context) as pool:
        def submit_next() -> None:
            job = next(pending, None)
            if job is not None:
                running[pool.submit(_work, job)] = job

        for _ in range(2 * workers):
            submit_next()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    return [job, *running.values()], list(pending)
                yield result
                submit_next()
    return None


# --------------------------------------------------------------------------------------------------
# Ray


def _ray_job(task: Callable, job: Job, cwd: str):
    """One file in a Ray worker, in the caller's folder when this node has it (relative paths then agree)."""
    if os.path.isdir(cwd) and os.getcwd() != cwd:
        os.chdir(cwd)
    reuse_freed_memory()
    return run_job(task, job)


def _ray_connect(ray, address: Optional[str], workers: int) -> bool:
    """Connect to ``address`` / ``RAY_ADDRESS`` (within :func:`ray_timeout` seconds), or start a Ray instance
    of ``workers`` CPUs here.

    Returns
    -------
    bool : whether this call started the connection (and should end it).

    Raises
    ------
    ParameterError
        The address is malformed, nothing listens there, or it does not answer in time: the message names
        the address and what to check.
    """
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    options = {"include_dashboard": False, "configure_logging": False, "log_to_driver": False}
    if address:
        _connect(ray, address, options, ray_timeout())
    else:
        ray.init(num_cpus=workers, **options)
    return True


#: Seconds a Ray address may take to answer before the run stops (the environment variable
#: ``GENMUSIC_RAY_TIMEOUT`` sets another).
RAY_CONNECT_TIMEOUT = 20.0


def ray_timeout() -> float:
    """:data:`RAY_CONNECT_TIMEOUT`, or ``GENMUSIC_RAY_TIMEOUT`` (seconds) when it is set."""
    return env_seconds("GENMUSIC_RAY_TIMEOUT", RAY_CONNECT_TIMEOUT)


def _ray_host_port(address: str) -> Tuple[str, int]:
    """``(host, port)`` of ``HOST:PORT`` or ``ray://HOST:PORT``; a ParameterError for anything else."""
    rest = address[len("ray://"):] if address.startswith("ray://") else address
    if rest.startswith("["):  # [IPv6]:PORT
        host, sep, port = rest[1:].partition("]:")
    else:
        host, sep, port = rest.rpartition(":")
        sep = "" if ":" in host else sep
    if not (host and sep and port.isdigit() and 0 < int(port) < 65536):
        raise ParameterError(f"address={address} is not a Ray address: give HOST:PORT (the head node's port, 6379 by "
                             f"default), ray://HOST:PORT (Ray Client, port 10001 by default) or auto (the cluster "
                             f"started on this machine with `ray start --head`)")
    return host, int(port)


def _connect(ray, address: str, options: dict, timeout: float) -> None:
    """``ray.init(address=address)`` within ``timeout`` seconds, or one ParameterError saying what to check.

    A TCP connection is tried first (nothing listening is told at once); ``ray.init`` then runs in a
    daemon thread, since Ray retries an address that does not answer for minutes.
    """
    check = (f"check that `ray start --head` runs there and that the port is the head node's (6379 by default; "
             f"Ray Client: ray://HOST:10001), or leave address out to start Ray on this machine")
    if address != "auto":
        host, port = _ray_host_port(address)
        try:
            socket.create_connection((host, port), timeout=min(timeout, 10.0)).close()
        except ConnectionRefusedError:
            raise ParameterError(f"cannot reach the Ray cluster at address={address}: nothing listens there "
                                 f"(connection refused); {check}") from None
        except socket.gaierror:
            raise ParameterError(f"cannot reach the Ray cluster at address={address}: the host {host} is unknown; "
                                 f"{check}") from None
        except OSError as exc:
            raise ParameterError(f"cannot reach the Ray cluster at address={address}: "
                                 f"{exc.strerror or type(exc).__name__}; {check}") from None
    done, outcome = threading.Event(), {}

    def connect() -> None:
        try:
            ray.init(address=address, **options)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=connect, name="genmusic-ray-connect", daemon=True).start()
    if not done.wait(timeout):
        raise ParameterError(f"the Ray cluster at address={address} did not answer within {timeout:g} s: something "
                             f"listens there, but not a Ray head node of this Ray version ({ray.__version__}); {check}. "
                             f"A slow cluster: set GENMUSIC_RAY_TIMEOUT=SECONDS to wait longer")
    error = outcome.get("error")
    if error is None:
        return
    if address == "auto":
        raise ParameterError("address=auto: no Ray cluster runs on this machine (`ray start --head` starts one), or "
                             "leave address out to start Ray for this run") from None
    raise ParameterError(f"cannot connect to the Ray cluster at address={address} ({type(error).__name__}: "
                         f"{str(error).splitlines()[0] if str(error) else ''}); {check}") from None


def _raise_cause(exc) -> None:
    """A task's own GenmusicError (only OutputError gets out of :func:`run_job`) is raised as itself."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, GenmusicError):
        raise cause from None
    raise exc


def _ray_map(task: Callable, jobs: Sequence[Job], *, workers: int, address: Optional[str]) -> Iterable:
    ray = _import_ray()
    started = _ray_connect(ray, address, workers)
    try:
        if hasattr(task, "setup"):
            yield from _ray_actor_map(ray, task, jobs)
        else:
            yield from _ray_task_map(ray, task, jobs)
    finally:
        if started:
            ray.shutdown()


def _ray_task_map(ray, task: Callable, jobs: Sequence[Job]) -> Iterable:
    """One Ray task per file (a task without state): Ray retries a file whose worker died."""
    from ray.exceptions import RayTaskError

    running: dict = {}
    try:
        remote = ray.remote(num_cpus=1, max_retries=RAY_MAX_RETRIES, retry_exceptions=False)(_ray_job)
        task_ref, cwd = ray.put(task), os.getcwd()
        in_flight = max(4, 2 * int(ray.cluster_resources().get("CPU", 1)))  # bounded: a huge folder is fine
        pending = iter(jobs)

        def submit_next() -> None:
            job = next(pending, None)
            if job is not None:
                running[remote.remote(task_ref, job, cwd)] = job

        for _ in range(in_flight):
            submit_next()
        while running:
            (ref,), _ = ray.wait(list(running), num_returns=1)
            job = running.pop(ref)
            try:
                result = ray.get(ref)
            except RayTaskError as exc:  # raised by run_job itself: only OutputError gets there
                _raise_cause(exc)
            except ray.exceptions.RayError as exc:  # the worker (or node) died every time it was tried
                logger.warning("%s: Ray could not finish this file after %d retries (%s)", job[0],
                               RAY_MAX_RETRIES, type(exc).__name__)
                result = (job[0], WORKER_DIED.replace("twice", f"{RAY_MAX_RETRIES + 1} times"))
            yield result
            submit_next()
    finally:
        for ref in running:
            ray.cancel(ref, force=True)


class _RayWorker:
    """A Ray actor that sets a task up once (``task.setup(cpus)``) and runs it on chunks of files."""

    def __init__(self, task, cwd: str, cpus: int) -> None:
        if os.path.isdir(cwd) and os.getcwd() != cwd:  # relative paths agree with the caller's
            os.chdir(cwd)
        reuse_freed_memory()
        self.task = task
        _set_up(task, cpus)

    def run(self, jobs: Sequence[Job]) -> list:
        return [run_job(self.task, job) for job in jobs]


#: Files an actor is given per call at most (fewer when there are few files per actor, so that the actors
#: end together).
RAY_FILES_PER_CALL = 8


def _ray_actor_map(ray, task: Callable, jobs: Sequence[Job]) -> Iterable:
    """The files on a pool of :class:`_RayWorker` actors, one per ``task.cpus_per_worker`` CPUs of the cluster.

    Each actor is given a chunk of files at a time. When an actor dies (killed, out of memory, its node lost),
    the files of its chunk go back to the queue one by one, for the actors left (a new pool is started when
    none is left and the cluster still has CPUs); a file whose actor died :data:`RAY_MAX_RETRIES` + 1 times is
    named and skipped. An actor whose setup fails stops the run with its error.
    """
    from collections import deque

    from ray.exceptions import RayActorError, RayTaskError

    cpus = max(1, int(getattr(task, "cpus_per_worker", 1)))
    actor_class = ray.remote(num_cpus=cpus, max_restarts=0, max_task_retries=0)(_RayWorker)
    task_ref, cwd = ray.put(task), os.getcwd()

    def pool() -> list:
        n = min(len(jobs), int(ray.cluster_resources().get("CPU", 0)) // cpus)
        return [actor_class.remote(task_ref, cwd, cpus) for _ in range(n)]

    actors = pool()
    if not actors:
        raise ParameterError(f"the Ray cluster has no node with {cpus} free CPU(s) for a worker")
    per_call = max(1, min(RAY_FILES_PER_CALL, len(jobs) // (4 * len(actors))))
    queue = deque(list(jobs[i:i + per_call]) for i in range(0, len(jobs), per_call))
    deaths: dict = {}
    idle, running = list(actors), {}
    try:
        while queue or running:
            while idle and queue:
                actor, chunk = idle.pop(), queue.popleft()
                running[actor.run.remote(chunk)] = (actor, chunk)
            if not running:  # every actor died: start a new pool on what the cluster has left
                idle = actors = pool()
                if not actors:
                    raise ParameterError("every Ray worker died and the cluster has no CPU left for another; "
                                         "the files done so far are kept: run the command again to finish")
                continue
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor, chunk = running.pop(ref)
            try:
                results = ray.get(ref)
            except RayTaskError as exc:  # raised by run_job itself: only OutputError gets there
                _raise_cause(exc)
            except RayActorError as exc:
                if exc.actor_init_failed:
                    message = [line for line in str(exc).splitlines() if line.strip()]
                    raise ParameterError(f"a Ray worker could not start: {message[-1] if message else exc}") from None
                logger.warning("a Ray worker died (%s) with %d file(s); giving them to the others: %s",
                               type(exc).__name__, len(chunk), ", ".join(job[0] for job in chunk))
                actors.remove(actor)
                ray.kill(actor)
                for job in reversed(chunk):
                    deaths[job[0]] = deaths.get(job[0], 0) + 1
                    if deaths[job[0]] > RAY_MAX_RETRIES:
                        yield (job[0], WORKER_DIED.replace("twice", f"{RAY_MAX_RETRIES + 1} times"))
                    else:  # alone: a file that kills its worker takes no other file with it
                        queue.appendleft([job])
                continue
            idle.append(actor)
            yield from results
    finally:
        for actor in actors:
            ray.kill(actor)
