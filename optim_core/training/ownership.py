"""Who controls a run: capability keys, the instructor's admin token, and the class's limits.

A run belongs to whoever started it. Starting a run makes an unguessable key (`new_key`); the store keeps
only its SHA-256 (`key_hash`), the starter's link carries the key itself. Holding the key controls the run
(stop, resume, delete); the admin token from the environment controls every run. Without either a run is
only viewed, or not seen at all, as the operator sets. Every check runs at the action, on the server.

The operator's settings (environment variables, read by `Policy.from_env`):
    OPTIM_LAB_RUN_VISIBILITY   view (default: anyone may view any run) | owner (only what you control)
    OPTIM_LAB_ADMIN_TOKEN      the instructor's token (unset: no admin)
    OPTIM_LAB_RUNS_PER_USER    queued + running runs one user's keys may hold (default 2)
    OPTIM_LAB_QUEUE_CAP        queued runs on the server, all users together (default 20)
    OPTIM_LAB_MAX_RUNS         runs kept; the oldest ended ones beyond it go when a run starts (default 200)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, text

if TYPE_CHECKING:
    from sqlalchemy import Connection

VISIBILITIES = ("view", "owner")
ACTIVE = ("queued", "running")  # a run that holds a place in the queue or a worker


class NotAllowed(PermissionError):
    """The caller holds neither the run's key nor the admin token (the message never names a key)."""


class RunActive(ValueError):
    """The run is queued or running: stop it first."""

    def __init__(self, run_id: int, status: str):
        super().__init__(f"run {run_id} is {status}; stop it before deleting it")
        self.status = status


class QuotaExceeded(ValueError):
    """A limit is reached: kind "user" (the caller's active runs) or "queue" (all queued runs)."""

    def __init__(self, kind: str, limit: int):
        super().__init__(f"the {kind} limit of {limit} active run(s) is reached")
        self.kind, self.limit = kind, limit


def new_key() -> str:
    """A run's capability key: 32 URL-safe characters, 192 random bits."""
    return secrets.token_urlsafe(24)


def key_hash(key: str) -> str:
    """What the store keeps of a key (a key is random, so a plain SHA-256 is enough: no salt needed)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Access:
    """What one caller holds: run keys (as their hashes) and whether the admin token was given."""

    hashes: frozenset[str] = frozenset()
    admin: bool = False

    @classmethod
    def of(cls, keys: Iterable[str], admin: bool = False) -> Access:
        return cls(frozenset(key_hash(k) for k in keys if k), admin)

    def controls(self, owner: str | None) -> bool:
        """May stop, resume and delete a run whose key hash is `owner` (None: a run from before keys)."""
        return self.admin or (owner is not None and owner in self.hashes)


def _int_env(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Policy:
    """The operator's settings; the defaults suit a class of about 30 on one server."""

    visibility: str = "view"
    admin_token: str = ""
    runs_per_user: int = 2
    queue_cap: int = 20
    max_runs: int = 200

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Policy:
        env = os.environ if environ is None else environ
        visibility = env.get("OPTIM_LAB_RUN_VISIBILITY", "view").strip().lower() or "view"
        if visibility not in VISIBILITIES:
            raise ValueError(f"OPTIM_LAB_RUN_VISIBILITY must be one of {VISIBILITIES}, got {visibility!r}")
        return cls(
            visibility=visibility,
            admin_token=env.get("OPTIM_LAB_ADMIN_TOKEN", ""),
            runs_per_user=_int_env(env, "OPTIM_LAB_RUNS_PER_USER", cls.runs_per_user),
            queue_cap=_int_env(env, "OPTIM_LAB_QUEUE_CAP", cls.queue_cap),
            max_runs=_int_env(env, "OPTIM_LAB_MAX_RUNS", cls.max_runs),
        )

    def is_admin(self, token: str) -> bool:
        """The token is the admin token (compared in constant time; no admin when none is set)."""
        if not self.admin_token or not token:
            return False
        return hmac.compare_digest(token.encode("utf-8"), self.admin_token.encode("utf-8"))

    def access(self, keys: Iterable[str], token: str = "") -> Access:
        return Access.of(keys, admin=self.is_admin(token))

    def may_view(self, owner: str | None, access: Access) -> bool:
        return self.visibility == "view" or access.controls(owner)

    def check_quota(self, db: Connection, hashes: Iterable[str]) -> None:
        """Raise QuotaExceeded if one more queued run breaks a limit. `db` is inside the store's write
        transaction that inserts or requeues the run, so two clicks at once cannot both slip through."""
        queued = db.execute(text("SELECT COUNT(*) FROM runs WHERE status = 'queued'")).scalar_one()
        if queued >= self.queue_cap:
            raise QuotaExceeded("queue", self.queue_cap)
        hashes = sorted(set(hashes))
        if hashes:
            mine = db.execute(
                text("SELECT COUNT(*) FROM runs WHERE status IN :active AND owner IN :hashes").bindparams(
                    bindparam("active", expanding=True), bindparam("hashes", expanding=True)
                ),
                {"active": list(ACTIVE), "hashes": hashes},
            ).scalar_one()
            if mine >= self.runs_per_user:
                raise QuotaExceeded("user", self.runs_per_user)


def require_control(run_id: int, owner: str | None, access: Access | None) -> None:
    """NotAllowed unless `access` controls the run (None: a trusted caller inside the server)."""
    if access is not None and not access.controls(owner):
        raise NotAllowed(f"run {run_id} is controlled only with its own link or the admin token")
