"""A real finished training run in a run store, for the pages that read saved runs (EMA, Schedules).

The run is a tiny Trainer run whose metrics go through the same RunStore calls a job uses.
"""

from __future__ import annotations

from pathlib import Path

from optim_core.training.config import RunConfig
from optim_core.training.store import RunStore
from optim_core.training.trainer import Trainer, TrainingCallback


class ToStore(TrainingCallback):
    def __init__(self, store: RunStore, run: int):
        self.store, self.run = store, run

    def on_metrics(self, rows):
        self.store.append_metrics(self.run, rows)


def finished_run(path: Path, config: RunConfig) -> tuple[RunStore, int]:
    """Train `config` into the store at `path` as a job would, and mark it finished: (store, run id)."""
    store = RunStore(path)
    run = store.create_run(config.to_dict())
    store.update(run, status="running")
    result = Trainer(config, callback=ToStore(store, run)).run()
    store.update(run, summary=result.to_dict())
    store.mark_status(run, "finished")
    return store, run
