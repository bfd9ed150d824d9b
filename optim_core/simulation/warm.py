"""Compiling in the background, so that simulate()'s default engine becomes the compiled one unseen.

    warm_up()   # once per process (a server's start): a daemon thread compiles, nobody waits for it

simulate() with no backend argument runs the compiled backend (numba_backend.py) for a run whose machine
code is there already, and the NumPy backend otherwise; it looks, never waits (numba_backend.missing).
The thread warm_up() starts compiles the compiled backend's loop for every rule, with its defaults, on
every built-in surface (or those named), in the order given. When simulate() meets a run whose code is
missing (a rule with a term its defaults switch off, per-run hyperparameters), it runs it on NumPy and
`request`s that code, which the thread compiles before the rest of the warm-up: the next run is fast.

Why a thread and not a process: numba keeps the rules' and surfaces' machine code on disk, but not the
loop that joins them (its signature names the compiled functions, which differ per process), so a
process could not hand the loop over. The thread runs at a lower priority (nice 10) where the OS allows
it, and numba compiles under its own lock, which the fast path never takes: a page that finds its code
ready runs it while the thread compiles something else.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
from collections.abc import Callable, Sequence

from ..optimizers import RULES
from ..surfaces import Surface, get_surface, surface_names

_REQUESTED, _WARM_UP = 0, 1  # priorities: what a run asked for comes before the rest of the warm-up
_condition = threading.Condition()
_jobs: list[tuple[int, int, Callable[[], object]]] = []  # a heap of (priority, order, job)
_order = itertools.count()
_unfinished = 0
_requested: set = set()
_thread: threading.Thread | None = None


def warm_up(surfaces: Sequence[str] | None = None, rules: Sequence[str] | None = None) -> bool:
    """Start compiling every rule in `rules` (default: all; each with its defaults, 2 steps from the
    surface's start) on each built-in surface in `surfaces` (default: all, in surface_names() order) in
    a daemon thread. Once per process: later calls do nothing. Returns whether it started now (False
    also when numba is not installed)."""
    global _thread
    with _condition:
        if _thread is not None:
            return False
        try:
            from . import numba_backend  # noqa: F401 (imported here: the thread must not import)
        except ImportError:
            return False
        for name in surface_names() if surfaces is None else surfaces:
            surface = get_surface(name)
            for rule in RULES if rules is None else rules:
                _put(_WARM_UP, _job(surface, [(rule, {})]))
        _thread = threading.Thread(target=_work, name="optim_core warm-up", daemon=True)
        _thread.start()
    return True


def started() -> bool:
    """Whether warm_up() has started this process's compiling thread."""
    return _thread is not None


def request(surface: Surface, configs: list[tuple[str, dict]], key: object) -> bool:
    """Ask the thread to compile what simulate() ran on NumPy for want of it: `configs` (resolved) on
    `surface`, identified by `key` (the missing signatures). Only once warm_up() has started and once
    per key; returns whether it was queued. Never waits."""
    with _condition:
        if _thread is None or key in _requested:
            return False
        _requested.add(key)
        _put(_REQUESTED, _job(surface, configs))
    return True


def wait(timeout: float | None = None) -> bool:
    """Block until everything queued so far is compiled (for benchmarks and tests; pages never wait).
    Returns False if `timeout` seconds passed first."""
    with _condition:
        return _condition.wait_for(lambda: _unfinished == 0, timeout)


def pending() -> int:
    """How many compile jobs are queued or running."""
    return _unfinished


def compile_with(function: Callable[[Surface, list[tuple[str, dict]]], object]) -> None:
    """How a job compiles `configs` on a surface: simulate.py hands over a 2-step run on the compiled
    backend (it imports this module, so this module does not import it)."""
    global _compile
    _compile = function


_compile: Callable[[Surface, list[tuple[str, dict]]], object] | None = None


def _job(surface: Surface, configs: list[tuple[str, dict]]) -> Callable[[], object]:
    """Compile by running (compile_with). The number of starts and steps, the schedule, noise and
    clipping do not change the compiled signature; the rule, its switched-off terms and which
    hyperparameters differ between the runs of a group do."""
    return lambda: _compile(surface, configs) if _compile is not None else None


def _put(priority: int, job: Callable[[], object]) -> None:
    global _unfinished
    heapq.heappush(_jobs, (priority, next(_order), job))
    _unfinished += 1
    _condition.notify_all()


def _work() -> None:
    global _unfinished
    try:  # Linux: a thread id sets the niceness of that thread only
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass
    while True:
        with _condition:
            _condition.wait_for(lambda: bool(_jobs))
            _, _, job = heapq.heappop(_jobs)
        try:
            job()
        except Exception:  # a run numba cannot compile stays on the NumPy backend, as it was
            pass
        finally:
            with _condition:
                _unfinished -= 1
                _condition.notify_all()
