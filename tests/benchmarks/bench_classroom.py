"""A class on one server: Playground students and Training viewers through Streamlit's own protocol.

    .venv/bin/python tests/benchmarks/bench_classroom.py                   # 30 + 30 students, 60 s
    .venv/bin/python tests/benchmarks/bench_classroom.py --playground 10 --training 5 --seconds 30
    .venv/bin/python tests/benchmarks/bench_classroom.py --quick           # 1 + 1, a few seconds (smoke)

Prints one JSON object. No browser: each student is a `classroom_client.Session`, a websocket that sends
the BackMsgs a browser would send (see that module). The benchmark starts its own `streamlit run
app/main.py` on a free localhost port, with a temporary run store (OPTIM_LAB_RUNS_DIR), one training
worker of one torch thread, and one long run queued in that store before the server starts: the server's
worker pool, started by the first visit of the Training page, trains it all along.

- A Playground student moves a slider every 2 s: an LR slider (the map's fragment reruns) three times
  in four, the Steps slider (the whole page reruns) the fourth; values walk at random, so the caches
  hit about as often as a class's would; a change waits for the last one to end (late ones counted).
  Latency: from the BackMsg sent to the run's script_finished, on localhost, measured in this process
  (so it includes this process's own scheduling: an upper bound of the server-side time).
- A Training viewer opens ?run=<id> and polls its live fragment as the browser does: every `run_every`
  (the `auto_rerun` message); ticks that come while a poll runs make one more poll right after it, as
  the server folds a fragment's waiting reruns into one (see `view`). Per poll: the bytes
  of its ForwardMsgs (before the websocket's compression) and how far behind the store its charts were
  just before the poll landed: the seconds since the store first held a step newer than the newest
  step the viewer showed (the steps column of the run's table; the store read here every 0.2 s).

Phases, one after the other: warm-up (one visit of each page; the server's CPU left to settle), then
Playground students alone (server CPU per change), Training viewers alone (server CPU per poll; the
students connected but idle), the classroom (both, `--seconds` long: the headline latencies and lags),
the viewers leave (memory after a settle), then saturation (every student sends its next change as soon
as the last one finished: the changes per second one server process sustains). Server CPU and memory
are the server process's own (/proc), not its training worker's.

The JSON starts with a summary (the classroom phase's figures; CPU per change and per poll from the
phases where each ran alone), then each phase, the server, and the issue's targets. On a busy machine
every latency grows with the machine's load (reported beside them: `machine_load_1min`, and this
process's own CPU); the CPU seconds per change and per poll much less. They include whatever else the
server process does meanwhile, such as the rules' background compilation (optim_core.simulation.warm),
which new Playground settings keep feeding: the server inherits this environment, so
`OPTIM_LAB_WARM_UP=0 .venv/bin/python tests/benchmarks/bench_classroom.py` measures without it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import concurrent.futures
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.shared.i18n import STRINGS  # noqa: E402
from optim_core.training.store import RunStore  # noqa: E402
from tests.benchmarks.classroom_client import (  # noqa: E402
    RunResult,
    Session,
    cpu_seconds,
    rss_bytes,
    streamlit_server,
)
from tests.benchmarks.classroom_report import CHANGE_EVERY_S, Timeline, record, report  # noqa: E402

LR_KEYS = ("o1_lr", "o2_lr", "o3_lr", "o4_lr")  # the Playground's four default optimizers
STEPS_EVERY = 4  # every 4th change moves Steps
STEPS_COLUMN = STRINGS["tr.col.steps"][0]  # the run table's steps column, in English (the default)
CONNECTS_AT_ONCE = 4  # tabs opening their page at the same time (a class does not click in step)


class StoreWatch:
    """The open run's newest training step in the store, and when it first appeared (read every 0.2 s)."""

    def __init__(self, store: RunStore, run_id: int):
        self.store, self.run_id = store, run_id
        self.times: list[float] = []
        self.steps: list[int] = []
        self._row = 0

    def sample(self) -> None:
        new = self.store.read_metrics(self.run_id, since_row=self._row, names=["train_loss"])
        if len(new):
            self._row = int(new["row"].max())
            step = int(new["step"].max())
            if not self.steps or step > self.steps[-1]:
                self.times.append(time.perf_counter())
                self.steps.append(step)

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()  # a few milliseconds: an indexed read of the rows since the last one
            await asyncio.sleep(0.2)

    def behind(self, at: float, shown: int | None) -> float:
        """Seconds before `at` that the store first held a step newer than `shown` (0: it held none)."""
        i = 0 if shown is None else bisect.bisect_right(self.steps, shown)
        return max(0.0, at - self.times[i]) if i < len(self.steps) and self.times[i] <= at else 0.0


def shown_step(result: RunResult) -> int | None:
    """The newest step the Training page's run table shows after this run (None: no table drawn)."""
    for table in result.arrow_tables():
        if STEPS_COLUMN in table.column_names and table.num_rows:
            return int(pc.max(table[STEPS_COLUMN]).as_py())
    return None


class Student:
    """A Playground tab moving its sliders while its phase's period (seconds between changes) says so."""

    def __init__(self, session: Session, seed: int):
        self.session, self.rng = session, random.Random(seed)
        self.index: dict[str, int] = {}  # an LR slider's option, as this student last set it
        self.steps = 300
        self.changes = 0

    def change(self) -> tuple[str, str]:
        """Set the next slider's value: (kind, the fragment id to rerun, "" for the page)."""
        self.changes += 1
        if self.changes % STEPS_EVERY == 0:
            self.steps = min(500, max(100, self.steps + self.rng.choice((-50, -20, 20, 50))))
            return "steps (page)", self.session.set_widget("steps", self.steps)
        key = self.rng.choice(LR_KEYS)
        element = self.session.widgets[key][1]
        slider = getattr(element, element.WhichOneof("type"))  # a select_slider: options, value = index
        if key not in self.index:
            self.index[key] = int(list(slider.value or slider.default)[0])
        moved = self.index[key] + self.rng.choice((-3, -2, -1, 1, 2, 3))
        self.index[key] = min(len(slider.options) - 1, max(0, moved))
        return "lr (fragment)", self.session.set_widget(key, slider.options[self.index[key]])

    async def work(self, timeline: Timeline, periods: dict, stop: asyncio.Event, errors: list) -> None:
        """Change a slider every periods[phase] seconds (None: idle, 0: as soon as the last one ended)."""
        next_at = None
        while not stop.is_set():
            period = periods.get(timeline.current)
            if period is None:
                next_at = None
                await asyncio.sleep(0.05)
                continue
            now = time.perf_counter()
            if next_at is None:  # a class does not move in step
                next_at = now + self.rng.uniform(0, period)
            if next_at > now:
                await asyncio.sleep(min(0.1, next_at - now))
                continue
            kind, fragment = self.change()
            result = await self.session.rerun(fragment)
            tally = timeline.tally(result.sent_at, "playground")
            record(tally, result, errors, kind=kind)
            next_at += period
            if next_at < time.perf_counter():
                next_at = time.perf_counter()
                if tally is not None and period:
                    tally.skipped += 1  # late: the change took longer than the period


async def view(session: Session, shown, watch: StoreWatch, timeline: Timeline, stop, errors: list) -> None:
    """Poll the open run's live fragment as the browser does, until `stop`.

    The browser sends a rerun of the fragment at every tick of its run_every (setInterval), even while
    the last one runs; the server folds the waiting ones into one, run as soon as the last one ends.
    So here: a poll at each tick, or right after the last poll when ticks came meanwhile (the ticks
    folded away are counted)."""
    if not session.auto_reruns:
        errors.append("the Training page's run view does not poll")
        return
    next_tick, queued = time.perf_counter() + next(iter(session.auto_reruns.values())), False
    while not stop.is_set():
        now = time.perf_counter()
        if not queued and now < next_tick:
            await asyncio.sleep(min(0.1, next_tick - now))
            continue
        if not session.auto_reruns:
            errors.append("the run view stopped polling (the run ended?)")
            return
        fragment, interval = next(iter(session.auto_reruns.items()))
        if queued:
            queued = False
        else:
            next_tick += interval
        result = await session.rerun(fragment, auto=True)
        tally = timeline.tally(result.sent_at, "training")
        record(tally, result, errors, behind=watch.behind(result.finished_at, shown))
        new = shown_step(result)
        shown = shown if new is None else new
        if new is None and tally is not None:
            tally.no_steps += 1
        ticks = 0
        while next_tick <= time.perf_counter():
            next_tick += interval
            ticks += 1
        queued = ticks > 0
        if tally is not None:
            tally.skipped += max(0, ticks - 1)


async def open_tab(url: str, page: str, query: str, gate: asyncio.Semaphore, loads: list):
    """A new tab on the page, its first run done: (session, that run)."""
    session = Session(url, page, query)
    async with gate:
        await session.open()
        result = await session.rerun()
    loads.append(result.latency)
    return session, result


async def settle(pid: int, limit: float, quiet: float = 0.05) -> float:
    """Wait until the server used under `quiet` of a core over a second (at most `limit` s); that fraction."""
    deadline = time.perf_counter() + limit
    while True:
        before = cpu_seconds(pid)
        await asyncio.sleep(1.0)
        used = cpu_seconds(pid) - before
        if used < quiet or time.perf_counter() > deadline:
            return used


async def guarded(work, errors: list) -> None:
    try:
        await work
    except Exception as error:  # a tab that broke: said in the report, the others go on
        errors.append(f"{type(error).__name__}: {error}")


def training_run() -> dict:
    """The run the viewers watch: the Training page's three default lanes, long enough to outlast the
    benchmark (imports torch: called while the server starts)."""
    from optim_core.training.config import RunConfig

    lanes = [("sgd", 0.05), ("momentum", 0.02), ("adam", 1e-3)]
    return RunConfig(optimizers=[{"name": n, "hp": {"lr": lr}} for n, lr in lanes], epochs=5000).to_dict()


async def warm_up(url: str, run_id: int, watch: StoreWatch, limit: float) -> None:
    """One visit of each page: imports, caches, the worker pool started and the run training."""
    gate = asyncio.Semaphore(2)
    training = asyncio.create_task(open_tab(url, "training", f"run={run_id}", gate, []))  # starts the pool
    session, _ = await open_tab(url, "playground", "", gate, [])
    student = Student(session, seed=-1)
    for _ in range(STEPS_EVERY):
        await session.rerun(student.change()[1])
    await session.close()
    session, _ = await training
    try:
        deadline = time.perf_counter() + limit
        while not watch.steps:  # the pool imports torch, claims the run, writes its first metrics
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the run did not start training within {limit:.0f} s")
            await asyncio.sleep(0.5)
        await session.rerun(next(iter(session.auto_reruns)), auto=True)
    finally:
        await session.close()


def say(text: str) -> None:
    """Progress, on stderr (stdout carries the JSON)."""
    print(f"[bench_classroom {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def phase(timeline: Timeline, name: str, seconds: float) -> None:
    say(f"{name}: {seconds:g} s")
    timeline.begin(name)
    await asyncio.sleep(seconds)
    timeline.end()


async def classroom(url: str, pid: int, store: RunStore, run_id: int, sizes: dict, timing: dict) -> dict:
    """The phases (see the module's docstring); the report."""
    errors: list[str] = []
    timeline, watch, stop_watch = Timeline(pid), StoreWatch(store, run_id), asyncio.Event()
    rss = {"peak": 0}

    async def sample_rss() -> None:
        while not stop_watch.is_set():
            rss["peak"] = max(rss["peak"], rss_bytes(pid))
            await asyncio.sleep(0.2)

    background = [asyncio.create_task(watch.follow(stop_watch)), asyncio.create_task(sample_rss())]
    say("warm-up: one visit of each page, the run starts training")
    await warm_up(url, run_id, watch, timing["start_limit"])
    idle = {"idle_before": await settle(pid, timing["settle"])}
    rss["before"] = rss_bytes(pid)
    gate, loads = asyncio.Semaphore(CONNECTS_AT_ONCE), list[float]()

    say(f"{sizes['playground']} Playground students open the page")
    tabs = [open_tab(url, "playground", "", gate, loads) for _ in range(sizes["playground"])]
    students = [Student(session, seed=i) for i, (session, _) in enumerate(await asyncio.gather(*tabs))]
    periods = {"playground_alone": CHANGE_EVERY_S, "classroom": CHANGE_EVERY_S, "saturation": 0.0}
    stop_students, stop_viewers = asyncio.Event(), asyncio.Event()
    works = [s.work(timeline, periods, stop_students, errors) for s in students]
    working = [asyncio.create_task(guarded(work, errors)) for work in works]
    await phase(timeline, "playground_alone", timing["phase"])

    say(f"{sizes['training']} Training viewers open run {run_id}")
    tabs = [open_tab(url, "training", f"run={run_id}", gate, loads) for _ in range(sizes["training"])]
    viewers = await asyncio.gather(*tabs)
    timing["poll_interval"] = next(iter(viewers[0][0].auto_reruns.values()), None) if viewers else None
    views = [view(tab, shown_step(first), watch, timeline, stop_viewers, errors) for tab, first in viewers]
    viewing = [asyncio.create_task(guarded(work, errors)) for work in views]
    await phase(timeline, "training_alone", timing["phase"])
    await phase(timeline, "classroom", timing["classroom"])
    stop_viewers.set()
    await asyncio.gather(*viewing)
    for tab, _ in viewers:
        await tab.close()
    say("the viewers left")
    idle["idle_after_viewers_left"] = await settle(pid, timing["settle"])
    rss["after_viewers_left"] = rss_bytes(pid)

    await phase(timeline, "saturation", timing["phase"])
    stop_students.set()
    await asyncio.gather(*working)
    for student in students:
        await student.session.close()
    idle["idle_at_end"] = await settle(pid, timing["settle"])
    rss["end"] = rss_bytes(pid)
    rss["peak"] = max(rss.values())  # sampled every 0.2 s, and each reading above
    stop_watch.set()
    await asyncio.gather(*background)
    say("done")
    return report(timeline, sizes, timing, rss, idle, loads, errors)


def run(
    playground: int = 30,
    training: int = 30,
    seconds: float = 60.0,
    phase_seconds: float | None = None,
    quick: bool = False,
) -> dict:
    sizes = {"playground": playground, "training": training}
    timing = {
        "classroom": seconds,
        "phase": phase_seconds or max(2.0, seconds / 4),
        "settle": 1.0 if quick else 60.0,  # at most; the rules' background compilation may still run
        "start_limit": 120.0,
    }
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as tmp:
        runs = Path(tmp) / "runs"
        store = RunStore(runs)
        env = {"OPTIM_LAB_RUNS_DIR": str(runs), "OPTIM_LAB_WORKERS": "1", "OPTIM_LAB_TORCH_THREADS": "1"}
        env["OPTIM_LAB_RUN_VISIBILITY"] = "view"  # the viewers hold no key to the run: they may view it
        try:
            say("starting the server")
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                config = pool.submit(training_run)  # imports torch meanwhile
                with streamlit_server(ROOT / "app" / "main.py", env, Path(tmp) / "server.log") as (
                    url,
                    server,
                ):
                    # queued before any page opens: the server's pool takes it when the Training page starts
                    run_id = store.create_run(config.result())
                    return asyncio.run(classroom(url, server.pid, store, run_id, sizes, timing))
        finally:
            store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playground", type=int, default=None, help="Playground students (30)")
    parser.add_argument("--training", type=int, default=None, help="Training viewers (30)")
    parser.add_argument("--seconds", type=float, default=None, help="the classroom phase (60)")
    parser.add_argument(
        "--phase-seconds", type=float, default=None, help="each other phase (seconds / 4, >= 2)"
    )
    parser.add_argument("--quick", action="store_true", help="1 + 1 students, 3 s: what the smoke test runs")
    args = parser.parse_args()
    sizes = (1, 1, 3.0) if args.quick else (30, 30, 60.0)
    result = run(
        playground=sizes[0] if args.playground is None else args.playground,
        training=sizes[1] if args.training is None else args.training,
        seconds=sizes[2] if args.seconds is None else args.seconds,
        phase_seconds=args.phase_seconds,
        quick=args.quick,
    )
    print(json.dumps(result, indent=2))
