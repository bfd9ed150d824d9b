"""Training small CNNs with several optimizers at once: the torch part of optim_core.

    data      ImageDataset loaders (digits bundled; MNIST IDX, CIFAR-10 batches, image folders, HW3)
    upload    safe extraction of an uploaded zip
    model     SmallCNN, and PackedCNN (several lanes as one network)
    variants  make_optimizer: torch.optim by name plus the course-note variants
    config    RunConfig, every trick a field
    lanes     one lane per optimizer; lanes of a batch size step together
    trainer   Trainer: lock-step, fair, resumable, streams MetricRows to a callback
    lr_range  the LR range test
    store     RunStore: runs, metrics and the queue in SQLite
    jobs      JobManager: bounded worker processes that train queued runs

Names load lazily: the app can reach the store and the job queue without importing torch.
"""

from importlib import import_module

_EXPORTS = {
    "DataError": "optim_core.training.data",
    "ImageDataset": "optim_core.training.data",
    "load_dataset": "optim_core.training.data",
    "extract_zip": "optim_core.training.upload",
    "load_uploaded_zip": "optim_core.training.upload",
    "SmallCNN": "optim_core.training.model",
    "count_parameters": "optim_core.training.model",
    "make_optimizer": "optim_core.training.variants",
    "RunConfig": "optim_core.training.config",
    "ConfigError": "optim_core.training.config",
    "Trainer": "optim_core.training.trainer",
    "TrainingCallback": "optim_core.training.trainer",
    "MetricRow": "optim_core.training.trainer",
    "TrainResult": "optim_core.training.trainer",
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
