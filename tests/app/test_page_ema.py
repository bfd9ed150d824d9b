"""AppTest page tests of the EMA page: figure specs against optim_core.smoothing, URL state, uploads, Adam."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.views.ema import figures as ema_view
from app.views.ema import model as ema_model
from optim_core.simulation import simulate
from optim_core.smoothing import EMA_LATEX, bias_region, daily_temperatures, ema, ema_weights, sma
from optim_core.surfaces import get_surface
from tests.app.apptest import open_view

CSV = b"step,loss,label\n1,2.5,a\n2,2.1,b\n3,1.9,c\n4,1.7,d\n5,1.75,e\n6,1.5,f\n7,1.45,g\n8,1.3,h\n"


def ema_page(query: dict | None = None) -> AppTest:
    """The EMA page opened from a link carrying `query`."""
    return open_view("ema", query)


def chart_spec(at: AppTest, key: str) -> dict:
    for chart in at.get("plotly_chart"):
        if chart.proto.id and chart.proto.id.endswith(key):
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no plotly chart with key {key}")


def trace(spec: dict, meta: str) -> dict:
    found = [d for d in spec["data"] if d.get("meta") == meta]
    assert len(found) == 1, (meta, [d.get("meta") for d in spec["data"]])
    return found[0]


def values(trace_: dict) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in trace_["y"]], dtype=float)


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="source").set_value("upload").run()
    at.get("file_uploader")[0].set_value((name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ---- the series ---------------------------------------------------------------------------------


def test_default_page_draws_the_library_numbers():
    at = ema_page()
    spec = chart_spec(at, "ema_series")
    temperatures = daily_temperatures(0)
    assert values(trace(spec, "raw")) == pytest.approx(temperatures)
    assert values(trace(spec, "ema")) == pytest.approx(ema(temperatures, 0.9, debias=False), abs=1e-5)
    assert values(trace(spec, "ema_hat")) == pytest.approx(ema(temperatures, 0.9), abs=1e-5)
    assert values(trace(spec, "sma")) == pytest.approx(sma(temperatures, 10), abs=1e-5)
    assert trace(spec, "raw")["mode"] == "markers"
    # the shaded early-bias band covers steps 1..bias_region(0.9)
    band = spec["layout"]["shapes"][0]
    assert (band["x0"], band["x1"]) == (0.5, bias_region(0.9) + 0.5)
    # the formulas come from optim_core.smoothing, one st.latex each
    assert [el.value.strip("$\n") for el in at.latex] == EMA_LATEX
    kernel = trace(chart_spec(at, "ema_kernel"), "kernel")
    assert kernel["y"][0] == pytest.approx(0.1 / (1 - 0.9**365)) and kernel["y"][1] == pytest.approx(
        0.09 / (1 - 0.9**365)
    )
    text = " ".join(m.value for m in at.markdown)
    assert "**10 points**" in text
    assert not dict(at.query_params)  # defaults stay out of the URL


def test_beta_change_changes_the_ema_trace():
    at = ema_page()
    before = values(trace(chart_spec(at, "ema_series"), "ema"))
    at.slider(key="beta").set_value(0.98).run()
    assert not at.exception
    spec = chart_spec(at, "ema_series")
    after = values(trace(spec, "ema"))
    assert not np.allclose(before, after)
    assert after == pytest.approx(ema(daily_temperatures(0), 0.98, debias=False), abs=1e-5)
    assert trace(spec, "sma")["name"].endswith("50")  # round(1/(1-0.98))
    assert spec["layout"]["shapes"][0]["x1"] == bias_region(0.98) + 0.5
    assert at.query_params["beta"] == "0.98"
    kernel_spec = chart_spec(at, "ema_kernel")
    assert any(
        s.get("x0") == pytest.approx(49.5) for s in kernel_spec["layout"]["shapes"]
    )  # the 1/(1-β) mark


def test_bias_correction_toggle_emphasises_the_other_ema():
    at = ema_page()
    spec = chart_spec(at, "ema_series")
    assert trace(spec, "ema_hat").get("visible", True) is True
    at.toggle(key="debias").set_value(False).run()
    spec = chart_spec(at, "ema_series")
    assert trace(spec, "ema_hat")["visible"] == "legendonly"
    assert trace(spec, "ema")["line"]["dash"] == "solid"
    # the kernel now shows the uncorrected weights (1 - β) β^k, in the uncorrected EMA's colour
    kernel = trace(chart_spec(at, "ema_kernel"), "kernel")
    shown = ema_view.kernel_length(0.9, 365)
    assert kernel["y"] == pytest.approx(ema_weights(0.9, 365, debias=False)[::-1][:shown].tolist(), rel=1e-5)
    assert kernel["marker"]["color"] == ema_view.EMA
    assert at.query_params["debias"] == "false"


def test_extreme_betas():
    at = ema_page({"beta": "0"})  # no smoothing at all: every curve is the data, nothing is shaded
    spec = chart_spec(at, "ema_series")
    assert values(trace(spec, "ema")) == pytest.approx(daily_temperatures(0))
    assert not spec["layout"].get("shapes")
    assert any("no early bias" in c.value for c in at.caption)
    at = ema_page({"beta": "0.999"})  # a window of 1000 points on a 365-point series
    assert any("longer than the series (365 points)" in m.value for m in at.markdown)
    kernel = chart_spec(at, "ema_kernel")
    assert trace(kernel, "sma_kernel")["name"] == "SMA weight 1/365"  # the SMA's warm-up: all points so far
    assert len(trace(kernel, "kernel")["x"]) == 365
    assert kernel["layout"]["xaxis"]["range"][1] > 999.5  # the 1/(1-β) mark stays in view


def test_presenter_mode_enlarges_the_figures():
    at = ema_page({"present": "true"})
    spec = chart_spec(at, "ema_series")
    assert spec["layout"]["font"]["size"] == 22 and spec["layout"]["xaxis"]["tickfont"]["size"] == 22
    assert trace(spec, "ema_hat")["line"]["width"] == pytest.approx(6.0)


def test_url_values_are_restored():
    at = ema_page({"beta": "0.95", "debias": "false", "seed": "7"})
    assert at.slider(key="beta").value == pytest.approx(0.95)
    assert at.toggle(key="debias").value is False
    assert at.number_input(key="seed").value == 7
    spec = chart_spec(at, "ema_series")
    assert values(trace(spec, "raw")) == pytest.approx(daily_temperatures(7))
    assert values(trace(spec, "ema")) == pytest.approx(
        ema(daily_temperatures(7), 0.95, debias=False), abs=1e-5
    )
    assert not at.warning


def test_bad_url_values_fall_back_with_a_notice():
    at = ema_page({"beta": "2", "seed": "banana", "source": "nope", "debias": "maybe", "ia_opt": "sgd9"})
    warnings = " ".join(w.value for w in at.warning)
    for bad in ("beta", "'2'", "banana", "nope", "maybe", "sgd9"):
        assert bad in warnings, bad
    assert at.slider(key="beta").value == pytest.approx(0.9)
    assert at.radio(key="source").value == "temperatures"
    assert len(trace(chart_spec(at, "ema_series"), "raw")["y"]) == 365


def test_chinese_labels():
    at = ema_page({"lang": "zh"})
    assert at.title[0].value == "指数移动平均(EMA)"
    spec = chart_spec(at, "ema_series")
    assert trace(spec, "ema_hat")["name"] == "EMA v̂ₜ(偏差修正)"
    assert spec["layout"]["xaxis"]["title"]["text"] == "第 t 天"
    assert at.slider(key="beta").label == "β(衰减系数)"


# ---- uploads ------------------------------------------------------------------------------------


def test_uploaded_csv_column_is_smoothed():
    at = upload(ema_page(), "run.csv", CSV)
    assert not at.error
    spec = chart_spec(at, "ema_series")
    loss = [2.5, 2.1, 1.9, 1.7, 1.75, 1.5, 1.45, 1.3]
    assert values(trace(spec, "raw")) == pytest.approx(loss)  # the loss, not the step counter's straight line
    column = at.sidebar.selectbox[0]
    assert column.options == ["step", "loss"]  # the text column is left out
    assert column.value == "loss"
    column.set_value("step").run()
    assert values(trace(chart_spec(at, "ema_series"), "raw")) == pytest.approx([1, 2, 3, 4, 5, 6, 7, 8])
    column.set_value("loss").run()
    spec = chart_spec(at, "ema_series")
    assert values(trace(spec, "raw")) == pytest.approx(loss)
    assert values(trace(spec, "ema_hat")) == pytest.approx(ema(loss, 0.9), abs=1e-5)
    assert spec["layout"]["yaxis"]["title"]["text"] == "loss"
    # the upload itself never reaches the URL; the choice of source does
    assert dict(at.query_params) == {"source": "upload"}
    assert any("cannot be part of the link" in c.value for c in at.sidebar.caption)


def test_upload_source_without_a_file_falls_back_to_the_temperatures():
    at = ema_page({"source": "upload"})
    assert any("No file uploaded yet" in i.value for i in at.info)
    assert len(trace(chart_spec(at, "ema_series"), "raw")["y"]) == 365


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (b"name,city\nann,paris\nbob,rome\n", "no column holds numbers (found: name, city)"),
        ("温度\n12\n13\n".encode("utf-16"), "it is not UTF-8 or GBK text"),
        (
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe\x00\x00" * 50,
            "it is not UTF-8 or GBK text",
        ),
        (b"a,b\n1,2\n3,4,5\n", "line 3 has 3 cells, but the table has 2 columns"),
        (b"a,b,c\n", "only a header line (a, b, c)"),
        (b"1\n" * (25 * 2**20), "the file is 50 MB, larger than the 10 MB limit"),
    ],
)
def test_bad_csv_gets_a_clear_message_and_the_page_keeps_working(data, expected):
    at = upload(ema_page(), "bad.csv", data)
    assert len(at.error) == 1
    message = at.error[0].value
    assert expected in message and "'bad.csv' cannot be used" in message and "Traceback" not in message
    assert len(trace(chart_spec(at, "ema_series"), "raw")["y"]) == 365  # back on the temperatures


def test_csv_error_is_translated():
    at = ema_page({"lang": "zh"})
    upload(at, "bad.csv", b"name,city\nann,paris\n")
    assert "没有任何一列是数字" in at.error[0].value


def test_gbk_csv_with_a_chinese_header_is_read():
    at = upload(
        ema_page(), "gbk.csv", "日期,气温\n2024-01-01,3.5\n2024-01-02,4.0\n2024-01-03,2.5\n".encode("gbk")
    )
    assert not at.error
    spec = chart_spec(at, "ema_series")
    assert values(trace(spec, "raw")) == pytest.approx([3.5, 4.0, 2.5])
    assert spec["layout"]["yaxis"]["title"]["text"] == "气温"


# ---- inside Adam --------------------------------------------------------------------------------


def test_recorded_adam_moments_are_emas_of_the_gradient():
    """The tie between the libraries: Adam's m and v are optim_core.smoothing's EMAs of g and g²."""
    surface = get_surface("ravine")
    traj = simulate(surface, [("adam", {"lr": 0.05})], [surface.start], 200, grad_noise=0.5, seed=3)
    beta1, beta2 = traj.optimizers[0][1]["betas"]
    for axis in (0, 1):
        g = traj.grad[0, 0, :, axis]
        m, v = traj.momentum[0, 0, :, axis], traj.second_moment[0, 0, :, axis]
        assert np.max(np.abs(ema(g, beta1, debias=False) - m)) <= 1e-12 * max(1.0, np.max(np.abs(m)))
        assert np.max(np.abs(ema(g**2, beta2, debias=False) - v)) <= 1e-12 * max(1.0, np.max(np.abs(v)))
        moments = ema_model.moments(traj, 0, axis, traj.optimizers[0][1])
        # m̂ = m / (1 - β1^t) is the debiased EMA, and likewise v̂
        assert moments.m_hat == pytest.approx(ema(g, beta1), rel=1e-10, abs=1e-12)
        assert moments.v_hat == pytest.approx(ema(g**2, beta2), rel=1e-10, abs=1e-15)
        assert ema_model.ema_gap(moments) < 1e-12
    # and m̂ is what Adam stepped with: θ_t − θ_{t−1} = −step_size · m̂ (step_size = γ/(√v̂+ε))
    step = traj.update[0, 0, :, 0]
    m_hat = ema_model.moments(traj, 0, 0, traj.optimizers[0][1]).m_hat
    assert step == pytest.approx(-traj.step_size[0, 0, :, 0] * m_hat, rel=1e-9, abs=1e-15)


def test_inside_adam_panel_renders_the_moments():
    at = ema_page({"ia_steps": "60", "ia_axis": "y"})
    first, second = chart_spec(at, "ema_first_moment"), chart_spec(at, "ema_second_moment")
    g = values(trace(first, "raw"))
    assert g.size == 60
    m = values(trace(first, "ema"))
    # the m the page shows is the EMA of the g it shows (both rounded to 6 significant digits)
    assert m == pytest.approx(ema(g, 0.9, debias=False), rel=1e-4, abs=1e-6 * np.max(np.abs(g)))
    t = np.arange(1, 61)
    assert values(trace(first, "ema_hat")) == pytest.approx(m / (1 - 0.9**t), rel=1e-4)
    v, v_hat = values(trace(second, "ema")), values(trace(second, "ema_hat"))
    assert v_hat == pytest.approx(v / (1 - 0.999**t), rel=1e-4)
    assert v[0] == pytest.approx(0.001 * g[0] ** 2, rel=1e-4)  # v_1 = (1 - β2) g_1²: far below g², hence v̂
    assert second["layout"]["yaxis"]["type"] == "log"
    assert any("relative difference" in c.value for c in at.caption)


def test_ema_momentum_has_no_second_moment():
    at = ema_page({"ia_opt": "momentum_ema", "ia_surface": "bowl"})
    assert any(spec_key.proto.id.endswith("ema_first_moment") for spec_key in at.get("plotly_chart"))
    assert not any(c.proto.id.endswith("ema_second_moment") for c in at.get("plotly_chart"))
    assert any("no second moment" in i.value for i in at.info)
