"""Benchmark the CNN training path; prints one JSON object.

    .venv/bin/python tests/benchmarks/bench_training.py            # the full benchmark
    .venv/bin/python tests/benchmarks/bench_training.py --quick    # tiny sizes (what the smoke test runs)

(a) 6 optimizers x 10 epochs on digits: the app's job path (JobManager.submit, wait; the worker pool
    already started, as in the app, where it starts with the server) against the classic course loop
    (HW3: DataLoader, one optimizer after another, .item() every step, validation through a
    DataLoader). Target: app wall time <= 0.5x, mean final accuracy within 2 points.
(b) One optimizer: the app's per-epoch training time (Trainer, all per-step metrics on) against a bare
    loop (forward / backward / step on the same tensors, nothing else). Target <= 1.10x, on the
    fastest epochs of each side (the median ratio is printed too).
(c) (a) and (b) on CUDA with CIFAR-shaped random data (3x32x32); skipped with a note without CUDA.

Both sides use the same model class (SmallCNN), the same optimizer objects (make_optimizer), the
same data tensors and the same number of torch threads: by default the number the app's worker
uses (jobs.default_torch_threads: the cores shared among the workers; with one worker that is also
torch's own default, which the course loop gets). (a) is repeated with one thread on both sides,
printed beside it (a_jobs_vs_classic_cpu_one_thread). Runs alternate between the two sides and the
best time counts: the machine may be shared, and interference only ever adds time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from optim_core.training.config import RunConfig  # noqa: E402
from optim_core.training.data.load import load_dataset  # noqa: E402
from optim_core.training.device import describe_device, synchronize  # noqa: E402
from optim_core.training.jobs import JobManager, default_torch_threads  # noqa: E402
from optim_core.training.model import SmallCNN  # noqa: E402
from optim_core.training.trainer import Trainer, TrainingCallback  # noqa: E402
from optim_core.training.variants import make_optimizer  # noqa: E402

SIX = [
    {"name": "sgd", "hp": {"lr": 0.05}},
    {"name": "momentum", "hp": {"lr": 0.02}},
    {"name": "rmsprop", "hp": {"lr": 1e-3}},
    {"name": "adagrad", "hp": {"lr": 0.02}},
    {"name": "adam", "hp": {"lr": 1e-3}},
    {"name": "adamw", "hp": {"lr": 1e-3}},
]
CLIP = 10.0  # the HW3 loop clips at max_norm=10; the app run does the same


def classic_course_loop(data, optimizers, epochs: int, batch_size: int, seed: int, device) -> dict:
    """The course's loop, one optimizer after another, each from the same seeded initial weights."""
    from torch.utils.data import DataLoader, TensorDataset

    data = data.to(device)
    train = TensorDataset(data.x_train, data.y_train)
    valid = TensorDataset(data.x_val, data.y_val)
    accs, started, cpu_started = {}, time.perf_counter(), time.process_time()
    for entry in optimizers:
        torch.manual_seed(seed)
        model = SmallCNN(data.input_shape, data.n_classes).to(device)
        optimizer = make_optimizer(entry["name"], model.parameters(), entry.get("hp"))
        loader = DataLoader(
            train, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
        )
        for _ in range(epochs):
            model.train()
            train_loss, train_accs = [], []
            for imgs, labels in loader:
                logits = model(imgs)
                loss = F.cross_entropy(logits, labels)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=CLIP)
                optimizer.step()
                train_accs.append((logits.argmax(dim=-1) == labels).float().mean())
                train_loss.append(loss.item())
            model.eval()
            correct = 0
            for imgs, labels in DataLoader(valid, batch_size=batch_size):
                with torch.no_grad():
                    logits = model(imgs)
                correct += (logits.argmax(dim=-1) == labels).sum().item()
            accs[entry["name"]] = correct / len(valid)
        synchronize(torch.device(device))
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu_started,
        "final_val_acc": accs,
    }


def app_job_path(manager: JobManager, config: RunConfig) -> dict:
    started = time.perf_counter()
    run_id = manager.submit(config)
    record = manager.wait(run_id, timeout=1800, poll=0.01)
    wall = time.perf_counter() - started
    if record.status != "finished":
        raise RuntimeError(f"benchmark run ended {record.status}: {record.error}")
    accs = {lane["label"]: lane["final_val_acc"] for lane in record.summary["lanes"]}
    return {"wall_s": wall, "cpu_s": record.summary["cpu_time"], "final_val_acc": accs, "run_id": run_id}


def compare_job_path(data, run_config: RunConfig, repeats: int, threads: int, device) -> dict:
    """(a): app job path vs the classic loop, alternating, best wall time of each."""
    with tempfile.TemporaryDirectory() as tmp:
        cold = time.perf_counter()
        manager = JobManager(Path(tmp) / "runs.sqlite", max_workers=1, torch_threads=threads)
        manager.wait_ready(timeout=300)
        pool_start_s = time.perf_counter() - cold
        try:
            apps, classics = [], []
            for _ in range(repeats):
                apps.append(app_job_path(manager, run_config))
                classics.append(
                    classic_course_loop(
                        data,
                        run_config.optimizers,
                        run_config.epochs,
                        run_config.batch_size,
                        run_config.seed,
                        device,
                    )
                )
        finally:
            manager.shutdown()
    app = min(apps, key=lambda r: r["wall_s"])
    classic = min(classics, key=lambda r: r["wall_s"])
    app_mean = statistics.fmean(app["final_val_acc"].values())
    classic_mean = statistics.fmean(classic["final_val_acc"].values())
    ratio = app["wall_s"] / classic["wall_s"]
    points = 100 * (app_mean - classic_mean)
    return {
        "app_wall_s": [round(r["wall_s"], 3) for r in apps],
        "classic_wall_s": [round(r["wall_s"], 3) for r in classics],
        "app_training_cpu_s": [round(r["cpu_s"], 3) for r in apps],
        "classic_cpu_s": [round(r["cpu_s"], 3) for r in classics],
        "cpu_ratio_app_over_classic": round(
            min(r["cpu_s"] for r in apps) / min(r["cpu_s"] for r in classics), 3
        ),
        "worker_pool_start_s": round(pool_start_s, 3),
        "ratio_app_over_classic": round(ratio, 3),
        "app_final_val_acc": {k: round(v, 4) for k, v in app["final_val_acc"].items()},
        "classic_final_val_acc": {k: round(v, 4) for k, v in classic["final_val_acc"].items()},
        "mean_acc_difference_points": round(points, 2),
        "target": "ratio <= 0.5 and |mean acc difference| <= 2 points",
        "target_met": bool(ratio <= 0.5 and abs(points) <= 2.0),
    }


def bare_epochs(data, entry: dict, epochs: int, batch_size: int, seed: int, device) -> list[float]:
    """Per-epoch seconds of the plainest loop on device tensors: forward, backward, step."""
    data = data.to(device)
    torch.manual_seed(seed)
    model = SmallCNN(data.input_shape, data.n_classes).to(device)
    optimizer = make_optimizer(entry["name"], model.parameters(), entry.get("hp"))
    n, times = len(data.y_train), []
    for epoch in range(epochs):
        started = time.perf_counter()
        order = torch.randperm(n, generator=torch.Generator().manual_seed(epoch)).to(device)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        synchronize(torch.device(device))
        times.append(time.perf_counter() - started)
    return times


class _EpochClock(TrainingCallback):
    def __init__(self):
        self.train_phase, self.whole, self._last = [], [], time.perf_counter()

    def on_metrics(self, rows):
        self.train_phase += [r.value for r in rows if r.name == "epoch_time"][:1]

    def on_epoch_end(self, trainer, epoch):
        now = time.perf_counter()
        self.whole.append(now - self._last)
        self._last = now


def app_epochs(data, entry: dict, epochs: int, batch_size: int, seed: int, device) -> _EpochClock:
    """Per-epoch seconds of the Trainer with every per-step metric (loss, LR, grad norm, update ratio)."""
    clock = _EpochClock()
    config = RunConfig(
        optimizers=[entry], epochs=epochs, batch_size=batch_size, seed=seed, device=torch.device(device).type
    )
    Trainer(config, data, callback=clock).run()
    return clock


def compare_bare_loop(data, entry: dict, epochs: int, batch_size: int, repeats: int, device) -> dict:
    """(b): per-epoch times after the first epoch (warm-up), alternating bare and app runs.

    The ratio uses each side's fastest epoch (as timeit does: interference from other processes
    only ever adds time); the ratio of medians is reported beside it.
    """
    bare, app_train, app_whole = [], [], []
    for rep in range(repeats):
        bare += bare_epochs(data, entry, epochs, batch_size, rep, device)[1:]
        clock = app_epochs(data, entry, epochs, batch_size, rep, device)
        app_train += clock.train_phase[1:]
        app_whole += clock.whole[1:]
    ratio = min(app_train) / min(bare)
    return {
        "optimizer": entry["name"],
        "batch_size": batch_size,
        "epochs": epochs,
        "repeats": repeats,
        "bare_epoch_s": {"min": round(min(bare), 5), "median": round(statistics.median(bare), 5)},
        "app_epoch_train_phase_s": {
            "min": round(min(app_train), 5),
            "median": round(statistics.median(app_train), 5),
        },
        "app_epoch_with_validation_s": {
            "min": round(min(app_whole), 5),
            "median": round(statistics.median(app_whole), 5),
        },
        "ratio_app_over_bare": round(ratio, 3),
        "ratio_of_medians": round(statistics.median(app_train) / statistics.median(bare), 3),
        "target": "ratio (fastest epochs, training phase) <= 1.10; validation is reported beside it",
        "target_met": bool(ratio <= 1.10),
    }


def run(quick: bool = False, repeats: int | None = None, threads: int | None = None) -> dict:
    threads = threads or default_torch_threads(max_workers=1)
    torch.set_num_threads(threads)
    repeats = repeats or (1 if quick else 3)
    epochs = 1 if quick else 10
    result: dict = {
        "device_cpu": describe_device("cpu"),
        "torch_threads": threads,
        "quick": quick,
        "repeats": repeats,
    }
    digits = load_dataset("digits", max_samples=256 if quick else None)
    optimizers = SIX[:2] if quick else SIX
    config = RunConfig(
        optimizers=optimizers,
        epochs=epochs,
        batch_size=64,
        clip_grad_norm=CLIP,
        device="cpu",
        max_samples=256 if quick else None,
    )
    result["a_jobs_vs_classic_cpu"] = compare_job_path(digits, config, repeats, threads, "cpu")
    if threads != 1:
        torch.set_num_threads(1)
        result["a_jobs_vs_classic_cpu_one_thread"] = compare_job_path(digits, config, repeats, 1, "cpu")
        torch.set_num_threads(threads)
    result["b_app_vs_bare_cpu"] = compare_bare_loop(
        digits, SIX[4], 3 if quick else 10, 64, 1 if quick else 2 * repeats, "cpu"
    )
    if torch.cuda.is_available():
        cifar = load_dataset("synthetic")
        cuda_config = RunConfig(
            optimizers=optimizers,
            epochs=epochs,
            batch_size=128,
            clip_grad_norm=CLIP,
            dataset="synthetic",
            device="cuda",
        )
        result["device_cuda"] = describe_device("cuda")
        result["c_jobs_vs_classic_cuda"] = compare_job_path(cifar, cuda_config, repeats, threads, "cuda")
        result["c_app_vs_bare_cuda"] = compare_bare_loop(
            cifar, SIX[4], 3 if quick else 10, 128, 1 if quick else 2 * repeats, "cuda"
        )
    else:
        result["c_cuda"] = "skipped: torch sees no CUDA device on this machine"
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads, for both sides (default: what the app's worker uses)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run(quick=args.quick, repeats=args.repeats, threads=args.threads)
    result["benchmark_wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
