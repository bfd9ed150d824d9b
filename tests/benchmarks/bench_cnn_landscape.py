"""The loss landscape of a digits CNN on a grid: batched against the naive per-point loop
(load_state_dict + one forward per point), in the same process and run.

Run: .venv/bin/python tests/benchmarks/bench_cnn_landscape.py [--size 31] [--subset 512] [--chunks 8,16]
     .venv/bin/python tests/benchmarks/bench_cnn_landscape.py --threads 1   # torch and numba on one thread
     .venv/bin/python tests/benchmarks/bench_cnn_landscape.py --quick     # 7 × 7 over 64 images
Prints one JSON object.

The network: the default run's SmallCNN on digits (8 × 8, width 1, BatchNorm), random weights (the time
does not depend on their values); the plane: two random orthonormal directions. Digits' validation split
is taken at val_fraction 0.3 (539 images) so that 512 exist. "batched" is grid.py's default for a
SmallCNN (method "factored", factored.py): each chunk size in --chunks times the whole grid once, and the
fastest is reported. The naive loop runs once, and, for the record, the packed method once at
--packed-chunk and the vmap method once at --vmap-chunk (the slowest on a CPU, see grid.py). The warm-up
(imports, first kernels, numba compiling kernels.py or loading it from its disk cache) is timed apart.

Every result is compared with the naive one: max_abs_diff and max_rel_diff of the losses, and whether
the accuracies are equal. They may differ where an image's two largest logits tie to within float32
rounding; the factored path's logits are the closer to a float64 evaluation of the same weights
(tests/core/test_landscape_factored.py), so at such a tie the naive loop can be the one that is off.

Wall-clock and CPU seconds of this process are both given, with the load average before and after: on a
shared machine the wall clock of every path stretches, and the naive loop's most (two threads on tiny
per-point kernels wait on each other), so compare ratios of one run, and --threads 1 for the per-core
ratio. Target: batched ≤ 5 s on a 2-core CPU, and naive / batched ≥ 5.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from optim_core.training.config import RunConfig  # noqa: E402
from optim_core.training.data.load import load_dataset  # noqa: E402
from optim_core.training.landscape.flat import flatten_parameters  # noqa: E402
from optim_core.training.landscape.grid import (  # noqa: E402
    chunk_for,
    loss_surface,
    validation_subset,
)
from optim_core.training.model import model_for  # noqa: E402

TARGET_S = 5.0
TARGET_RATIO = 5.0


def timed(run):
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def run(
    size: int = 31,
    subset: int = 512,
    chunks: list[int] | None = None,
    vmap_chunk: int = 8,
    packed_chunk: int = 8,
) -> dict:
    torch.manual_seed(0)
    data = load_dataset("digits", val_fraction=0.3)
    x, y = validation_subset(data, subset)
    model = model_for(RunConfig(), data.input_shape, data.n_classes)
    origin = flatten_parameters(model).astype(np.float64)
    rng = np.random.default_rng(0)
    u, v = rng.standard_normal((2, len(origin)))
    u /= np.linalg.norm(u)
    v -= (u @ v) * u
    v /= np.linalg.norm(v)
    scale = 0.5 * np.linalg.norm(origin)
    a = b = np.linspace(-scale, scale, size)

    def surface(method: str, chunk: int | None = None):
        return loss_surface(model, x, y, origin, u, v, a, b, chunk=chunk, method=method)

    auto = chunk_for(model, x, "factored")
    chunks = chunks or sorted({auto, 8, 16})
    load_before = os.getloadavg()
    # warm-up: imports, first kernels, and numba's compilation of kernels.py (or its load from the disk cache)
    warm_up_s, _, _ = timed(lambda: loss_surface(model, x[:8], y[:8], origin, u, v, a[:2], b[:2]))
    batched, surfaces = {}, {}
    for chunk in chunks:
        wall, cpu, surfaces[chunk] = timed(lambda c=chunk: surface("factored", c))
        batched[chunk] = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}
    best = min(batched, key=lambda c: batched[c]["wall_s"])
    wall, cpu, naive = timed(lambda: surface("naive"))
    packed = None
    if packed_chunk:
        packed_wall, packed_cpu, packed_surface = timed(lambda: surface("packed", packed_chunk))
        packed = {
            "chunk": packed_chunk,
            "wall_s": round(packed_wall, 3),
            "cpu_s": round(packed_cpu, 3),
            "ratio_wall": round(wall / packed_wall, 2),
            "max_abs_diff": float(np.max(np.abs(packed_surface.loss - naive.loss))),
        }
    vmap = None
    if vmap_chunk:
        vmap_wall, vmap_cpu, vmapped = timed(lambda: surface("vmap", vmap_chunk))
        vmap = {
            "chunk": vmap_chunk,
            "wall_s": round(vmap_wall, 3),
            "cpu_s": round(vmap_cpu, 3),
            "max_abs_diff": float(np.max(np.abs(vmapped.loss - naive.loss))),
        }
    ratio = wall / batched[best]["wall_s"]
    return {
        "grid": f"{size}x{size}",
        "points": size * size,
        "images": int(len(y)),
        "parameters": int(len(origin)),
        "batched": {"method": "factored", "chunk": best, **batched[best]},
        "by_chunk": {str(c): t for c, t in batched.items()},
        "default_chunk": auto,
        "naive": {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)},
        "packed": packed,
        "vmap": vmap,
        "warm_up_s": round(warm_up_s, 3),
        "ratio_wall": round(ratio, 2),
        "ratio_cpu": round(cpu / batched[best]["cpu_s"], 2),
        "max_abs_diff": float(np.max(np.abs(surfaces[best].loss - naive.loss))),
        "max_rel_diff": float(np.max(np.abs(surfaces[best].loss / naive.loss - 1))),
        "accuracy_equal": bool(np.array_equal(surfaces[best].accuracy, naive.accuracy)),
        "target_met": bool(batched[best]["wall_s"] <= TARGET_S and ratio >= TARGET_RATIO),
        "torch_threads": torch.get_num_threads(),
        "numba_threads": numba.get_num_threads(),
        "cpus": os.cpu_count(),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "machine": platform.processor() or platform.machine(),
        "torch": torch.__version__,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=31)
    parser.add_argument("--subset", type=int, default=512)
    parser.add_argument("--chunks", type=str, default="", help="factored chunk sizes to time, e.g. 8,16")
    parser.add_argument("--packed-chunk", type=int, default=8, help="the packed path's chunk; 0: skip it")
    parser.add_argument("--vmap-chunk", type=int, default=8, help="the vmap path's chunk; 0: skip it")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch's and numba's threads; 0: their default"
    )
    parser.add_argument("--quick", action="store_true", help="7 x 7 over 64 images (the smoke test)")
    args = parser.parse_args(argv)
    size, subset = (7, 64) if args.quick else (args.size, args.subset)
    chunks = [int(c) for c in args.chunks.split(",") if c] or None
    if args.threads:
        torch.set_num_threads(args.threads)
        numba.set_num_threads(args.threads)
    print(json.dumps(run(size, subset, chunks, args.vmap_chunk, args.packed_chunk)))


if __name__ == "__main__":
    main()
