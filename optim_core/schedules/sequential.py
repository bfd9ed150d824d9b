"""Schedules in sequence: SequentialLR, and a linear warmup in front of any schedule.

torch's SequentialLR, replayed exactly (torch 2.13, lr_scheduler.py):

1. Construction. The sub-schedulers are built in list order on one optimizer, and each takes
   group["initial_lr"] as its base LR. The first one built sets initial_lr (to the optimizer's lr, or
   to base_lr for a CyclicLR, which first overwrites group["lr"]); a OneCycleLR *overwrites* it with
   max_lr / div_factor, so every schedule built after one has that as its base.
2. SequentialLR then resets group["lr"] to initial_lr and restarts scheduler 0, whose recursive
   ("chainable") form goes on from that reset LR rather than from its own base.
3. At milestone m_k, scheduler k is reset to its epoch 0 (closed form from its own base) and then
   stepped on: it sees local step t - m_k, whatever LR the previous one left.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from optim_core.params import Param
from optim_core.schedules.checks import as_choice, as_float, as_int, as_lr, as_milestones
from optim_core.schedules.registry import SCHEDULES, bind, get_builder, register, schedule_fn, scheduler_expr
from optim_core.schedules.spec import DEFAULT_LR, Schedule, ScheduleError
from optim_core.schedules.torch_code import py

# torch schedulers whose step() rescales the current group["lr"] (so they follow the LR they are given)
_CHAINABLE = frozenset(
    {
        "step_lr",
        "multi_step_lr",
        "constant_lr",
        "linear_lr",
        "exponential_lr",
        "polynomial_lr",
        "cosine_annealing_lr",
    }
)
_COMPOSITE = frozenset({"sequential_lr", "warmup"})


def _parse(schedulers) -> list[tuple[str, dict]]:
    """[(name, kwargs), ...] with defaults filled in (lr left out); a bare name means default kwargs."""
    if isinstance(schedulers, (str, bytes, Mapping)) or not hasattr(schedulers, "__iter__"):
        raise ScheduleError(f"schedulers must be a list of (name, kwargs) pairs, got {schedulers!r}")
    parsed = []
    for i, entry in enumerate(schedulers):
        if isinstance(entry, str):
            entry = (entry, {})
        if not (isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], Mapping)):
            raise ScheduleError(f"schedulers[{i}] must be a (name, kwargs) pair, got {entry!r}")
        name, kwargs = entry
        if not isinstance(name, str) or name in _COMPOSITE or name not in SCHEDULES:
            valid = [n for n in SCHEDULES if n not in _COMPOSITE]
            raise ScheduleError(
                f"schedulers[{i}]: {name!r} cannot be sequenced; valid choices: {', '.join(valid)}"
            )
        if "lr" in kwargs:
            raise ScheduleError(f"schedulers[{i}]: give lr once, to sequential_lr, not to {name}")
        schedule_fn(name, **kwargs)  # check the arguments before replaying the construction
        bound = bind(name, kwargs)
        del bound["lr"]
        parsed.append((name, bound))
    if not parsed:
        raise ScheduleError("schedulers must hold at least one (name, kwargs) pair")
    return parsed


def _bases(lr: float, subs: list[tuple[str, dict]]) -> tuple[list[float], float, dict[str, Any]]:
    """Replay the constructors: each sub-schedule's base LR, the LR scheduler 0 restarts from, and the
    OneCycleLR group keys (max_lr, div_factor, final_div_factor) left by the last OneCycleLR built."""
    initial: float | None = None
    bases: list[float] = []
    one_cycle_group: dict[str, Any] = {}
    for name, kw in subs:
        if name == "one_cycle_lr":
            initial = kw["max_lr"] / kw["div_factor"]
            one_cycle_group = {k: kw[k] for k in ("max_lr", "div_factor", "final_div_factor")}
        elif initial is None:
            initial = kw["base_lr"] if name == "cyclic_lr" else lr
        bases.append(initial)
    assert initial is not None, "_parse gives at least one sub-schedule, and the first sets initial"
    return bases, initial, one_cycle_group


def _piece(k: int, name: str, kw: dict, base: float, reset_lr: float, one_cycle_group: dict) -> Schedule:
    """Sub-schedule k as a function of its local step."""
    build = get_builder(name)
    if name == "one_cycle_lr":  # reads max/initial/min LR from the param group, which the last one wrote
        return build(**{**kw, **one_cycle_group})
    if k > 0 or name not in _CHAINABLE:  # closed form from its own base_lrs
        return build(**kw, lr=base)
    # scheduler 0, chainable: it rescales the LR SequentialLR reset the group to
    from_reset = build(**kw, lr=reset_lr)
    if name != "cosine_annealing_lr" or base == reset_lr:
        return from_reset
    # ... except that CosineAnnealingLR climbs back past T_max by adding steps of its own base_lrs
    # (only differs when a later OneCycleLR moved initial_lr)
    from_base = build(**kw, lr=base)
    return lambda u: from_reset(u) if u <= kw["T_max"] else from_base(u)


def _sequential_code(kw: dict) -> str:
    subs = "".join(f"        {scheduler_expr(name, sub)},\n" for name, sub in _parse(kw["schedulers"]))
    return (
        f"SequentialLR(\n    optimizer,\n    schedulers=[\n{subs}    ],\n"
        f"    milestones={py(kw['milestones'])},\n)"
    )


@register(
    "sequential_lr",
    label={"en": "Schedules in sequence (SequentialLR)", "zh": "顺序组合 (SequentialLR)"},
    latex=r"\eta_t = S_k(t - m_k),\quad k = \#\{i \ge 1 : m_i \le t\},\ m_0 = 0",
    params=(Param("milestones", (10,), "int_list", 1, 10000, required=True),),
    torch_class="SequentialLR",
    code=_sequential_code,
)
def sequential_lr(*, lr: float = DEFAULT_LR, schedulers: list, milestones: list[int]) -> Schedule:
    """Run schedulers[k] from milestone m_k on, restarted at its own step 0 (torch's SequentialLR).

    schedulers: [(name, kwargs), ...], any schedule except sequential_lr and warmup; milestones: one
    fewer, strictly increasing, >= 1. See the module docstring for how torch picks each one's base LR.
    """
    lr = as_lr("lr", lr)
    subs = _parse(schedulers)
    milestone_steps = as_milestones("milestones", milestones, low=1)
    if len(milestone_steps) != len(subs) - 1:
        raise ScheduleError(
            f"need one milestone fewer than schedulers: got {len(subs)} schedulers "
            f"and {len(milestone_steps)} milestones"
        )
    bases, reset_lr, one_cycle_group = _bases(lr, subs)
    pieces = [_piece(k, name, kw, bases[k], reset_lr, one_cycle_group) for k, (name, kw) in enumerate(subs)]
    starts = (0, *milestone_steps)

    def schedule(t: int) -> float:
        k = bisect_right(milestone_steps, t)
        return pieces[k](t - starts[k])

    return schedule


def _warmup_followers() -> tuple[str, ...]:
    return tuple(n for n, spec in SCHEDULES.items() if spec.uses_lr and n not in _COMPOSITE)


def _warmup_code(kw: dict) -> str:
    follower = scheduler_expr(kw["schedule"], kw["schedule_kwargs"] or {})
    steps = py(kw["warmup_steps"])
    return (
        f"SequentialLR(\n    optimizer,\n    schedulers=[\n"
        f"        LinearLR(optimizer, start_factor={py(kw['start_factor'])}, total_iters={steps}),\n"
        f"        {follower},\n    ],\n    milestones=[{steps}],\n)"
    )


@register(
    "warmup",
    label={"en": "Linear warmup, then a schedule", "zh": "线性预热后接其他调度"},
    latex=r"\eta_t = \begin{cases} \eta_0 \left(f + (1 - f)\,\frac{t}{W}\right) & t < W \\"
    r" S(t - W) & t \ge W \end{cases},\quad f = \mathrm{start\_factor},\ W = \mathrm{warmup\_steps}",
    params=(
        Param("warmup_steps", 10, "int", 1, 1000),
        Param("start_factor", 0.1, "float", 0.01, 1.0),
        Param("schedule", "inverse_sqrt", "choice", choices=_warmup_followers()),
    ),
    torch_class=None,
    code=_warmup_code,
)
def warmup(
    *,
    lr: float = DEFAULT_LR,
    warmup_steps: int = 10,
    start_factor: float = 0.1,
    schedule: str = "inverse_sqrt",
    schedule_kwargs: dict | None = None,
) -> Schedule:
    """Ramp the LR linearly from start_factor * lr towards lr over warmup_steps, then run `schedule`
    (built with schedule_kwargs and the same lr) from its own step 0.

    torch_code is SequentialLR([LinearLR, schedule], milestones=[warmup_steps]), which computes the same.
    `schedule` must scale with lr: not cyclic_lr or one_cycle_lr (absolute LRs, their own warmup), nor
    sequential_lr or warmup.
    """
    lr, warmup_steps = as_lr("lr", lr), as_int("warmup_steps", warmup_steps, low=1)
    start_factor = as_float("start_factor", start_factor, low=0.0, high=1.0, low_open=True)
    schedule = as_choice("schedule", schedule, _warmup_followers())
    if schedule_kwargs is not None and not isinstance(schedule_kwargs, Mapping):
        raise ScheduleError(
            f"schedule_kwargs must be a dict of {schedule}'s arguments, got {schedule_kwargs!r}"
        )
    schedule_kwargs = dict(schedule_kwargs or {})
    if "lr" in schedule_kwargs:
        raise ScheduleError("give lr once, to warmup, not in schedule_kwargs")
    after = schedule_fn(schedule, lr=lr, **schedule_kwargs)

    def warmed_up(t: int) -> float:
        if t < warmup_steps:
            return lr * (start_factor + (1 - start_factor) * t / warmup_steps)
        return after(t - warmup_steps)

    return warmed_up
