"""The job queue on the `ray` executor, on a real local Ray cluster (tools/local_ray.py: `ray start --head`
with 2 CPUs in a temporary folder, stopped at the end), against the `local` executor's results.

The cluster declares one GPU: Ray schedules by the declared count, so the tasks ask for a quarter of it
(OPTIM_LAB_RAY_GPUS) as on a GPU node; the runs say device="cpu", so they train on the CPU wherever this
runs and stay bit-identical to the local executor's.

Skipped with a message when Ray is not installed (the `cluster` extra); under CI=true that fails instead.
One Ray manager (max_workers=1) serves the module; its runs are tiny, each task asks for one CPU. The tests
that kill a worker come last: Ray starts a new worker (which imports torch again) after each.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optim_core.training.config import RunConfig
from optim_core.training.executors import ray_executor
from optim_core.training.executors.ray_executor import default_task_cpus, gpus_per_task, on_loopback
from optim_core.training.jobs import JobManager
from optim_core.training.metrics import TIMING_METRICS
from optim_core.training.store import RunStore
from tools.local_ray import LocalRay, session_pids

# The driver (this process) must use 127.0.0.1 like the cluster, before Ray is imported anywhere.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

TINY = dict(
    optimizers=[{"name": "adam"}], device="cpu", batch_size=32, max_samples=96, metrics_interval_s=0.05
)
# checkpoints at every epoch end; long enough to be killed mid-run, short enough to finish in seconds
FINITE = RunConfig(**TINY, epochs=40, checkpoint_interval_s=0.0, dropout=0.2, ema_decay=0.9)
ENDLESS = RunConfig(**TINY, epochs=100_000)
STOP_TIMEOUT_S = 5.0  # a stop that takes longer has its Ray task cancelled


def ray_or_skip():
    try:
        import ray
    except ImportError:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            raise
        pytest.skip("ray is not installed: pip install 'optim-lab[cluster]' (under CI=true this fails)")
    return ray


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    ray_or_skip()
    with LocalRay(tmp_path_factory.mktemp("ray"), num_cpus=2, num_gpus=1) as local:
        session, temp_dir = local.session, local.temp_dir
        yield local
    assert session is not None and not session_pids(session)  # everything it started is gone
    assert temp_dir is not None and not temp_dir.exists()


@pytest.fixture(scope="module")
def jobs(cluster, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_ADDRESS", cluster.address)
        patch.setenv("OPTIM_LAB_STOP_TIMEOUT_S", str(STOP_TIMEOUT_S))
        manager = JobManager(tmp_path_factory.mktemp("runs"), max_workers=1, executor="ray")
    assert manager.executor.name == "ray" and manager.executor.num_gpus == 0.25  # the cluster has a GPU
    yield manager
    manager.shutdown()


@pytest.fixture(scope="module")
def local_metrics(tmp_path_factory):
    """FINITE's metrics under the local executor (a spawned worker, one torch thread)."""
    manager = JobManager(tmp_path_factory.mktemp("local"), max_workers=1, torch_threads=1, executor="local")
    try:
        run = manager.submit(FINITE)
        record = manager.wait(run, timeout=120)
        assert record.status == "finished", record.error
        return metric_rows(manager.store, run)
    finally:
        manager.shutdown()


# the loopback addresses as /proc/net/tcp{,6} write them: 127.0.0.1, ::ffff:127.0.0.1, ::1
LOOPBACK = ("0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000")


def listening(pids) -> list[str]:
    """The local addresses (hex, as in /proc/net/tcp) of the TCP sockets these processes listen on."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.append(fields[1])
    return found


def metric_rows(store: RunStore, run: int) -> list[tuple]:
    frame = store.read_metrics(run)
    frame = frame[~frame["name"].isin(TIMING_METRICS)]
    return sorted(frame[["optimizer", "step", "epoch", "name", "value"]].itertuples(index=False, name=None))


def wait_until(check, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return found


def training_worker(jobs: JobManager, run: int, steps: int = 0):
    """The run's record once a Ray worker (not the manager) has taken it and logged more than `steps`."""

    def taken():
        record = jobs.status(run)
        if record.status != "running" or record.worker_pid in (None, os.getpid()):
            return None
        logged = jobs.store.read_metrics(run, names=["train_loss"])["step"]
        return record if len(logged) and logged.max() > steps else None

    return wait_until(taken, f"run {run} to be trained by a Ray worker past step {steps}")


# ---------------------------------------------------------------- choosing an executor (no cluster)


def test_unknown_executor_names_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown executor 'dask'; valid: local, ray"):
        JobManager(tmp_path, executor="dask", start=False)
    monkeypatch.setenv("OPTIM_LAB_EXECUTOR", "spark")
    with pytest.raises(ValueError, match="unknown OPTIM_LAB_EXECUTOR 'spark'"):
        JobManager(tmp_path, start=False)
    monkeypatch.setenv("OPTIM_LAB_EXECUTOR", "local")
    assert JobManager(tmp_path, start=False).executor.name == "local"


def test_the_ray_executor_without_ray_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    monkeypatch.setenv("OPTIM_LAB_EXECUTOR", "ray")
    with pytest.raises(ImportError, match=r"needs the cluster extra: pip install 'optim-lab\[cluster\]'"):
        JobManager(tmp_path, start=False)


def test_task_resources_and_addresses(monkeypatch):
    assert gpus_per_task(0.25, cluster_gpus=2.0) == 0.25
    assert gpus_per_task(0.25, cluster_gpus=0) == 0.0  # a CPU-only cluster: the task would never start
    assert on_loopback("127.0.0.1:6379") and on_loopback("ray://localhost:10001")
    assert not on_loopback("10.0.0.5:6379") and not on_loopback("ray-head.default.svc:6379")
    monkeypatch.setenv("OPTIM_LAB_RAY_CPUS", "0")
    with pytest.raises(ValueError, match="OPTIM_LAB_RAY_CPUS must be a number >= 0.01, got '0'"):
        default_task_cpus()


def test_nothing_imports_ray_unless_the_ray_executor_is_chosen(tmp_path):
    code = (
        "import sys; from optim_core.training.jobs import JobManager; "
        f"m = JobManager({str(tmp_path)!r}, max_workers=1, start=False); "
        "assert m.executor.name == 'local' and 'ray' not in sys.modules, sorted(sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPTIM_LAB_EXECUTOR"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


# ---------------------------------------------------------------- on a real Ray cluster


def test_the_local_cluster_listens_on_127_0_0_1_only(cluster):
    addresses = listening(cluster.pids())
    assert len(addresses) >= 4, addresses  # the GCS, the raylet, its agents
    assert all(address.split(":")[0] in LOOPBACK for address in addresses), addresses


def test_a_run_under_ray_equals_the_same_run_under_the_local_executor(jobs, local_metrics):
    run = jobs.submit(FINITE)
    record = jobs.wait(run, timeout=120)
    assert record.status == "finished", record.error
    assert record.worker_pid != os.getpid() and record.summary["status"] == "finished"
    got = metric_rows(jobs.store, run)
    assert len(got) > 100 and got == local_metrics  # bit-identical, every value


def test_stop_through_the_store_flag(jobs):
    import ray

    run = jobs.submit(ENDLESS)
    training_worker(jobs, run)
    # its task holds a quarter of the GPU while it runs (Ray reports free resources with a short delay)
    wait_until(lambda: ray.available_resources().get("GPU") == 0.75, "the task to hold 0.25 GPU", 30)
    assert jobs.stop(run) == "running"
    record = jobs.wait(run, timeout=STOP_TIMEOUT_S)  # cooperative: well before the hard-kill timeout
    assert record.status == "stopped" and record.error is None, record.error
    assert record.summary["status"] == "stopped" and (jobs.store.checkpoint_dir(run) / "last.pt").exists()


def test_two_runs_with_max_running_1_never_run_at_once(jobs):
    runs = [jobs.submit(RunConfig(**TINY, epochs=3, seed=seed)) for seed in (1, 2)]
    assert jobs.queue_position(runs[1]) in (1, 2)
    first, second = (jobs.wait(run, timeout=120) for run in runs)
    assert first.status == second.status == "finished", (first.error, second.error)
    assert first.finished_at <= second.started_at  # the second was claimed only after the first ended


def test_a_run_left_running_by_a_worker_that_is_gone_becomes_interrupted(jobs, monkeypatch):
    """Another server's worker died (its node too, say): the sweep marks its run, no restart needed."""
    monkeypatch.setattr(ray_executor, "SWEEP_S", 0.2)
    run = jobs.store.create_run(ENDLESS.to_dict(), status="finished")  # never queued: no worker takes it
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    jobs.store.update(run, status="running", worker_pid=gone.pid, worker_host=socket.gethostname())
    record = wait_until(lambda: (r := jobs.status(run)).status == "interrupted" and r, "the sweep", 30)
    assert "ended without finishing" in record.error


def test_a_run_under_ray_on_a_postgresql_store(jobs, local_metrics, postgres_server, tmp_path, monkeypatch):
    """The task opens the manager's store where it is: the runs folder and the database URL it is handed."""
    monkeypatch.setenv("OPTIM_LAB_DATABASE_URL", postgres_server.create_database("ray_runs"))
    manager = JobManager(tmp_path, max_workers=1, executor="ray")  # on the cluster `jobs` connected to
    try:
        assert manager.store.database_url.startswith("postgresql")
        run = manager.submit(FINITE)
        record = manager.wait(run, timeout=120)
        assert record.status == "finished" and record.worker_pid != os.getpid(), record.error
        assert metric_rows(manager.store, run) == local_metrics
    finally:
        manager.shutdown()
        manager.store.close()
        postgres_server.drop_database("ray_runs")


def test_a_killed_ray_worker_leaves_the_run_interrupted_and_it_resumes_to_the_same_result(
    jobs, local_metrics
):
    run = jobs.submit(FINITE)

    def checkpointed_mid_run():
        record = training_worker(jobs, run, steps=20)
        return record if record.checkpoint else None

    record = wait_until(checkpointed_mid_run, "a checkpoint")
    os.kill(record.worker_pid, signal.SIGKILL)
    interrupted = jobs.wait(run, timeout=60)
    assert interrupted.status == "interrupted", interrupted
    assert 0 < len(jobs.store.read_metrics(run, names=["train_loss"])) < 120  # it died mid-run
    jobs.resume(run)
    final = jobs.wait(run, timeout=120)
    assert final.status == "finished", final.error
    assert final.worker_pid != record.worker_pid  # a new Ray worker took it
    assert metric_rows(jobs.store, run) == local_metrics  # as if never killed


def test_a_task_that_ignores_its_stop_is_cancelled_after_the_timeout(jobs):
    run = jobs.submit(ENDLESS)
    record = training_worker(jobs, run)
    os.kill(record.worker_pid, signal.SIGSTOP)  # frozen: it never reads the stop flag
    try:
        jobs.stop(run)
        ended = jobs.wait(run, timeout=STOP_TIMEOUT_S + 30)
    finally:
        try:
            os.kill(record.worker_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert ended.status == "interrupted" and "did not stop within" in ended.error, ended
