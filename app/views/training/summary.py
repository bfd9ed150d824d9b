"""The setup checked, above the Start button: the data, the model and the device the sidebar gives.

summary_panel() probes the data set, the device and the RunConfig (a schedule the library refuses for
this run's length fails here, not in the worker); each problem is shown once, in the summary.
start_panel() queues the checked config and opens its run.
"""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import t
from app.shared.markdown import literal
from app.shared.run_access import access, policy, remember, say
from app.shared.run_access import register as register_access
from app.views.training.resources import device_text, job_manager, parameter_count, probe
from app.views.training.run_settings import mark_loaded
from app.views.training.setup import RunDraft, data_error_text
from app.views.training.wording import counted
from optim_core.training.config import ConfigError, RunConfig, steps_per_epoch
from optim_core.training.data.dataset import DataError
from optim_core.training.ownership import QuotaExceeded, new_key
from optim_core.training.tricks import make_lr_fn


def summary_panel(draft: RunDraft, problems: list[str]) -> tuple[RunConfig | None, list[str]]:
    """The summary box; the checked RunConfig (None if it cannot run), and the problems so far with those
    the summary found ("data", "device", "config")."""
    fields = draft.fields
    problems = list(problems)
    summary = st.container()
    info = None
    if fields["dataset"] != "digits" and fields["data_path"] is None:
        need = "tr.need_upload" if draft.data_choice == "upload" else "tr.need_path"
        summary.info(t(need), icon=":material/folder_open:")
        problems.append("data")
    else:
        try:
            with st.spinner(t("tr.loading_data")):
                info = probe(
                    fields["dataset"],
                    fields["data_path"],
                    fields["image_size"],
                    fields["val_fraction"],
                    fields["max_samples"],
                )
        except (DataError, OSError, ValueError) as error:
            text = data_error_text(error) if isinstance(error, DataError) else literal(error)
            summary.error(t("tr.data_error", error=text), icon=":material/error:")
            problems.append("data")
    try:
        device_line = device_text(fields["device"])
    except ValueError as error:
        summary.error(t("tr.device_error", error=literal(error)), icon=":material/error:")
        device_line = "—"
        problems.append("device")
    try:
        config = RunConfig.from_dict(fields)
        if info is not None:
            check_schedule(config, info["n_train"])
    except (ConfigError, ValueError) as error:
        summary.error(t("tr.config_error", error=literal(error)), icon=":material/error:")
        config = None
        problems.append("config")

    presenter = bool(st.session_state.get("present", False))
    sizes = fields["batch_sizes"]
    jobs = job_manager()
    with summary.container(border=True):
        data_col, model_col, device_col = st.columns([5, 3, 4]) if not presenter else (st, st, st)
        if info is not None:
            data_col.markdown(
                t(
                    "tr.data_line",
                    name=info["name"],
                    train=f"{info['n_train']:,}",
                    val=f"{info['n_val']:,}",
                    shape="×".join(map(str, info["shape"])),
                    classes=info["classes"],
                )
            )
            if info["skipped"]:
                data_col.caption(t("tr.skipped", n=info["skipped"]))
            first_size = sizes[0] if sizes else fields["batch_size"]
            per_epoch = steps_per_epoch(info["n_train"], first_size, fields["accumulation_steps"])
            data_col.caption(
                counted("tr.steps_line", per_epoch, per_epoch=per_epoch, total=per_epoch * fields["epochs"])
            )
            count = parameter_count(
                info["shape"],
                info["classes"],
                fields["width"],
                fields["batch_norm"],
                fields["dropout"],
                bool(fields.get("residual")),
            )
            n_models = len(sizes) if sizes else len(fields["optimizers"])
            model_col.markdown(counted("tr.params_line", n_models, count=f"{count:,}", n=n_models))
        device_col.markdown(t("tr.device_line", device=device_line))
        device_col.caption(t("tr.workers_line", workers=jobs.max_workers, threads=jobs.torch_threads))
    return config, problems


def check_schedule(config: RunConfig, n_train: int) -> None:
    """Evaluate each lane's LR at the run's last step: ValueError if the schedule cannot reach it."""
    for lane in config.lanes():
        per_epoch = steps_per_epoch(n_train, lane.batch_size, config.accumulation_steps)
        lr_at = make_lr_fn(config, lane.hp["lr"], per_epoch)
        lr_at(config.epochs * per_epoch - 1, config.epochs)


def start_panel(config: RunConfig | None, problems: list[str]) -> None:
    """Start (disabled while there is a problem), and the queue's state and limits beside it. A started
    run gets a new key (in the URL beside run=<id>: whoever holds the link controls the run); the
    class's limits are checked as the run is queued, and the oldest ended runs beyond the store's
    limit go."""
    jobs, rules = job_manager(), policy()
    register_access()
    start_col, queue_col = st.columns([1, 3], vertical_alignment="center")
    if start_col.button(
        t("tr.start"),
        type="primary",
        icon=":material/play_arrow:",
        disabled=bool(problems),
        key="tr_start",
        width="stretch",
    ):
        key = new_key()
        try:
            run_id = jobs.submit(config, key=key, access=access(), policy=rules)
        except QuotaExceeded as hit:
            st.warning(t(f"own.quota.{hit.kind}", limit=hit.limit), icon=":material/block:")
        except (ConfigError, ValueError) as error:
            st.error(t("tr.config_error", error=literal(error)), icon=":material/error:")
        else:
            remember(run_id, key)
            st.session_state["run"], st.session_state["key"] = run_id, key
            st.session_state["cmp"] = 0
            mark_loaded(run_id)
            pruned = jobs.prune(rules.max_runs)
            if pruned:
                say(
                    t("own.pruned", limit=rules.max_runs, ids=", ".join(f"#{i}" for i in pruned)),
                    ":material/auto_delete:",
                )
            st.rerun()
    running, queued = jobs.store.count_running(), len(jobs.store.queued_ids())
    queue_col.caption(t("tr.queue_line", running=running, queued=queued, workers=jobs.max_workers))
    queue_col.caption(
        t("own.limits_line", per_user=rules.runs_per_user, queue=rules.queue_cap, kept=rules.max_runs)
    )
