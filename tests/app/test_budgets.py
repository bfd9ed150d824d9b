"""Budget tests of the pages (AppTest): payload size, the traces an animation frame moves, element counts.

They hold the performance design in place: a figure small enough to send on every rerun, animation
frames that carry only the coordinates of the moving traces. They live apart from the page tests so that
a change of that design fails here and leaves the behaviour tests standing.
"""

import json

from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_view


def chart_spec(at: AppTest, key: str) -> dict:
    """The spec of the Plotly chart whose element id holds `key`."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id and key in chart.proto.id:
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no plotly chart with key {key}")


# ---- Playground ------------------------------------------------------------------------------------------
def test_playground_frames_move_only_the_trails_heads_and_loss_markers():
    spec = chart_spec(open_view("playground"), "map")
    # the surface is a picture, not a contour trace redrawn on every change
    assert all(d["type"] == "scatter" for d in spec["data"])
    # frames carry only x and y of the moving traces: a trail per optimizer, all heads, all loss markers
    moving = [spec["data"][i] for i in spec["frames"][0]["traces"]]
    assert [d["meta"] for d in moving] == ["trail"] * 4 + ["heads", "loss-markers"]
    for frame in spec["frames"]:
        assert all(set(d) == {"x", "y"} for d in frame["data"])
        heads = frame["data"][4]
        assert len(heads["x"]) == 4 and heads["x"] == [trail["x"][-1] for trail in frame["data"][:4]]
    play = spec["layout"]["updatemenus"][0]["buttons"][0]
    assert play["args"][1]["frame"]["redraw"] is False
    # the scrubber offers a subset of the frames, each of them a frame
    scrubber = [step["args"][0][0] for step in spec["layout"]["sliders"][0]["steps"]]
    assert len(scrubber) <= 22 and set(scrubber) <= {frame["name"] for frame in spec["frames"]}


def test_payload_for_six_optimizers_is_small():
    at = open_view("playground", {"n_opt": "6", "steps": "300"})
    for chart in at.get("plotly_chart"):
        if "map" in chart.proto.id:
            size = len(chart.proto.spec.encode())
            print(f"map figure JSON for 6 optimizers x 300 steps: {size / 1e6:.3f} MB")
            assert size <= 1_000_000


# ---- Schedules -------------------------------------------------------------------------------------------
def test_largest_view_stays_small_and_kept_curves_are_bounded():
    six = "step_lr;cosine_annealing_warm_restarts;cyclic_lr;inverse_sqrt;warmup;exponential_lr"
    at = open_view(
        "schedules",
        {"steps": "5000", "sched": "sequential_lr", "sched_milestones": "100,1000,3000", "keep": six},
    )
    curves = {trace["name"]: trace["y"] for trace in chart_spec(at, "curves")["data"]}
    assert len(curves) == 7 and not at.warning and not at.error
    assert at.button(key="keep_curve").disabled  # full
    size = next(len(c.proto.spec) for c in at.get("plotly_chart") if "curves" in c.proto.id)
    assert size < 1_000_000, size
    at = open_view("schedules", {"keep": six + ";power"})
    warnings = " ".join(w.value for w in at.warning)
    assert "power" in warnings and "curves" in "".join(c.proto.id for c in at.get("plotly_chart"))
