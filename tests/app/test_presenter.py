"""Presenter mode, the keys that step and play the map, the view-only link and the Adam family's dashes."""

from __future__ import annotations

import io
import itertools
import json
from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from app.shared import theme
from tests.app.apptest import open_view

ADAM_FAMILY = ("adam", "adamw", "amsgrad", "nadam", "radam", "adamax")
# what a student could change: none of these may be drawn on a view-only link
WIDGETS = (
    "button",
    "selectbox",
    "slider",
    "select_slider",
    "number_input",
    "text_input",
    "toggle",
    "radio",
    "button_group",
    "checkbox",
)


def map_spec(at: AppTest) -> dict:
    (chart,) = [c for c in at.get("plotly_chart") if "map" in c.proto.id]
    return json.loads(chart.proto.spec)


def paths(spec: dict) -> list[dict]:
    """The faint full paths on the map (named, unlike the trails)."""
    return [d for d in spec["data"] if d.get("opacity") == 0.45]


def widgets(node) -> list:
    return [w for kind in WIDGETS for w in node.get(kind)]


def test_the_adam_family_draws_distinct_dashes_in_the_map_and_the_loss_panel():
    styles = theme.slot_styles(list(ADAM_FAMILY))
    for a, b in itertools.combinations(styles, 2):
        assert a["dash"] != b["dash"] and a["symbol"] != b["symbol"], (a, b)
    # RMSprop's orange is Adam's vermillion on a projector: another dash
    assert theme.slot_styles(["rmsprop", "adam"])[0]["dash"] != theme.slot_styles(["adam"])[0]["dash"]
    # a repeat still moves on from its optimizer's own dash
    first, second = theme.slot_styles(["adamw", "adamw"])
    assert first["colour"] == second["colour"] and first["dash"] != second["dash"]

    query = {"n_opt": "6", **{f"o{i}": name for i, name in enumerate(ADAM_FAMILY, start=1)}}
    spec = map_spec(open_view("playground", query))
    on_map = [p["line"]["dash"] for p in paths(spec)]
    on_loss = [d["line"]["dash"] for d in spec["data"] if d.get("xaxis") == "x3" and d.get("mode") == "lines"]
    assert len(set(on_map)) == 6 and on_loss == on_map


def test_presenter_mode_puts_the_cards_in_the_drawer_and_the_map_first():
    at = open_view("playground", {"present": "true", "n_opt": "6", "o2": "momentum"})
    # the optimizers' cards sit in the sidebar (closed at the start), one per row: the whole label shows
    cards = [s for s in at.sidebar.selectbox if s.key in {f"o{i}" for i in range(1, 7)}]
    assert len(cards) == 6 and cards[1].value == "momentum"
    # the LR sliders in their drawer under the map
    (drawer,) = [e for e in at.expander if e.label == "Learning rates"]
    assert sorted(s.key for s in drawer.select_slider) == [f"o{i}_lr" for i in range(1, 7)]
    # the figure and its step row come before any drawer in the main area
    main = [n for n in at.main]
    kinds = [type(n).__name__ for n in main]
    assert "Expander" not in kinds[: kinds.index("Block")], kinds


def test_the_step_row_has_the_player_keys():
    at = open_view("playground", {"steps": "100", "t": "50"})
    keys = {b.key: b.proto.shortcut for b in at.button}
    assert (keys["step_back"], keys["step_play"], keys["step_fwd"]) == ("left", "space", "right")
    at.button(key="step_fwd").click().run()
    assert at.slider(key="t").value == 51
    at.button(key="step_back").click().run()
    at.button(key="step_back").click().run()
    assert at.slider(key="t").value == 49


def test_space_plays_from_the_start_when_at_the_end_and_pauses():
    from app.views.playground import layout

    at = open_view("playground", {"steps": "100"})  # the inspected step starts at the end
    at.button(key="step_play").click().run()
    # back to step 0, and the page's run that sets the tick already took the first one
    stride = -(-100 // layout.TICKS)
    assert at.session_state[layout.PLAYING] is True and at.slider(key="t").value == stride
    assert at.button(key="step_play").label == "Pause"
    at.button(key="step_play").click().run()
    assert at.session_state[layout.PLAYING] is False and at.button(key="step_play").label == "Play"


def test_a_tick_moves_the_step_on_and_stops_at_the_end():
    from app.views.playground import layout

    at = open_view("playground", {"steps": "100", "t": "95"})
    at.button(key="step_play").click().run()
    assert at.session_state[layout.PLAYING] is True
    for _ in range(2):  # what the fragment's run_every does: one tick per run
        at.run()
    assert at.slider(key="t").value == 100 and at.session_state[layout.PLAYING] is False


def test_the_share_link_opens_a_view_only_page_with_the_figure_and_no_widgets():
    query = {"n_opt": "3", "o3": "adamw", "surface": "ravine", "steps": "60", "present": "true"}
    at = open_view("playground", query)
    (link,) = [m.value for m in at.sidebar.markdown if "view=watch" in m.value]
    link = link.split("(", 1)[1].rstrip(")")  # [`link`](link)
    shared = dict(parse_qsl(urlsplit(link).query))
    assert shared["view"] == "watch" and "present" not in shared, "the projector's type is not shared"
    assert {k: shared[k] for k in ("n_opt", "o3", "surface", "steps")} == {
        k: query[k] for k in ("n_opt", "o3", "surface", "steps")
    }
    full = map_spec(at)

    watch = open_view("playground", shared)
    assert not widgets(watch.sidebar) and not widgets(watch.main), [w.key for w in widgets(watch)]
    assert not [m for m in watch.sidebar.markdown if "view=watch" in m.value], "no link of its own"
    spec = map_spec(watch)
    assert [p["x"] for p in paths(spec)] == [p["x"] for p in paths(full)], "the same run as the presenter's"
    assert spec["frames"], "the figure still plays in the browser"


def _finished(at: AppTest, kind: str):
    job = at.session_state["_pg_media"][kind]
    job.thread.join(timeout=60)
    return job


def test_the_animation_exports_as_a_gif_and_an_mp4_for_slides(tmp_path):
    import imageio_ffmpeg
    from PIL import Image

    from app.views.playground.map_motion import frame_steps

    at = open_view("playground", {"n_opt": "6", "steps": "100"})
    at.button(key="pg_make_gif").click().run()
    gif = _finished(at, "gif")
    at.run()
    at.button(key="pg_make_mp4").click().run()
    mp4 = _finished(at, "mp4")
    at.run()
    assert not at.exception and gif.error is None and mp4.error is None
    frames = len(frame_steps(100))
    assert (gif.done, mp4.done) == (gif.total, mp4.total) == (frames + 1, frames + 1), (
        "the progress ends full"
    )

    picture = Image.open(io.BytesIO(gif.data))
    assert gif.data[:6] == b"GIF89a" and picture.n_frames >= frames - 1 and picture.is_animated
    path = tmp_path / "paths.mp4"
    path.write_bytes(mp4.data)
    counted, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert counted == frames and seconds > 1
    made = [d.proto.id for d in at.get("download_button")]
    assert [k for k in ("pg_download_gif", "pg_download_mp4") if any(k in i for i in made)] == [
        "pg_download_gif",
        "pg_download_mp4",
    ]


def test_a_view_only_page_offers_no_export_for_slides():
    watch = open_view("playground", {"view": "watch"})
    assert not [b for b in watch.get("button") if b.key and b.key.startswith("pg_make_")]
