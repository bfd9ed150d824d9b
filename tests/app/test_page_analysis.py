"""AppTest page tests: the Analysis page's figure specs, URL state, the Playground link, bad input, zh."""

from __future__ import annotations

import json
import urllib.parse

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_view

SMALL = {"b_grid": "20", "b_steps": "100", "sw_steps": "50", "sw_starts": "3"}  # keeps every run short


def analysis(query: dict | None = None, state: dict | None = None) -> AppTest:
    return open_view("analysis", query, state=state, timeout=90)


def chart_spec(at: AppTest, key: str) -> dict:
    for chart in at.get("plotly_chart"):
        if chart.proto.id and key in chart.proto.id:
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no plotly chart with key {key}")


def heatmap(spec: dict) -> np.ndarray:
    (trace,) = [d for d in spec["data"] if d["type"] == "heatmap"]
    return np.array(trace["z"])


def bands(spec: dict) -> list[dict]:
    return [d for d in spec["data"] if d.get("fill") == "tonexty"]


def test_default_page_renders_basins_and_sweep():
    at = analysis()
    assert at.title[0].value.startswith("Analysis")
    basins = chart_spec(at, "basin_chart")
    z = heatmap(basins)
    assert z.shape == (40, 40)
    # Himmelblau: four basins, codes 2 + k for minimum k; nothing still moving (1) or diverged (0)
    assert set(np.unique(z)) == {2, 3, 4, 5}
    assert all(np.count_nonzero(z == code) > 300 for code in (2, 3, 4, 5))
    stars = [d for d in basins["data"] if d.get("marker", {}).get("symbol") == "star"]
    assert len(stars) == 2 and all(len(s["x"]) == 4 for s in stars)  # ★ on both panels
    legend = [d["name"] for d in basins["data"] if d.get("showlegend")]
    assert len(legend) == 4 and all("%" in name for name in legend)
    sweep = chart_spec(at, "sweep_chart")
    assert len(bands(sweep)) == 3  # sgd, momentum, adam
    assert sweep["layout"]["xaxis"]["type"] == "log" and sweep["layout"]["yaxis"]["type"] == "log"
    medians = [d for d in sweep["data"] if d.get("mode") == "lines+markers"]
    assert [len(d["x"]) for d in medians] == [41, 41, 41]
    assert medians[2]["customdata"][0][0] == "adam"


def test_basin_classes_with_divergence_and_still_moving():
    at = analysis({**SMALL, "b_opt": "sgd", "b_lr": "0.05"})  # far above 2/λ_max ≈ 0.015–0.025 of the minima
    z = heatmap(chart_spec(at, "basin_chart"))
    assert z.shape == (20, 20) and 0 in z  # diverged starts
    at = analysis({**SMALL, "b_opt": "sgd", "b_lr": "0.0001", "b_steps": "10"})
    z = heatmap(chart_spec(at, "basin_chart"))
    assert np.count_nonzero(z == 1) == z.size  # nothing arrives in 10 tiny steps
    assert "still moving" in " ".join(d.get("name", "") for d in chart_spec(at, "basin_chart")["data"])


def test_one_band_per_optimizer():
    at = analysis({**SMALL, "sw_opts": "adam,rmsprop"})
    spec = chart_spec(at, "sweep_chart")
    assert len(bands(spec)) == 2
    colours = {d["line"]["color"] for d in spec["data"] if d.get("mode") == "lines+markers"}
    assert colours == {"#D55E00", "#E69F00"}  # theme.optimizer_colour of adam and rmsprop


def test_url_settings_are_restored():
    query = {
        "surface": "ravine",
        "condition": "50",
        "b_opt": "adam",
        "b_lr": "0.05",
        "b_grid": "20",
        "b_steps": "150",
        "sw_opts": "sgd,nesterov",
        "sw_metric": "steps_to_tol",
        "sw_steps": "100",
        "sw_starts": "4",
        "sw_tol": "0.001",
    }
    at = analysis(query)
    assert at.selectbox(key="surface").value == "ravine"
    assert at.select_slider(key="condition").value == pytest.approx(50.0)
    assert at.selectbox(key="b_opt").value == "adam"
    assert at.select_slider(key="b_lr").value == pytest.approx(0.05)
    assert at.slider(key="b_steps").value == 150 and at.selectbox(key="b_grid").value == 20
    assert at.number_input(key="b_betas1").value == pytest.approx(0.9)  # adam's other hyperparameters
    assert at.multiselect(key="sw_opts").value == ["sgd", "nesterov"]
    assert at.radio(key="sw_metric").value == "steps_to_tol"
    assert heatmap(chart_spec(at, "basin_chart")).shape == (20, 20)
    spec = chart_spec(at, "sweep_chart")
    assert len(bands(spec)) == 2 and "steps" in spec["layout"]["yaxis"]["title"]["text"]
    assert spec["layout"]["yaxis"]["type"] == "linear"
    # changing a widget writes it back into the URL
    at.multiselect(key="sw_opts").select("adam").run()
    assert at.query_params["sw_opts"] in ("sgd,nesterov,adam", ["sgd,nesterov,adam"])


def test_a_picked_point_links_to_the_playground():
    at = analysis({**SMALL, "surface": "ravine", "condition": "50"}, state={"an_pick": ("adam", 0.0316)})
    (code,) = at.code
    url = urllib.parse.urlparse(code.value)
    assert url.path == "/playground"
    query = dict(urllib.parse.parse_qsl(url.query))
    # the LR snapped to the Playground's slider grid; the surface and its parameter carried along
    assert query == {
        "surface": "ravine",
        "n_opt": "1",
        "o1": "adam",
        "o1_lr": "0.03",
        "steps": "50",
        "condition": "50",
    }
    links = at.get("page_link")
    assert links and "0.03" in links[0].proto.label
    assert "playground" in links[0].proto.page
    # following it: the Playground takes the link's values, not this page's widgets (session state is shared)
    at.switch_page("views/playground/page.py")
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="o1").value == "adam" and at.select_slider(key="o1_lr").value == pytest.approx(
        0.03
    )
    assert at.slider(key="steps").value == 50 and at.selectbox(key="surface").value == "ravine"


def test_bad_input_gives_messages_not_tracebacks():
    at = analysis({**SMALL, "sw_opts": "sgd,nope", "b_grid": "7"})
    warnings = " ".join(w.value for w in at.warning)
    assert "nope" in warnings and "b_grid" in warnings
    assert at.multiselect(key="sw_opts").value == ["sgd", "momentum", "adam"]  # the default
    at = analysis({**SMALL, "sw_opts": ""})
    assert any("at least one optimizer" in i.value for i in at.info)
    at = analysis({**SMALL, "surface": "saddle", "sw_metric": "steps_to_tol"})
    assert any("no known minimum" in i.value for i in at.info)
    assert any("this surface has none" in i.value for i in at.info)
    assert not [c for c in at.get("plotly_chart") if "sweep_chart" in c.proto.id]
    at = analysis({"surface": "custom", "formula": "__import__('os').system('echo hi')"})
    assert at.error and "formula" in at.error[0].value.lower()


def test_custom_formula_gets_basins():
    at = analysis(
        {**SMALL, "surface": "custom", "formula": "x**4 - 2*x**2 + y**2", "b_lr": "0.01", "b_steps": "600"}
    )
    z = heatmap(chart_spec(at, "basin_chart"))
    assert set(np.unique(z)) == {2, 3}  # the two minima at x = ±1


def test_chinese_labels_and_presenter_sizes():
    at = analysis({**SMALL, "lang": "zh"})
    assert at.title[0].value.startswith("分析")
    basins = chart_spec(at, "basin_chart")
    assert "损失曲面" in json.dumps(basins["layout"]["annotations"], ensure_ascii=False)
    sweep = chart_spec(at, "sweep_chart")
    assert "学习率" in sweep["layout"]["xaxis"]["title"]["text"]
    at = analysis({**SMALL, "present": "true"})
    assert chart_spec(at, "sweep_chart")["layout"]["font"]["size"] == 22


def test_curvature_table_classifies_the_critical_points():
    at = analysis(SMALL)
    table = at.dataframe[0].value
    assert list(table["kind"]) == ["minimum"] * 4 + ["saddle"] * 4 + ["maximum"]
    # Himmelblau's one local maximum (f ≈ 181.617) is listed with the others
    assert table["point (x, y)"].iloc[-1] == "(-0.271, -0.923)"
    # GD's limit at the steepest Himmelblau minimum (−3.78, −3.28): 2/λ_max ≈ 0.015
    assert float(table["2/λ_max"][0]) == pytest.approx(0.01495, rel=1e-3)


def test_a_grid_too_large_for_memory_runs_fewer_steps_and_says_so():
    at = analysis({**SMALL, "b_grid": "60", "b_steps": "2000", "b_lr": "0.001"})
    assert any("running 440 steps instead" in w.value for w in at.warning)  # 1.6 M / 3600 starts, to tens
    assert heatmap(chart_spec(at, "basin_chart")).shape == (60, 60)
    assert at.slider(key="b_steps").value == 2000  # the setting (and the URL) keep what was asked


def test_a_new_optimizer_starts_from_its_own_default_lr():
    at = analysis(SMALL)
    assert at.select_slider(key="b_lr").value == pytest.approx(
        0.0025
    )  # sgd on Himmelblau: capped by curvature
    at.selectbox(key="b_opt").set_value("adam").run()
    assert at.select_slider(key="b_lr").value == pytest.approx(0.05)  # adam: 0.02 × the view's width / 4
