"""AppTest: who controls a run on the Training page. The starter's link carries the run's key; a link
without it only views the run (or, by the operator's setting, does not see it); the admin token controls
every run; the server refuses a forged action whatever buttons were drawn; delete refuses a running run;
the per-person limit is shown when hit.

The page's worker pool is the process's one JobManager: the runs_dir pattern of test_page_training.py.
Every check here holds whether a run is still queued or already running, so none waits for training.
"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from optim_core.training.jobs import get_job_manager
from optim_core.training.ownership import key_hash
from tests.app.apptest import open_view
from tests.app.training_store import training_run_store

LONG = {"lanes": "2", "epochs": "500", "width": "0.25", "subset": "0"}  # stays active until stopped


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    with training_run_store(
        tmp_path_factory,
        "ownership-runs",
        env={"OPTIM_LAB_QUEUE_CAP": "1000", "OPTIM_LAB_RUNS_PER_USER": "1000"},
    ) as path:
        yield path


def training(query: dict | None = None) -> AppTest:
    return open_view("training", query, timeout=120)


def start(at: AppTest) -> int:
    at.button(key="tr_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return int(at.query_params["run"])


def buttons(at: AppTest) -> set[str]:
    return {b.key for b in at.button}


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in ("caption", "info", "warning", "error") for e in at.get(kind))


def stop_and_wait(run: int) -> None:
    jobs = get_job_manager()
    jobs.stop(run)
    deadline = time.monotonic() + 60
    while jobs.store.get_run(run).status in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_the_link_with_the_key_controls_the_run_and_the_bare_link_only_views_it():
    starter = training(LONG)
    run = start(starter)
    key = starter.query_params["key"]
    assert len(key) >= 32 and get_job_manager().store.get_run(run).owner == key_hash(key)
    assert "tr_stop" in buttons(starter)
    # another browser: the link without the key views the run, with no Stop and no Delete
    viewer = training({"run": str(run)})
    assert any(s.value.startswith(f"Run #{run} ") for s in viewer.subheader)
    assert not {"tr_stop", "tr_resume", "tr_delete"} & buttons(viewer)
    assert "View only" in texts(viewer)
    assert "not started or opened a run of your own" in texts(viewer)  # history: your runs by default
    viewer.toggle(key="allruns").set_value(True).run()
    assert viewer.selectbox(key="tr_pick").value == run
    assert "tr_delete" not in buttons(viewer) and "Only whoever started this run" in texts(viewer)
    # a wrong key is no key, and is dropped from the URL; the right one, in a fresh session, controls it
    guess = training({"run": str(run), "key": key[:-1] + ("A" if key[-1] != "A" else "B")})
    assert "tr_stop" not in buttons(guess) and "key" not in guess.query_params
    owner = training({"run": str(run), "key": key})
    assert "tr_stop" in buttons(owner) and owner.query_params["key"] == key
    owner.button(key="tr_stop").click().run()
    record = get_job_manager().store.get_run(run)
    assert record.status == "stopped" or record.stop_requested
    stop_and_wait(run)


def test_the_server_refuses_a_forged_stop_and_delete():
    at = training(LONG)
    run = start(at)
    key = at.query_params["key"]
    # delete while it is queued or running: refused inside the store's transaction, and the page says so
    at.button(key="tr_delete").click().run()
    assert run in [r.id for r in get_job_manager().store.list_runs()]
    assert "stop it before deleting it" in texts(at)
    # the session loses its key (a forged action: the client replays a button this session cannot use)
    at.session_state["_tr_keys"] = {}
    at.session_state["key"] = ""
    at.button(key="tr_stop").click().run()
    assert not at.exception
    record = get_job_manager().store.get_run(run)
    assert record.status in ("queued", "running") and not record.stop_requested
    assert f"Refused: run #{run}" in texts(at) and key not in texts(at)
    assert "tr_stop" not in buttons(at)
    stop_and_wait(run)
    # the same for Delete: drawn while the key was held, replayed after it was gone
    owner = training({"run": str(run), "key": key})
    assert "tr_delete" in buttons(owner)
    owner.session_state["_tr_keys"] = {}
    owner.session_state["key"] = ""
    owner.button(key="tr_delete").click().run()
    assert run in [r.id for r in get_job_manager().store.list_runs()]
    assert f"Refused: run #{run}" in texts(owner)


def test_the_admin_token_controls_every_run(monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_ADMIN_TOKEN", "teacher-secret")
    run = start(training(LONG))
    wrong = training({"run": str(run), "admin": "teacher-secreT"})
    assert "tr_stop" not in buttons(wrong)
    admin = training({"run": str(run), "admin": "teacher-secret"})
    assert "tr_stop" in buttons(admin) and "you control every run" in texts(admin)
    assert "admin" not in admin.query_params  # a link copied from the instructor's browser leaks no token
    admin.button(key="tr_stop").click().run()
    stop_and_wait(run)
    admin.run()
    admin.toggle(key="allruns").set_value(True).run()
    admin.selectbox(key="tr_pick").set_value(run).run()
    admin.button(key="tr_delete").click().run()
    assert not admin.exception
    assert run not in [r.id for r in get_job_manager().store.list_runs()]
    # the sidebar field does the same
    other = start(training(LONG))
    typed = training({"run": str(other)})
    assert "tr_stop" not in buttons(typed)
    typed.text_input(key="tr_admin_field").input("teacher-secret").run()
    assert "tr_stop" in buttons(typed) and "teacher-secret" not in str(dict(typed.query_params))
    stop_and_wait(other)


def test_owner_visibility_hides_other_peoples_runs(monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_RUN_VISIBILITY", "owner")
    starter = training(LONG)
    run = start(starter)
    assert "tr_stop" in buttons(starter)
    stranger = training({"run": str(run)})
    assert any(f"#{run} does not exist" in w.value for w in stranger.warning)  # the same as a missing run
    assert "run" not in stranger.query_params and "allruns" not in {t.key for t in stranger.toggle}
    assert "tr_pick" not in {s.key for s in stranger.selectbox}
    own = start(stranger)  # the stranger's own run: nothing of the other's to compare with or pick either
    labels = [*stranger.selectbox(key="cmp").options, *stranger.selectbox(key="tr_pick").options]
    assert not [label for label in labels if label.startswith(f"#{run} ")]
    assert stranger.selectbox(key="tr_pick").value == own
    stop_and_wait(run)
    stop_and_wait(own)


def test_the_per_person_limit_is_shown_when_hit(monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_RUNS_PER_USER", "1")
    at = training(LONG)
    first = start(at)
    assert "1 active run(s) per person" in texts(at)
    before = len(get_job_manager().store.list_runs())
    at.button(key="tr_start").click().run()
    assert "You already have 1 run(s) queued or running" in texts(at)
    assert int(at.query_params["run"]) == first and len(get_job_manager().store.list_runs()) == before
    stop_and_wait(first)
    assert start(at) != first  # the slot is free again
    stop_and_wait(int(at.query_params["run"]))


def test_the_oldest_ended_runs_beyond_the_store_limit_go_and_the_page_says_so(monkeypatch):
    at = training(LONG)
    stop_and_wait(start(at))  # at least one ended run
    store = get_job_manager().store
    runs = store.list_runs()
    oldest = min(r.id for r in runs if r.status not in ("queued", "running"))
    monkeypatch.setenv("OPTIM_LAB_MAX_RUNS", str(len(runs)))
    assert f"{len(runs)} kept" in texts(training())
    run = start(at)
    assert oldest not in [r.id for r in store.list_runs()] and len(store.list_runs()) == len(runs)
    assert f"keeps {len(runs)} runs: the oldest ended run(s) #{oldest} were deleted" in texts(at)
    assert not store.checkpoint_dir(oldest).exists()
    stop_and_wait(run)
