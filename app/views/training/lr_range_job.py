"""What the LR range test's own process runs: load the data set, sweep the LR, return plain values.

No Streamlit here: the process is spawned, and it imports only this module, the library and torch.
"""

from __future__ import annotations


def run_lr_range(params: dict) -> dict:
    """Load the dataset and run optim_core.training.lr_range.lr_range_test (called in a worker process)."""
    from optim_core.training.data.load import load_dataset
    from optim_core.training.lr_range import lr_range_test

    data = load_dataset(
        params["dataset"],
        params.get("data_path"),
        image_size=params.get("image_size"),
        val_fraction=params["val_fraction"],
        max_samples=params.get("max_samples"),
    )
    result = lr_range_test(
        data,
        params["optimizer"],
        params.get("hp"),
        steps=params["steps"],
        batch_size=params["batch_size"],
        seed=params["seed"],
        width=params["width"],
        batch_norm=params["batch_norm"],
        device=params["device"],
    )
    return result.to_dict()


def limit_threads(threads: int) -> None:
    """Initializer of the LR range test's process: share the CPU with the training workers."""
    import torch

    torch.set_num_threads(max(1, threads))
