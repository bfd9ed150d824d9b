"""Live training: several optimizers train one small CNN from the same weights on the same batches.

settings (sidebar, every one in the URL) -> RunConfig -> JobManager (worker processes, queued in SQLite)
-> RunStore metrics -> an st.fragment that polls new rows -> Vega-Lite charts updated in place.

The browser holds nothing a run needs: the run id is in the URL (run=<id>), its status and metrics are
in the run store, so a refresh, a closed tab or a restarted server loses nothing (a restart queues the
running runs again and continues them from their checkpoints).

URL keys are this page's own, none means what another page's key of the same name means:
data, path, upload, img, val, subset (data); width, bn, dropout, dropout_p, residual, drop_path, device
(model); epochs, bs, rseed (loop); lanes and per lane l<i> (optimizer) plus l<i>_<hyperparameter> (l1_lr,
l1_momentum, l1_betas1, ...); decay, decay_mode, clipping, max_norm, warmup, lrs + lrs_<param> (schedule),
lrs_unit, wema, wema_decay, accum, early, patience, keep_best (tricks); sweep, sweep_sizes; lrt_lane,
lrt_steps (LR range test); run, key (the run's capability key), cmp, smooth, xaxis, logloss (the run
on screen); allruns (history). A token given as admin=... is taken out of the URL at once
(app/shared/run_access.py).

Each panel is a function in this package that draws its widgets and returns plain values:
    setup.py     the sidebar -> a RunDraft (RunConfig's fields) and the problems found
    summary.py   the data, model and device it gives -> the checked RunConfig; the Start button
    lr_range.py  the LR range test of one lane
    run_panel.py the open run (charts.py draws its charts); history.py the stored runs
"""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import t
from app.shared.settings import current
from app.views.training.history import history_panel
from app.views.training.lr_range import lr_range_panel
from app.views.training.resources import job_manager
from app.views.training.run_panel import open_run, run_panel
from app.views.training.run_settings import load_run_settings
from app.views.training.session import RUN, presenter
from app.views.training.setup import setup_sidebar
from app.views.training.summary import start_panel, summary_panel

st.title(t("tr.title"))
st.markdown(t("tr.lead"))
if presenter():  # the progress line and the select boxes' values at the size the shell gives other text
    st.html(
        "<style>[data-testid='stProgress'] p, [data-testid='stSelectbox'] input, .stMarkdownBadge"
        " { font-size: 1.25rem !important; }</style>"
    )
job_manager().store.mark_interrupted()  # a run whose worker is gone (a crash, a killed server) shows so
current().register(RUN)  # first: Start sets it and reruns before the page reaches the run view
load_run_settings()  # a link that opens a run shows that run's settings in the sidebar

draft, problems = setup_sidebar()
config, problems = summary_panel(draft, problems)
start_panel(config, problems)
lr_range_panel(draft, problems)

record = open_run()
run_panel(record)
history_panel(record)
