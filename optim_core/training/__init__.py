"""Training small CNNs with several optimizers at once: the torch part of optim_core.

    data/       ImageDataset and its loaders (digits bundled; MNIST IDX, CIFAR-10 batches, image
                folders, HW3), data.load.load_dataset, data.upload (safe extraction of an uploaded zip)
    model       SmallCNN, and PackedCNN (several lanes as one network)
    variants    make_optimizer: torch.optim by name plus the course-note variants
    config      RunConfig, every trick a field
    tricks      a lane's LR function (warmup, schedule), weight-decay routing, EMA of the weights
    seeds       every random draw from (seed, epoch, batch): epoch permutations, dropout masks
    lanes       one lane per optimizer; lanes of a batch size step together (clipping, decay, step)
    trainer     Trainer: lock-step, fair, resumable, streams MetricRows to a callback
    checkpoint  a Trainer's exact state, saved atomically
    metrics     the metric names and MetricRow (torch-free)
    results     TrainResult, LaneResult: what a run reports at its end
    lr_range    the LR range test
    statuses    a run's statuses and stop reasons (torch-free)
    store       RunStore: runs, metrics and the queue in SQLite
    jobs        JobManager: bounded worker processes that train queued runs

Names load lazily: the app can reach the store and the job queue without importing torch.
"""

from importlib import import_module

_EXPORTS = {
    "DataError": "optim_core.training.data.dataset",
    "ImageDataset": "optim_core.training.data.dataset",
    "load_dataset": "optim_core.training.data.load",
    "extract_zip": "optim_core.training.data.upload",
    "load_uploaded_zip": "optim_core.training.data.upload",
    "SmallCNN": "optim_core.training.model",
    "count_parameters": "optim_core.training.model",
    "make_optimizer": "optim_core.training.variants",
    "RunConfig": "optim_core.training.config",
    "ConfigError": "optim_core.training.config",
    "Trainer": "optim_core.training.trainer",
    "TrainingCallback": "optim_core.training.trainer",
    "MetricRow": "optim_core.training.metrics",
    "TrainResult": "optim_core.training.results",
    "lr_range_test": "optim_core.training.lr_range",
    "RunStore": "optim_core.training.store",
    "JobManager": "optim_core.training.jobs",
    "get_job_manager": "optim_core.training.jobs",
    "pick_device": "optim_core.training.device",
    "describe_device": "optim_core.training.device",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optim_core.training' has no attribute {name!r}")
    return getattr(import_module(module), name)
