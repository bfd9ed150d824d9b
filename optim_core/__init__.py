"""optim_core: the pure library behind the optimizer lab.

Optimizers, 2D loss surfaces, the simulation engine, LR schedules, EMA smoothing and a small CNN
trainer. It never imports streamlit or plotly (a test reads the imports and keeps it so).

The public names are loaded lazily, so importing one part never pays for another (torch is only
imported by the parts that train).
"""

from importlib import import_module

# public name -> module that is its one home
_EXPORTS = {
    "Surface": "optim_core.surfaces",
    "get_surface": "optim_core.surfaces",
    "surface_names": "optim_core.surfaces",
    "parse_formula": "optim_core.formula",
    "FormulaError": "optim_core.formula",
    "simulate": "optim_core.simulation",
    "Trajectory": "optim_core.simulation",
    "RULES": "optim_core.optimizers",
    "optimizer_names": "optim_core.optimizers",
    "lr_curve": "optim_core.schedules",
    "reduce_lr_on_plateau": "optim_core.schedules",
    "schedule_fn": "optim_core.schedules",
    "SCHEDULES": "optim_core.schedules",
    "ema": "optim_core.smoothing",
    "sma": "optim_core.smoothing",
    "ema_weights": "optim_core.smoothing",
    "effective_window": "optim_core.smoothing",
    "load_csv_series": "optim_core.series",
    "SeriesError": "optim_core.series",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optim_core' has no attribute {name!r}")
    return getattr(import_module(module), name)
