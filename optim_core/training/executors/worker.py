"""The code a worker runs, whichever executor started it: train one claimed run to its end.

run_job(store, record) is the whole contract with the store: it loads the data (kept for the next run of a
sweep), resumes from the run's checkpoint when asked to, writes metrics in batches and a checkpoint every
`checkpoint_interval_s`, polls stop_requested (writing its heartbeat) about every STOP_POLL_S, and ends
the run 'finished', 'stopped', 'failed', or queued again for an app shutdown.
"""

from __future__ import annotations

import os
import socket
import time
import traceback

from optim_core.training.executors.base import StoreLocation, open_store
from optim_core.training.statuses import STOP_FOR_SHUTDOWN
from optim_core.training.store import RunRecord, RunStore

STOP_POLL_S = 0.25  # how often a busy worker reads stop_requested (and writes its heartbeat)


def warm_up() -> None:
    """Pay the one-time costs before taking runs, not in the first run: imports, and the lazy
    torch._dynamo import of the first torch.optim.Optimizer (seconds on a small CPU)."""
    import io

    import torch

    from optim_core.training.model import SmallCNN
    from optim_core.training.trainer import Trainer  # noqa: F401
    from optim_core.training.variants import make_optimizer

    model = SmallCNN((1, 8, 8), 10)
    optimizer = make_optimizer("adam", model.parameters())
    model(torch.zeros(2, 1, 8, 8)).sum().backward()
    optimizer.step()
    torch.save(optimizer.state_dict(), io.BytesIO())


_DATA_CACHE: dict = {}


def _dataset_for(config):
    """The run's dataset; a worker keeps the last one, so a sweep of runs loads it once."""
    from optim_core.training.data.load import load_dataset

    key = (config.dataset, config.data_path, config.image_size, config.val_fraction, config.max_samples)
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = load_dataset(
            config.dataset,
            config.data_path,
            image_size=config.image_size,
            val_fraction=config.val_fraction,
            max_samples=config.max_samples,
        )
    return _DATA_CACHE[key]


class _StopPoller:
    def __init__(self, store: RunStore, run_id: int):
        self.store, self.run_id, self.last, self.reason = store, run_id, 0.0, 0

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self.last >= STOP_POLL_S:
            self.last = now
            self.reason = self.store.poll_worker(self.run_id)
        return bool(self.reason)


def run_job(store: RunStore, record: RunRecord) -> str:
    """Train one claimed run to its end; returns the final status."""
    from optim_core.training.checkpoint import load_checkpoint
    from optim_core.training.config import RunConfig
    from optim_core.training.trainer import Trainer, TrainingCallback

    run_id = record.id
    checkpoint = store.checkpoint_dir(run_id) / "last.pt"

    class StoreCallback(TrainingCallback):
        last_saved = time.monotonic()

        def on_metrics(self, rows):
            store.append_metrics(run_id, rows)

        def on_epoch_end(self, trainer, epoch):
            if time.monotonic() - self.last_saved >= trainer.config.checkpoint_interval_s:
                trainer.save_checkpoint(checkpoint)
                store.update(run_id, checkpoint=str(checkpoint))
                self.last_saved = time.monotonic()

    try:
        config = RunConfig.from_dict(record.config)
        data = _dataset_for(config)
        callback, poller = StoreCallback(), _StopPoller(store, run_id)
        if record.resume and checkpoint.exists():
            state = load_checkpoint(checkpoint)
            # drop what a killed worker wrote after this checkpoint, so no step appears twice
            store.truncate_metrics(run_id, {lane["label"]: lane["step"] for lane in state["lanes"]})
            trainer = Trainer.from_checkpoint(state, data, callback=callback, should_stop=poller)
        else:
            store.truncate_metrics(run_id)
            trainer = Trainer(config, data, callback=callback, should_stop=poller)
        result = trainer.run()
        trainer.save_checkpoint(checkpoint)
        store.update(run_id, checkpoint=str(checkpoint), summary=result.to_dict(), stop_requested=0)
        if result.status == "stopped" and poller.reason == STOP_FOR_SHUTDOWN:
            store.update(run_id, status="queued", resume=1)  # keeps its place: queued_at is unchanged
            return "queued"
        status = "finished" if result.status == "finished" else "stopped"
        store.mark_status(run_id, status)
        return status
    except Exception:
        store.mark_status(run_id, "failed", error=traceback.format_exc()[-4000:])
        return "failed"


def run_claimed(location: StoreLocation, run_id: int, claimed_by: tuple[int, str], torch_threads: int) -> str:
    """A run the manager (`claimed_by`: its pid and host) claimed for this process, on any node (the body
    of a Ray task).

    It takes the run over first: its own pid and host replace the manager's, so the store's liveness
    check (mark_interrupted) and the page see the process that trains it. A run that is no longer the
    manager's claim (stopped or marked interrupted while the task waited for a slot) is left alone.
    """
    import torch

    torch.set_num_threads(torch_threads)
    store = open_store(location)
    try:
        record = store.get_run(run_id)
        if record.status != "running" or (record.worker_pid, record.worker_host) != tuple(claimed_by):
            return "skipped"
        store.update(run_id, worker_pid=os.getpid(), worker_host=socket.gethostname(), heartbeat=time.time())
        return run_job(store, store.get_run(run_id))
    finally:
        store.close()
