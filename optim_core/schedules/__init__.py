"""Learning-rate schedules as plain functions of the step (as in optax), equal to torch.optim.lr_scheduler.

    schedule_fn(name, **kwargs) -> step -> lr     a trainer calls it once per step
    lr_curve(name, steps, **kwargs) -> ndarray     element t = the LR in effect for iteration t
    reduce_lr_on_plateau(metrics, **kwargs)        the LR in effect each epoch, given the metrics
    SCHEDULES, PLATEAU                             what the app shows: label, widgets, formula, PyTorch code

Element t of a curve is what optimizer.param_groups[0]["lr"] holds before the t-th scheduler.step() in a
torch loop. `lr` is the optimizer's base LR (default 0.1); lr=1.0 gives the multiplier curve that the 2D
simulation scales its own LR by. cyclic_lr and one_cycle_lr set absolute LRs, as in torch (see
ScheduleSpec.uses_lr). Names and arguments are torch's (StepLR -> step_lr, same argument names and
defaults); the course-notes formulas are inverse_time, exponential_budget, power, inverse_sqrt, staircase
and warmup. Bad input raises ScheduleError, a ValueError.
"""

from importlib import import_module

from optim_core.schedules.plateau import PLATEAU, noisy_plateau_series, reduce_lr_on_plateau
from optim_core.schedules.registry import SCHEDULES, get_spec, lr_curve, schedule_fn, schedule_names
from optim_core.schedules.spec import DEFAULT_LR, Schedule, ScheduleError, ScheduleSpec

# Each module registers its schedules into SCHEDULES on import, so this order is the order the app
# lists them. sequential comes last: warmup offers every schedule registered before it.
for _module in ("decay", "cosine", "cyclic", "formulas", "sequential"):
    import_module(f"optim_core.schedules.{_module}")

__all__ = [
    "DEFAULT_LR",
    "PLATEAU",
    "SCHEDULES",
    "Schedule",
    "ScheduleError",
    "ScheduleSpec",
    "get_spec",
    "lr_curve",
    "noisy_plateau_series",
    "reduce_lr_on_plateau",
    "schedule_fn",
    "schedule_names",
]
