"""A throwaway PostgreSQL server for the tests and the local deployment: `LocalPostgres(workdir)`.

`start()` runs `initdb` into workdir/data and `pg_ctl start -w`; the server listens on a Unix socket only
(`listen_addresses = ''`, no TCP) in a short private folder /tmp/pg-XXXX (a socket path is limited to 107
bytes, too short for most pytest folders), and trusts local connections: whoever can open that folder is
the superuser `postgres`. `url` is the SQLAlchemy URL of the `postgres` database,
`create_database(name)` makes a fresh one and returns its URL, `stop()` (`pg_ctl stop -m fast`) removes
the data and the socket folder. A context manager does both.

For speed the server does not make its writes durable (fsync, synchronous_commit and full_page_writes
are off): a crash of the machine may lose or corrupt the data, which a throwaway server never keeps.

PostgreSQL refuses to run as root: as root the server commands run as the `postgres` user (`runuser -u
postgres --`) in folders given to that user; as anyone else they run directly. The binaries come from
PATH, else from the newest /usr/lib/postgresql/<version>/bin (Debian's `postgresql` package).

The local deployment runs one in the foreground until Ctrl-C and prints its URL (or, with --database, the
URL of a fresh database of that name):

    python -m tools.local_postgres --workdir DIR [--database NAME]
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

NOT_INSTALLED = "PostgreSQL is not installed: apt-get install postgresql"
SERVER_USER = "postgres"
LIB_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
SETTINGS = {
    "listen_addresses": "''",  # no TCP at all: the Unix socket only
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",  # every test database's connection pool at once, during a whole run
}
# initdb: the superuser `postgres`, trusted on the local socket (the only way in), UTF-8, no fsync
INITDB_OPTIONS = ("-U", SERVER_USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresNotInstalled(RuntimeError):
    """No initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin."""


def find_bindir(search_path: str | None = None, lib_root: Path = LIB_ROOT) -> Path:
    """The folder of initdb and pg_ctl: PATH's (`search_path`, os.environ["PATH"] by default), else the
    newest version under `lib_root` (numerically: 15 is newer than 9.6)."""
    initdb = shutil.which("initdb", path=search_path)
    if initdb and shutil.which("pg_ctl", path=search_path):
        return Path(initdb).resolve().parent
    versions = []
    for bindir in lib_root.glob("*/bin"):
        number = tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))
        if number and all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            versions.append((number, bindir))
    if not versions:
        raise PostgresNotInstalled(f"{NOT_INSTALLED} (no initdb and pg_ctl on PATH or in {lib_root}/*/bin)")
    return max(versions)[1]


def database_url(socket_dir: Path, database: str) -> str:
    """The SQLAlchemy URL of `database` as the superuser, through the Unix socket in `socket_dir`."""
    return f"postgresql+psycopg://{SERVER_USER}@/{database}?host={socket_dir}"


class LocalPostgres:
    """One throwaway server (module docstring): `start()`, `url`, `create_database(name)`, `stop()`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.socket_dir: Path | None = None
        self.data_dir: Path | None = None
        self.pid: int | None = None  # the postmaster's, once started
        self._bindir = Path()
        self._as_root = os.geteuid() == 0

    # ---- running the server's commands -------------------------------------------------------------
    def _command(self, *args: str | Path) -> list[str]:
        words = [str(arg) for arg in args]
        return ["runuser", "-u", SERVER_USER, "--", *words] if self._as_root else words

    def _run(self, *args: str | Path, timeout: float) -> None:
        assert self.socket_dir is not None
        done = subprocess.run(
            self._command(*args), cwd=self.socket_dir, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr or done.stdout}"
            )

    def _pg_ctl(self, action: str, *args: str | Path, timeout: float) -> None:
        """`pg_ctl ACTION -w -D data ARGS`: -w waits until the server is up (or down)."""
        assert self.data_dir is not None
        self._run(self._bindir / "pg_ctl", action, "-w", "-D", self.data_dir, *args, timeout=timeout)

    def _give_to_server_user(self, *folders: Path) -> None:
        if self._as_root:
            for folder in folders:
                shutil.chown(folder, SERVER_USER, SERVER_USER)

    def _server_can_reach(self, folder: Path) -> bool:
        if not self._as_root:
            return True
        probe = subprocess.run(self._command("test", "-x", folder), cwd="/", timeout=10)
        return probe.returncode == 0

    # ---- the life of the server --------------------------------------------------------------------
    def start(self) -> LocalPostgres:
        """initdb, then `pg_ctl start -w` (at most 30 s each); raises PostgresNotInstalled or RuntimeError."""
        if self.pid is not None:
            raise RuntimeError("this LocalPostgres is already running")
        self._bindir = find_bindir()
        if self._as_root and shutil.which("runuser") is None:
            raise PostgresNotInstalled("PostgreSQL refuses to run as root and `runuser` is missing")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if (self.workdir / "data").exists():
            raise RuntimeError(
                f"{self.workdir / 'data'} exists: the data of a server that was not stopped? Stop it "
                f"(pg_ctl stop -D {self.workdir / 'data'}) and remove the folder, or use another workdir"
            )
        self.socket_dir = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
        self._give_to_server_user(self.socket_dir)
        # The data goes into workdir/data, unless (as root) the postgres user can't reach workdir, as in
        # pytest's folders under /tmp/pytest-of-root (mode 0700): then beside the socket.
        home = self.workdir if self._server_can_reach(self.workdir) else self.socket_dir
        self.data_dir = home / "data"
        self.data_dir.mkdir()
        self._give_to_server_user(self.data_dir)
        log = self.socket_dir / "server.log"
        try:
            self._run(self._bindir / "initdb", "-D", self.data_dir, *INITDB_OPTIONS, timeout=START_TIMEOUT_S)
            settings = {**SETTINGS, "unix_socket_directories": f"'{self.socket_dir}'"}
            with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
                conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
            self._pg_ctl("start", "-t", str(START_TIMEOUT_S), "-l", log, timeout=START_TIMEOUT_S + 5)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self._halt()
            raise RuntimeError(f"PostgreSQL did not start: {error}\n{detail}") from error
        self.pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        atexit.register(self.stop)
        return self

    @property
    def url(self) -> str:
        """`postgresql+psycopg://postgres@/postgres?host=<socket dir>`: the superuser's own database."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        if self.pid is None or self.socket_dir is None:
            raise RuntimeError("start() the server first")
        return database_url(self.socket_dir, name)

    def _connect(self) -> psycopg.Connection:
        import psycopg  # only here: the module itself needs nothing beyond the standard library

        assert self.socket_dir is not None
        return psycopg.connect(
            host=str(self.socket_dir), user=SERVER_USER, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str) -> str:
        """CREATE DATABASE `name` (lower-case letters, digits, _) and return its URL."""
        from psycopg import sql

        if not _NAME.fullmatch(name):
            raise ValueError(f"a database name is lower-case letters, digits and _ (at most 63): {name!r}")
        url = self.database_url(name)
        with self._connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return url

    def drop_database(self, name: str) -> None:
        """DROP DATABASE `name`, closing the connections still open to it (WITH (FORCE))."""
        from psycopg import sql

        with self._connect() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        """`pg_ctl stop -m fast` (at most 30 s, then the postmaster is killed) and remove the folders."""
        atexit.unregister(self.stop)
        if self.socket_dir is None:
            return
        self._halt()

    def _halt(self) -> None:
        assert self.socket_dir is not None
        pid_file = self.data_dir / "postmaster.pid" if self.data_dir is not None else None
        if pid_file is not None and pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            try:
                self._pg_ctl("stop", "-m", "fast", "-t", str(STOP_TIMEOUT_S), timeout=STOP_TIMEOUT_S + 5)
            except (RuntimeError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # the last resort: its backends exit when it dies
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.socket_dir = self.data_dir = self.pid = None

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local_postgres", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workdir", type=Path, required=True, help="the server's data goes in WORKDIR/data")
    parser.add_argument("--database", help="create this database and print its URL instead")
    args = parser.parse_args(argv)
    # SIGTERM (a process manager stopping us) stops the server as Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with LocalPostgres(args.workdir) as server:
        print(server.create_database(args.database) if args.database else server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
