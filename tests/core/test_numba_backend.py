"""simulate(backend="compiled") computes what the NumPy backend computes, field by field.

The NumPy backend is tested against torch.optim (test_optimizer_parity.py); the compiled backend runs
the same rule functions compiled by numba, so here it must agree with the NumPy backend to the last
bits (identical in almost every step; LLVM may compute x**0.5 as a correctly rounded sqrt where C's
pow() is one ulp off, e.g. AMSGrad's √(1 − β₂ᵗ) at one step in 300), and once directly with torch.
Compiling is the slow part (seconds per rule), so each test batches many runs into one call.
Last, the helpers the backend compiles are an explicit list: every function marked @jitable must be in it.
"""

from __future__ import annotations

import ast
import importlib
import threading
from pathlib import Path

import numpy as np
import pytest

from optim_core import simulate
from optim_core.optimizers import RULES
from optim_core.surfaces import get_surface, surface_names
from tests.parity.test_optimizer_parity import float64_scalars, torch_run  # noqa: F401 (autouse: torch scalars in float64)

pytest.importorskip("numba")
ROOT = Path(__file__).resolve().parents[2]
FIELDS = ("xy", "loss", "grad", "update", "momentum", "second_moment", "step_size", "lr")

# Every rule with its defaults, and again with the terms its defaults switch off.
CONFIGS = [(name, {}) for name in RULES] + [
    ("sgd", {"lr": 1e-3, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.01}),
    ("nesterov", {"lr": 1e-3, "weight_decay": 0.1}),
    ("adagrad", {"lr": 0.05, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("rmsprop", {"lr": 1e-3, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    ("adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}),
    ("adam", {"lr": 0.01, "weight_decay": 0.01}),
    ("amsgrad", {"lr": 0.01, "betas": (0.8, 0.99)}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("nadam", {"lr": 0.01, "weight_decay": 0.01, "decoupled_weight_decay": True, "momentum_decay": 0.01}),
    ("radam", {"lr": 0.01, "weight_decay": 0.01}),
    ("adamax", {"lr": 0.01, "weight_decay": 0.01}),
    ("momentum_ema", {"lr": 0.01, "beta": 0.5}),
    ("rmsprop_eps_inside", {"lr": 0.01, "eps": 1e-4}),
    ("adam_no_bias_correction", {"lr": 0.01}),
]


def both(*args, **kwargs):
    return simulate(*args, **kwargs, backend="numpy"), simulate(*args, **kwargs, backend="compiled")


def assert_same(reference, compiled, atol=1e-13):
    for field in FIELDS:
        np.testing.assert_allclose(
            getattr(compiled, field), getattr(reference, field), rtol=0, atol=atol, err_msg=field
        )
    np.testing.assert_array_equal(compiled.diverged_at, reference.diverged_at)
    assert compiled.labels == reference.labels


def test_every_rule_matches_the_numpy_backend_exactly():
    reference, compiled = both("rosenbrock", CONFIGS, [(-1.5, 2.0), (0.5, -0.5)], 300)
    assert_same(reference, compiled)


def test_noise_clipping_schedules_and_per_run_hyperparameters_match():
    # two Adams with different lr and betas advance as one group with per-run (R, 1) hyperparameters
    configs = [
        ("adam", {"lr": 0.01}),
        ("adam", {"lr": 0.03, "betas": (0.8, 0.99)}),
        ("sgd", {"lr": 1e-3}),
        ("rmsprop", {"lr": 1e-3, "momentum": 0.5}),
        ("rmsprop", {"lr": 3e-3, "momentum": 0.9}),
    ]
    schedule = np.cos(np.linspace(0, np.pi / 2, 200)) + 0.01
    reference, compiled = both(
        "himmelblau",
        configs,
        [(0.0, 0.0), (-3.0, 3.0), (4.0, -4.0)],
        200,
        grad_noise=2.0,
        seed=5,
        clip_grad_norm=5.0,
        lr_schedule=schedule,
    )
    assert_same(reference, compiled)


def test_divergence_is_frozen_at_the_same_step():
    reference, compiled = both(
        "rosenbrock", [("sgd", {"lr": 0.05}), ("adam", {"lr": 0.01})], [(-1.5, 2.0), (1.0, 1.0)], 100
    )
    assert reference.diverged_at[0, 0] >= 0  # the case this test is about
    assert_same(reference, compiled)


@pytest.mark.parametrize("name", surface_names())
def test_every_built_in_surface_compiles_and_matches(name):
    surface = get_surface(name)
    reference, compiled = both(
        surface, [("adam", {"lr": 0.01}), ("momentum", {"lr": 1e-3})], [surface.start], 100
    )
    # Beale's yⁱ: numba's integer power may differ from NumPy's in the last bit
    assert_same(reference, compiled, atol=1e-12)


def test_matches_torch_directly():
    surface = get_surface("rosenbrock")
    for name, hp in [
        ("adam", {"lr": 0.01}),
        ("nadam", {"lr": 0.01}),
        ("rmsprop", {"lr": 1e-3, "centered": True}),
    ]:
        traj = simulate(surface, [(name, hp)], [surface.start], 300, backend="compiled")
        expected, _ = torch_run(name, hp, surface, surface.start, steps=300)
        np.testing.assert_allclose(traj.xy[0, 0], expected, rtol=0, atol=1e-9, err_msg=name)


def test_what_the_compiled_backend_refuses():
    from optim_core.formula import parse_formula

    with pytest.raises(ValueError, match="backend='numpy'"):
        simulate(parse_formula("x**2 + y**2"), [("sgd", {})], [(1.0, 1.0)], 5, backend="compiled")
    with pytest.raises(ValueError, match="'numpy' or 'compiled'"):
        simulate("bowl", [("sgd", {})], [(1.0, 1.0)], 5, backend="fortran")


def _marked_jitable() -> list[tuple[str, str]]:
    """(module, function name) of every function marked @jitable in optim_core, read from the source."""
    marked = []
    for path in sorted((ROOT / "optim_core").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                (isinstance(d, ast.Name) and d.id == "jitable")
                or (isinstance(d, ast.Attribute) and d.attr == "jitable")
                for d in node.decorator_list
            ):
                marked.append((module, node.name))
    return marked


def test_every_function_marked_jitable_is_in_the_explicit_list():
    from optim_core.simulation.numba_backend import JITTED_HELPERS

    marked = _marked_jitable()
    assert len(marked) >= 6  # the Adam family's two, the surfaces' three, step.perturb_gradient
    # a marked function the backend cannot reach (nested, renamed) or forgot fails here by name
    missing = [
        f"{module}.{name}"
        for module, name in marked
        if getattr(importlib.import_module(module), name, None) not in JITTED_HELPERS
    ]
    assert not missing, f"marked @jitable but not in numba_backend.JITTED_HELPERS: {missing}"
    # and the list holds only marked functions: the marker is where a reader sees "keep this compilable"
    unmarked = [f.__qualname__ for f in JITTED_HELPERS if not getattr(f, "jitable", False)]
    assert not unmarked, f"in JITTED_HELPERS but not marked @jitable: {unmarked}"
    assert len(set(JITTED_HELPERS)) == len(JITTED_HELPERS) == len(marked)


# ---- the default backend: compiled where ready, never waiting ---------------------------------------


class _Spy:
    """Counts the calls of a backend's `advance` (simulate looks it up on the module at each call)."""

    def __init__(self, monkeypatch, module):
        self.calls, self.threads, original = 0, [], module.advance

        def advance(*args):
            self.calls += 1
            self.threads.append(threading.current_thread().name)
            return original(*args)

        monkeypatch.setattr(module, "advance", advance)


def _spies(monkeypatch):
    from optim_core.simulation import numba_backend, numpy_backend

    return _Spy(monkeypatch, numpy_backend), _Spy(monkeypatch, numba_backend)


@pytest.fixture
def fresh_warm_up(monkeypatch):
    """warm.py's process-wide state, fresh for one test and put back after it: a thread this test starts
    keeps nothing queued for later tests (it idles on the restored, empty queue)."""
    from optim_core.simulation import warm

    for name, value in [("_jobs", []), ("_unfinished", 0), ("_requested", set()), ("_thread", None)]:
        monkeypatch.setattr(warm, name, value)
    return warm


def test_default_backend_is_numpy_until_compiled_then_the_compiled_one_with_equal_results(monkeypatch):
    surface = get_surface("ravine", condition=37.0)  # its own gradient: nothing compiled for it yet
    configs = [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3, "momentum": 0.5})]
    args = (surface, configs, [surface.start, (1.0, -1.0)], 300)
    numpy_spy, compiled_spy = _spies(monkeypatch)
    before = simulate(*args, grad_noise=0.5, clip_grad_norm=3.0)
    assert (numpy_spy.calls, compiled_spy.calls) == (1, 0)  # nothing compiled: NumPy, and no compiling
    simulate(surface, configs, [surface.start], 2, backend="compiled")  # compiles (any starts, steps)
    after = simulate(*args, grad_noise=0.5, clip_grad_norm=3.0)
    assert (numpy_spy.calls, compiled_spy.calls) == (1, 2)
    assert_same(before, after)
    assert_same(simulate(*args, backend="numpy"), simulate(*args))
    # a custom formula surface always runs on NumPy
    from optim_core.formula import parse_formula

    simulate(parse_formula("x**2 + 3*y**2"), configs, [(1.0, 1.0)], 5)
    assert numpy_spy.calls == 3


def test_warm_up_compiles_in_the_background_and_simulate_never_waits_for_it(monkeypatch, fresh_warm_up):
    import time

    from numba.core.compiler_lock import global_compiler_lock

    warm = fresh_warm_up
    surface = get_surface("ravine", condition=41.0)
    configs = [("rmsprop", {"lr": 1e-3, "centered": True})]
    args = (surface, configs, [surface.start], 400)
    numpy_spy, compiled_spy = _spies(monkeypatch)

    def with_compiler_busy(call):
        """call() in a thread while another thread holds numba's compiler lock, as the warm-up thread does
        while it compiles; returns call()'s result and its seconds, failing if it waited for the lock."""
        held, release, out = threading.Event(), threading.Event(), {}

        def hold():
            with global_compiler_lock:
                held.set()
                release.wait(120)

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        assert held.wait(30)
        try:
            started = time.perf_counter()
            runner = threading.Thread(target=lambda: out.update(result=call()), daemon=True)
            runner.start()
            runner.join(60)
            assert not runner.is_alive(), "simulate() waited for numba's compiler"
            return out["result"], time.perf_counter() - started
        finally:
            release.set()
            holder.join(30)

    assert warm.warm_up(surfaces=()) and not warm.warm_up()  # one thread per process, nothing queued yet
    assert warm.started() and warm.pending() == 0
    before, seconds = with_compiler_busy(lambda: simulate(*args))
    assert (numpy_spy.calls, compiled_spy.calls) == (1, 0) and seconds < 30
    assert warm.pending() == 1  # the missing code was requested, once
    simulate(*args)
    assert warm.pending() == 1 and numpy_spy.calls == 2
    assert warm.wait(timeout=300)  # the thread compiles it
    after, _ = with_compiler_busy(lambda: simulate(*args))  # ready: the fast path, the lock still held
    assert (numpy_spy.calls, compiled_spy.calls) == (2, 2)
    assert (
        compiled_spy.threads[0] == "optim_core warm-up" != compiled_spy.threads[1]
    )  # its compile, then ours
    assert_same(before, after)


def test_the_compiled_fma_equals_the_numpy_emulation_bit_for_bit():
    import numba

    from optim_core.optimizers.torch_ops import fma, lerp
    from optim_core.simulation import numba_backend  # noqa: F401 (what compiled code calls fma as)

    @numba.njit
    def compiled(a, b, c):
        return fma(a, b, c), lerp(a, b, c)

    rng = np.random.default_rng(3)
    scale = 10.0 ** rng.integers(-30, 30, size=(4000, 2))
    a, b, c = (rng.standard_normal((4000, 2)) * scale for _ in range(3))
    c[:10] = -a[:10] * b[:10]  # exact cancellation
    w = rng.uniform(-0.2, 1.2, size=(4000, 1))
    for args in [(a, b, c), (0.1, b, c), (a, b, 2.5), (w, b, c)]:
        got_fma, got_lerp = compiled(*args)
        np.testing.assert_array_equal(got_fma, fma(*args))
        np.testing.assert_array_equal(got_lerp, lerp(*args))


def test_the_warm_up_compiles_in_a_child_process_and_this_process_loads_the_machine_code(fresh_warm_up):
    """numba compiles holding the GIL; the server's pages need it. The warm-up's child compiles to the
    disk cache, and this process only loads what it wrote (a cache hit, no compile here)."""
    from optim_core.simulation import drivers

    warm = fresh_warm_up
    surface = get_surface("bowl", curvature=1.2345)  # nothing compiled for it, here or on disk
    warm.warm_up(surfaces=())
    assert warm.request(surface, [("adagrad", {"lr": 0.1})], key=("child test",))
    assert warm.wait(timeout=600)
    loop = next(
        loop
        for name, loop in drivers._drivers.items()
        if name == drivers.module_name(RULES["adagrad"].update, surface)
    )
    assert sum(loop.stats.cache_hits.values()) == 1 and not loop.stats.cache_misses
