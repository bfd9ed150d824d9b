"""`make run` is for this computer only; serving a class on the network is `make serve`, by choice."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _options(target: str) -> dict[str, str]:
    """The `--name value` options of the streamlit command `make <target>` would run."""
    printed = subprocess.run(
        ["make", "-n", target, "STAMP=Makefile"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    (line,) = [line for line in printed.replace("\\\n", " ").splitlines() if "streamlit run" in line]
    words = shlex.split(line)
    return {word: value for word, value in zip(words, words[1:], strict=False) if word.startswith("--")}


def test_make_run_listens_on_localhost_only():
    assert _options("run")["--server.address"] == "127.0.0.1"


def test_make_serve_is_the_explicit_choice_for_a_class():
    options = _options("serve")
    assert options["--server.address"] == "0.0.0.0"
    assert options["--server.headless"] == "true"
    assert options["--client.toolbarMode"] == "minimal"
    assert options["--client.showErrorDetails"] == "type"  # no tracebacks for students


def test_a_bare_streamlit_run_here_is_localhost_only_too():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
