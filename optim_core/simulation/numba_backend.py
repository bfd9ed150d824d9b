"""simulate(..., backend="compiled"): the same rule and surface functions, compiled by numba.

Why: a 2D run is tiny, so the NumPy backend's cost is the number of NumPy calls per step (about
0.5 µs each, whatever the data), not arithmetic. With one start per optimizer that is ~10 µs per
optimizer step. Compiled, a step costs tens of nanoseconds.

What is compiled is not a second copy of any formula: numba compiles the rules' own `update`
functions (optimizers/*.py), the helpers they call (`JITTED_HELPERS`, listed here one by one), the
surfaces' own `grad` functions and step.perturb_gradient, into one loop over the steps of each group of
runs (drive_loop.py, the compiled twin of numpy_backend.advance's loop, in one module per rule and
surface: drivers.py). Three small shims let that NumPy code compile unchanged: ``hp["name"]`` on a
NamedTuple of hyperparameters, `active`, and the surfaces' `_shaped`.

The first call for a rule on a surface compiles for seconds; later calls reuse the machine code, in this
process and, from numba's disk cache, in later ones (a tenth of a second to load). Custom formula
surfaces are not compiled (their gradient is an expression tree walked in Python): `supports(surface)`
says so, and simulate raises a ValueError that says so.
"""

from __future__ import annotations

import operator
from collections import namedtuple
from functools import cache

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic, overload, register_jitable

from .. import surfaces
from ..optimizers import RULES, adam, radam, torch_ops
from ..optimizers import rule as rule_module
from ..surfaces import benchmarks, classifier, elementary
from ..surfaces import surface as surface_module
from . import drivers
from .groups import RunGroup
from .numba_cache import use_source_keyed_cache
from .step import perturb_gradient

CACHE_FOLDER = use_source_keyed_cache()  # before any njit: numba reads the folder when it makes a dispatcher

# Every helper that compiled code calls by name, besides the rules' `update` and the surfaces' `grad`
# functions (compiled directly, see _compiled_update and _compiled_grad). Each is marked `@jitable`
# where it is defined, and tests/core/test_numba_backend.py checks that every marked function is here.
JITTED_HELPERS = (
    perturb_gradient,
    adam.decay_and_moments,
    adam._adam,
    radam.rho,
    torch_ops.fma,
    torch_ops.lerp,
    elementary._rotate,
    elementary._sech2,
    benchmarks._beale_term_grad,
    classifier._logistic,
    classifier._mse_grad,
    classifier._ce_grad,
)
# Compiled as a shim instead (below): torch_ops.fma, whose NumPy code emulates one fused multiply-add
# in some 25 operations, is the CPU's own FMA in compiled code: the same correctly rounded a·b + c.
SHIMMED_HELPERS = (torch_ops.fma,)
for _helper in JITTED_HELPERS:  # callable from compiled code, as they are
    if _helper not in SHIMMED_HELPERS:
        register_jitable(_helper)

# ---- shims: what the NumPy code does in Python, said in a way numba can compile ------------------


@overload(operator.getitem)
def _hyperparameter_by_name(record, key):
    """hp["betas"] on the NamedTuple the compiled backend passes as hp (a dict in the NumPy backend)."""
    if isinstance(record, types.BaseNamedTuple) and isinstance(key, types.StringLiteral):
        index = record.fields.index(key.literal_value)  # type: ignore[attr-defined]
        return lambda record, key: record[index]
    return None


@overload(rule_module.active)
def _active(value):
    if isinstance(value, types.Array):
        return lambda value: True  # per-run values: never all zero in a group (see rule.py)
    return lambda value: value != 0


@overload(surface_module._shaped)
def _shaped(x, y, *values):
    """A surface's derivatives at the runs' positions (x, y: 1-D arrays), each as a new array."""
    if len(values) == 2:

        def both(x, y, *values):
            zeros = np.zeros(x.shape)
            return zeros + values[0], zeros + values[1]

        return both
    return None


@intrinsic
def _fused_multiply_add(typingctx, a, b, c):
    """llvm.fma: a·b + c rounded once (a hardware FMA instruction, or libm's fma where there is none)."""
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return signature, codegen


@numba.vectorize(["float64(float64, float64, float64)"])
def _fma_ufunc(a, b, c):
    # the intrinsic is called without its first parameter, typingctx, which numba passes
    return _fused_multiply_add(a, b, c)  # type: ignore[call-arg]


@overload(torch_ops.fma)
def _fma(a, b, c):
    """torch_ops.fma, broadcasting as NumPy does; tests/core/test_numba_backend.py checks the two agree."""
    return lambda a, b, c: _fma_ufunc(a, b, c)


def _store(out, value):
    """out[...] = value for a diagnostic: NaN where the rule has none (None)."""


@overload(_store)
def _store_impl(out, value):
    if isinstance(value, types.NoneType):

        def fill_nan(out, value):
            out[...] = np.nan

        return fill_nan
    if isinstance(value, types.Optional):  # a buffer only some groups have (SGD's, RMSprop's momentum)

        def maybe(out, value):
            if value is None:
                out[...] = np.nan
            else:
                out[...] = value

        return maybe

    def copy(out, value):
        out[...] = value

    return copy


# ---- what simulate calls --------------------------------------------------------------------------


def supports(surface: surfaces.Surface) -> bool:
    """Whether `surface`'s gradient compiles: every built-in surface; not custom formulas."""
    if surface.name not in surfaces.surface_names():
        return False
    try:
        _compiled_grad(surface)
    except Exception:  # numba's typing errors have no common base class worth naming
        return False
    return True


def _jit(function):
    """numba.njit, keeping the machine code on disk (numba_cache.py: a folder per source digest) when
    there is a writable place for it."""
    if CACHE_FOLDER is None:
        return numba.njit(function)
    try:
        return numba.njit(function, cache=True)
    except RuntimeError:  # "no locator available"
        return numba.njit(function)


@cache
def _compiled_update(update):
    return _jit(update)


def _compiled_grad(surface: surfaces.Surface):
    """The surface's compiled gradient, compiled now, so an unsupported surface fails here."""
    compiled = _grad_dispatcher(surface)
    compiled(np.zeros(1), np.zeros(1))
    return compiled


def _grad_dispatcher(surface: surfaces.Surface):
    """The numba dispatcher of the surface's gradient, one per surface and parameters; compiles nothing."""
    # A built-in factory makes a new closure per call; the code and the parameters identify it.
    key = (surface.grad.__code__, surface.name, tuple(sorted(surface.params.items())))
    if key not in _GRADS:
        _GRADS[key] = _jit(surface.grad)
    return _GRADS[key]


_GRADS: dict = {}


@cache
def _hyperparameter_record(names: tuple[str, ...]):
    """A NamedTuple class for one rule's hyperparameters, kept as an attribute of this module: numba's
    on-disk cache identifies argument types by where they can be imported from."""
    class_name = "Hyperparameters_" + "_".join(names)
    record = namedtuple(class_name, names, module=__name__)  # type: ignore[misc]
    globals()[class_name] = record
    return record


for _rule in RULES.values():  # all of them now: a cached signature may name any of them
    _hyperparameter_record(tuple(p.name for p in _rule.hyperparams))


def advance(
    surface: surfaces.Surface,
    groups: list[RunGroup],
    steps: int,
    multipliers: list[float] | None,
    noise: np.ndarray,
    max_norm: float,
    positions: np.ndarray,
    gradients: np.ndarray,
    diagnostics: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """numpy_backend.advance on the compiled backend, with the same arguments and the same history."""
    run = (groups, steps, multipliers, noise, max_norm, positions, gradients, diagnostics)
    for drive, arguments in _drive_arguments(surface, *run):
        drive(*arguments)


def missing(
    surface: surfaces.Surface,
    groups: list[RunGroup],
    steps: int,
    multipliers: list[float] | None,
    noise: np.ndarray,
    max_norm: float,
    positions: np.ndarray,
    gradients: np.ndarray,
    diagnostics: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple:
    """The (loop, signature) pairs that `advance` with these arguments would have to compile or load
    first; empty when the machine code for every group is in memory. Looks, never compiles: numba's
    types of the arguments, as the dispatcher computes them, against the signatures it holds."""
    run = (groups, steps, multipliers, noise, max_norm, positions, gradients, diagnostics)
    shared = None
    needed: dict[tuple, None] = {}  # in order, without repeats
    for drive, args in _drive_arguments(surface, *run):
        typeof = drive.typeof_pyval
        # the arguments after the first three are of the same types for every group: typed once
        shared = shared or tuple(typeof(a) for a in args[3:])
        signature = tuple(typeof(a) for a in args[:3]) + shared
        if signature not in drive.overloads:
            needed[(drive.py_func.__module__, signature)] = None
    return tuple(needed)


def _drive_arguments(surface, groups, steps, multipliers, noise, max_norm, positions, gradients, diagnostics):
    """(the group's compiled loop, its arguments) for each group, in order."""
    grad_fn = _grad_dispatcher(surface)
    ones = np.ones(steps) if multipliers is None else np.asarray(multipliers, dtype=float)
    for group in groups:
        record = _hyperparameter_record(tuple(group.hp))
        hp = record(**{name: _as_numba_value(value) for name, value in group.hp.items()})
        state = group.rule.init(np.ascontiguousarray(positions[0, group.begin : group.end]))
        drive = drivers.driver(
            group.rule.update, _compiled_update(group.rule.update), surface, grad_fn, CACHE_FOLDER
        )
        yield (
            drive,
            (
                state,
                hp,
                _as_numba_value(group.lr),
                ones,
                noise,
                float(max_norm),
                group.begin,
                group.end,
                positions,
                gradients,
                *diagnostics,
            ),
        )


def _as_numba_value(value):
    """Floats as floats, bools as bools, per-run (R, 1) arrays as contiguous float arrays."""
    if isinstance(value, tuple):
        return tuple(_as_numba_value(v) for v in value)
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value, dtype=float)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.number):
        return float(value)
    return value
