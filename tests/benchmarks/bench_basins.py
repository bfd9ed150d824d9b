"""The basin map as one vectorized engine call, against the same starts run one by one.

Run: .venv/bin/python tests/benchmarks/bench_basins.py [--n 40] [--steps 500] [--subset 0] [--repeats 3]
Prints one JSON object.

(a) basin_map(): n × n starts × steps for one optimizer on Himmelblau — one simulate() call for all
    starts, plus the labelling. Median of `repeats` runs.
(b) The same starts, one simulate() call per start, one after another, as a loop over starts would.
    --subset 0 (the default) times every start; --subset K times K evenly spaced starts and
    extrapolates to n² (the JSON says which under "one_by_one").
Both in the same process and run; both compute the same end points (max_abs_diff checks it).
Target: one-by-one time / basin_map time ≥ 50.
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

from optim_core.analysis import basin_map  # noqa: E402
from optim_core.simulation import simulate  # noqa: E402

SURFACE = "himmelblau"
OPTIMIZER = ("sgd", {"lr": 0.005})
TARGET = 50.0


def timed_basin_map(n: int, steps: int):
    began = time.perf_counter()
    basins = basin_map(SURFACE, OPTIMIZER[0], OPTIMIZER[1], n=n, steps=steps)
    return time.perf_counter() - began, basins


def timed_one_call(starts: np.ndarray, steps: int) -> float:
    """Only the engine call of (a), without the labelling."""
    began = time.perf_counter()
    simulate(SURFACE, [OPTIMIZER], starts, steps)
    return time.perf_counter() - began


def timed_one_by_one(starts: np.ndarray, steps: int) -> tuple[float, np.ndarray]:
    finals = np.empty_like(starts)
    began = time.perf_counter()
    for k, start in enumerate(starts):
        finals[k] = simulate(SURFACE, [OPTIMIZER], [start], steps).xy[0, 0, -1]
    return time.perf_counter() - began, finals


def run(n: int = 40, steps: int = 500, subset: int = 0, repeats: int = 3) -> dict:
    timed_basin_map(4, 5)  # warm up imports and first-call costs
    times = []
    for _ in range(repeats):
        seconds, basins = timed_basin_map(n, steps)
        times.append(seconds)
    starts = np.column_stack([c.ravel() for c in np.meshgrid(basins.xs, basins.ys)])
    engine_s = statistics.median(timed_one_call(starts, steps) for _ in range(repeats))
    total = len(starts)
    if subset and subset < total:
        chosen = np.unique(np.linspace(0, total - 1, subset).round().astype(int))
        mode = "subset timed, extrapolated to all starts"
    else:
        chosen = np.arange(total)
        mode = "all starts timed"
    loop_s, finals = timed_one_by_one(starts[chosen], steps)
    loop_total_s = loop_s * total / len(chosen)
    map_s = statistics.median(times)
    ratio = loop_total_s / map_s
    return {
        "benchmark": "basins",
        "surface": SURFACE,
        "optimizer": OPTIMIZER[0],
        "hyperparams": OPTIMIZER[1],
        "grid": f"{n}x{n}",
        "starts": total,
        "steps": steps,
        "basin_map_s": round(map_s, 5),
        "basin_map_runs_s": [round(s, 5) for s in times],
        "single_engine_call_s": round(engine_s, 5),
        "one_by_one": {
            "mode": mode,
            "timed_starts": int(len(chosen)),
            "timed_s": round(loop_s, 4),
            "all_starts_s": round(loop_total_s, 4),
        },
        "ratio": round(ratio, 2),
        "ratio_engine_only": round(loop_total_s / engine_s, 2),
        "target_ratio": TARGET,
        "met": ratio >= TARGET,
        # the same work: the one-by-one end points equal the basin map's
        "max_abs_diff": float(np.max(np.abs(basins.final.reshape(-1, 2)[chosen] - finals))),
        "label_counts": {str(k): v for k, v in basins.counts().items()},
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument(
        "--subset", type=int, default=0, help="time K starts one by one and extrapolate (0: all)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(args.n, args.steps, args.subset, args.repeats)))


if __name__ == "__main__":
    main()
