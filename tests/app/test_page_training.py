"""AppTest page tests of the Training page: real tiny runs through the job queue, in a temporary run store.

The page's worker pool is the process's one JobManager (get_job_manager), started by the first test that
opens the page and shut down when the module ends; OPTIM_LAB_RUNS_DIR points it at a temporary folder.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from app.shared.schedule_controls import collect, flat_settings
from optim_core.training.config import schedule_kwargs_for
from optim_core.training.jobs import get_job_manager
from optim_core.training.store import RunStore
from tests.app.apptest import open_view
from tests.app.training_store import training_run_store

# 2 optimizers, 1 epoch of 4 steps on 200 digits, the narrowest model: a run takes well under a second
TINY = {"lanes": "2", "epochs": "1", "width": "0.25", "subset": "200"}


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    with training_run_store(tmp_path_factory, "training-runs") as path:
        yield path


def training(query: dict | None = None) -> AppTest:
    return open_view("training", query, timeout=120)


def charts(at: AppTest) -> dict[str, tuple[dict, pd.DataFrame]]:
    """Every Vega-Lite chart on the page by its spec name: (spec, the data the browser gets)."""
    out = {}
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        data = chart.proto.data.data
        frame = pa.ipc.open_stream(data).read_all().to_pandas() if data else pd.DataFrame()
        out[spec.get("name")] = (spec, frame)
    return out


def wait_until(at: AppTest, done, timeout: float = 120.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def start(at: AppTest) -> int:
    at.button(key="tr_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return int(at.query_params["run"])


def texts(at: AppTest) -> str:
    return " ".join(
        e.value
        for kind in ("markdown", "caption", "info", "success", "warning", "error")
        for e in at.get(kind)
    )


def test_default_setup():
    at = training()
    assert at.title[0].value == "Live training"
    assert at.selectbox(key="data").value == "digits"
    assert at.slider(key="lanes").value == 3
    assert [at.selectbox(key=f"l{i}").value for i in (1, 2, 3)] == ["sgd", "momentum", "adam"]
    assert at.select_slider(key="l1_lr").value == pytest.approx(
        0.05
    )  # the CNN's default, not the Playground's
    assert at.select_slider(key="l3_lr").value == pytest.approx(1e-3)
    page = texts(at)
    assert "digits: 1,438 training and 359 validation images of 1×8×8, 10 classes" in page
    assert "23 optimizer steps per epoch, 230 in the whole run" in page
    assert "parameters, 3 copies from the same initial weights" in page and "CPU" in page
    assert not at.button(key="tr_start").disabled
    assert "No run is open" in page
    assert not at.error and not dict(at.query_params)  # defaults leave the URL clean


def test_a_tiny_run_finishes_and_its_charts_hold_the_stored_metrics(runs_dir):
    at = training(TINY)
    run = start(at)
    record = get_job_manager().wait(run, timeout=120)
    assert record.status == "finished", record.error
    at.run()
    assert not at.exception
    assert "Finished 1 epoch in" in texts(at)
    shown = charts(at)
    stored = RunStore(runs_dir).read_metrics(run)
    _, loss = shown["tr_chart_loss"]
    assert set(loss["lane"]) == {"SGD", "SGD + momentum"}
    sgd = stored[(stored["optimizer"] == "SGD") & (stored["name"] == "train_loss")].sort_values("step")
    assert loss[loss["lane"] == "SGD"]["y"].tolist() == pytest.approx(sgd["value"].tolist())
    assert len(sgd) == 4  # 200 training images (the subset), batch 64
    _, acc = shown["tr_chart_acc"]
    val_acc = stored[stored["name"] == "val_acc"].set_index("optimizer")["value"]
    assert acc.set_index("lane")["acc"].to_dict() == pytest.approx(val_acc.to_dict())
    for name in ("tr_chart_lr", "tr_chart_grad", "tr_chart_ratio", "tr_chart_val_loss", "tr_chart_time"):
        assert len(shown[name][1]) > 0, name
    # the smoothed loss is optim_core's bias-corrected EMA with the slider's β
    from optim_core.smoothing import ema

    assert loss[loss["lane"] == "SGD"]["smooth"].tolist() == pytest.approx(ema(sgd["value"].to_numpy(), 0.6))
    # the run is in the history
    history = at.dataframe[-1].value
    assert f"#{run}" in history.iloc[:, 0].tolist()
    assert "finished" in history.iloc[:, 1].tolist()


def test_the_run_id_in_the_url_reopens_the_run():
    first = training(TINY)
    run = start(first)
    get_job_manager().wait(run, timeout=120)
    at = training({"run": str(run)})  # a new session: a refresh, or the link in another browser
    assert any(s.value.startswith(f"Run #{run} ") for s in at.subheader)
    assert "Finished" in texts(at)
    assert len(charts(at)["tr_chart_loss"][1]) > 0
    assert at.query_params["run"] == str(run)
    missing = training({"run": "987654"})
    assert any("#987654 does not exist" in w.value for w in missing.warning)
    assert "run" not in missing.query_params


def test_stop_resume_and_delete_through_the_page(runs_dir):
    at = training({**TINY, "epochs": "500", "subset": "0"})  # 500 epochs of all digits: it must be stopped
    run = start(at)
    store = RunStore(runs_dir)
    deadline = time.monotonic() + 120
    while store.read_metrics(run, names=["train_loss"]).empty:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    at.run()
    at.button(key="tr_stop").click().run()
    assert get_job_manager().wait(run, timeout=60).status == "stopped"
    at.run()
    assert "Stopped after epoch" in texts(at)
    first_part = int(store.read_metrics(run, names=["train_loss"])["step"].max())
    at.button(key="tr_resume").click().run()
    while store.read_metrics(run, names=["train_loss"])["step"].max() <= first_part + 5:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    at.run()
    at.button(key="tr_stop").click().run()
    assert get_job_manager().wait(run, timeout=60).status == "stopped"
    at.run()
    # the stored curve runs on from where the first part stopped, no step twice
    steps = store.read_metrics(run, names=["train_loss"])
    sgd = steps[steps["optimizer"] == "SGD"]["step"].tolist()
    assert sgd == list(range(1, len(sgd) + 1)) and len(sgd) > first_part + 5
    # delete it from the history
    at.selectbox(key="tr_pick").set_value(run).run()
    at.button(key="tr_delete").click().run()
    assert not at.exception
    assert run not in [r.id for r in store.list_runs()]
    assert "run" not in at.query_params


def test_a_second_run_waits_in_the_queue_with_its_position(runs_dir):
    at = training({**TINY, "epochs": "500", "subset": "0"})
    busy = start(at)
    store = RunStore(runs_dir)
    deadline = time.monotonic() + 120
    while store.get_run(busy).status != "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    starter = training(TINY)
    waiting = start(starter)  # one worker: this one waits
    at = training({"run": str(waiting), "key": starter.query_params["key"]})  # the starter's link
    assert any("Waiting in the queue at position 1 (1 run(s) training now)" in i.value for i in at.info)
    assert "1 running, 1 queued" in texts(at)
    at.button(key="tr_stop").click().run()  # a queued run stops at once
    assert store.get_run(waiting).status == "stopped"
    get_job_manager().stop(busy)
    assert get_job_manager().wait(busy, timeout=60).status == "stopped"


def test_comparing_two_runs_overlays_their_curves():
    at = training(TINY)
    first = start(at)
    get_job_manager().wait(first, timeout=120)
    at = training({**TINY, "lanes": "3", "rseed": "1"})
    second = start(at)
    get_job_manager().wait(second, timeout=120)
    at = training({"run": str(second), "cmp": str(first)})
    lanes = set(charts(at)["tr_chart_loss"][1]["lane"])
    assert lanes == {
        f"#{second} SGD",
        f"#{second} SGD + momentum",
        f"#{second} Adam",
        f"#{first} SGD",
        f"#{first} SGD + momentum",
    }


def test_lr_range_test_runs_aside_and_its_suggestion_fills_the_lr():
    at = training(
        {"lanes": "2", "l2": "adam", "lrt_lane": "2", "lrt_steps": "40", "subset": "300", "width": "0.25"}
    )
    at.button(key="tr_lrt_run").click().run()
    wait_until(at, lambda at: "tr_lrt_chart" in charts(at))
    spec, frame = charts(at)["tr_lrt_chart"]
    assert 2 <= len(frame) <= 40 and frame["lr"].is_monotonic_increasing
    assert frame["lr"].iloc[0] == pytest.approx(1e-7)
    suggested = spec["layer"][2]["data"]["values"][0]["lr"]
    assert frame["lr"].min() <= suggested <= frame["lr"].max()
    use = at.button(key="tr_lrt_use")
    use.click().run()
    grid_value = at.select_slider(key="l2_lr").value
    assert grid_value == pytest.approx(suggested, rel=0.25)  # the nearest value of the slider's grid
    assert (
        dict(at.query_params).get("l2_lr", "0.001") == f"{grid_value:.10g}"
    )  # in the URL unless the default


def test_a_bad_path_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTIM_LAB_DATA_ROOT", str(tmp_path))  # server folders: paths inside this root
    at = training({"data": "idx", "path": "nowhere"})
    assert at.error and "no readable dataset folder by that name" in at.error[0].value
    assert at.button(key="tr_start").disabled
    (tmp_path / "empty").mkdir()
    at = training({"data": "idx", "path": "empty"})
    assert "train-images-idx3-ubyte" in at.error[0].value


def test_a_failed_run_shows_its_error_line_not_the_traceback(tmp_path):
    training()  # starts the page's job manager
    from optim_core.training.config import RunConfig
    from optim_core.training.ownership import new_key

    key = new_key()
    config = RunConfig(dataset="folder", data_path=str(tmp_path / "gone"), epochs=1)
    run = get_job_manager().submit(config, key=key)
    assert get_job_manager().wait(run, timeout=60).status == "failed"
    at = training({"run": str(run), "key": key})  # its starter's link
    errors = " ".join(e.value for e in at.error)
    assert "The run failed: " in errors and "no such directory" in errors
    assert "Traceback" not in errors and 'File "' not in errors
    assert at.button(key="tr_resume")  # a failed run can be queued again


def test_a_device_that_is_not_there_is_an_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    at = training({"device": "cuda"})
    assert any("The device cannot be used" in e.value and "no CUDA GPU" in e.value for e in at.error)
    assert at.button(key="tr_start").disabled


def test_a_bad_sweep_list_is_an_error():
    at = training({"sweep": "true", "sweep_sizes": "8,banana"})
    assert any("banana" in e.value for e in at.error)
    assert at.button(key="tr_start").disabled
    at = training({"sweep": "true"})
    assert "4 copies" in texts(at)  # 8, 64, 512, full


def test_a_batch_size_sweep_runs_one_optimizer_per_size_on_an_epoch_axis():
    at = training(
        {
            "sweep": "true",
            "sweep_sizes": "16,full",
            "epochs": "2",
            "subset": "200",
            "width": "0.25",
            "l1": "adam",
        }
    )
    run = start(at)
    assert get_job_manager().wait(run, timeout=120).status == "finished"
    at.radio(key="xaxis").set_value("epoch").run()
    _, loss = charts(at)["tr_chart_loss"]
    by_lane = {lane: rows["x"].tolist() for lane, rows in loss.groupby("lane")}
    assert set(by_lane) == {"Adam bs=16", "Adam bs=full"}
    assert len(by_lane["Adam bs=16"]) == 2 * 13 and len(by_lane["Adam bs=full"]) == 2  # 200 images
    # on the epoch axis both end at epoch 2, however many steps they took
    assert by_lane["Adam bs=16"][-1] == pytest.approx(2.0) and by_lane["Adam bs=full"] == pytest.approx(
        [1.0, 2.0]
    )
    assert at.query_params["xaxis"] == "epoch"


def png(colour: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8), colour, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_uploaded_zip_is_unpacked_and_its_skipped_files_counted():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for label, colour in (("cats", 30), ("dogs", 220)):
            for i in range(6):
                archive.writestr(f"pets/{label}/{i}.png", png(colour + i))
        archive.writestr("pets/README.txt", "not an image")
        archive.writestr("pets/cats/notes.csv", "a,b")
    at = training({"data": "upload"})
    assert any("Upload a zip" in i.value for i in at.info)
    at.get("file_uploader")[0].set_value(("pets.zip", buffer.getvalue(), "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    page = texts(at)
    assert "Unpacked 12 files; 2 files that are neither images nor dataset files were skipped" in page
    assert "2 classes" in page and not at.error
    digest = at.query_params["upload"]
    assert len(digest) == 16
    # garbage is refused with the reason
    at.get("file_uploader")[0].set_value(("junk.zip", b"not a zip at all", "application/zip")).run()
    assert not at.exception
    assert any("'junk.zip' cannot be used" in e.value for e in at.error)


def test_chinese():
    at = training({"lang": "zh"})
    assert at.title[0].value == "实时训练"
    assert at.button(key="tr_start").label == "开始训练"


def test_counts_of_one_are_singular():
    # 200 images in one batch: one optimizer step per epoch; one epoch; a sweep of one size: one copy
    at = training({**TINY, "bs": "8192"})
    page = texts(at)
    assert "1 optimizer step per epoch, 1 in the whole run" in page
    assert "1 optimizer steps" not in page
    at = training({"sweep": "true", "sweep_sizes": "full", "subset": "200"})
    assert "1 copy from the same initial weights" in texts(at)
    run = start(training({**TINY, "bs": "8192"}))
    assert get_job_manager().wait(run, timeout=120).status == "finished"
    at = training({"run": str(run)})
    page = texts(at)
    assert "Finished 1 epoch in" in page and "1 epoch · batch 8192" in page
    assert "1 epochs" not in page


def per_optimizer_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "optimizer" in d.value.columns)


def test_a_compared_run_without_an_ema_shows_a_dash_not_none():
    plain = start(training(TINY))
    get_job_manager().wait(plain, timeout=120)
    with_ema = start(training({**TINY, "wema": "true"}))
    assert get_job_manager().wait(with_ema, timeout=120).status == "finished"
    at = training({"run": str(with_ema), "cmp": str(plain)})
    table = per_optimizer_table(at).set_index("optimizer")
    ema = table["EMA accuracy"]
    assert ema[f"#{plain} SGD"] == "—" and ema[f"#{plain} SGD + momentum"] == "—"
    assert ema[f"#{with_ema} SGD"].endswith("%") and table["val. accuracy"].str.endswith("%").all()
    assert not table.isna().any().any()


def test_batch_size_sweep_lanes_have_distinct_colours():
    from app.views.training.figures import lane_styles
    from app.views.training.frames import LaneView

    lanes = [LaneView(f"Adam bs={b}", "adam", f"Adam bs={b}", b) for b in (8, 64, 512, "full")]
    colours = [s["colour"] for s in lane_styles(lanes)]
    assert len(set(colours)) == 4
    # lanes of different optimizers keep their optimizer's colour, repeats their dash
    mixed = [LaneView("SGD", "sgd", "SGD", 64), LaneView("SGD #2", "sgd", "SGD #2", 64)]
    styles = lane_styles(mixed)
    assert styles[0]["colour"] == styles[1]["colour"] and styles[0]["dash"] != styles[1]["dash"]


def progress_seconds(at: AppTest) -> float:
    import re

    text = " ".join(str(p.proto.text) for p in at.get("progress"))
    return float(re.search(r"· ([\d.]+) s", text).group(1))


def test_the_elapsed_time_goes_on_after_resume_and_both_clocks_agree(runs_dir):
    import os
    import re

    run = start(training(TINY))
    assert get_job_manager().wait(run, timeout=120).status == "finished"
    at = training({"run": str(run)})
    finished = re.search(r"in ([\d.]+) s", " ".join(s.value for s in at.success)).group(1)
    caption = re.search(r"has taken ([\d.]+) s", texts(at)).group(1)
    assert progress_seconds(at) == float(finished) and caption == finished
    # a resumed run that trained 50 s before and restarted 2 s ago has been training for about 52 s
    store = RunStore(runs_dir)
    resumed = store.create_run(store.get_run(run).config, status="stopped")
    now = time.time()
    store.update(
        resumed,
        status="running",
        resume=1,
        started_at=now - 2,
        heartbeat=now,
        worker_pid=os.getpid(),
        worker_host=__import__("socket").gethostname(),
        summary={"status": "stopped", "epochs_completed": 0, "elapsed": 50.0, "lanes": []},
    )
    try:
        at = training({"run": str(resumed)})
        assert 51.5 <= progress_seconds(at) <= 60
    finally:
        store.update(resumed, status="stopped")


def test_a_batch_size_sweep_shows_time_per_epoch_and_samples_per_second(runs_dir):
    at = training(
        {"sweep": "true", "sweep_sizes": "16,full", "epochs": "2", "subset": "200", "width": "0.25"}
    )
    run = start(at)
    assert get_job_manager().wait(run, timeout=120).status == "finished"
    at.run()
    spec, speed = charts(at)["tr_chart_speed"]
    assert set(speed["batch_size"]) == {"16", "full"}
    stored = RunStore(runs_dir).read_metrics(run, names=["train_time"])
    for lane, size in (("SGD bs=16", "16"), ("SGD bs=full", "full")):
        times = stored[stored["optimizer"] == lane].groupby("epoch")["value"].max()
        per_epoch = float(times.iloc[-1]) / 2
        row = speed[speed["batch_size"] == size].iloc[0]
        assert row["seconds_per_epoch"] == pytest.approx(per_epoch) and per_epoch > 0
        assert row["samples_per_second"] == pytest.approx(200 / per_epoch)  # 200 training images
    # loss against wall-clock seconds: each lane's x is its own training time, increasing
    at.radio(key="xaxis").set_value("seconds").run()
    assert not at.exception
    _, loss = charts(at)["tr_chart_loss"]
    for lane, rows in loss.groupby("lane"):
        assert rows["x"].is_monotonic_increasing and rows["x"].iloc[0] > 0, lane
    assert at.query_params["xaxis"] == "seconds"


def test_the_optimizer_time_bars_say_they_time_only_step():
    run = start(training(TINY))
    get_job_manager().wait(run, timeout=120)
    spec, _ = charts(training({"run": str(run)}))["tr_chart_time"]
    assert "optimizer.step()" in spec["title"]


def test_a_run_link_shows_that_runs_settings_in_the_sidebar(runs_dir):
    settings = {
        **TINY,
        "l2": "adam",
        "l2_lr": "0.003",
        "l2_betas2": "0.99",
        "rseed": "7",
        "wema": "true",
        "clipping": "true",
        "max_norm": "1",
        "lrs": "cosine_annealing_lr",
        "bs": "32",
    }
    run = start(training(settings))
    stored = RunStore(runs_dir).get_run(run).config
    # a new session opened from the bare link, after the sidebar was left at other values
    at = training({"run": str(run), "lanes": "4", "l2": "sgd", "epochs": "9"})
    assert at.slider(key="lanes").value == 2
    assert at.selectbox(key="l2").value == "adam"
    assert at.select_slider(key="l2_lr").value == pytest.approx(0.003)
    assert at.number_input(key="rseed").value == 7 and at.number_input(key="epochs").value == 1
    assert at.toggle(key="wema").value and at.toggle(key="clipping").value
    assert at.selectbox(key="lrs").value == "cosine_annealing_lr"
    assert at.query_params["run"] == str(run)
    # Start from there trains the same run again
    get_job_manager().wait(run, timeout=120)
    again = start(at)
    assert RunStore(runs_dir).get_run(again).config == stored
    get_job_manager().wait(again, timeout=120)
    # once loaded, the sidebar is the user's: a change stays
    at.number_input(key="epochs").set_value(3).run()
    assert at.number_input(key="epochs").value == 3


def test_the_training_cosine_anneals_over_the_whole_run(runs_dir):
    # here, beside runs_dir: opening the page starts the process's one worker pool on that run store
    at = training({"lrs": "cosine_annealing_lr"})
    assert at.number_input(key="lrs_T_max").value == 0
    assert at.number_input(key="lrs_T_max").label == "T_max (0 = the whole run)"
    assert not at.error
    # the page leaves T_max to the trainer, which anneals over the run's own length
    kwargs, problems = collect("cosine_annealing_lr", "lrs_", lambda s, _: s.default, whole_run=True)
    assert kwargs == {"eta_min": 0.0} and not problems
    assert schedule_kwargs_for("cosine_annealing_lr", kwargs, 230) == {"eta_min": 0.0, "T_max": 230}
    kwargs, _ = collect(
        "cosine_annealing_lr", "lrs_", lambda s, _: 40 if s.key == "lrs_T_max" else s.default, whole_run=True
    )
    assert schedule_kwargs_for("cosine_annealing_lr", kwargs, 230)["T_max"] == 40
    # and back: the settings a stored run's kwargs give read as the same kwargs
    for run_kwargs in ({"eta_min": 0.0}, {"T_max": 40, "eta_min": 0.001}):
        pairs = {
            s.key: v for s, v in flat_settings("cosine_annealing_lr", run_kwargs, "lrs_", whole_run=True)
        }
        read = collect("cosine_annealing_lr", "lrs_", lambda s, _, pairs=pairs: pairs[s.key], whole_run=True)
        assert read == (run_kwargs, [])
