"""The playground's config object and what the page derives from a simulation (no widgets drawn here).

PlaygroundConfig is plain, hashable data, so the page can cache a run on it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from app.shared import plotting, theme
from app.shared.controls import gather_hyperparams
from app.shared.optimizer_labels import optimizer_label
from app.shared.simulation_cache import NOISE_MODES, build_surface, typical_gradient
from app.views.playground import map_figure, map_overlays
from app.views.playground.torch_script import torch_script
from optim_core.analysis import classify_point, curvature_along, hessian_eigen, stability_bound
from optim_core.optimizers import RULES
from optim_core.schedules import lr_curve
from optim_core.simulation import Trajectory, simulate
from optim_core.surfaces import Surface


@dataclass(frozen=True)
class SlotConfig:
    name: str
    hyperparams: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class PlaygroundConfig:
    surface: str
    formula: str | None
    surface_params: tuple[tuple[str, float], ...]
    slots: tuple[SlotConfig, ...]
    start: tuple[float, float]
    steps: int
    noise: str
    seed: int
    clip_norm: float | None
    weight_decay: float
    # (name, kwargs as sorted pairs) of an LR schedule built with lr=1.0: a multiplier of every LR
    schedule: tuple[str, tuple[tuple[str, object], ...]] | None = None

    @property
    def surface_key(self) -> tuple[str, str | None, tuple[tuple[str, float], ...]]:
        """What the surface is built from (`build_surface`): its name, formula and parameters."""
        return self.surface, self.formula, self.surface_params


@dataclass
class PlaygroundResult:
    config: PlaygroundConfig
    surface: Surface
    traj: Trajectory
    labels: list[str]
    hyperparams: list[dict]
    styles: list[plotting.PathStyle]
    lr_multipliers: np.ndarray | None = None

    @property
    def xy(self) -> np.ndarray:  # (n_opt, steps+1, 2): the playground runs one start
        return self.traj.xy[:, 0]

    @property
    def loss(self) -> np.ndarray:
        return self.traj.loss[:, 0]

    @property
    def diverged_at(self) -> np.ndarray:
        return self.traj.diverged_at[:, 0]

    def overlays(self, step: int) -> list[dict]:
        k = min(step, self.config.steps - 1)
        (x0, x1), (y0, y1) = self.surface.bounds
        return map_overlays.step_overlays(
            self.xy[:, step],
            self.traj.grad[:, 0, k],
            self.traj.momentum[:, 0, k],
            self.traj.second_moment[:, 0, k],
            [s.colour for s in self.styles],
            span=min(x1 - x0, y1 - y0),
        )

    def curvature_overlays(self, step: int) -> list[dict]:
        """The Hessian's eigenvectors at each position as short axes (dotted where λ < 0)."""
        (x0, x1), (y0, y1) = self.surface.bounds
        values, vectors = hessian_eigen(self.surface, self.xy[:, step])
        return map_overlays.eigen_axes(
            self.xy[:, step],
            values,
            vectors,
            [s.colour for s in self.styles],
            half_length=0.05 * min(x1 - x0, y1 - y0),
        )

    def contour_figure(
        self, step: int, *, presenter: bool, text: dict, curvature: bool = False, log_y: bool = False
    ) -> plotting.PrebuiltFigure:
        overlays = self.overlays(step) + (self.curvature_overlays(step) if curvature else [])
        return map_figure.contour_figure(
            self.config.surface_key,
            self.xy,
            self.styles,
            step,
            presenter=presenter,
            text=text,
            overlays=overlays,
            start=self.config.start,
            lr_curve=self.lr_multipliers,
            loss=self.loss,
            log_y=log_y,
            diverged_at=self.diverged_at,
        )

    def torch_code(self) -> str:
        """A PyTorch script that reproduces the whole run (surface, noise, clipping, schedule, every
        optimizer); `paths[label]` holds each path."""
        sigma = NOISE_MODES[self.config.noise] * typical_gradient(self.surface)
        return torch_script(self.config, self.labels, self.hyperparams, sigma)

    def curvature(self) -> tuple[np.ndarray, np.ndarray]:
        """(λ_min, λ_max) of the Hessian along every path, each (n_opt, steps+1)."""
        return curvature_along(self.surface, self.xy)

    def html(self, *, presenter: bool, text: dict, log_y: bool = False) -> str:
        """A standalone page (plotly.js inlined, so it plays offline in a classroom)."""
        import plotly.io as pio

        return pio.to_html(
            self.contour_figure(self.config.steps, presenter=presenter, text=text, log_y=log_y),
            include_plotlyjs=True,
            full_html=True,
            auto_play=False,
        )


def freeze_schedule(schedule: tuple[str, dict] | None) -> tuple | None:
    """(name, kwargs) as hashable data for PlaygroundConfig (lists become tuples)."""
    if schedule is None:
        return None
    name, kwargs = schedule
    return name, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))


def lr_multipliers(config: PlaygroundConfig) -> np.ndarray | None:
    """The schedule's multiplier for each step (ScheduleError, a ValueError, on a bad combination)."""
    if config.schedule is None:
        return None
    name, kwargs = config.schedule
    return lr_curve(
        name, config.steps, lr=1.0, **{k: list(v) if isinstance(v, tuple) else v for k, v in kwargs}
    )


def slot_hyperparams(name: str, hyperparams: tuple[tuple[str, object], ...], weight_decay: float) -> dict:
    """An optimizer's hyperparameters as the run uses them: its card's, and the page's weight decay where
    the rule has one."""
    hp = gather_hyperparams(name, dict(hyperparams))
    if any(h.name == "weight_decay" for h in RULES[name].hyperparams):
        hp["weight_decay"] = weight_decay
    return hp


@lru_cache(maxsize=256)
def simulate_slot(config: PlaygroundConfig) -> Trajectory:
    """The run of a config's one optimizer. Cached per optimizer: moving one LR slider reruns only that
    optimizer, and `Trajectory.stack` puts the runs back together exactly as one call would."""
    (slot,) = config.slots
    surface = build_surface(*config.surface_key)
    hp = slot_hyperparams(slot.name, slot.hyperparams, config.weight_decay)
    sigma = NOISE_MODES[config.noise] * typical_gradient(surface)
    return simulate(
        surface,
        [(slot.name, hp)],
        [config.start],
        config.steps,
        grad_noise=sigma,
        lr_schedule=lr_multipliers(config),
        clip_grad_norm=config.clip_norm,
        seed=config.seed,
    )


@lru_cache(maxsize=64)
def run(config: PlaygroundConfig, lang: str = "en") -> PlaygroundResult:
    """Simulate every optimizer of `config` (cached: the result is shared by every session)."""
    surface = build_surface(*config.surface_key)
    multipliers = lr_multipliers(config)
    traj = Trajectory.stack([simulate_slot(replace(config, slots=(slot,))) for slot in config.slots])
    names = [slot.name for slot in config.slots]
    labels = _labels(names, [hp for _, hp in traj.optimizers], lang)
    styles = [
        plotting.PathStyle(label, **style)
        for label, style in zip(labels, theme.slot_styles(names), strict=True)
    ]
    return PlaygroundResult(
        config, surface, traj, labels, [hp for _, hp in traj.optimizers], styles, multipliers
    )


def run_or_unscheduled(
    config: PlaygroundConfig, lang: str = "en"
) -> tuple[PlaygroundResult, ValueError | None]:
    """`run(config)`, or, where the library refuses the schedule for this many steps (e.g. one-cycle too
    short), the run without it and the library's error to show."""
    try:
        return run(config, lang), None
    except ValueError as error:
        return run(replace(config, schedule=None), lang), error


def _labels(names: list[str], hps: list[dict], lang: str) -> list[str]:
    """Legend labels from each rule ("Adam + L2", "SGD + Nesterov"); the LR is added where an optimizer
    appears twice."""
    labels = []
    for name, hp in zip(names, hps, strict=True):
        label = optimizer_label(name, hp, lang)
        if names.count(name) > 1:
            label += f" (lr={hp.get('lr', 0):g})"
        labels.append(label)
    return labels


def _pair(v: np.ndarray) -> str:
    return "—" if not np.all(np.isfinite(v)) else f"({v[0]:+.3g}, {v[1]:+.3g})"


# the readout's columns, in order (their headers are translated by the page)
READOUT_COLUMNS = (
    "optimizer",
    "position",
    "loss",
    "grad",
    "update",
    "momentum",
    "sqrt_v",
    "step_size",
    "status",
)


def inspect_rows(
    result: PlaygroundResult, step: int, columns: dict[str, str], status: dict[str, str]
) -> pd.DataFrame:
    """The readout table at the inspected step (the step from k to k+1, k = min(step, steps−1)).

    status: the texts of "ok" (running), "done" (the last step) and "diverged" (with {step})."""
    traj, k = result.traj, min(step, result.config.steps - 1)
    rows = []
    for i, label in enumerate(result.labels):
        stop = int(result.diverged_at[i])
        rows.append(
            {
                columns["optimizer"]: label,
                columns["position"]: _pair(result.xy[i, step]),
                columns["loss"]: f"{result.loss[i, step]:.4g}",
                columns["grad"]: _pair(traj.grad[i, 0, k]),
                columns["update"]: _pair(traj.update[i, 0, k]),
                columns["momentum"]: _pair(traj.momentum[i, 0, k]),
                columns["sqrt_v"]: _pair(np.sqrt(np.abs(traj.second_moment[i, 0, k]))),
                columns["step_size"]: _pair(traj.step_size[i, 0, k]),
                columns["status"]: _status(stop, step, result.config.steps, status),
            }
        )
    return pd.DataFrame(rows)


def _status(stop: int, step: int, steps: int, status: dict[str, str]) -> str:
    """Where a run stands at the inspected step: diverged (at or before it), finished (its last step), or
    running."""
    if 0 <= stop <= step:
        return status["diverged"].format(step=stop)
    return status["done"] if step >= steps else status["ok"]


def curvature_rows(
    result: PlaygroundResult, step: int, columns: dict[str, str], kinds: dict[str, str]
) -> pd.DataFrame:
    """At the inspected step: eigenvalues, what kind of point it is, and GD's 2/λ_max bound beside the LR."""
    lam_min, lam_max = result.curvature()
    rows = []
    for i, label in enumerate(result.labels):
        x, y = result.xy[i, step]
        kind = classify_point(result.surface, x, y, grad_tol=1e-3 * (1 + typical_gradient(result.surface)))
        lr = result.hyperparams[i].get("lr", float("nan"))
        bound = stability_bound(lam_max[i, step]) if np.isfinite(lam_max[i, step]) else float("nan")
        rows.append(
            {
                columns["optimizer"]: label,
                columns["lam_min"]: f"{lam_min[i, step]:.4g}",
                columns["lam_max"]: f"{lam_max[i, step]:.4g}",
                columns["kind"]: kinds[kind.replace(" ", "_")],
                columns["bound"]: "∞" if not np.isfinite(bound) else f"{bound:.3g}",
                columns["lr"]: f"{lr:g}",
            }
        )
    return pd.DataFrame(rows)


def export_csv(result: PlaygroundResult) -> str:
    """Long format: one row per optimizer and step, with the state the page shows."""
    traj, steps = result.traj, result.config.steps
    frames = []
    for i, label in enumerate(result.labels):
        pad = np.full((1, 2), np.nan)
        grad, update = np.vstack([traj.grad[i, 0], pad]), np.vstack([traj.update[i, 0], pad])
        momentum, second = np.vstack([traj.momentum[i, 0], pad]), np.vstack([traj.second_moment[i, 0], pad])
        step_size = np.vstack([traj.step_size[i, 0], pad])
        frames.append(
            pd.DataFrame(
                {
                    "optimizer": label,
                    "step": np.arange(steps + 1),
                    "x": result.xy[i, :, 0],
                    "y": result.xy[i, :, 1],
                    "loss": result.loss[i],
                    "grad_x": grad[:, 0],
                    "grad_y": grad[:, 1],
                    "update_x": update[:, 0],
                    "update_y": update[:, 1],
                    "momentum_x": momentum[:, 0],
                    "momentum_y": momentum[:, 1],
                    "v_x": second[:, 0],
                    "v_y": second[:, 1],
                    "step_size_x": step_size[:, 0],
                    "step_size_y": step_size[:, 1],
                    "diverged_at": int(result.diverged_at[i]),
                }
            )
        )
    buffer = io.StringIO()
    pd.concat(frames).to_csv(buffer, index=False)
    return buffer.getvalue()
