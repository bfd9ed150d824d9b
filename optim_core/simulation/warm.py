"""Compiling in the background, so that simulate()'s default engine becomes the compiled one unseen.

    warm_up()   # once per process (a server's start): a daemon thread compiles, nobody waits for it

simulate() with no backend argument runs the compiled backend (numba_backend.py) for a run whose machine
code is there already, and the NumPy backend otherwise; it looks, never waits (numba_backend.missing).
The thread warm_up() starts compiles the compiled backend's loop for every rule, with its defaults, on
every built-in surface (or those named), in the order given. When simulate() meets a run whose code is
missing (a rule with a term its defaults switch off, per-run hyperparameters), it runs it on NumPy and
`request`s that code, which the thread compiles before the rest of the warm-up: the next run is fast.

Where the compiling happens: in a child process (compile_child.py), one job at a time, at a lower
priority (nice 10). numba compiles in Python, holding the GIL: in the server's own process some 150
compiles of ~4 s each (the first start) would take turns with every page of every session. The child
writes the machine code to numba's disk cache (drivers.py makes every loop cacheable); the thread then
loads it in this process (~0.1 s) while it waits for the child's next job (reading a pipe releases the
GIL). Later server starts find everything on disk: the warm-up only loads. Where the child cannot start,
the thread compiles in this process, as before. numba loads and compiles under its own lock, which the
fast path never takes.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

from ..optimizers import RULES
from ..surfaces import Surface, get_surface, surface_names

_REQUESTED, _WARM_UP = 0, 1  # priorities: what a run asked for comes before the rest of the warm-up
_condition = threading.Condition()
_jobs: list[tuple[int, int, Surface, list]] = []  # a heap of (priority, order, surface, configs)
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
                _put(_WARM_UP, surface, [(rule, {})])
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
        _put(_REQUESTED, surface, configs)
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


def _put(priority: int, surface: Surface, configs: list[tuple[str, dict]]) -> None:
    global _unfinished
    heapq.heappush(_jobs, (priority, next(_order), surface, configs))
    _unfinished += 1
    _condition.notify_all()


def _work() -> None:
    """The thread: each job compiled by the child (if it runs), then loaded (or compiled) here. The number
    of starts and steps, the schedule, noise and clipping do not change the compiled signature; the rule,
    its switched-off terms and which hyperparameters differ between the runs of a group do."""
    global _unfinished
    lower_priority()
    child, in_process = None, os.environ.get("OPTIM_LAB_COMPILE_IN_PROCESS") == "1"
    while True:
        with _condition:
            idle = not _jobs
        if idle and child is not None:  # nothing queued: the child goes (numba's compiler holds GBs)
            _end_child(child)
            child = None  # a new one comes with the next job
        with _condition:
            _condition.wait_for(lambda: bool(_jobs))
            _, _, surface, configs = heapq.heappop(_jobs)
        try:
            if child is None and not in_process:
                child = _start_child()
                in_process = child is None  # it cannot start here: compile in this process from now on
            if child is not None and not _child_compiles(child, surface, configs):
                child, in_process = None, True  # it died: compile here from now on
            if _compile is not None:
                _compile(surface, configs)  # loads what the child wrote; compiles what it could not
        except Exception:  # a run numba cannot compile stays on the NumPy backend, as it was
            pass
        finally:
            with _condition:
                _unfinished -= 1
                _condition.notify_all()


def lower_priority() -> None:
    try:  # Linux: a thread id sets the niceness of that thread only
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def _start_child() -> subprocess.Popen | None:
    try:
        return subprocess.Popen(
            [sys.executable, "-m", f"{__package__}.compile_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
    except OSError:
        return None


def _end_child(child: subprocess.Popen) -> None:
    """Close its pipe (it ends when its input ends) and reap it."""
    try:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        child.kill()


def _child_compiles(child: subprocess.Popen, surface: Surface, configs: list) -> bool:
    """Send one job (the surface by its name and parameters: built-in surfaces only) and wait for the
    child's answer, "ok" or "failed"; False when the child is gone."""
    job = base64.b64encode(pickle.dumps((surface.name, dict(surface.params), configs))).decode()
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(job + "\n")
        child.stdin.flush()
        return child.stdout.readline() != ""
    except (OSError, ValueError):
        return False
