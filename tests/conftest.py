"""Suite-wide test settings."""

import itertools
import os
from collections.abc import Iterator
from typing import NoReturn

import pytest
from hypothesis import settings

from tools.local_postgres import LocalPostgres, PostgresNotInstalled

# CI runs a fixed set of examples (reproducible, never flaky); locally hypothesis keeps searching anew.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# app/main.py compiles every rule in a background thread; tests compile only what they test.
os.environ.setdefault("OPTIM_LAB_WARM_UP", "0")


# ---- a real PostgreSQL server for the run store's tests (tools/local_postgres.py) ------------------------
def postgres_unavailable(reason: str) -> NoReturn:
    """PostgreSQL is not installed: under CI the tests that need it fail (`make test` installs it); on a
    developer's machine they skip, saying what to install."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory) -> Iterator[LocalPostgres]:
    """One throwaway server for the whole run (Unix socket only), stopped and removed at the end."""
    server = LocalPostgres(tmp_path_factory.mktemp("postgres"))
    try:
        server.start()
    except PostgresNotInstalled as missing:
        postgres_unavailable(str(missing))
    yield server
    server.stop()


_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def database_url(request, monkeypatch) -> Iterator[str | None]:
    """Each store test twice: "sqlite" gives None (the store's own SQLite file in its runs folder),
    "postgresql" the URL of a fresh, empty database on the session's server, dropped after the test.
    OPTIM_LAB_DATABASE_URL is unset, so None really means SQLite."""
    monkeypatch.delenv("OPTIM_LAB_DATABASE_URL", raising=False)
    if request.param == "sqlite":
        yield None
        return
    server: LocalPostgres = request.getfixturevalue("postgres_server")
    name = f"test_{next(_databases)}"
    yield server.create_database(name)
    server.drop_database(name)  # WITH (FORCE): a pool the test left open doesn't keep it
