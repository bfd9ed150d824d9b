"""What a change reruns on the Playground: the fragment `lab` alone where nothing else depends on it.

The server's CPU per change grows with the elements a rerun draws (issue 15: a class of 30 on one server),
so a change that reruns the whole page without need costs a class, though the screen looks the same.
Whether the whole page ran shows in its optimizer cards, which only a whole-page run lays out. What stays on
the screen in a real browser: tests/browser/test_playground_reruns_browser.py."""

from __future__ import annotations

import pytest

from app.views.playground import layout
from tests.app.apptest import open_view
from tests.app.test_page_playground import chart_spec, path_traces


@pytest.fixture
def page_runs(monkeypatch) -> list[int]:
    """One entry per whole-page run from now on (the cards' columns are laid out once per page run)."""
    runs: list[int] = []
    columns = layout.slot_columns

    def counted(*args, **kwargs):
        runs.append(1)
        return columns(*args, **kwargs)

    monkeypatch.setattr(layout, "slot_columns", counted)
    return runs


def test_a_steps_change_reruns_only_the_map_fragment(page_runs):
    at = open_view("playground", {"n_opt": "2", "t": "40"})
    page_runs.clear()
    at.slider(key="steps").set_value(200).run()
    assert not at.exception
    assert page_runs == [], "the page's cards were drawn again: the whole page reran"
    # what the fragment draws follows the new length, and the link carries it
    assert all(len(p["x"]) == 201 for p in path_traces(chart_spec(at, "map")))
    assert at.query_params["steps"] == "200" and at.slider(key="t").value == 40
    assert at.slider(key="t").max == 200


def test_a_steps_change_reruns_the_page_while_a_schedule_is_on(page_runs):
    """The schedule's controls in the sidebar are read against the run's length."""
    at = open_view("playground", {"n_opt": "1", "sched": "cosine_annealing_lr"})
    page_runs.clear()
    at.slider(key="steps").set_value(200).run()
    assert not at.exception and page_runs == [1]
    lr_trace = next(d for d in chart_spec(at, "map")["data"] if d.get("yaxis") == "y2")
    assert len(lr_trace["y"]) == 200


def test_an_lr_change_reruns_only_the_map_fragment(page_runs):
    """At a desk the LR sliders sit above the fragment: their change reruns it alone and they are not
    drawn again (a fragment rerun would send them again with all their options)."""
    at = open_view("playground", {"n_opt": "2", "o1": "sgd"})
    before = path_traces(chart_spec(at, "map"))[0]
    page_runs.clear()
    at.select_slider(key="o1_lr").set_value(0.05).run()
    assert not at.exception and page_runs == []
    assert path_traces(chart_spec(at, "map"))[0]["x"] != before["x"]
    assert at.query_params["o1_lr"] == "0.05"
    # AppTest's tree after a fragment-only run holds the fragment's elements alone; that the sliders stay
    # on the screen is tests/browser/test_playground_reruns_browser.py's
