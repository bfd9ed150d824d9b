"""Who controls a run, in a real Chromium with two browser contexts (two students' browsers).

One starts a run; its link carries the run's key. The other opens the link without the key: it sees the
run but has no Stop and no Delete. With the instructor's token (the server's OPTIM_LAB_ADMIN_TOKEN) the
other browser stops and deletes it.
"""

import re

import pytest

from tests.browser.harness import assert_no_exception, streamlit_server, wait_for_app

pytestmark = pytest.mark.browser

TOKEN = "instructor-token-for-the-test"


@pytest.fixture(scope="module")
def class_url(tmp_path_factory):
    runs = tmp_path_factory.mktemp("ownership-runs")
    env = {"OPTIM_LAB_RUNS_DIR": str(runs), "OPTIM_LAB_ADMIN_TOKEN": TOKEN, "OPTIM_LAB_TORCH_THREADS": "1"}
    with streamlit_server(env=env) as url:
        yield url


def new_page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return context, page


def test_a_link_without_the_key_cannot_stop_or_delete_but_the_instructor_can(browser, class_url):
    student, mine = new_page(browser)
    other, theirs = new_page(browser)
    try:
        mine.goto(f"{class_url}/training?lanes=2&epochs=300&width=0.5&bs=16")
        wait_for_app(mine)
        mine.get_by_role("button", name="Start training").click()
        mine.wait_for_url(re.compile(r"[?&]key=[\w-]{32,}"), timeout=60_000)
        run = int(re.search(r"[?&]run=(\d+)", mine.url).group(1))
        key = re.search(r"[?&]key=([\w-]+)", mine.url).group(1)
        wait_for_app(mine)
        assert mine.get_by_role("button", name="Stop").count() == 1

        # the other browser, with the link less its key: it views the run, and cannot act on it
        theirs.goto(f"{class_url}/training?run={run}")
        wait_for_app(theirs)
        assert_no_exception(theirs)
        assert theirs.get_by_role("heading", name=re.compile(rf"Run #{run}\b")).count() == 1
        theirs.get_by_text("View only").wait_for(timeout=30_000)
        assert theirs.get_by_role("button", name="Stop").count() == 0
        theirs.get_by_text("All runs").click()  # History shows one's own runs; the toggle shows them all
        wait_for_app(theirs)
        theirs.get_by_text("Only whoever started this run").wait_for(timeout=30_000)
        assert theirs.get_by_role("button", name="Delete").count() == 0
        assert key not in theirs.url and key not in theirs.content()

        # with the instructor's token the same browser stops the run, then deletes it
        theirs.goto(f"{class_url}/training?run={run}&admin={TOKEN}&allruns=true")
        wait_for_app(theirs)
        theirs.get_by_role("button", name="Stop").click(timeout=30_000)
        assert TOKEN not in theirs.url  # kept in the session, not in a link copied from the address bar
        theirs.get_by_text("Stopped after epoch").wait_for(timeout=60_000)
        wait_for_app(theirs)
        theirs.get_by_role("button", name="Delete").click()
        theirs.get_by_role("button", name=f"Delete run #{run}").click()
        theirs.get_by_text("No run is open").wait_for(timeout=30_000)
        assert_no_exception(theirs)

        # the starter's page finds its run gone
        mine.reload()
        wait_for_app(mine)
        mine.get_by_text(f"#{run} does not exist").wait_for(timeout=30_000)
        assert_no_exception(mine)
    finally:
        student.close()
        other.close()
