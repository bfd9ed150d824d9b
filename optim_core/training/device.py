"""Where training runs: CUDA if there is one, else Apple's MPS, else the CPU."""

from __future__ import annotations

import os

import torch

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(preference: str = "auto") -> torch.device:
    """The device to train on.

    "auto" takes cuda, else mps, else cpu. Naming a device that is not there raises ValueError
    rather than silently training somewhere slower than the user asked for.
    """
    if preference not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {preference!r}; valid choices: {', '.join(DEVICE_CHOICES)}")
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but torch sees no CUDA GPU; use 'auto' or 'cpu'")
    if preference == "mps" and not _mps_available():
        raise ValueError("device 'mps' was asked for but this torch build has no MPS; use 'auto' or 'cpu'")
    return torch.device(preference)


def device_facts(device: torch.device | str) -> dict[str, str | int]:
    """What describe_device says, as values (the app words them in its language): `kind` ("cuda", "mps"
    or "cpu"), `torch` (its version) and, for CUDA, `name` and `gib`, for the CPU, `threads` and `cores`."""
    device = torch.device(device)
    facts: dict[str, str | int] = {"kind": device.type, "torch": torch.__version__}
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        facts.update(name=props.name, gib=f"{props.total_memory / 2**30:.1f}")
    elif device.type != "mps":
        facts.update(kind="cpu", threads=torch.get_num_threads(), cores=os.cpu_count() or 1)
    return facts


# describe_device's line for each kind of device, filled in with device_facts
DEVICE_LINES = {
    "cuda": "CUDA: {name} ({gib} GiB, torch {torch})",
    "mps": "Apple MPS (torch {torch})",
    "cpu": "CPU: {threads} torch threads on {cores} cores (torch {torch})",
}


def describe_device(device: torch.device | str) -> str:
    """A line a person can read, e.g. "CUDA: NVIDIA H100 80GB HBM3 (79.1 GiB)" or "CPU: 2 threads"."""
    facts = device_facts(device)
    return DEVICE_LINES[str(facts["kind"])].format(**facts)


def synchronize(device: torch.device) -> None:
    """Wait for queued device work, so a wall-clock reading covers it (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
