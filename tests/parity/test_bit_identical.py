"""Every torch rule, through optim_core.simulate, equals a torch.optim loop in float64 to the last bit.

1,000 steps on Rosenbrock and Rastrigin from several starts, several hyperparameter sets per rule (the
defaults and every switch: weight decay, momentum, dampening, Nesterov, centered, AMSGrad, decoupled
decay, β₁ < 0.5 for lerp's other branch). All runs of one rule advance in one simulate call, so float
hyperparameters that differ between sets are (R, 1) arrays, as in the app. The whole path of every run
must be np.array_equal to torch's: the rules mirror torch's single-tensor order of operations and its
fused multiply-adds (optim_core/optimizers/torch_ops.py). Runs with `-s` print the count.

One documented exception: torch's CPU sqrt (Intel MKL's vdSqrt in torch's x86 builds) is faithfully but
not correctly rounded, about 1 % of its results lie one ulp from the exact root, while NumPy's sqrt is
exact. A rule that takes a square root (SQRT_RULES; its docstring says so) may therefore leave torch's
path in the last bit; each such run must then equal, bit for bit, torch.optim run with a correctly
rounded Tensor.sqrt, so that sqrt is shown to be the only difference.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from optim_core.optimizers import RULES, resolve_hyperparams
from optim_core.simulation import simulate
from optim_core.surfaces import get_surface

STEPS = 1000
SURFACES = ("rosenbrock", "rastrigin")

CASES: dict[str, list[dict]] = {
    "sgd": [
        {"lr": 2e-4},
        {"lr": 2e-4, "weight_decay": 0.01},
        {"lr": 1e-4, "momentum": 0.9},
        {"lr": 1e-4, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        {"lr": 2e-4, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.05},
    ],
    "momentum": [{"lr": 1e-4}],
    "nesterov": [{"lr": 1e-4}],
    "adagrad": [
        {},
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05},
        {"lr": 0.2, "initial_accumulator_value": 0.5, "eps": 1e-6},
        {"lr": 1.0, "lr_decay": 0.001, "initial_accumulator_value": 0.01},
    ],
    "rmsprop": [
        {},
        {"centered": True},
        {"lr": 1e-3, "momentum": 0.5, "weight_decay": 0.01},
        {"lr": 1e-3, "centered": True, "momentum": 0.7, "alpha": 0.9, "eps": 1e-6},
    ],
    "adadelta": [
        {},
        {"lr": 0.5, "rho": 0.95, "weight_decay": 0.1},
        {"rho": 0.8, "eps": 1e-4},
    ],
    "adam": [
        {},
        {"lr": 1e-2, "weight_decay": 0.1},
        {"lr": 1e-2, "amsgrad": True},
        {"lr": 2e-2, "amsgrad": True, "betas": (0.3, 0.9), "weight_decay": 0.05, "eps": 1e-6},
    ],
    "amsgrad": [{}, {"lr": 1e-2, "weight_decay": 0.01}],
    "adamw": [
        {},
        {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True, "betas": (0.3, 0.99)},
    ],
    "nadam": [
        {},
        {"lr": 1e-2, "weight_decay": 0.1},
        {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True, "momentum_decay": 0.02},
    ],
    "radam": [
        {},
        {"lr": 2e-3, "weight_decay": 0.1},
        {"lr": 2e-3, "weight_decay": 0.1, "decoupled_weight_decay": True, "betas": (0.3, 0.99)},
    ],
    "adamax": [
        {},
        {"lr": 1e-2, "weight_decay": 0.05, "betas": (0.3, 0.99), "eps": 1e-6},
    ],
}

# rules that take a square root: their runs may differ from stock torch by its sqrt only (see above)
SQRT_RULES = {"adagrad", "rmsprop", "adadelta", "adam", "amsgrad", "adamw", "nadam", "radam"}


def _exact_sqrt(tensor: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.sqrt(tensor.detach().numpy()))


def _exact_sqrt_(tensor: torch.Tensor) -> torch.Tensor:
    tensor.copy_(_exact_sqrt(tensor))
    return tensor


def _starts(surface) -> list[tuple[float, float]]:
    (x0, x1), (y0, y1) = surface.bounds
    return [surface.start, (0.5 * x0, 0.5 * y1), (0.3 * x1, 0.2 * y0 + 0.8 * y1)]


def _fused() -> bool:
    """Whether this torch build's CPU add(alpha=) is a fused multiply-add (AVX2, AVX-512, ARM builds)."""
    # (1 + 2⁻³⁰)² needs 61 bits: rounded once, c + a·b is 2⁻⁶⁰; rounded twice, it is 0
    a = 1.0 + 2.0**-30
    c = -(1.0 + 2.0**-29)
    fused = float(Fraction(a) * Fraction(a) + Fraction(c))
    assert fused == 2.0**-60 != c + a * a
    one = {"dtype": torch.float64}
    return torch.tensor([c], **one).add(torch.tensor([a], **one), alpha=a).item() == fused


@pytest.fixture(autouse=True)
def float64_scalars():
    # torch keeps scalar optimizer state (NAdam's mu_product, step counters) in the default dtype
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def torch_path(name: str, hp: dict, surface, start, exact_sqrt: bool = False) -> np.ndarray:
    """A plain torch.optim loop (its default, single-tensor path on CPU), p.grad from the surface.

    exact_sqrt: run it with a correctly rounded Tensor.sqrt / sqrt_ (NumPy's) in place of torch's.
    """
    if exact_sqrt:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(torch.Tensor, "sqrt", _exact_sqrt)
            patch.setattr(torch.Tensor, "sqrt_", _exact_sqrt_)
            return torch_path(name, hp, surface, start)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = eval(RULES[name].torch_class)([p], **resolve_hyperparams(name, hp), foreach=False)
    path = [p.detach().numpy().copy()]
    for _ in range(STEPS):
        x, y = p.detach().numpy().copy()
        # the surface's gradient as simulate evaluates it, on arrays (NumPy's array and scalar loops may
        # round sin/cos differently)
        gx, gy = surface.grad(np.array([x]), np.array([y]))
        p.grad = torch.tensor([gx[0], gy[0]], dtype=torch.float64)
        optimizer.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize("name", list(CASES))
def test_every_run_equals_torch_bit_for_bit(name, capsys):
    if not _fused():
        pytest.skip(
            "this torch build's CPU kernels do not fuse multiply-adds; the rules reproduce fused ones"
        )
    identical, by_sqrt, total, different = 0, 0, 0, []
    for surface_name in SURFACES:
        surface = get_surface(surface_name)
        starts = _starts(surface)
        traj = simulate(surface, [(name, hp) for hp in CASES[name]], starts, STEPS, backend="numpy")
        assert (traj.diverged_at == -1).all(), "pick settings that stay finite for the comparison"
        for i, hp in enumerate(CASES[name]):
            for m, start in enumerate(starts):
                expected = torch_path(name, hp, surface, start)
                total += 1
                if np.array_equal(traj.xy[i, m], expected):
                    identical += 1
                    continue
                first = int(np.argmax((traj.xy[i, m] != expected).any(axis=1)))
                if name in SQRT_RULES and np.array_equal(
                    traj.xy[i, m], torch_path(name, hp, surface, start, exact_sqrt=True)
                ):
                    by_sqrt += 1
                    continue
                different.append(f"{surface_name} {hp} from {start}: first differs at step {first}")
    with capsys.disabled():
        print(
            f"\n{name}: {identical}/{total} runs bit-identical to torch, {by_sqrt} more to torch with a "
            "correctly rounded sqrt (the expected exception)"
        )
    assert not different, "\n".join(different)
    assert identical + by_sqrt == total
