"""Several app servers behind the load balancer (deploy/cluster.py), in a real Chromium.

Each browser context is pinned to one replica by the balancer's affinity cookie (what HAProxy would have
set on its first answer), and every page load checks the replica that answered (the balancer's
X-Optimlab-Replica header); the balancer's log shows each replica held the websockets of its tabs.

1. A run started in tab A (replica r1) is watched live from tab B (r2: its curves grow), stopped from tab C
   (the owner's link, r1 in another browser), seen stopped on r2, resumed from C, and finishes (on B's
   screen, reloaded: a page does not poll a run that ended).
2. An instructor (r1) starts a class; a student (r2) joins and votes; the instructor's tally shows the vote.
"""

from __future__ import annotations

import re
import time

import pytest

from app.shared.i18n import STRINGS
from deploy.cluster import CLUSTER_COOKIE, REPLICA_HEADER, start_cluster
from tests.app.classroom_lessons import write_lessons
from tests.browser.harness import assert_no_exception, wait_for_app

pytestmark = pytest.mark.browser

DATABASE = "postgresql"  # the run store every replica shares (tools/local_postgres.py)
# A run that trains for a while (about 0.35 s an epoch here): 2 optimizers, a narrow model, 600 images;
# it never finishes within the test (C stops it at the end), so a slow machine cannot end it before C acts.
EPOCHS = 400
RUN = f"lanes=2&epochs={EPOCHS}&width=0.5&bs=16&subset=600"
PROGRESS = '[data-testid="stProgress"]'
EPOCH = re.compile(r"Epoch (\d+) of")  # the progress bar's caption: "Epoch 3 of 160 · 1 % · 1.2 s"


def en(key: str, **values) -> str:
    return STRINGS[key][0].format(**values)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    lessons = write_lessons(tmp_path_factory.mktemp("cluster-lessons"))
    env = {"OPTIM_LAB_LESSONS": str(lessons), "OPTIM_LAB_WARM_UP": "0", "OPTIM_LAB_TORCH_THREADS": "1"}
    with start_cluster(2, 0, tmp_path_factory.mktemp("cluster"), database=DATABASE, env=env) as started:
        yield started


class Tabs:
    """Browser contexts, each pinned to one replica; all closed at the end."""

    def __init__(self, browser, cluster):
        self.browser, self.cluster, self.contexts = browser, cluster, []

    def open(self, replica: str, viewport=None):
        context = self.browser.new_context(viewport=viewport or {"width": 1600, "height": 1000})
        context.add_cookies([{"name": CLUSTER_COOKIE, "value": replica, "url": self.cluster.url}])
        self.contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        page.replica = replica
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts = []


def goto(page, url: str) -> None:
    """Open `url` and check that the replica the page is pinned to answered."""
    response = page.goto(url)
    assert response is not None and response.headers.get(REPLICA_HEADER.lower()) == page.replica, (
        page.replica,
        response and response.headers,
    )
    wait_for_app(page)
    assert_no_exception(page)


def epoch(page) -> int:
    """The epoch the run's progress bar shows (it waits for the bar)."""
    page.locator(PROGRESS).first.wait_for(timeout=60_000)
    return int(EPOCH.search(page.locator(PROGRESS).first.inner_text()).group(1))


def websockets_by_replica(cluster) -> dict[str, int]:
    """How many of Streamlit's websockets (/_stcore/stream) the balancer sent to each replica so far."""
    log = cluster.logs["haproxy"].read_text()
    counts: dict[str, int] = {}
    for match in re.finditer(r" replicas/(r\d+) .*\"GET /_stcore/stream", log):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return counts


@pytest.fixture
def tabs(browser, cluster):
    opened = Tabs(browser, cluster)
    yield opened
    opened.close()


def test_a_run_started_on_one_replica_is_watched_stopped_and_resumed_from_others(tabs, cluster):
    a, b, c = tabs.open("r1"), tabs.open("r2"), tabs.open("r1")
    goto(a, f"{cluster.url}/training?{RUN}")
    a.get_by_role("button", name="Start training").click()
    a.wait_for_url(re.compile(r"[?&]key=[\w-]{32,}"), timeout=60_000)
    run = int(re.search(r"[?&]run=(\d+)", a.url).group(1))
    owner_link = a.url

    # B, on the other replica, without the key: it watches the run grow
    goto(b, f"{cluster.url}/training?run={run}")
    b.get_by_text("View only").wait_for(timeout=30_000)
    first = epoch(b)
    b.get_by_text(re.compile(rf"Epoch (?!{first} of)\d+ of")).wait_for(timeout=30_000)
    assert epoch(b) > first
    assert b.get_by_role("button", name="Stop").count() == 0

    # C, another browser with the owner's link: stops it; B's screen follows
    goto(c, owner_link)
    c.get_by_role("button", name="Stop").click(timeout=60_000)
    c.get_by_text("Stopped after epoch").wait_for(timeout=60_000)
    b.get_by_text("Stopped after epoch").wait_for(timeout=30_000)
    stopped = int(re.search(r"Stopped after epoch (\d+)", b.locator("body").inner_text()).group(1))

    # C resumes it and sees it train on from the checkpoint. B reloads (a page stops polling a run that
    # ended, on one server too): on r2 it follows the resumed run past the checkpoint; C stops it again
    wait_for_app(c)
    c.get_by_role("button", name="Resume").click(timeout=30_000)
    c.get_by_text(re.compile(rf"Epoch (?!{stopped} of)\d+ of")).wait_for(timeout=60_000)
    assert epoch(c) > stopped
    goto(b, f"{cluster.url}/training?run={run}")
    b.get_by_text(re.compile(rf"Epoch (?!{stopped} of)\d+ of")).wait_for(timeout=60_000)
    assert epoch(b) > stopped
    c.get_by_role("button", name="Stop").click(timeout=60_000)
    b.get_by_text("Stopped after epoch").wait_for(timeout=60_000)
    for page in (a, b, c):
        assert_no_exception(page)
    # the checkpoints are in the shared runs folder; the runs themselves in the shared database
    assert (cluster.runs_dir / "checkpoints" / f"run-{run}").is_dir()
    assert DATABASE == "sqlite" or not list(cluster.runs_dir.glob("*.sqlite*"))
    tabs.close()  # the balancer logs a websocket when it closes: r1 held A's and C's, r2 held B's
    deadline = time.monotonic() + 10
    while (sockets := websockets_by_replica(cluster)).get("r1", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert sockets.get("r1", 0) >= 2 and sockets.get("r2", 0) >= 2, sockets


def test_a_vote_on_one_replica_shows_on_the_instructors_screen_on_another(tabs, cluster):
    teacher = tabs.open("r1", {"width": 1280, "height": 720})
    goto(teacher, f"{cluster.url}/classroom?present=true")
    teacher.get_by_role("button", name=en("cls.start")).click()
    teacher.wait_for_url(re.compile(r"[?&]ckey=[\w-]{32,}"), timeout=60_000)
    code = re.search(r"[?&]class=(\w+)", teacher.url).group(1)
    wait_for_app(teacher)
    teacher.get_by_text(en("cls.voted", voters=0, students=0)).wait_for(timeout=30_000)

    student = tabs.open("r2", {"width": 375, "height": 740})
    goto(student, f"{cluster.url}/classroom?class={code}")  # the join link: it joins at once
    student.wait_for_url(re.compile(r"[?&]me=[\w-]{8,}"), timeout=60_000)
    wait_for_app(student)
    teacher.get_by_text(en("cls.voted", voters=0, students=1)).wait_for(timeout=15_000)

    answer = student.locator('[class*="st-key-cls_vote_"] button').first
    text = answer.inner_text().strip()
    answer.click()
    student.get_by_text(en("cls.your_vote", answer=text)).wait_for(timeout=30_000)
    teacher.get_by_text(en("cls.voted", voters=1, students=1)).wait_for(timeout=15_000)
    assert "1" in teacher.locator(".cls-count").all_inner_texts()
    for page in (teacher, student):
        assert_no_exception(page)
