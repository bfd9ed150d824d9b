"""The 2D simulation: every optimizer × every start advances together on one surface.

    traj = simulate("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3})], starts, 500)

The house:
* simulate.py: the public simulate(); it checks the arguments (checks.py), groups the runs
  (groups.py), picks the backend, and assembles the history into a Trajectory (trajectory.py).
* numpy_backend.py (the reference) and numba_backend.py (backend="compiled": the same rule and surface
  code, compiled) step the runs. Neither imports the other; both call step.py's one helper for what
  happens to a gradient before a rule sees it (noise, then clipping with CLIP_EPS).
* warm.py: warm_up() compiles the rules in a background thread; simulate() with no backend argument
  runs the compiled backend where its code is ready, NumPy otherwise, and never waits for a compile.

How it stays fast (2D runs are tiny, so the cost is the number of NumPy calls per step, not the data):
* the gradient of all runs is one surface.grad call per step;
* runs of the same rule whose code paths match (see optimizers/rule.py) form one group and advance in
  one update call, with per-run hyperparameters as (R, 1) arrays; the only Python loops are over steps
  and over these groups;
* rules are pure, so each step's arrays are kept by reference and stacked once at the end, and the
  loss, the updates and the divergence bookkeeping are computed once, over the whole history.

Divergence: a run whose position becomes non-finite, leaves the box |x|, |y| ≤ `divergence_box(surface)`
(10⁶, or 10³ × the largest |bound| of the surface if that is larger), or whose loss becomes non-finite
is frozen. If step t (0-based) is the step whose result was rejected, then diverged_at = t and:
xy[t + 1:] and loss[t + 1:] repeat xy[t] and loss[t], the last valid point; update[t:] = 0;
grad[t + 1:] = NaN (never received; grad[t] is the gradient that led out) and momentum,
second_moment, step_size [t:] = NaN. A start whose own loss is not finite gets diverged_at = 0.
Arithmetic on diverged runs is silenced (np.errstate): simulate never raises or warns because of it.
"""

from .simulate import MAX_RUN_STEPS, divergence_box, simulate
from .step import CLIP_EPS
from .trajectory import Trajectory, run_labels

__all__ = ["CLIP_EPS", "MAX_RUN_STEPS", "Trajectory", "divergence_box", "run_labels", "simulate"]
