"""Run an iterator in a worker process and consume its items here, in order.

``idgraph load`` parses lines (JSON, email-validator, phonenumbers) and resolves and stores
them; the second part must run in one process, in order (one writer), but the first does
not depend on it. ``iterate_in_worker`` lets a forked worker produce the parsed lines
while this process ingests the batch before, so on two CPUs a load takes about as long as
its slower half instead of the sum of both.

The worker is forked: it inherits the producer (a closure over the parser and the file)
without pickling it, and only the produced items cross the process boundary (pickled, in
chunks). It touches nothing but what the producer reads; it never uses the store's
connections it inherits, and leaves through ``os._exit`` (multiprocessing's way out of a
forked child), so no inherited finalizer runs in it. The queue is bounded, so the worker
runs at most ``max_chunks`` chunks ahead. If this process dies, even by SIGKILL, the
kernel kills the worker too (Linux's parent-death signal: a worker blocked on a full
queue would otherwise wait for a reader forever); if the worker fails, its error is
raised here. Forking is used on Linux only; elsewhere ``can_fork`` says no and the
caller iterates in-process.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import traceback
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import Any, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.5


class WorkerFailed(RuntimeError):
    """The worker process raised an error or stopped without finishing."""


@dataclass(frozen=True, slots=True)
class _Finished:
    pass


@dataclass(frozen=True, slots=True)
class _Failed:
    error: str


def can_fork() -> bool:
    return sys.platform == "linux"


def iterate_in_worker(
    produce: Callable[[], Iterable[T]], chunk_size: int = 200, max_chunks: int = 16
) -> Generator[T, None, None]:
    """The items of ``produce()``, computed in a forked worker process, in order."""
    context = multiprocessing.get_context("fork")
    channel: Queue[Any] = context.Queue(maxsize=max_chunks)
    worker = context.Process(
        target=_produce_into,
        args=(produce, channel, chunk_size, os.getpid()),
        name="idgraph-parse",
        daemon=True,
    )
    worker.start()
    try:
        while True:
            try:
                message = channel.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if worker.is_alive():
                    continue
                try:  # what it sent just before it ended is in the pipe by now
                    message = channel.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    raise WorkerFailed(
                        f"the worker stopped without finishing (exit code {worker.exitcode})"
                    ) from None
            if isinstance(message, _Finished):
                return
            if isinstance(message, _Failed):
                raise WorkerFailed(f"the worker failed:\n{message.error}")
            yield from message
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        channel.close()
        channel.cancel_join_thread()


def _produce_into(
    produce: Callable[[], Iterable[T]], channel: Queue[Any], chunk_size: int, parent: int
) -> None:
    die_with(parent)
    chunk: list[T] = []
    try:
        for item in produce():
            chunk.append(item)
            if len(chunk) >= chunk_size:
                channel.put(chunk)
                chunk = []
        end: _Finished | _Failed = _Finished()
    except BaseException:
        end = _Failed(traceback.format_exc())
    # The items produced before an error arrive first, as they would in-process.
    if chunk:
        channel.put(chunk)
    channel.put(end)


_PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """Have the kernel kill this process when its parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(0)
