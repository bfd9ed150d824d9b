"""The warm-up's child process (warm.py starts it): compiles the jobs its parent sends, one per line.

    python -m optim_core.simulation.compile_child    # reads jobs on stdin, answers "ok" or "failed"

Each job is a built-in surface (its name and parameters) and the resolved optimizer configs; compiling
means running them 2 steps on the compiled backend, which writes the machine code to numba's disk cache
for the parent to load. Ends when the parent closes the pipe (the parent process ended).
"""

from __future__ import annotations

import base64
import pickle
import sys

from ..surfaces import get_surface
from .simulate import _compile_by_running
from .warm import lower_priority


def main() -> None:
    lower_priority()
    for line in sys.stdin:
        try:
            name, params, configs = pickle.loads(base64.b64decode(line))  # our own parent's jobs
            _compile_by_running(get_surface(name, **params), configs)
            answer = "ok"
        except Exception:  # the parent compiles it itself, or leaves it on the NumPy backend
            answer = "failed"
        print(answer, flush=True)


if __name__ == "__main__":
    main()
