"""The Schedules page (AppTest) and its settings module: curves equal optim_core's, URL state, errors, zh,
links."""

import ast
import json
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.shared.schedule_controls import IntListSetting, InvalidValue
from app.shared.schedule_links import decode_curve, encode_curve, playground_link, relative_kwargs
from app.shared.theme import PRESENTER
from app.views.schedules import figures as view
from app.views.schedules import model
from optim_core.schedules import (
    SCHEDULES,
    get_spec,
    lr_curve,
    noisy_plateau_series,
    reduce_lr_on_plateau,
    schedule_names,
)
from tests.app.apptest import open_view

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_page():
    """The schedules page opened from a link carrying `query` (tests/app/apptest.py)."""
    return lambda query=None: open_view("schedules", query)


def chart(at: AppTest, key: str) -> dict:
    for element in at.get("plotly_chart"):
        if element.proto.id and key in element.proto.id:
            return json.loads(element.proto.spec)
    raise AssertionError(f"no plotly chart with key {key}")


def curves(at: AppTest) -> dict[str, list]:
    """Legend label -> y values of the schedules chart (None where a value is not drawn)."""
    return {trace["name"]: trace["y"] for trace in chart(at, "curves")["data"]}


def warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def url_value(at: AppTest, key: str) -> str | None:
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def link_query(at: AppTest, index: int = 0) -> dict[str, str]:
    query = urllib.parse.parse_qs(at.get("page_link")[index].proto.query_string, keep_blank_values=True)
    return {key: values[0] for key, values in query.items()}


# ---- the page ----------------------------------------------------------------------------------------------
def test_default_page_shows_torch_exact_cosine(open_page):
    at = open_page()
    shown = curves(at)
    assert list(shown) == ["CosineAnnealingLR(T_max=300)"]
    # bit for bit what optim_core computes (JSON floats round-trip exactly)
    assert (
        shown["CosineAnnealingLR(T_max=300)"]
        == lr_curve("cosine_annealing_lr", 300, lr=0.1, T_max=300).tolist()
    )
    layout = chart(at, "curves")["layout"]
    assert layout["hovermode"] == "x unified"
    assert ".15~g" in chart(at, "curves")["data"][0]["hovertemplate"]
    assert not at.error and not at.warning
    assert any(r"\cos" in latex.value for latex in at.latex)  # the formula
    assert any(
        "CosineAnnealingLR(optimizer, T_max=300)" in code.value for code in at.code
    )  # the PyTorch code
    table = at.dataframe[0].value
    assert len(table) == 300 and table.iloc[:, 1].tolist() == shown["CosineAnnealingLR(T_max=300)"]
    # T_max defaults to the number of steps: one annealing, the LR never rises again
    assert np.all(np.diff(shown["CosineAnnealingLR(T_max=300)"]) < 0)
    assert at.number_input(key="sched_T_max").value == 0
    assert at.number_input(key="sched_T_max").label == "T_max (0 = all 300 steps)"


def test_changing_a_parameter_changes_the_curve(open_page):
    at = open_page()
    before = curves(at)
    at.number_input(key="sched_T_max").set_value(50).run()
    after = curves(at)
    assert before != after
    assert (
        after["CosineAnnealingLR(T_max=50)"]
        == lr_curve("cosine_annealing_lr", 300, lr=0.1, T_max=50).tolist()
    )
    assert url_value(at, "sched_T_max") == "50"
    # the base LR and the number of steps apply too
    at.slider(key="steps").set_value(40).run()
    assert len(curves(at)["CosineAnnealingLR(T_max=50)"]) == 40


def test_keep_curve_adds_a_trace_and_remove_takes_it_away(open_page):
    at = open_page({"sched": "step_lr"})
    at.button(key="keep_curve").click().run()
    assert url_value(at, "keep") == "step_lr"
    assert at.button(key="keep_curve").disabled  # the same curve twice is refused
    at.number_input(key="sched_step_size").set_value(10).run()
    shown = curves(at)
    assert len(shown) == 2
    assert shown["StepLR(step_size=30)"] == lr_curve("step_lr", 300, lr=0.1, step_size=30).tolist()
    assert shown["StepLR(step_size=10)"] == lr_curve("step_lr", 300, lr=0.1, step_size=10).tolist()
    at.button(key="keep_curve").click().run()
    assert url_value(at, "keep") == "step_lr;step_lr|step_size=10"
    assert len(at.tabs) == 3
    at.button(key="drop_0").click().run()
    assert url_value(at, "keep") == "step_lr|step_size=10"
    at.button(key="drop_all").click().run()
    assert "keep" not in at.query_params and len(curves(at)) == 1


def test_url_restores_the_view(open_page):
    at = open_page(
        {
            "sched": "multi_step_lr",
            "sched_milestones": "20,40",
            "sched_gamma": "0.5",
            "steps": "60",
            "lr": "0.2",
            "logy": "true",
            "keep": "exponential_lr|gamma=0.9;warmup|schedule=step_lr",
        }
    )
    assert at.selectbox(key="sched").value == "multi_step_lr"
    assert at.text_input(key="sched_milestones").value == "20,40"
    assert at.select_slider(key="sched_gamma").value == pytest.approx(0.5)
    shown = curves(at)
    assert set(shown) == {
        "MultiStepLR(milestones=[20,40], gamma=0.5)",
        "ExponentialLR(gamma=0.9)",
        "warmup() → StepLR(step_size=30)",
    }
    expected = lr_curve("multi_step_lr", 60, lr=0.2, milestones=[20, 40], gamma=0.5)
    assert shown["MultiStepLR(milestones=[20,40], gamma=0.5)"] == expected.tolist()
    warm = lr_curve("warmup", 60, lr=0.2, schedule="step_lr", schedule_kwargs={"step_size": 30})
    assert shown["warmup() → StepLR(step_size=30)"] == warm.tolist()
    assert chart(at, "curves")["layout"]["yaxis"]["type"] == "log"
    assert not at.warning


def test_composites_are_flattened_into_settings(open_page):
    at = open_page(
        {
            "sched": "sequential_lr",
            "sched_milestones": "10,50",
            "sched_s2": "step_lr",
            "sched_s2_step_size": "20",
        }
    )
    assert [at.selectbox(key=f"sched_s{k}").value for k in (1, 2, 3)] == [
        "linear_lr",
        "step_lr",
        "exponential_lr",
    ]
    (values,) = curves(at).values()
    expected = lr_curve(
        "sequential_lr",
        300,
        lr=0.1,
        milestones=[10, 50],
        schedulers=[("linear_lr", {}), ("step_lr", {"step_size": 20}), ("exponential_lr", {"gamma": 0.98})],
    )
    assert values == expected.tolist()


def test_bad_url_values_fall_back_with_a_notice(open_page):
    at = open_page(
        {"steps": "banana", "sched": "nope", "keep": "step_lr|bogus=1", "lr": "-3", "plt_patience": "1000"}
    )
    notices = warnings(at)
    for bad in ("banana", "nope", "bogus", "-3", "1000"):
        assert bad in notices, bad
    assert at.slider(key="steps").value == 300
    assert at.selectbox(key="sched").value == "cosine_annealing_lr"
    assert len(curves(at)) == 1


def test_bad_milestones_in_the_url_get_a_notice(open_page):
    at = open_page({"sched": "multi_step_lr", "sched_milestones": "30,abc"})
    assert "30,abc" in warnings(at)
    assert at.text_input(key="sched_milestones").value == "30,80"


def test_invalid_combination_shows_the_library_error(open_page):
    at = open_page({"sched": "multi_step_lr", "sched_milestones": "80,30"})
    assert at.error and "strictly increasing" in at.error[0].value
    assert "curves" not in "".join(c.proto.id for c in at.get("plotly_chart"))
    at = open_page({"sched": "one_cycle_lr", "sched_total_steps": "2", "sched_pct_start": "0.3"})
    assert at.error and "pct_start" in at.error[0].value


def test_typed_list_is_kept_and_reported_not_replaced(open_page):
    at = open_page({"sched": "multi_step_lr"})
    at.text_input(key="sched_milestones").input("30,abc").run()
    assert not at.exception
    assert at.text_input(key="sched_milestones").value == "30,abc"
    assert at.error and "30,abc" in at.error[0].value


def test_a_schedule_that_ends_early_is_cut_with_a_warning(open_page):
    at = open_page({"sched": "one_cycle_lr", "steps": "400"})
    (values,) = curves(at).values()
    assert len(values) == 301
    assert "301" in warnings(at)


def test_switching_schedule_forgets_the_old_parameters(open_page):
    at = open_page({"sched": "cosine_annealing_lr", "sched_T_max": "40"})
    at.selectbox(key="sched").set_value("step_lr").run()
    assert "sched_T_max" not in at.query_params
    assert not at.warning, warnings(at)  # no "unknown parameter" notice for the one we dropped
    at.selectbox(key="sched").set_value("cosine_annealing_lr").run()
    assert at.number_input(key="sched_T_max").value == 0  # back from its default (all steps), not from 40


def test_the_default_t_max_follows_the_steps_and_a_named_one_wins(open_page):
    at = open_page({"steps": "500"})
    shown = curves(at)
    assert shown == {"CosineAnnealingLR(T_max=500)": lr_curve("cosine_annealing_lr", 500, T_max=500).tolist()}
    at.slider(key="steps").set_value(120).run()
    assert list(curves(at)) == ["CosineAnnealingLR(T_max=120)"]
    assert "sched_T_max" not in at.query_params  # the default leaves the URL clean
    assert any("CosineAnnealingLR(optimizer, T_max=120)" in code.value for code in at.code)
    # a link that names T_max still sets it: the cosine rises again past it, as torch's does
    at = open_page({"steps": "300", "sched_T_max": "100"})
    (values,) = curves(at).values()
    assert values == lr_curve("cosine_annealing_lr", 300, T_max=100).tolist() and np.argmin(values) == 100
    # a kept curve keeps the T_max it was drawn with, whatever the steps become
    at.button(key="keep_curve").click().run()
    at = open_page({"steps": "200", "keep": url_value(at, "keep")})
    assert set(curves(at)) == {"CosineAnnealingLR(T_max=200)", "CosineAnnealingLR(T_max=100)"}
    # the longest curve anneals over all its steps too, and keeping it keeps that T_max
    at = open_page({"steps": "5000"})
    at.button(key="keep_curve").click().run()
    assert url_value(at, "keep") == "cosine_annealing_lr|T_max=5000"
    at = open_page({"steps": "4000", "keep": url_value(at, "keep")})
    assert set(curves(at)) == {"CosineAnnealingLR(T_max=4000)", "CosineAnnealingLR(T_max=5000)"}
    assert not at.warning and not at.error


def test_the_playground_cosine_anneals_over_its_steps(open_page):
    def lr_panel(query: dict) -> list[float]:
        at = open_view("playground", {"n_opt": "1", "o1": "sgd", "sched": "cosine_annealing_lr", **query})
        spec = chart(at, "map")
        return next(d for d in spec["data"] if d.get("yaxis") == "y2" and d.get("mode") == "lines")["y"]

    lrs = lr_panel({"steps": "200"})
    assert len(lrs) == 200 and lrs == pytest.approx(
        lr_curve("cosine_annealing_lr", 200, lr=1.0, T_max=200), abs=1e-6
    )
    assert np.all(np.diff(lrs) <= 0)  # the panel's 6 digits: the last steps may round alike
    named = lr_panel({"steps": "200", "sched_T_max": "50"})
    assert named == pytest.approx(lr_curve("cosine_annealing_lr", 200, lr=1.0, T_max=50), abs=1e-6)


def test_chinese_labels(open_page):
    at = open_page({"lang": "zh", "sched": "step_lr"})
    assert at.title[0].value == "学习率调度"
    assert at.selectbox(key="sched").label == "调度方式"
    assert "余弦退火 (CosineAnnealingLR)" in at.selectbox(key="sched").options
    assert at.button(key="keep_curve").label == "保留这条曲线"
    assert chart(at, "curves")["layout"]["yaxis"]["title"]["text"] == "学习率"
    assert at.get("page_link")[0].proto.label == "在游乐场中使用此调度"


def test_playground_link_carries_the_schedule(open_page):
    at = open_page({"sched": "cosine_annealing_lr", "sched_T_max": "80", "sched_eta_min": "0.01"})
    assert link_query(at) == {"sched": "cosine_annealing_lr", "sched_T_max": "80", "sched_eta_min": "0.1"}
    assert at.get("page_link")[0].proto.page == "playground"
    at = open_page({"sched": "cyclic_lr", "sched_step_size_up": "50"})
    query = link_query(at)
    assert query["sched"] == "cyclic_lr" and query["sched_max_lr"] == "1" and query["sched_base_lr"] == "0.01"
    assert query["sched_step_size_up"] == "50"


def test_presenter_mode_uses_the_large_look(open_page):
    at = open_page({"present": "true"})
    layout = chart(at, "curves")["layout"]
    assert layout["font"]["size"] == PRESENTER.font
    assert layout["xaxis"]["tickfont"]["size"] == PRESENTER.font


# ---- ReduceLROnPlateau -------------------------------------------------------------------------------------
def plateau_traces(at: AppTest) -> list[dict]:
    return chart(at, "plateau")["data"]


def test_plateau_reacts_to_the_loss_series(open_page):
    at = open_page()
    loss, lrs, cuts = plateau_traces(at)
    series = noisy_plateau_series(100, 0)
    assert loss["y"] == series.tolist()
    expected = reduce_lr_on_plateau(series, lr=0.1)
    assert lrs["y"] == expected.tolist() and lrs["yaxis"] == "y2"
    first_lower = [epoch for epoch in range(1, 100) if expected[epoch] < expected[epoch - 1]]
    assert cuts["x"] == first_lower and len(first_lower) >= 1
    assert any("ReduceLROnPlateau(optimizer)" in code.value for code in at.code)


def test_plateau_parameters_change_the_cuts(open_page):
    at = open_page({"plt_patience": "3", "plt_factor": "0.5", "plt_cooldown": "2", "plt_seed": "7"})
    _, lrs, cuts = plateau_traces(at)
    expected = reduce_lr_on_plateau(noisy_plateau_series(100, 7), lr=0.1, patience=3, factor=0.5, cooldown=2)
    assert lrs["y"] == expected.tolist()
    assert len(cuts["x"]) > 2
    assert any("patience=3" in code.value and "factor=0.5" in code.value for code in at.code)


# ---- the settings module: encoding, links ------------------------------------------------------------------
EXAMPLES = [
    ("step_lr", {"step_size": 20, "gamma": 0.5}),
    ("multi_step_lr", {"milestones": (10, 40), "gamma": 0.1}),
    ("cosine_annealing_lr", {"T_max": 60, "eta_min": 0.01}),
    ("cosine_annealing_warm_restarts", {"T_0": 20, "T_mult": 2, "eta_min": 0.005}),
    (
        "cyclic_lr",
        {
            "base_lr": 0.002,
            "max_lr": 0.05,
            "step_size_up": 20,
            "step_size_down": 30,
            "mode": "triangular2",
            "gamma": 1.0,
        },
    ),
    (
        "one_cycle_lr",
        {
            "max_lr": 0.2,
            "total_steps": 120,
            "pct_start": 0.25,
            "anneal_strategy": "linear",
            "div_factor": 25.0,
            "final_div_factor": 1e4,
            "three_phase": True,
        },
    ),
    (
        "warmup",
        {
            "warmup_steps": 15,
            "start_factor": 0.2,
            "schedule": "cosine_annealing_lr",
            "schedule_kwargs": {"T_max": 50, "eta_min": 0.001},
        },
    ),
    (
        "sequential_lr",
        {
            "milestones": (10, 60),
            "schedulers": [
                ("linear_lr", {"start_factor": 0.1, "total_iters": 10}),
                ("cosine_annealing_lr", {"T_max": 50, "eta_min": 0.002}),
                ("constant_lr", {}),
            ],
        },
    ),
]


@pytest.mark.parametrize(("name", "kwargs"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_encoded_curve_decodes_to_the_same_curve(name, kwargs):
    decoded_name, decoded = decode_curve(encode_curve(name, kwargs))
    assert decoded_name == name
    np.testing.assert_array_equal(
        lr_curve(name, 120, lr=0.1, **decoded), lr_curve(name, 120, lr=0.1, **kwargs)
    )


def test_every_schedule_round_trips_with_its_defaults():
    for name in schedule_names():
        decoded_name, kwargs = decode_curve(encode_curve(name, {}))
        assert decoded_name == name
        lr_curve(name, 50, **kwargs)  # the page's defaults make a valid schedule


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nope",
        "step_lr|step_size",
        "step_lr|step_size=0",
        "step_lr|gamma=x",
        "multi_step_lr|milestones=3,2",
        "step_lr|step_size=5|step_size=6",
        "sequential_lr|milestones=1,2,3,4",
    ],
)
def test_bad_encoded_curves_are_refused(text):
    with pytest.raises(InvalidValue):
        decode_curve(text)


@pytest.mark.parametrize(("name", "kwargs"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_playground_link_is_the_relative_shape(name, kwargs):
    """What the Playground builds from the link, at lr=1.0, times the LR is the curve shown here."""
    lr = 0.1
    relative = relative_kwargs(name, kwargs, lr)
    shape = lr_curve(name, 100, lr=1.0, **relative)
    if get_spec(name).uses_lr:
        np.testing.assert_allclose(shape * lr, lr_curve(name, 100, lr=lr, **kwargs), rtol=1e-12, atol=1e-15)
    else:  # cyclic / one-cycle: the peak is the optimizer's own LR
        np.testing.assert_allclose(
            shape * kwargs["max_lr"], lr_curve(name, 100, **kwargs), rtol=1e-12, atol=1e-15
        )
        assert relative["max_lr"] == 1.0


def test_playground_link_format():
    link = playground_link("warmup", dict(EXAMPLES[6][1]), lr=0.1)
    path, _, query = link.partition("?")
    assert path == "/playground"
    params = dict(urllib.parse.parse_qsl(query))
    assert params == {
        "sched": "warmup",
        "sched_warmup_steps": "15",
        "sched_start_factor": "0.2",
        "sched_schedule": "cosine_annealing_lr",
        "sched_then_T_max": "50",
        "sched_then_eta_min": "0.01",
    }
    link = playground_link("multi_step_lr", {"milestones": (30, 80), "gamma": 0.1})
    assert link == "/playground?sched=multi_step_lr&sched_milestones=30,80&sched_gamma=0.1"


def test_int_list_setting_checks_url_values():
    setting = IntListSetting("m", "text", "30,80", "sch.kept", low=0, high=1000)
    assert setting.parse(" 10, 20 ,30") == "10,20,30"
    assert setting.parse("") == ""
    for bad in ("a,b", "1;2", "5000", "1.5", "-1"):
        with pytest.raises(InvalidValue):
            setting.parse(bad)
    assert setting.clean("typed, badly") == "typed, badly"  # widget text is reported, not replaced


def test_log_axis_leaves_gaps_for_zero():
    values = lr_curve("power", 20, T=10)  # reaches exactly 0 at step 10
    curve = model.Curve("power", "power", {"T": 10}, values, "#000", "solid")
    (trace,) = view.schedules_figure(
        [curve], presenter=False, text={"step": "t", "lr": "lr"}, log_y=True
    ).data
    assert list(trace.y[10:]) == [None] * 10
    assert trace.y[0] == pytest.approx(0.1)


def test_csv_has_every_digit():
    values = lr_curve("one_cycle_lr", 50, max_lr=0.3, total_steps=60)
    lines = model.curve_csv(values).splitlines()
    assert lines[0] == "step,lr" and len(lines) == 51
    assert [float(line.split(",")[1]) for line in lines[1:]] == values.tolist()


def test_long_formulas_are_broken_into_lines():
    for name, spec in SCHEDULES.items():
        lines = view.wrap_latex(spec.latex)
        assert lines, name
        assert all(len(line) <= 200 for line in lines), name
    assert len(view.wrap_latex(SCHEDULES["one_cycle_lr"].latex)) >= 3


def test_view_module_does_not_import_streamlit():
    tree = ast.parse((ROOT / "app" / "views" / "schedules" / "figures.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "streamlit" not in imported
