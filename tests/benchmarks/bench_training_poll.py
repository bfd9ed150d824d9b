"""Benchmark one poll of the Training page's live run view; prints one JSON object.

    .venv/bin/python tests/benchmarks/bench_training_poll.py            # 3 lanes x 2,000 steps, 10 polls
    .venv/bin/python tests/benchmarks/bench_training_poll.py --quick    # fewer steps and polls
    .venv/bin/python tests/benchmarks/bench_training_poll.py --long     # the classroom's run, 300 epochs in

A viewer of a queued or running run reruns the page's fragment (run_panel.live_run) every POLL_S seconds.
This harness opens the Training page in AppTest on a running run in a temporary run store (3 lanes,
2,000 optimizer steps each plus their epochs, written through RunStore.append_metrics as a worker
writes them), then, per poll, appends the steps a worker adds between two polls and reruns the page.
Each poll's fragment is measured alone:
- cpu_ms: the script thread's CPU time (time.thread_time) inside the fragment, Streamlit's hashing and
  serialising of what it sends included;
- bytes: the ForwardMsgs the fragment enqueues (ByteSize of each), as the server would send them to a
  browser that reports the messages it has cached (Streamlit replaces a cached element of >= 10 kB by a
  reference to its hash); bytes_uncached: the same with no browser cache.
second_viewer_cpu_ms_per_poll: the same for a second session polling the same run just after the first
(a class watching one run). --long: a run like bench_classroom's (digits at batch 64, an epoch every 23
steps) 300 epochs in, a new epoch at every poll: what grows with the epochs (the validation charts) is
sent at every poll too. Target: a poll of a running run costs <= 20 ms server CPU and sends <= 50 kB.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from optim_core.training.config import RunConfig  # noqa: E402
from optim_core.training.store import RunStore  # noqa: E402

TARGET_CPU_MS = 20.0
TARGET_BYTES = 50_000
BATCH = 8  # digits' 1,438 training images in 180 steps per epoch: 2,000 steps are 11 epochs and a bit
STEPS_PER_EPOCH = 180
LANES = ({"name": "sgd", "hp": {"lr": 0.05}}, {"name": "momentum"}, {"name": "adam"})
STEPS_PER_POLL = 12  # what a lane of this run adds in 1.5 s on a laptop's CPU
# --long: bench_classroom's run (digits at batch 64: 23 steps an epoch, a small model trains several epochs
# a second), 300 epochs in, a new epoch at every poll
LONG_EPOCHS, LONG_STEPS_PER_EPOCH, LONG_STEPS_PER_POLL = 300, 23, 30


def running_run(store: RunStore, steps: int, per_epoch: int = STEPS_PER_EPOCH) -> int:
    """A run marked running by this process (so no check calls it interrupted), with `steps` steps of
    `per_epoch` steps an epoch."""
    config = RunConfig(optimizers=[dict(o) for o in LANES], epochs=40, batch_size=BATCH)
    run = store.create_run(config.to_dict())
    store.update(
        run,
        status="running",
        worker_pid=os.getpid(),
        worker_host=socket.gethostname(),
        started_at=time.time(),
        heartbeat=time.time(),
    )
    write_steps(store, run, 0, steps, per_epoch)
    return run


def lane_labels(store: RunStore, run: int) -> list[str]:
    return [spec.label for spec in RunConfig.from_dict(store.get_run(run).config).lanes()]


def write_steps(store: RunStore, run: int, done: int, new: int, per_epoch: int = STEPS_PER_EPOCH) -> None:
    """Steps done+1 … done+new of every lane, and each epoch (of per_epoch steps) they complete, as a
    worker writes them."""
    rows = []
    for i, lane in enumerate(lane_labels(store, run)):
        rng = np.random.default_rng(i)
        for step in range(done + 1, done + new + 1):
            epoch = (step - 1) // per_epoch + 1
            loss = 2.3 * np.exp(-step / (400 + 100 * i)) + 0.05 + 0.1 * rng.random()
            rows += [
                (lane, step, epoch, "train_loss", loss),
                (lane, step, epoch, "lr", 0.05 / (1 + step / 1000)),
                (lane, step, epoch, "grad_norm", 1.0 + rng.random()),
                (lane, step, epoch, "update_ratio", 1e-3 * (1 + rng.random())),
                (lane, step, epoch, "train_time", 0.004 * step),
            ]
            if step % per_epoch == 0:
                acc = 0.9 - 0.5 * np.exp(-epoch / 3)
                rows += [
                    (lane, step, epoch, name, value)
                    for name, value in (
                        ("epoch_train_loss", loss),
                        ("epoch_train_acc", acc),
                        ("val_loss", loss * 1.1),
                        ("val_acc", acc - 0.01),
                        ("epoch_time", 0.7),
                        ("elapsed", 0.75 * epoch),
                        ("optimizer_time", 0.05 * epoch),
                    )
                ]
    store.append_metrics(run, rows)


class PollMeter:
    """Wraps run_panel.live_run: per call, the thread's CPU seconds and the bytes it enqueues.

    Like a browser, the meter reports the hashes of what earlier polls sent as cached, so Streamlit sends
    a reference in place of a cacheable element it has sent before."""

    def __init__(self, live_run):
        self.live_run = live_run
        self.polls: list[dict] = []
        self.seen: set[str] = set()  # hashes of cacheable messages sent before
        self.full: dict[str, int] = {}  # a sent message's hash -> its bytes

    def __call__(self, *args, **kwargs):
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx()
        send, sent = ctx._enqueue, []
        ctx._enqueue = lambda msg: (sent.append(msg), send(msg))[1]
        ctx.cached_message_hashes = frozenset(self.seen)
        start = time.thread_time()
        try:
            return self.live_run(*args, **kwargs)
        finally:
            cpu = time.thread_time() - start
            ctx._enqueue = send
            ctx.cached_message_hashes = frozenset()
            size = sum(m.ByteSize() for m in sent)
            uncached = size + sum(
                self.full[m.ref_hash] - m.ByteSize() for m in sent if m.WhichOneof("type") == "ref_hash"
            )
            self.full.update({m.hash: m.ByteSize() for m in sent if m.hash})
            self.seen.update(m.hash for m in sent if m.hash and m.metadata.cacheable)
            self.polls.append(
                {"cpu_s": cpu, "bytes": size, "bytes_uncached": uncached, "messages": len(sent)}
            )


def open_running(run: int):
    """The Training page (AppTest) showing `run`, its fragment metered: (AppTest, PollMeter)."""
    from app.views.training import run_panel
    from tests.app.apptest import open_view

    meter = PollMeter(run_panel.live_run)
    run_panel.live_run = meter
    try:
        at = open_view("training", {"run": str(run)}, timeout=120)
    except BaseException:
        run_panel.live_run = meter.live_run
        raise
    return at, meter


def close(meter: PollMeter) -> None:
    from app.views.training import run_panel

    run_panel.live_run = meter.live_run


def next_poll() -> None:
    """Wait as polls do: a viewer's polls are 1.5 s apart, longer than the window in which polls share
    the rows another poll read (session.POLL_FRESHNESS_S); waiting that long makes each poll read anew."""
    from app.views.training.session import POLL_FRESHNESS_S

    time.sleep(POLL_FRESHNESS_S)


def polls(
    store: RunStore,
    run: int,
    steps: int,
    n: int,
    per_poll: int = STEPS_PER_POLL,
    per_epoch: int = STEPS_PER_EPOCH,
) -> list[dict]:
    """Open the page on the run (a first, full draw), then n polls that each bring per_poll steps."""
    at, meter = open_running(run)
    try:
        for i in range(n):
            write_steps(store, run, steps + i * per_poll, per_poll, per_epoch)
            next_poll()
            at.run()
            assert not at.exception, [e.value for e in at.exception]
        return meter.polls
    finally:
        close(meter)
        store.mark_status(run, "stopped")


def second_viewer(
    store: RunStore,
    run: int,
    steps: int,
    n: int,
    per_poll: int = STEPS_PER_POLL,
    per_epoch: int = STEPS_PER_EPOCH,
) -> list[dict]:
    """Two sessions on the run, each poll A then B: B's polls (B finds what A built from the same rows)."""
    from tests.app.apptest import open_view

    first, meter = open_running(run)
    try:
        second = open_view("training", {"run": str(run)}, timeout=120)
        for i in range(n):
            write_steps(store, run, steps + i * per_poll, per_poll, per_epoch)
            next_poll()
            first.run()
            second.run()  # within the window: B draws the rows A read
        return meter.polls[3::2]  # [A first, B first, A 1, B 1, ...]: B's polls
    finally:
        close(meter)
        store.mark_status(run, "stopped")


def summary(measured: list[dict]) -> dict:
    first, rest = measured[0], measured[1:]
    cpu_ms = [1000 * p["cpu_s"] for p in rest]
    return {
        "first_draw": {"cpu_ms": round(1000 * first["cpu_s"], 1), "bytes": first["bytes"]},
        "polls": len(rest),
        "cpu_ms_per_poll": {"median": round(statistics.median(cpu_ms), 1), "max": round(max(cpu_ms), 1)},
        "bytes_per_poll": {
            "median": int(statistics.median(p["bytes"] for p in rest)),
            "max": max(p["bytes"] for p in rest),
        },
        "bytes_uncached_per_poll": {"max": max(p["bytes_uncached"] for p in rest)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 steps, 3 polls")
    parser.add_argument("--long", action="store_true", help="the classroom's run: 300 epochs of 23 steps")
    args = parser.parse_args()
    steps, n = (300, 3) if args.quick else (2000, 10)
    per_epoch, per_poll = STEPS_PER_EPOCH, STEPS_PER_POLL
    if args.long:
        steps, per_epoch, per_poll = (
            LONG_EPOCHS * LONG_STEPS_PER_EPOCH,
            LONG_STEPS_PER_EPOCH,
            LONG_STEPS_PER_POLL,
        )
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["OPTIM_LAB_RUNS_DIR"] = tmp
        os.environ.setdefault("OPTIM_LAB_TORCH_THREADS", "1")
        os.environ.setdefault("OPTIM_LAB_WARM_UP", "0")  # the Playground's compiling: not this page's work
        from optim_core.training.jobs import get_job_manager

        store = RunStore(tmp)
        run = running_run(store, steps, per_epoch)
        try:
            report = summary(polls(store, run, steps, n, per_poll, per_epoch))
            second = second_viewer(store, running_run(store, steps, per_epoch), steps, n, per_poll, per_epoch)
            other = [1000 * p["cpu_s"] for p in second]
            report["second_viewer_cpu_ms_per_poll"] = {
                "median": round(statistics.median(other), 1),
                "max": round(max(other), 1),
            }
        finally:
            get_job_manager(tmp).shutdown()
    report.update(
        lanes=len(LANES),
        steps_at_start=steps,
        steps_per_poll=per_poll,
        steps_per_epoch=per_epoch,
        target={"cpu_ms": TARGET_CPU_MS, "bytes": TARGET_BYTES},
    )
    cpu, sent = report["cpu_ms_per_poll"]["median"], report["bytes_per_poll"]["max"]
    report["target_met"] = cpu <= TARGET_CPU_MS and sent <= TARGET_BYTES
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
