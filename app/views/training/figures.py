"""The Training page's charts as plain-dict Vega-Lite specs, for st.vega_lite_chart (no streamlit here).

A spec depends only on the run's lanes and the display options, never on the data (frames.py builds
that), so a poll that brings new rows changes the data alone and Streamlit updates the chart in place
instead of drawing it anew.
"""

from __future__ import annotations

import pandas as pd

from app.shared import theme
from app.views.training.frames import LaneView

# theme.DASHES and theme.SYMBOLS are Plotly names; these are their Vega-Lite forms.
DASH_ARRAYS = {
    "solid": [1, 0],
    "dash": [8, 4],
    "dot": [2, 3],
    "dashdot": [8, 3, 2, 3],
    "longdash": [14, 4],
    "longdashdot": [14, 4, 2, 4],
}
SHAPES = {
    "circle": "circle",
    "square": "square",
    "diamond": "diamond",
    "triangle-up": "triangle-up",
    "pentagon": "cross",
    "star-square": "triangle-down",
}
GRID = "#ececec"


# A batch-size sweep trains one optimizer at several sizes: its lanes are coloured by size, small to large
# (a colour-blind-safe ramp, dark to light), instead of all in the optimizer's one colour.
SIZE_COLOURS = ("#332288", "#117733", "#44AA99", "#88CCEE", "#DDCC77", "#CC6677", "#AA4499", "#882255")


def lane_styles(lanes: list[LaneView]) -> list[dict]:
    """theme.slot_styles in Vega-Lite terms: a colour per optimizer, a dash and a shape per repeat; an
    optimizer trained at several batch sizes (a sweep) gets a colour per size."""
    styles = theme.slot_styles([lane.name for lane in lanes])
    sizes: dict[str, set] = {}
    for lane in lanes:
        sizes.setdefault(lane.name, set()).add(lane.batch_size)
    out = []
    for lane, s in zip(lanes, styles, strict=True):
        colour = s["colour"]
        if len(sizes[lane.name]) > 1:
            ranked = sorted(sizes[lane.name], key=lambda b: float("inf") if b == "full" else int(b))
            colour = SIZE_COLOURS[ranked.index(lane.batch_size) % len(SIZE_COLOURS)]
        out.append({"colour": colour, "dash": DASH_ARRAYS[s["dash"]], "shape": SHAPES[s["symbol"]]})
    return out


# ---- Vega-Lite specs -----------------------------------------------------------------------------
def _config(presenter: bool) -> dict:
    lk = theme.look(presenter)
    font = lk.font
    return {
        "axis": {
            "labelFontSize": font,
            "titleFontSize": font,
            "gridColor": GRID,
            "titleFontWeight": "normal",
            "labelLimit": 200,
        },
        "legend": {  # no title: the lanes speak for themselves
            "labelFontSize": font,
            "orient": "bottom",
            "direction": "horizontal",
            "columns": 2 if presenter else 3,
            "labelLimit": 400,
            "symbolStrokeWidth": lk.line,
            "symbolSize": 400 if presenter else 220,
            "symbolOpacity": 1,
            "title": None,
        },
        "title": {"fontSize": lk.title_font, "anchor": "start", "fontWeight": 600, "offset": 8},
        "view": {"stroke": None},  # the font: Vega's default, sans-serif
    }


def _lane_scale(lanes: list[LaneView], styles: list[dict], what: str) -> dict:
    return {"domain": [lane.label for lane in lanes], "range": [style[what] for style in styles]}


def _base(title: str, presenter: bool, height: int) -> dict:
    return {
        "title": title,
        "height": height + (120 if presenter else 0),
        # SVG: crisp on a projector, and each line is one <path> a browser test can read
        "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
        "config": _config(presenter),
    }


def line_spec(
    *,
    title: str,
    x_title: str,
    y_title: str,
    lanes: list[LaneView],
    styles: list[dict],
    presenter: bool,
    log_y: bool = False,
    smooth: bool = False,
    height: int = 260,
    y_format: str | None = None,
) -> dict:
    """Per-step lines (data: step_frame's columns): one colour per optimizer, one dash per repeat; with
    smooth, the raw values thin and faint under the bold EMA."""
    lk = theme.look(presenter)
    # log axes: few ticks, or the 1-2-5 labels of every decade crowd each other
    y_axis = {
        "title": y_title,
        **({"format": y_format} if y_format else {}),
        **({"tickCount": 4} if log_y else {}),
    }
    # padding: a constant LR (or loss) at the edge of the domain would hide in the axis line
    y_scale = {"type": "log", "padding": 8} if log_y else {"zero": False, "padding": 8}
    shared = {
        "x": {"field": "x", "type": "quantitative", "title": x_title, "axis": {"tickCount": 8}},
        "color": {"field": "lane", "type": "nominal", "scale": _lane_scale(lanes, styles, "colour")},
    }
    if any(style["dash"] != DASH_ARRAYS["solid"] for style in styles):  # all solid: no dash to send
        shared["strokeDash"] = {
            "field": "lane",
            "type": "nominal",
            "scale": _lane_scale(lanes, styles, "dash"),
        }

    def layer(field: str, width: float, opacity: float) -> dict:
        # the layers share x and the lanes' colours and dashes (the chart's encoding, sent once per poll)
        return {
            "mark": {"type": "line", "strokeWidth": width, "opacity": opacity, "clip": True},
            "encoding": {"y": {"field": field, "type": "quantitative", "axis": y_axis, "scale": y_scale}},
        }

    if smooth:
        layers = [layer("y", lk.line * 0.45, 0.3), layer("smooth", lk.line, 1.0)]
    else:
        layers = [layer("y", lk.line, 1.0)]
    return {**_base(title, presenter, height), "encoding": shared, "layer": layers}


def epoch_spec(
    *,
    title: str,
    y_title: str,
    x_title: str,
    field: str,
    lanes: list[LaneView],
    styles: list[dict],
    models: list[str],
    presenter: bool,
    percent: bool = False,
    height: int = 260,
) -> dict:
    """Per-epoch validation (data: epoch_frame's columns), the EMA model dashed beside the raw weights."""
    lk = theme.look(presenter)
    y = {
        "field": field,
        "type": "quantitative",
        "title": y_title,
        "scale": {"zero": False},
        **({"axis": {"format": ".0%"}} if percent else {}),
    }
    tooltip = [
        {"field": "lane", "type": "nominal"},
        {"field": "model", "type": "nominal"},
        {"field": "epoch", "type": "quantitative"},
        {"field": field, "type": "quantitative", "format": ".2%" if percent else ".4f"},
    ]
    return {
        **_base(title, presenter, height),
        "mark": {
            "type": "line",
            "strokeWidth": lk.line,
            "point": {"size": lk.marker * (14 if presenter else 10), "filled": True},
        },
        "encoding": {
            "x": {
                "field": "epoch",
                "type": "quantitative",
                "title": x_title,
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "y": y,
            "color": {"field": "lane", "type": "nominal", "scale": _lane_scale(lanes, styles, "colour")},
            "shape": {"field": "lane", "type": "nominal", "scale": _lane_scale(lanes, styles, "shape")},
            # the EMA model dashed beside the raw weights; without one, no dash to send (a line per model)
            **(
                {"strokeDash": model_dash(models, presenter, lk.line)}
                if len(models) > 1
                else {"detail": {"field": "model"}}
            ),
            "tooltip": tooltip,
        },
    }


def model_dash(models: list[str], presenter: bool, line: float) -> dict:
    """The validation charts' dash per model (raw weights solid, their EMA dashed), with a legend whose
    sample is a line, not the point marker the default symbol would draw."""
    return {
        "field": "model",
        "type": "nominal",
        "scale": {"domain": models, "range": [[1, 0], [6, 4]][: len(models)]},
        "legend": {
            "symbolType": "stroke",
            "symbolSize": 600 if presenter else 360,
            "encode": {
                "symbols": {
                    "update": {
                        "stroke": {"value": "#444444"},
                        "fill": {"value": "transparent"},
                        "strokeWidth": {"value": line},
                    }
                }
            },
        },
    }


def time_spec(
    *, title: str, x_title: str, lanes: list[LaneView], styles: list[dict], presenter: bool
) -> dict:
    """Seconds each lane spent in its optimizer's step() so far (data: lane, seconds)."""
    lk = theme.look(presenter)
    return {
        **_base(title, presenter, 40 + 34 * len(lanes)),
        "mark": {"type": "bar", "cornerRadiusEnd": 3, "height": {"band": 0.7}},
        "encoding": {
            "y": {
                "field": "lane",
                "type": "nominal",
                "title": None,
                "sort": [lane.label for lane in lanes],
                "axis": {"labelFontSize": lk.font, "labelLimit": 320},
            },
            "x": {"field": "seconds", "type": "quantitative", "title": x_title},
            "color": {
                "field": "lane",
                "type": "nominal",
                "scale": _lane_scale(lanes, styles, "colour"),
                "legend": None,
            },
            "tooltip": [
                {"field": "lane", "type": "nominal"},
                {"field": "seconds", "type": "quantitative", "format": ".3f"},
            ],
        },
    }


def speed_spec(
    *,
    title: str,
    x_title: str,
    y_title: str,
    field: str,
    lanes: list[LaneView],
    styles: list[dict],
    presenter: bool,
    y_format: str = ",.3~g",
) -> dict:
    """One bar per batch size of a sweep (data: frames.speed_frame's columns), in its lane's colour."""
    lk = theme.look(presenter)
    return {
        **_base(title, presenter, 220),
        "mark": {"type": "bar", "cornerRadiusEnd": 3, "width": {"band": 0.7}},
        "encoding": {
            "x": {
                "field": "batch_size",
                "type": "ordinal",
                "title": x_title,
                "sort": [str(lane.batch_size) for lane in lanes],
                "axis": {"labelAngle": 0, "labelFontSize": lk.font},
            },
            "y": {"field": field, "type": "quantitative", "title": y_title, "axis": {"format": y_format}},
            "color": {
                "field": "lane",
                "type": "nominal",
                "scale": _lane_scale(lanes, styles, "colour"),
                "legend": None,
            },
            "tooltip": [
                {"field": "lane", "type": "nominal"},
                {"field": field, "type": "quantitative", "format": y_format},
            ],
        },
    }


def lr_range_frame(result: dict) -> pd.DataFrame:
    return pd.DataFrame({"lr": result["lrs"], "loss": result["losses"], "smoothed": result["smoothed"]})


def lr_range_spec(
    *,
    title: str,
    x_title: str,
    y_title: str,
    raw: str,
    smoothed: str,
    suggestion: float,
    suggestion_label: str,
    colour: str,
    presenter: bool,
) -> dict:
    """Loss against the LR on a log axis: raw losses as dots, the smoothed loss, and the suggested LR."""
    lk = theme.look(presenter)
    x = {
        "field": "lr",
        "type": "quantitative",
        "title": x_title,
        "scale": {"type": "log"},
        "axis": {"format": ".0e", "tickCount": 8},
    }
    legend = {"domain": [raw, smoothed], "range": ["#9a9a9a", colour]}
    return {
        **_base(title, presenter, 300),
        "layer": [
            {
                "transform": [{"calculate": f"{raw!r}", "as": "series"}],
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 18 if not presenter else 40,
                    "opacity": 0.55,
                },
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "loss",
                        "type": "quantitative",
                        "title": y_title,
                        "scale": {"zero": False},
                    },
                    "color": {"field": "series", "type": "nominal", "scale": legend},
                },
            },
            {
                "transform": [{"calculate": f"{smoothed!r}", "as": "series"}],
                "mark": {"type": "line", "strokeWidth": lk.line},
                "encoding": {
                    "x": x,
                    "y": {"field": "smoothed", "type": "quantitative"},
                    "color": {"field": "series", "type": "nominal", "scale": legend},
                },
            },
            {
                "data": {"values": [{"lr": suggestion, "text": suggestion_label}]},
                "mark": {
                    "type": "rule",
                    "strokeWidth": lk.line * 0.8,
                    "strokeDash": [6, 4],
                    "color": "#333333",
                },
                "encoding": {"x": {"field": "lr", "type": "quantitative", "scale": {"type": "log"}}},
            },
            {
                "data": {"values": [{"lr": suggestion, "text": suggestion_label}]},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 6,
                    "dy": -6,
                    "baseline": "bottom",
                    "fontSize": lk.font,
                    "color": "#333333",
                },
                "encoding": {
                    "x": {"field": "lr", "type": "quantitative", "scale": {"type": "log"}},
                    "y": {"value": 0},
                    "text": {"field": "text"},
                },
            },
        ],
    }
