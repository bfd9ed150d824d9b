"""Suite-wide test settings."""

import os

from hypothesis import settings

# CI runs a fixed set of examples (reproducible, never flaky); locally hypothesis keeps searching anew.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# app/main.py compiles every rule in a background thread; tests compile only what they test.
os.environ.setdefault("OPTIM_LAB_WARM_UP", "0")
