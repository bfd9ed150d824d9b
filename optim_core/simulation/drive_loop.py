"""The compiled backend's loop over the steps of one group of runs: the compiled twin of
numpy_backend.advance's loop. This file is a template, never imported under its own name:
drivers.py copies it, unchanged, into one module per (rule, surface), whose `update` and `grad_fn`
are that rule's and that surface's compiled functions.

Why a module per pair and not one loop that takes the two functions as arguments: numba keeps a
function's machine code on disk only when its signature names data types. A compiled function passed
as an argument is typed by the function object itself, which differs in every process, so such a
loop compiled anew at each server start (about 4 s per pair, some 150 pairs, under the GIL the pages
need). Here the two functions are the module's globals: the loop's signature is data types only, and
a second process loads the loop in a tenth of a second.
"""

import numba
import numpy as np

from optim_core.simulation.drivers import bound
from optim_core.simulation.numba_backend import _store, perturb_gradient

update, grad_fn = bound(__name__)  # the compiled rule and gradient this module's name stands for


@numba.njit(cache=True)
def drive(
    state,
    hp,
    lr,
    multipliers,
    noise,
    max_norm,
    begin,
    end,
    positions,
    gradients,
    momentum,
    second_moment,
    step_size,
):
    """Steps every run of one group, rows [begin, end) of the whole history arrays (passed whole, so
    that one compiled signature serves a group whether or not other groups share the arrays), as
    numpy_backend.advance does."""
    theta = positions[0, begin:end].copy()
    g = np.empty((theta.shape[0], 2))
    for t in range(gradients.shape[0]):
        gx, gy = grad_fn(theta[:, 0].copy(), theta[:, 1].copy())
        g[:, 0] = gx
        g[:, 1] = gy
        perturb_gradient(g, noise, t, max_norm)
        gradients[t, begin:end] = g
        # the step number as a float: β**t is then pow(), as in Python, not repeated multiplication
        theta, state, report = update(g.copy(), state, theta, lr * multipliers[t], hp, t + 1.0)
        positions[t + 1, begin:end] = theta
        _store(momentum[t, begin:end], report.momentum)
        _store(second_moment[t, begin:end], report.second_moment)
        _store(step_size[t, begin:end], report.step_size)
