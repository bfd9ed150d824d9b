"""Loading the benchmark scripts for their smoke tests."""

import importlib.util
from pathlib import Path


def load_bench(name: str):
    """The benchmark script tests/benchmarks/<name>.py as a module.

    Loaded by path, because each is also run as a script.
    """
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
