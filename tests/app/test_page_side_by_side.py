"""AppTest of the Playground's side-by-side view of the classifier's two losses (MSE | cross-entropy),
and of the Playground's tools on the two surfaces."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from app.views.playground import map_base
from tests.app.apptest import html_tables, open_view

PAIR_KEYS = ("pair_classifier_mse", "pair_classifier_ce")


def charts(at: AppTest) -> dict[str, dict]:
    """Every plotly chart's spec by its key (the part of the element id after the widget prefix)."""
    found = {}
    for chart in at.get("plotly_chart"):
        for key in ("map", *PAIR_KEYS):
            if chart.proto.id and chart.proto.id.endswith(key):
                found[key] = json.loads(chart.proto.spec)
    return found


def paths(spec: dict) -> dict[str, list]:
    """The faint full path of each optimizer, by its legend label."""
    return {d["name"]: d["x"] for d in spec["data"] if d.get("mode") == "lines" and d.get("opacity") == 0.45}


def pair_table(at: AppTest):
    """The side-by-side view's comparison table (its headers name |∇L|)."""
    (table,) = [frame for frame in html_tables(at) if any("|∇L|" in str(c) for c in frame.columns)]
    return table


def start_marker(spec: dict) -> tuple[float, float]:
    (marker,) = [d for d in spec["data"] if d.get("marker", {}).get("symbol") == "circle-open"]
    return marker["x"][0], marker["y"][0]


@pytest.mark.parametrize("surface", ["classifier_mse", "classifier_ce"])
def test_both_maps_with_the_same_optimizers_and_start(surface):
    at = open_view("playground", {"surface": surface, "pair": "true"})
    found = charts(at)
    assert set(found) == {"map", *PAIR_KEYS}
    mse, ce = found["pair_classifier_mse"], found["pair_classifier_ce"]
    # the same optimizers (legend labels) and the same start on both losses, the page's own start
    assert list(paths(mse)) == list(paths(ce)) == list(paths(found["map"])) and len(paths(mse)) == 4
    assert start_marker(mse) == start_marker(ce) == start_marker(found["map"]) == (-5.0, 0.0)
    # each map is its own loss's picture, and the page's map is the same picture as its twin
    assert mse["layout"]["images"][0]["source"] != ce["layout"]["images"][0]["source"]
    twin = found[f"pair_{surface}"]
    assert twin["layout"]["images"][0]["source"] == found["map"]["layout"]["images"][0]["source"]
    assert paths(twin) == paths(found["map"])
    assert twin["data"][map_base.CLICK_TRACE]["name"] == "click-grid"


def test_sgd_stalls_on_squared_error_and_walks_down_cross_entropy():
    at = open_view("playground", {"surface": "classifier_mse", "pair": "true", "n_opt": "1", "o1": "sgd"})
    found = charts(at)
    (mse_x,) = paths(found["pair_classifier_mse"]).values()
    (ce_x,) = paths(found["pair_classifier_ce"]).values()
    assert abs(mse_x[-1] - mse_x[0]) < 0.1 < 2.0 < ce_x[-1] - ce_x[0]
    table = pair_table(at)
    assert list(table.columns) == [
        "Optimizer",
        "Squared error: loss",
        "Squared error: |∇L|",
        "Cross-entropy: loss",
        "Cross-entropy: |∇L|",
    ]
    assert float(table.iloc[0, 2]) < 0.02 and float(table.iloc[0, 4]) > 0.1


def test_the_toggle_is_in_the_url_and_only_on_a_classifier_loss():
    at = open_view("playground", {"surface": "classifier_ce"})
    assert [tg.value for tg in at.toggle if tg.key == "pair"] == [False]
    assert not set(charts(at)) & set(PAIR_KEYS)
    at.toggle(key="pair").set_value(True).run()
    assert set(charts(at)) >= set(PAIR_KEYS) and at.query_params["pair"] == "true"
    # another surface has no partner: no toggle, no pair, and an old link's pair=true is ignored
    other = open_view("playground", {"surface": "bowl", "pair": "true"})
    assert not [tg for tg in other.toggle if tg.key == "pair"]
    assert not set(charts(other)) & set(PAIR_KEYS)


def test_chinese_titles():
    at = open_view("playground", {"lang": "zh", "surface": "classifier_ce", "pair": "true"})
    text = " ".join(m.value for m in at.markdown)
    assert "分类器损失\\:均方误差" in text and "分类器损失\\:交叉熵" in text  # the colon escaped by literal()
    assert "均方误差:|∇L|" in list(pair_table(at).columns)


@pytest.mark.parametrize("surface", ["classifier_mse", "classifier_ce"])
def test_playground_tools_work_on_the_classifier_losses(surface):
    # curvature axes and table, 3D view, noise and clipping, with the pair drawn too
    query = {"surface": surface, "pair": "true", "curv": "true", "view3d": "true", "noise": "sgd"}
    at = open_view("playground", {**query, "clip": "true", "t": "40"})
    ids = [chart.proto.id for chart in at.get("plotly_chart")]
    assert all(any(key in i for i in ids) for key in ("curvature_chart", "surface3d", *PAIR_KEYS)), ids
    assert len(html_tables(at)) >= 3  # readout, curvature, the pair's comparison


@pytest.mark.parametrize("surface", ["classifier_mse", "classifier_ce"])
def test_analysis_basins_and_sweep_on_the_classifier_losses(surface):
    at = open_view("analysis", {"surface": surface}, timeout=180)
    assert len(at.get("plotly_chart")) >= 2  # the basin map and the LR sweep
