"""tools/local_postgres.py: a real, throwaway PostgreSQL server on a Unix socket, and the suite's fixtures
(tests/conftest.py: `postgres_server`, `database_url`) built on it."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import postgres_unavailable
from tools.local_postgres import NOT_INSTALLED, LocalPostgres, PostgresNotInstalled, find_bindir

ROOT = Path(__file__).resolve().parents[2]


def _installed() -> bool:
    try:
        find_bindir()
    except PostgresNotInstalled:
        return False
    return True


needs_postgres = pytest.mark.skipif(not _installed() and not os.environ.get("CI"), reason=NOT_INSTALLED)


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting for its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _tables(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


@needs_postgres
def test_two_databases_are_apart_and_stop_leaves_nothing(tmp_path):
    with LocalPostgres(tmp_path / "pg") as server:
        pid, socket_dir, data_dir = server.pid, server.socket_dir, server.data_dir
        assert pid is not None and socket_dir is not None and data_dir is not None
        assert len(str(socket_dir / ".s.PGSQL.5432")) <= 107 and (socket_dir / ".s.PGSQL.5432").is_socket()
        assert server.url == f"postgresql+psycopg://postgres@/postgres?host={socket_dir}"
        if os.geteuid() == 0:  # PostgreSQL refuses root: the server runs as the postgres user
            uid = int(Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0])
            assert pwd.getpwuid(uid).pw_name == "postgres"
        first, second = server.create_database("first"), server.create_database("second")
        engine = sa.create_engine(first)
        with engine.begin() as connection:
            assert connection.execute(sa.text("SHOW listen_addresses")).scalar() == ""  # no TCP
            connection.execute(sa.text("CREATE TABLE runs (id integer PRIMARY KEY, name text)"))
            connection.execute(sa.text("INSERT INTO runs VALUES (1, 'adam')"))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT name FROM runs")).scalars().all() == ["adam"]
        engine.dispose()
        assert _tables(first) == ["runs"]
        assert _tables(second) == []
    assert not _alive(pid), "the postmaster outlived stop()"
    assert not socket_dir.exists() and not data_dir.exists()
    assert server.pid is None


@needs_postgres
def test_two_servers_run_side_by_side(tmp_path):
    with LocalPostgres(tmp_path / "a") as one, LocalPostgres(tmp_path / "b") as two:
        assert one.socket_dir != two.socket_dir
        in_one, in_two = one.create_database("same"), two.create_database("same")
        engine = sa.create_engine(in_one)
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE only_in_one (x integer)"))
        engine.dispose()
        assert _tables(in_one) == ["only_in_one"]
        assert _tables(in_two) == []


def test_a_database_name_is_checked(postgres_server):
    with pytest.raises(ValueError, match="database name"):
        postgres_server.create_database('x"; DROP DATABASE postgres; --')


@needs_postgres
def test_a_workdir_with_data_left_over_is_refused(tmp_path):
    (tmp_path / "data").mkdir()  # a server that was not stopped may still run on it: never reuse it
    server = LocalPostgres(tmp_path)
    with pytest.raises(RuntimeError, match="data of a server that was not stopped"):
        server.start()
    assert server.socket_dir is None and server.pid is None


def test_the_newest_installed_version_is_found(tmp_path):
    for version in ("9.6", "15", "10"):
        (tmp_path / version / "bin").mkdir(parents=True)
        for tool in ("initdb", "pg_ctl"):
            (tmp_path / version / "bin" / tool).touch(mode=0o755)
    (tmp_path / "17" / "bin").mkdir(parents=True)  # a leftover folder without the binaries
    assert find_bindir(search_path="", lib_root=tmp_path) == tmp_path / "15" / "bin"


def test_missing_postgresql_says_what_to_install(tmp_path):
    with pytest.raises(PostgresNotInstalled, match="PostgreSQL is not installed: apt-get install postgresql"):
        find_bindir(search_path="", lib_root=tmp_path)


def test_without_postgresql_ci_fails_and_a_developer_skips(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=NOT_INSTALLED):
        postgres_unavailable(NOT_INSTALLED)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=NOT_INSTALLED):
        postgres_unavailable(NOT_INSTALLED)


def test_database_url_is_none_for_sqlite_or_a_fresh_postgresql_database(database_url, request):
    assert "OPTIM_LAB_DATABASE_URL" not in os.environ
    if request.node.callspec.id == "sqlite":
        assert database_url is None
        return
    assert database_url.startswith("postgresql+psycopg://postgres@/test_")
    assert _tables(database_url) == []


@needs_postgres
def test_the_command_serves_until_stopped(tmp_path):
    """`python -m tools.local_postgres --workdir DIR --database NAME` (deploy/) prints the URL of NAME and
    stops the server, folders removed, on SIGTERM."""
    command = [sys.executable, "-m", "tools.local_postgres", "--workdir", str(tmp_path), "--database", "lab"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("postgresql+psycopg://postgres@/lab?host=/tmp/pg-")
            assert _tables(url) == []
            socket_dir = Path(url.split("host=")[1])
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            assert not socket_dir.exists()
        finally:
            process.kill()


# ---- `make test` installs what the suite needs (Makefile) ------------------------------------------------
def _make(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path} if path is not None else None
    make = shutil.which("make")
    assert make is not None
    return subprocess.run([make, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@needs_make
def test_make_test_installs_the_debian_packages_and_the_cluster_extra():
    printed = _make("-n", "-W", "pyproject.toml", "test").stdout
    packages = printed.index("missing=")
    for package in ("chromium", "fonts-wqy-microhei", "postgresql", "haproxy"):
        assert f'missing="$missing {package}"' in printed
    assert "apt-get install" in printed
    assert packages < printed.index("-m pytest")
    assert '-e ".[dev,cluster]"' in printed  # Ray for the job tests


@needs_make
def test_make_run_needs_neither_ray_nor_postgresql():
    printed = _make("-n", "-W", "pyproject.toml", "run").stdout
    assert '-e ".[dev]"' in printed and "cluster" not in printed
    assert "missing=" not in printed and "apt-get" not in printed


@needs_make
def test_missing_packages_are_named_and_only_root_installs_them():
    """With nothing on PATH the checks find nothing (and `id` can't say root): the message names what to
    install and nothing is installed."""
    done = _make("-s", "system-packages", path="")
    assert done.returncode != 0
    assert "the tests need the Debian packages: chromium fonts-wqy-microhei postgresql" in done.stdout
    assert "installing" not in done.stdout
