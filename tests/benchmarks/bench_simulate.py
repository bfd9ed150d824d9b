"""simulate() against plain torch.optim loops, and its cost per trajectory step with many starts.

Run: .venv/bin/python tests/benchmarks/bench_simulate.py [--repeats 5] [--torch-repeats 3]
Prints one JSON object. Times are wall-clock medians; the *_cpu_* fields repeat the comparison in
process CPU time, which a busy shared machine disturbs less.

(a) 10 optimizers × 1 start × 1000 steps on Rosenbrock. simulate() against the same work done the
    usual way: a torch.optim loop per optimizer, one after another, float64, loss through autograd
    and loss.backward(), every position recorded. Medians of several repeats, both in this run.
    Target: torch time / simulate time ≥ 100. The headline is simulate() with no backend argument, as
    the pages call it, once warm (default_*): first called cold (it runs on NumPy at once, never
    waiting: default_first_call_s), then after the server's warm-up (optim_core/simulation/warm.py)
    has compiled the rules in its background thread (timed, waited for here: compile_s). Beside it the
    backends named: "compiled" and "numpy" (the reference).
(b) 10 optimizers × 400 starts × 500 steps: the NumPy backend's cost per trajectory step (one
    optimizer, one start, one step) against its own single-start cost in (a): what running the starts
    together saves. Target: ≥ 50 × cheaper. The compiled backend's figures are printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from optim_core.optimizers import RULES, resolve_hyperparams  # noqa: E402
from optim_core.simulation import simulate, warm  # noqa: E402
from optim_core.surfaces import get_surface  # noqa: E402

# Ten distinct optimizers (ten different update rules, one group each: the hardest case for (a)),
# with settings that stay stable on Rosenbrock so both sides compute the same trajectories.
OPTIMIZERS = [
    ("sgd", {"lr": 1e-4}),
    ("nesterov", {"lr": 1e-4}),
    ("adagrad", {"lr": 0.1}),
    ("rmsprop", {"lr": 1e-3}),
    ("adadelta", {"lr": 0.5}),
    ("adam", {"lr": 5e-3}),
    ("adamw", {"lr": 5e-3}),
    ("nadam", {"lr": 5e-3}),
    ("radam", {"lr": 1e-3}),
    ("adamax", {"lr": 1e-2}),
]
TARGET_A, TARGET_B = 100.0, 50.0


class Clock:
    """Wall-clock and process CPU seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def torch_loops(optimizers, start, steps: int) -> tuple[Clock, np.ndarray]:
    """Timing of the torch.optim loops, one optimizer after another, and their positions."""
    surface = get_surface("rosenbrock")
    positions = np.empty((len(optimizers), steps + 1, 2))
    with Clock() as clock:
        for i, (name, hp) in enumerate(optimizers):
            _torch_loop(name, hp, start, steps, surface.params, positions[i])
    return clock, positions


def _torch_loop(name: str, hp: dict, start, steps: int, params: dict, positions: np.ndarray) -> None:
    """What a user writes: float64 parameter, autograd loss, backward, step, record the position."""
    import torch

    a, b = params["a"], params["b"]
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = eval(RULES[name].torch_class)([p], **resolve_hyperparams(name, hp))
    positions[0] = p.detach().numpy()
    for t in range(steps):
        optimizer.zero_grad()
        x, y = p[0], p[1]
        loss = (a - x) ** 2 + b * (y - x**2) ** 2
        loss.backward()
        optimizer.step()
        positions[t + 1] = p.detach().numpy()


def timed_simulate(optimizers, starts, steps: int, backend: str | None = "numpy"):
    with Clock() as clock:
        traj = simulate("rosenbrock", optimizers, starts, steps, backend=backend)
    return clock, traj


def _median(clocks: list[Clock], field: str) -> float:
    return statistics.median(getattr(c, field) for c in clocks)


def case_a(steps: int = 1000, repeats: int = 5, torch_repeats: int = 3) -> dict:
    start = get_surface("rosenbrock").start
    first_clock, first = timed_simulate(OPTIMIZERS, [start], steps, None)  # cold: NumPy, no waiting
    reference = simulate("rosenbrock", OPTIMIZERS, [start], steps, backend="numpy")
    with Clock() as compile_clock:  # what app/main.py starts, for the rules and surface of this case
        warm.warm_up(["rosenbrock"], [name for name, _ in OPTIMIZERS])
        warm.wait()
    timed_simulate(OPTIMIZERS, [start], 10, "compiled")  # warm up first-call costs on both sides
    timed_simulate(OPTIMIZERS, [start], 10)
    torch_loops(OPTIMIZERS, start, 10)
    ours: dict[str | None, list] = {None: [], "compiled": [], "numpy": []}
    last = {}
    for _ in range(repeats):
        for backend, clocks in ours.items():
            clock, last[backend] = timed_simulate(OPTIMIZERS, [start], steps, backend)
            clocks.append(clock)
    theirs = []
    for _ in range(torch_repeats):
        clock, positions = torch_loops(OPTIMIZERS, start, steps)
        theirs.append(clock)
    torch_s, torch_cpu = _median(theirs, "wall"), _median(theirs, "cpu")
    sim_s, sim_cpu = _median(ours[None], "wall"), _median(ours[None], "cpu")
    compiled_s, compiled_cpu = _median(ours["compiled"], "wall"), _median(ours["compiled"], "cpu")
    numpy_s, numpy_cpu = _median(ours["numpy"], "wall"), _median(ours["numpy"], "cpu")
    return {
        "optimizers": len(OPTIMIZERS),
        "starts": 1,
        "steps": steps,
        # the headline: simulate() with no backend argument, once warm
        "backend": "default",
        "simulate_s": round(sim_s, 5),
        "torch_s": round(torch_s, 5),
        "ratio": round(torch_s / sim_s, 2),
        "target_ratio": TARGET_A,
        "met": torch_s / sim_s >= TARGET_A,
        "cpu_ratio": round(torch_cpu / sim_cpu, 2),
        "first_call_s": round(first_clock.wall, 5),
        "compile_s": round(compile_clock.wall, 2),
        # the same positions whichever backend ran: cold (NumPy), warm (compiled), against backend="numpy"
        "max_abs_diff_vs_numpy": float(
            max(np.max(np.abs(t.xy - reference.xy)) for t in (first, last[None], last["compiled"]))
        ),
        "compiled_simulate_s": round(compiled_s, 5),
        "compiled_ratio": round(torch_s / compiled_s, 2),
        "numpy_simulate_s": round(numpy_s, 5),
        "numpy_ratio": round(torch_s / numpy_s, 2),
        "simulate_us_per_step": round(sim_s / steps * 1e6, 2),
        "numpy_us_per_step": round(numpy_s / steps * 1e6, 2),
        "torch_us_per_optimizer_step": round(torch_s / (steps * len(OPTIMIZERS)) * 1e6, 2),
        "simulate_cpu_s": round(sim_cpu, 5),
        "compiled_cpu_s": round(compiled_cpu, 5),
        "numpy_cpu_s": round(numpy_cpu, 5),
        "torch_cpu_s": round(torch_cpu, 5),
        "compiled_cpu_ratio": round(torch_cpu / compiled_cpu, 2),
        "numpy_cpu_ratio": round(torch_cpu / numpy_cpu, 2),
        # the same work: positions agree with torch's (autograd vs exact gradients differ in the last bits)
        "max_abs_diff_vs_torch": float(np.max(np.abs(last[None].xy[:, 0] - positions))),
        "simulate_runs_s": [round(c.wall, 5) for c in ours[None]],
        "compiled_runs_s": [round(c.wall, 5) for c in ours["compiled"]],
        "numpy_runs_s": [round(c.wall, 5) for c in ours["numpy"]],
        "torch_runs_s": [round(c.wall, 5) for c in theirs],
    }


def case_b(a_per_step: dict, starts: int = 400, steps: int = 500, repeats: int = 5) -> dict:
    """a_per_step: (a)'s seconds per trajectory step, by backend and clock: {"numpy": {"wall": ...}}."""
    surface = get_surface("rosenbrock")
    (x0, x1), (y0, y1) = surface.bounds
    points = np.random.default_rng(0).uniform((x0, y0), (x1, y1), size=(starts, 2))
    trajectory_steps = len(OPTIMIZERS) * starts * steps
    per_step = {}
    for backend in ("numpy", "compiled"):
        clocks = []
        for _ in range(repeats):
            clock, traj = timed_simulate(OPTIMIZERS, points, steps, backend)
            clocks.append(clock)
            del traj
        per_step[backend] = {
            "wall": _median(clocks, "wall") / trajectory_steps,
            "cpu": _median(clocks, "cpu") / trajectory_steps,
            "runs": clocks,
        }
    numpy = per_step["numpy"]
    ratio = a_per_step["numpy"]["wall"] / numpy["wall"]
    return {
        "optimizers": len(OPTIMIZERS),
        "starts": starts,
        "steps": steps,
        "backend": "numpy",
        "simulate_s": round(numpy["wall"] * trajectory_steps, 5),
        "ns_per_trajectory_step": round(numpy["wall"] * 1e9, 2),
        "a_ns_per_trajectory_step": round(a_per_step["numpy"]["wall"] * 1e9, 2),
        "cheaper_than_a": round(ratio, 2),
        "target_ratio": TARGET_B,
        "met": ratio >= TARGET_B,
        "cpu_cheaper_than_a": round(a_per_step["numpy"]["cpu"] / numpy["cpu"], 2),
        "runs_s": [round(c.wall, 5) for c in numpy["runs"]],
        "compiled_ns_per_trajectory_step": round(per_step["compiled"]["wall"] * 1e9, 2),
        "compiled_cheaper_than_compiled_a": round(
            a_per_step["compiled"]["wall"] / per_step["compiled"]["wall"], 2
        ),
    }


def run(
    steps_a: int = 1000, starts_b: int = 400, steps_b: int = 500, repeats: int = 5, torch_repeats: int = 3
) -> dict:
    import numba
    import torch

    a = case_a(steps_a, repeats, torch_repeats)
    trajectory_steps = a["optimizers"] * a["starts"] * a["steps"]
    a_per_step = {
        "compiled": {
            "wall": a["compiled_simulate_s"] / trajectory_steps,
            "cpu": a["compiled_cpu_s"] / trajectory_steps,
        },
        "numpy": {
            "wall": a["numpy_simulate_s"] / trajectory_steps,
            "cpu": a["numpy_cpu_s"] / trajectory_steps,
        },
    }
    b = case_b(a_per_step, starts_b, steps_b, repeats)
    return {
        "benchmark": "simulate",
        "a": a,
        "b": b,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # timings on a shared machine: the load says how much to trust them
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--torch-repeats", type=int, default=3)
    parser.add_argument("--steps-a", type=int, default=1000)
    parser.add_argument("--starts-b", type=int, default=400)
    parser.add_argument("--steps-b", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(run(args.steps_a, args.starts_b, args.steps_b, args.repeats, args.torch_repeats)))


if __name__ == "__main__":
    main()
