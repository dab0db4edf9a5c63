"""The one thread that owns a QuickJS runtime (a context used from two threads crashes the process)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["JsThread", "release"]

_T = TypeVar("_T")
_THREAD_STACK = 4 * 1024 * 1024


class JsThread:
    """One daemon thread that performs every operation on one QuickJS runtime."""

    _stack_lock = threading.Lock()

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None
        with self._stack_lock:
            previous = threading.stack_size(_THREAD_STACK)
            try:
                self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
                self._thread.start()
            except RuntimeError:
                # A sealed sandbox worker may not start threads (seccomp): it is
                # single-threaded, so the runtime is used from the calling thread only.
                self._thread = None
            finally:
                threading.stack_size(previous)

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn = job
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                future.set_exception(exc)
            # keep no reference to the job (a bound method would keep its script alive)
            del job, future, fn

    def run(self, fn: Callable[[], _T], timeout: float | None = None) -> _T:
        """Run ``fn`` on the thread; ``TimeoutError`` if it takes longer than ``timeout`` s."""
        if self._thread is None or threading.current_thread() is self._thread:
            return fn()
        future: Future[_T] = Future()
        self._jobs.put((future, fn))
        return future.result(timeout)

    def stop(self, last: Callable[[], Any]) -> None:
        """Run ``last`` on the thread (it drops the runtime), then end the thread."""
        if self._thread is None:
            last()
            return
        self._jobs.put((Future(), last))
        self._jobs.put(None)


def release(thread: JsThread, box: dict[str, Any]) -> None:
    """Drop the QuickJS objects in ``box`` on their own thread, then end it (a ``weakref.finalize`` callback)."""
    thread.stop(box.clear)
