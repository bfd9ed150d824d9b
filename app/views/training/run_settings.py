"""The sidebar of a stored run: the URL values that give back its RunConfig, loaded once when a link (or
the history's Open) opens the run, so that a shared run link shows controls that match the run.

run_settings() is the reverse of setup.py (no streamlit there): each sidebar key the run determines, with
its URL text. load_run_settings() puts them into the URL before the sidebar reads it.
"""

from __future__ import annotations

import streamlit as st

from app.shared.schedule_controls import flat_settings
from app.views.training.lane_settings import MAX_LANES, lane_settings
from app.views.training.resources import job_manager, uploads_dir
from app.views.training.setup import PATH_SOURCES
from optim_core.training.config import ConfigError, RunConfig
from optim_core.training.store import RunNotFound

_LOADED = "_tr_settings_of"  # session state: the run whose settings the sidebar was last given
# keys whose set depends on the optimizer or the schedule: the old ones go before the run's come in
_PREFIXES = (*(f"l{i}_" for i in range(1, MAX_LANES + 1)), "lrs_")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def run_settings(config: dict) -> dict[str, str]:
    """The sidebar's URL values (key -> text) that give back the run's config."""
    cfg = RunConfig.from_dict(config)
    path = cfg.data_path or ""
    upload = path.rstrip("/").rsplit("/", 1)[-1] if path else ""
    if cfg.dataset == "auto" and path and path.rstrip("/") == str(uploads_dir() / upload):
        data = {"data": "upload", "upload": upload, "path": ""}
    elif cfg.dataset in PATH_SOURCES:
        data = {"data": cfg.dataset, "path": path}
    else:
        data = {"data": "digits", "path": ""}
    values = {
        **data,
        "img": cfg.image_size or 0,
        "val": float(cfg.val_fraction),
        "subset": cfg.max_samples or 0,
        "width": float(cfg.width),
        "bn": cfg.batch_norm,
        "dropout": cfg.dropout > 0,
        "residual": cfg.residual,
        "device": cfg.device,
        "epochs": cfg.epochs,
        "bs": cfg.batch_size,
        "rseed": cfg.seed,
        "sweep": bool(cfg.batch_sizes),
        "decay": float(cfg.weight_decay),
        "decay_mode": cfg.weight_decay_mode,
        "clipping": cfg.clip_grad_norm is not None,
        "warmup": cfg.warmup_steps,
        "lrs": cfg.schedule or "none",
        "lrs_unit": cfg.schedule_unit,
        "wema": cfg.ema_decay is not None,
        "accum": cfg.accumulation_steps,
        "early": cfg.patience is not None,
        "keep_best": cfg.keep_best,
    }
    if cfg.dropout > 0:
        values["dropout_p"] = float(cfg.dropout)
    if cfg.residual:
        values["drop_path"] = float(cfg.drop_path)
    if cfg.batch_sizes:
        values["sweep_sizes"] = ",".join(map(str, cfg.batch_sizes))
    else:
        values["lanes"] = len(cfg.optimizers)
    if cfg.clip_grad_norm is not None:
        values["max_norm"] = float(cfg.clip_grad_norm)
    if cfg.ema_decay is not None:
        values["wema_decay"] = float(cfg.ema_decay)
    if cfg.patience is not None:
        values["patience"] = cfg.patience
    texts = {key: _text(value) for key, value in values.items()}
    for i, entry in enumerate(cfg.optimizers[:MAX_LANES], start=1):
        texts[f"l{i}"] = entry["name"]
        hp = dict(entry.get("hp") or {})
        if "betas" in hp:  # the sliders hold betas in two (controls.gather_hyperparams joins them)
            hp["betas1"], hp["betas2"] = hp.pop("betas")
        for setting in lane_settings(i, entry["name"]):
            name = setting.key.split("_", 1)[1]
            if name in hp:
                texts[setting.key] = setting.encode(setting.parse(_text(hp[name])))
    if cfg.schedule:
        for setting, value in flat_settings(cfg.schedule, cfg.schedule_kwargs, "lrs_", whole_run=True):
            texts[setting.key] = setting.encode(value)
    return texts


def load_run_settings() -> None:
    """Once per opened run (run=<id>): put its settings into the URL, in place of the sidebar's own."""
    run_id = int(st.session_state.get("run") or 0)
    if not run_id or st.session_state.get(_LOADED) == run_id:
        return
    st.session_state[_LOADED] = run_id
    try:
        texts = run_settings(job_manager().store.get_run(run_id).config)
    except (RunNotFound, ConfigError, KeyError, ValueError, TypeError):
        return  # a run that is gone says so in the run view; an unreadable config leaves the sidebar as is
    stale = [k for k in st.query_params if k in texts or k.startswith(_PREFIXES)]
    for key in stale:
        del st.query_params[key]
    for key in [k for k in list(st.session_state.keys()) if k in texts or str(k).startswith(_PREFIXES)]:
        del st.session_state[key]  # the sidebar's next read takes the URL's value
    for key, text in texts.items():
        st.query_params[key] = text


def mark_loaded(run_id: int) -> None:
    """A run just started from the sidebar: its settings are already there."""
    st.session_state[_LOADED] = run_id
