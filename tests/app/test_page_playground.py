"""AppTest page tests: the playground's figure spec, URL state and bad input."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from app.shared.optimizer_catalog import default_lr
from app.shared.simulation_cache import cached_scales
from app.views.playground import map_base
from tests.app.apptest import html_tables, open_view


def playground(query: dict | None = None) -> AppTest:
    return open_view("playground", query)


def chart_spec(at: AppTest, key: str) -> dict:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if chart.proto.id and key in chart.proto.id:
            return spec
    raise AssertionError(f"no plotly chart with key {key}")


def path_traces(spec: dict) -> list[dict]:
    """The faint full paths on the map (the loss and LR panels use other axes)."""
    return [
        d for d in spec["data"] if d.get("mode") == "lines" and len(d.get("x", [])) > 30 and "xaxis" not in d
    ]


def test_default_page_has_four_animated_paths():
    at = playground()
    spec = chart_spec(at, "map")
    paths = path_traces(spec)
    assert len(paths) == 4 and all(len(p["x"]) == 101 for p in paths)
    # the surface is one picture pinned to the map's axes, not a contour trace redrawn on every change
    (picture,) = spec["layout"]["images"]
    assert picture["source"].startswith("data:image/png;base64,") and (picture["xref"], picture["yref"]) == (
        "x",
        "y",
    )
    grid = spec["data"][map_base.CLICK_TRACE]  # a click reports the trace it hit by index
    assert grid["name"] == "click-grid" and len(grid["x"]) == len(grid["y"]) == map_base.CLICK_GRID**2
    assert spec["frames"], "the map animates"  # what a frame carries: tests/app/test_budgets.py
    loss_lines = [d for d in spec["data"] if d.get("xaxis") == "x3" and d.get("mode") == "lines"]
    assert len(loss_lines) == 4 and all(len(d["y"]) == 101 for d in loss_lines)


def test_arrows_are_shapes_with_heads_pointing_along_them():
    at = playground({"n_opt": "2", "o1": "sgd", "o2": "momentum", "t": "30"})
    spec = chart_spec(at, "map")
    assert not spec["layout"].get("annotations"), "annotation arrows are laid out one by one: not used"
    (heads,) = [d for d in spec["data"] if d.get("meta") == "arrow-heads"]
    assert heads["marker"]["angleref"] == "previous" and heads["marker"]["symbol"] == "arrow"
    # tail (invisible), tip (visible) for each arrow; each tip ends a line shape that starts at its tail
    assert (
        heads["marker"]["size"][0::2] == [0] * (len(heads["x"]) // 2)
        and min(heads["marker"]["size"][1::2]) > 0
    )
    lines = {(s["x0"], s["y0"], s["x1"], s["y1"]) for s in spec["layout"]["shapes"] if s["type"] == "line"}
    for k in range(0, len(heads["x"]), 2):
        assert (heads["x"][k], heads["y"][k], heads["x"][k + 1], heads["y"][k + 1]) in lines


def test_lr_change_changes_the_path():
    at = playground({"n_opt": "1", "o1": "sgd"})
    before = path_traces(chart_spec(at, "map"))[0]
    at.select_slider(key="o1_lr").set_value(0.05).run()
    after = path_traces(chart_spec(at, "map"))[0]
    assert before["x"] != after["x"]


def test_url_settings_are_restored():
    at = playground({"surface": "himmelblau", "n_opt": "2", "o1": "adam", "o1_lr": "0.1", "steps": "150"})
    assert at.selectbox(key="surface").value == "himmelblau"
    assert at.select_slider(key="o1_lr").value == pytest.approx(0.1)
    paths = path_traces(chart_spec(at, "map"))
    assert len(paths) == 2 and len(paths[0]["x"]) == 151


def test_bad_url_values_fall_back_with_a_notice():
    at = playground({"steps": "banana", "surface": "nope", "n_opt": "99"})
    warnings = " ".join(w.value for w in at.warning)
    assert "banana" in warnings and "nope" in warnings and "99" in warnings
    assert at.slider(key="steps").value == 100


def test_divergence_is_reported_not_raised():
    at = playground({"surface": "rosenbrock", "n_opt": "1", "o1": "sgd", "o1_lr": "1"})
    assert any("diverged at step" in w.value for w in at.warning)


def test_custom_formula_and_hostile_formula():
    at = playground({"surface": "custom", "formula": "x**2 + 3*y**2"})
    assert path_traces(chart_spec(at, "map"))
    at = playground({"surface": "custom", "formula": "__import__('os').system('echo hi')"})
    assert at.error and "formula" in at.error[0].value.lower()


def test_chinese_labels():
    at = playground({"lang": "zh"})
    assert at.title[0].value == "损失曲面游乐场"


def test_schedule_link_drives_the_paths_and_the_lr_panel():
    plain = path_traces(chart_spec(playground({"n_opt": "1", "o1": "sgd"}), "map"))[0]
    at = playground(
        {
            "n_opt": "1",
            "o1": "sgd",
            "sched": "cosine_annealing_lr",
            "sched_T_max": "100",
            "sched_eta_min": "0.1",
        }
    )
    spec = chart_spec(at, "map")
    assert "xaxis2" in spec["layout"], "the LR panel is drawn"
    lr_trace = next(d for d in spec["data"] if d.get("yaxis") == "y2" and d.get("mode") == "lines")
    assert lr_trace["y"][0] == pytest.approx(1.0) and lr_trace["y"][-1] < 0.2
    # each frame moves the LR marker with the paths (trail, head, loss marker, LR marker)
    assert all(len(frame["data"]) == 4 for frame in spec["frames"])
    assert spec["frames"][-1]["data"][-1]["x"] == [99]
    scheduled = path_traces(spec)[0]
    assert scheduled["x"] != plain["x"]


def test_a_refused_schedule_shows_an_error_and_the_page_works():
    at = playground({"sched": "one_cycle_lr", "sched_total_steps": "10"})
    assert at.error
    assert path_traces(chart_spec(at, "map"))


def test_curvature_at_the_saddle_point():
    at = playground(
        {"surface": "saddle", "x0": "0", "y0": "0", "n_opt": "1", "o1": "sgd", "curv": "true", "t": "0"}
    )
    curvature = next(tb for tb in html_tables(at) if "λ_min" in tb.columns)
    assert curvature.iloc[0]["point"] == "saddle point"
    assert float(curvature.iloc[0]["λ_min"]) == pytest.approx(-2) and float(
        curvature.iloc[0]["λ_max"]
    ) == pytest.approx(2)
    assert curvature.iloc[0]["GD bound 2/λ_max"] == "1"
    shapes = chart_spec(at, "map")["layout"]["shapes"]
    lines = [s for s in shapes if s["type"] == "line"]
    assert {s["line"]["dash"] for s in lines} == {"solid", "dot"}, "one axis curves up, one down"


def test_readout_shows_each_optimizer_at_the_inspected_step():
    at = playground(
        {
            "surface": "bowl",
            "n_opt": "2",
            "o1": "sgd",
            "o1_lr": "0.1",
            "o2": "adam",
            "x0": "1",
            "y0": "1",
            "t": "0",
        }
    )
    readout = html_tables(at)[0]
    assert list(readout["optimizer"]) == ["SGD", "Adam"]
    assert readout.iloc[0]["position (x, y)"] == "(+1, +1)"
    at.slider(key="t").set_value(1).run()
    moved = html_tables(at)[0]
    assert moved.iloc[0]["position (x, y)"] != "(+1, +1)", "the readout follows the inspected step"


def test_html_table_escapes_what_it_shows():
    import pandas as pd

    from app.shared.html_table import html_table

    markup = html_table(pd.DataFrame({"a<b": ["<script>alert(1)</script>"]}))
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "a&lt;b" in markup


def test_torch_code_is_drawn_only_when_open():
    at = playground({"n_opt": "1", "o1": "adam"})
    assert not at.code, "a closed expander draws no code"
    at.session_state["pg_code"] = True  # what opening it in the browser does
    at.run()
    assert at.code and "torch.optim.Adam" in at.code[0].value


def test_exports_hold_the_trajectories():
    from app.views.playground import model

    config = model.PlaygroundConfig(
        surface="bowl",
        formula=None,
        surface_params=(),
        slots=(model.SlotConfig("adam", (("lr", 0.05),)), model.SlotConfig("sgd", (("lr", 0.1),))),
        start=(1.0, 1.0),
        steps=20,
        noise="batch",
        seed=0,
        clip_norm=None,
        weight_decay=0.0,
    )
    result = model.run(config)
    csv = model.export_csv(result).splitlines()
    assert csv[0].startswith("optimizer,step,x,y,loss,grad_x")
    assert len(csv) == 1 + 2 * 21
    first = csv[1].split(",")
    assert float(first[2]) == 1.0 and float(first[3]) == 1.0
    text = {
        k: k
        for k in (
            "play",
            "pause",
            "step",
            "loss",
            "height",
            "minimum",
            "saddle",
            "start",
            "click_hint",
            "diverged",
            "lr_multiplier",
        )
    }
    html = result.html(presenter=False, text=text)
    assert html.lstrip().lower().startswith("<!doctype html>") and "Plotly.newPlot" in html
    assert "addFrames" in html or '"frames"' in html, "the animation travels with the file"


def test_hiding_a_setting_drops_it_without_a_notice():
    at = playground({"clip": "true", "clip_norm": "2"})
    at.toggle(key="clip").set_value(False).run()
    assert not [w for w in at.warning if "unknown" in w.value.lower()]


def test_a_new_rule_in_a_slot_takes_that_rules_defaults():
    """SGD + momentum at lr 1e-4 on Beale, then AdamW in that slot: AdamW starts from its own LR for Beale
    (and its own betas), not from the momentum's 1e-4 that would make it look useless."""
    at = playground({"surface": "beale", "n_opt": "2", "o2": "momentum", "o2_lr": "0.0001"})
    assert at.select_slider(key="o2_lr").value == pytest.approx(1e-4)
    at.selectbox(key="o2").set_value("adamw").run()
    assert not at.exception
    expected = default_lr("adamw", cached_scales("beale", None, ()))
    assert expected != pytest.approx(1e-4)
    assert at.select_slider(key="o2_lr").value == pytest.approx(expected)
    assert at.query_params.get("o2_lr") in (None, [], [f"{expected:.10g}"])
    # the slider that did not change keeps its value; the URL names the new rule
    assert at.query_params["o2"] in ("adamw", ["adamw"])


def test_a_link_naming_a_rule_and_its_lr_keeps_that_lr():
    at = playground({"surface": "beale", "n_opt": "2", "o2": "adamw", "o2_lr": "0.0001"})
    assert at.select_slider(key="o2_lr").value == pytest.approx(1e-4)


def test_readout_status_says_finished_once_the_run_has_ended():
    """At the last step the run is over: the status column says so, not "running"."""
    at = playground({"surface": "bowl", "n_opt": "2", "o1": "sgd", "o2": "adam", "steps": "20"})
    readout = html_tables(at)[0]
    assert list(readout["status"]) == ["finished", "finished"]
    at.slider(key="t").set_value(5).run()
    assert list(html_tables(at)[0]["status"]) == ["running", "running"]
    zh = playground({"surface": "bowl", "n_opt": "1", "o1": "sgd", "steps": "20", "lang": "zh"})
    assert list(html_tables(zh)[0]["状态"]) == ["已完成"]


def test_step_line_on_the_loss_panel_moves_with_the_frames():
    """The inspected-step line on the loss panel is drawn by a moving trace, so Play moves it too."""
    at = playground({"n_opt": "2", "o1": "sgd", "o2": "adam", "steps": "40", "t": "10"})
    spec = chart_spec(at, "map")
    assert not [s for s in spec["layout"]["shapes"] if s.get("xref") == "x3"], "a shape does not animate"
    (markers,) = [d for d in spec["data"] if d.get("meta") == "loss-markers"]
    index = spec["data"].index(markers)
    assert "lines" in markers["mode"] and set(markers["x"]) == {10}
    for frame in spec["frames"]:
        (moved,) = [d for i, d in zip(frame["traces"], frame["data"], strict=True) if i == index]
        assert set(moved["x"]) == {int(frame["name"])}
        assert len(moved["y"]) == len(markers["y"]) == 2 + 2, "the line's two ends, then a marker per path"


def test_update_rules_sit_beside_the_map_specialised_to_their_settings():
    """SGD and SGD + momentum read differently; the page's clipping, weight decay and schedule show; the
    rules are in the column beside the map's."""
    at = playground(
        {
            "n_opt": "3",
            "o1": "sgd",
            "o2": "momentum",
            "o3": "adam",
            "clip": "true",
            "clip_norm": "2",
            "wd": "0.1",
            "sched": "cosine_annealing_lr",
        }
    )
    sgd, momentum, adam = (latex.value for latex in at.latex)
    assert sgd != momentum
    assert "b_t" in momentum and r"\mu = 0.9" in momentum and "nesterov" not in momentum
    assert "b_t" not in sgd and r"\mu = 0" in sgd and r"\textbf{if}" not in sgd, "its branches are decided"
    assert r"\lambda = 0.1" in sgd and r"g_t + \lambda \theta_{t-1}" in sgd
    assert all(
        r"\min\!\big(1, 2 /" in rule and r"\mathrm{sched}(t)" in rule for rule in (sgd, momentum, adam)
    )
    assert "v^{max}_t" not in adam and r"\epsilon = 10^{-8}" in adam
    row = [c for c in at.columns if c.get("plotly_chart") or c.get("latex")]
    assert [(len(c.get("plotly_chart")), len(c.get("latex"))) for c in row] == [(1, 0), (0, 3)]
    at.selectbox(key="o1").set_value("nesterov").run()
    assert r"g_t + \mu b_t" in at.latex[0].value


def test_a_rule_twice_with_other_settings_shows_twice():
    at = playground({"n_opt": "2", "o1": "adam", "o2": "adam", "o2_amsgrad": "true"})
    assert (
        len(at.latex) == 2
        and "v^{max}_t" in at.latex[1].value
        and "v^{max}_t" not in at.latex[0].value.split(r"\textbf{for}")[1]
    )


def test_every_rule_reads_with_its_branches_decided():
    """No rule shows a branch its settings decide, nor a flag that is off; RAdam's ρₜ > 5 stays."""
    from app.views.playground import rule_text
    from optim_core.optimizers import RULES

    for name, rule in RULES.items():
        for switch in ({}, {"weight_decay": 0.1}, {"momentum": 0.5}):
            hp = {**rule.defaults, **{k: v for k, v in switch.items() if k in rule.defaults}}
            text = " ".join(rule_text.specialised_lines(name, hp, noise=True, clip_norm=1.0, schedule=True))
            assert not [c for c in rule_text.CONDITIONS if rf"\textbf{{if}}\ {c}" in text], (name, text)
            assert r"\mathrm{sched}(t)" in text and r"\sigma \xi_t" in text and r"\min\!\big(1, 1 /" in text
    assert r"\rho_t > 5" in " ".join(rule_text.specialised_lines("radam", {}))
