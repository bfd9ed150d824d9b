"""Colours and sizes shared by every page and figure (no streamlit import: figures use it too).

Each optimizer's colour is in its row of optim_core.optimizers.catalog. A colour belongs to an optimizer,
not to a slot, so Adam is the same colour on every page; so does its dash (the Adam family's warm colours
look alike on a projector, so each draws its own dash). A second run of the same optimizer gets another
line dash and marker instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from optim_core.optimizers.catalog import CATALOG

FALLBACK_COLOURS = ("#000000", "#555555", "#6699CC", "#EE7733")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "pentagon", "star-square")


def optimizer_colour(name: str) -> str:
    """The optimizer's own colour (optim_core.optimizers.catalog); a fixed fallback for other names."""
    facts = CATALOG.get(name)
    return facts.colour if facts else FALLBACK_COLOURS[sum(map(ord, name)) % len(FALLBACK_COLOURS)]


def optimizer_dash(name: str) -> str:
    """The optimizer's own line dash (the Adam family's differ: their colours look alike on a projector)."""
    facts = CATALOG.get(name)
    return facts.dash if facts else DASHES[0]


def slot_styles(names: list[str]) -> list[dict]:
    """Colour, dash and marker symbol per slot: the optimizer's colour and dash, a symbol per slot; the
    nth repeat of an optimizer moves n dashes on from its own."""
    seen: dict[str, int] = {}
    styles = []
    for slot, name in enumerate(names):
        repeat = seen.get(name, 0)
        seen[name] = repeat + 1
        styles.append(
            {
                "colour": optimizer_colour(name),
                "dash": DASHES[(DASHES.index(optimizer_dash(name)) + repeat) % len(DASHES)],
                "symbol": SYMBOLS[slot % len(SYMBOLS)],
            }
        )
    return styles


@dataclass(frozen=True)
class Look:
    """Sizes for one display mode."""

    font: int
    title_font: int
    line: float
    marker: int
    arrow: float


NORMAL = Look(font=13, title_font=16, line=2.5, marker=11, arrow=2.0)
PRESENTER = Look(font=22, title_font=28, line=5.0, marker=18, arrow=4.0)


def look(presenter: bool) -> Look:
    return PRESENTER if presenter else NORMAL


# Light, desaturated contours so the coloured paths carry the eye.
CONTOUR_SCALE = [[0.0, "#f7fbff"], [0.35, "#d6e4f0"], [0.7, "#a9bfd6"], [1.0, "#7b93ad"]]
SURFACE_SCALE = "Blues_r"

PRESENTER_CSS = """
<style>
.stMarkdown p, .stMarkdown li, [data-testid="stCaptionContainer"], [data-testid="stAlert"] p,
[data-testid="stWidgetLabel"] p, [data-testid="stExpander"] summary p, [data-testid="stSidebarNav"] span
  { font-size: 1.3rem !important; line-height: 1.45 !important; }
[data-testid="stWidgetLabel"] p { font-weight: 600; }
[data-testid="stSelectbox"] input, [data-testid="stMultiSelect"] span, [data-testid="stRadio"] label p,
[data-testid="stSliderThumbValue"] p,
[data-testid="stNumberInput"] input, [data-testid="stTextInput"] input, [data-testid="stSegmentedControl"] p,
[data-testid="stTickBarMin"], [data-testid="stTickBarMax"], button p { font-size: 1.25rem !important; }
h1 { font-size: 3.2rem !important; } h2 { font-size: 2.4rem !important; } h3 { font-size: 2rem !important; }
[data-testid="stSidebar"][data-collapsed="false"] { min-width: 420px !important; }
h1 { margin-top: -1rem; }
.katex { font-size: 1.6em !important; }
.lab-table { font-size: 1.25rem !important; }
</style>
"""

BASE_CSS = """
<style>
.block-container { padding-top: 2.2rem; max-width: 1600px; }
.lab-table-wrap { overflow-x: auto; }
.lab-table { border-collapse: collapse; width: 100%; font-size: 0.875rem;
  font-variant-numeric: tabular-nums; }
.lab-table th, .lab-table td { padding: 0.3rem 0.6rem; text-align: left; white-space: nowrap;
  border-bottom: 1px solid color-mix(in srgb, currentColor 14%, transparent); }
.lab-table th { font-weight: 600; opacity: 0.75; border-bottom-width: 2px; white-space: normal;
  vertical-align: bottom; }
.lab-table tbody tr:hover { background: color-mix(in srgb, currentColor 5%, transparent); }
</style>
"""

# Every figure uses this template: white, light grid, and fonts the presenter sizes can scale.
PLOTLY_TEMPLATE = "plotly_white"


# What a 2D scatter figure uses of the template. The rest (per-trace-type defaults, polar, geo, 3D scenes,
# colour scales) is processed by plotly.js on every draw of a figure that carries it.
_TEMPLATE_2D = (
    "autotypenumbers",
    "colorway",
    "font",
    "hovermode",
    "hoverlabel",
    "paper_bgcolor",
    "plot_bgcolor",
    "xaxis",
    "yaxis",
    "shapedefaults",
    "annotationdefaults",
    "title",
)


@lru_cache(maxsize=1)
def template() -> dict:
    """PLOTLY_TEMPLATE's 2D layout as a dict, for scatter figures built as plain dicts (plotly.js knows no
    template names)."""
    import plotly.io as pio

    layout = pio.templates[PLOTLY_TEMPLATE].to_plotly_json()["layout"]
    return {"layout": {key: layout[key] for key in _TEMPLATE_2D if key in layout}}
