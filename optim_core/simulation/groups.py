"""Which runs advance together: runs of one rule on the same code path form a `RunGroup`.

A group's runs are rows [begin, end) of the backends' run arrays, and it steps in one update call with
per-run hyperparameters as (R, 1) arrays, so the backends loop over steps and groups, never over runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..optimizers import RULES, Rule


@dataclass
class RunGroup:
    """Runs of one rule sharing a code path: optimizers `members` (indices into configs), each with
    every start, occupying rows [begin, end) of the run arrays. hp holds one value per hyperparameter,
    or an (R, 1) array where the members differ; lr is hp["lr"]."""

    rule: Rule
    members: list[int]
    hp: dict
    lr: float | np.ndarray
    begin: int
    end: int


def group_runs(configs: list[tuple[str, dict]], n_starts: int) -> list[RunGroup]:
    """Runs advance together when they share the rule's update, its static hyperparameters and which
    float hyperparameters are zero (a zero switches a term off, as `if weight_decay != 0` in torch)."""
    by_key: dict[tuple, list[int]] = {}
    for index, (name, hp) in enumerate(configs):
        rule = RULES[name]
        static = tuple(
            (p.name, hp[p.name])
            for p in rule.hyperparams
            if p.kind in ("bool", "int") or p.name in rule.static
        )
        zero = tuple((p.name, hp[p.name] == 0) for p in rule.hyperparams if p.kind == "float")
        by_key.setdefault((rule.update, static, zero), []).append(index)
    groups, begin = [], 0
    for members in by_key.values():
        rule = RULES[configs[members[0]][0]]
        hp = {
            p.name: _stacked([configs[i][1][p.name] for i in members], p.kind, n_starts)
            for p in rule.hyperparams
        }
        end = begin + len(members) * n_starts
        groups.append(RunGroup(rule, members, hp, hp["lr"], begin, end))
        begin = end
    return groups


def _stacked(values: list, kind: str, n_starts: int):
    """One value if all runs share it, else an (R, 1) array with one row per run (betas: per component)."""
    if kind == "betas":
        return tuple(_stacked([v[i] for v in values], "float", n_starts) for i in range(2))
    if all(v == values[0] for v in values):
        return values[0]
    return np.repeat(np.asarray(values, dtype=float), n_starts)[:, None]
