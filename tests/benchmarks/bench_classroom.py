"""A class on the app: Playground students and Training viewers through Streamlit's own protocol.

    .venv/bin/python tests/benchmarks/bench_classroom.py                  # 30 + 30 students, 60 s, 1 then 2
                                                                          # replicas behind the balancer
    .venv/bin/python tests/benchmarks/bench_classroom.py --replicas 1,2,3 --database sqlite
    .venv/bin/python tests/benchmarks/bench_classroom.py --direct         # one server, no balancer
    .venv/bin/python tests/benchmarks/bench_classroom.py --playground 10 --training 5 --seconds 30
    .venv/bin/python tests/benchmarks/bench_classroom.py --quick          # 1 + 1, a few seconds (smoke)

Prints one JSON object. No browser: each student is a `classroom_client.Session`, a websocket that sends
the BackMsgs a browser would send, after the HTTP requests a browser's tab makes first, with the cookies
their answers set (see that module).

What it drives (classroom_cluster.py): for each replica count of `--replicas` in turn (1,2 unless told),
a cluster of its own, started by deploy.cluster.start_cluster: PostgreSQL (or one shared SQLite file,
`--database sqlite`), that many `streamlit run app/main.py` replicas and HAProxy with sticky sessions in
front; the students reach the balancer only. A tab keeps the balancer's cookie from its first answer, so
its HTTP requests and its websocket reach one replica: the report counts the tabs per replica (by cookie
and by the replica the balancer says answered) and any tab that hopped. With `--direct` (`--replicas
0`): one `streamlit run` on a free localhost port, its store on SQLite, reached directly (issue 15's
setup). Either way each server has one training worker of one torch thread, and one long run is queued
in the store before any page opens: the worker pool of the server whose Training page opens first
trains it all along.

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

Phases, one after the other: warm-up (one visit of each page; the servers' CPU left to settle), then
Playground students alone (server CPU per change), Training viewers alone (server CPU per poll; the
students connected but idle), the classroom (both, `--seconds` long: the headline latencies and lags),
the viewers leave (memory after a settle), then saturation (every student sends its next change as soon
as the last one finished: the changes per second the servers sustain). "Server" CPU and memory are the
replicas' own processes together (/proc), not their training workers'; the report also gives, per
phase, each replica's, their children's (`server_children`: the training workers, the rules' compile
children), the balancer's, the database's (PostgreSQL's processes, exited backends included), this
client's, and the machine's busy share of all its cores, and from the saturation phase's figures what
limited it (`limited_by`: the machine's CPU, one replica's process at a core, this client, or the
database: its CPU or sessions waiting on locks, sampled from PostgreSQL).

Per replica count, the JSON holds a report (`by_replicas`): a summary (the classroom phase's figures;
CPU per change and per poll from the phases where each ran alone), then each phase, the server, the
processes, and issue 15's targets; `scaling` puts the counts side by side (the saturation throughput,
and the students it keeps up with at a change every 2 s). `--direct` prints the one report alone. On a
busy machine every latency grows with the machine's load (reported beside them: `machine_load_1min`,
`other_processes`, and this process's own CPU); the CPU seconds per change and per poll much less. They
include whatever else the servers do meanwhile, such as the rules' background compilation
(optim_core.simulation.warm), which new Playground settings keep feeding: the servers inherit this
environment, so `OPTIM_LAB_WARM_UP=0 .venv/bin/python tests/benchmarks/bench_classroom.py` measures
without it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
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
from tests.benchmarks.classroom_client import RunResult, Session  # noqa: E402
from tests.benchmarks.classroom_cluster import Target, cluster, direct  # noqa: E402
from tests.benchmarks.classroom_report import CHANGE_EVERY_S, Timeline, record, report, scaling  # noqa: E402

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


async def open_tab(url: str, page: str, query: str, gate: asyncio.Semaphore, loads: list, pin=None):
    """A new tab on the page, its first run done: (session, that run). `pin`: cookies it holds already
    (the balancer's affinity cookie naming a replica), as a browser that visited before."""
    session = Session(url, page, query)
    session.cookies.values.update(pin or {})
    async with gate:
        await session.open()
        result = await session.rerun()
    loads.append(result.latency)
    return session, result


async def settle(target: Target, limit: float, quiet: float = 0.05) -> float:
    """Wait until the server (its replicas together) used under `quiet` of a core over a second (at most
    `limit` s); that fraction."""
    deadline = time.perf_counter() + limit
    while True:
        before = target.server_cpu()
        await asyncio.sleep(1.0)
        used = target.server_cpu() - before
        if used < quiet or time.perf_counter() > deadline:
            return used


class Memory:
    """The replicas' resident memory, together (`total`) and each (`each`), at named moments and at peak."""

    def __init__(self, target: Target):
        self.target = target
        self.total: dict[str, int] = {"peak": 0}
        self.each: dict[str, list[int]] = {"peak": [0] * target.replicas}

    def sample(self) -> list[int]:
        now = self.target.rss()
        self.total["peak"] = max(self.total["peak"], sum(now))
        self.each["peak"] = [max(a, b) for a, b in zip(self.each["peak"], now, strict=True)]
        return now

    def take(self, moment: str) -> None:
        now = self.sample()
        self.total[moment], self.each[moment] = sum(now), now

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            await asyncio.sleep(0.2)


async def follow_locks(target: Target, timeline: Timeline, most: dict, stop: asyncio.Event) -> None:
    """The most database sessions seen waiting on a lock in each phase (sampled every 0.5 s; PostgreSQL)."""
    while not stop.is_set():
        waiting = await asyncio.to_thread(target.lock_waits)
        name = timeline.current
        if waiting is not None and name is not None:
            most[name] = max(most.get(name, 0), waiting)
        await asyncio.sleep(0.5)


def spread(tabs: list[Session]) -> dict:
    """How the tabs spread over the replicas: by the balancer's affinity cookie each holds, by the replica
    that answered its websocket (the balancer's header), and whether any tab was answered by two replicas
    or had its cookie replaced (it hopped). Reached directly, a tab holds no such cookie: "(none)"."""
    cookies = collections.Counter(
        ";".join(f"{k}={v}" for k, v in sorted(tab.cookies.sticky().items())) or "(none)" for tab in tabs
    )
    answering = collections.Counter(tab.answered_by[-1] if tab.answered_by else "(none)" for tab in tabs)
    return {
        "tabs": len(tabs),
        "by_cookie": dict(sorted(cookies.items())),
        "by_replica_answering": dict(sorted(answering.items())),
        "tabs_that_hopped": sum(len(set(t.answered_by)) > 1 or bool(t.cookies.replaced) for t in tabs),
    }


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


async def warm_up(target: Target, run_id: int, watch: StoreWatch, limit: float) -> None:
    """One visit of each page on each replica (pinned by the balancer's cookie): imports, caches, each
    worker pool started, and the run training (in the pool of the first)."""
    gate = asyncio.Semaphore(2)
    for pin in target.pins:
        query = f"run={run_id}"
        training = asyncio.create_task(open_tab(target.url, "training", query, gate, [], pin))  # its pool
        session, _ = await open_tab(target.url, "playground", "", gate, [], pin)
        if pin and set(session.answered_by) != set(pin.values()):  # the balancer ignored the cookie
            raise RuntimeError(f"a tab pinned to {pin} was answered by {session.answered_by}")
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


async def classroom(target: Target, run_id: int, sizes: dict, timing: dict) -> dict:
    """The phases (see the module's docstring); the report."""
    url, errors = target.url, list[str]()
    timeline, watch, stop_watch = Timeline(target.cpu), StoreWatch(target.store, run_id), asyncio.Event()
    memory, locks = Memory(target), dict[str, int]()
    background = [
        asyncio.create_task(watch.follow(stop_watch)),
        asyncio.create_task(memory.follow(stop_watch)),
        asyncio.create_task(follow_locks(target, timeline, locks, stop_watch)),
    ]
    say("warm-up: one visit of each page, the run starts training")
    await warm_up(target, run_id, watch, timing["start_limit"])
    idle = {"idle_before": await settle(target, timing["settle"])}
    memory.take("before")
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
    placed = spread([s.session for s in students] + [tab for tab, _ in viewers])
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
    idle["idle_after_viewers_left"] = await settle(target, timing["settle"])
    memory.take("after_viewers_left")

    await phase(timeline, "saturation", timing["phase"])
    stop_students.set()
    await asyncio.gather(*working)
    for student in students:
        await student.session.close()
    idle["idle_at_end"] = await settle(target, timing["settle"])
    memory.take("end")
    stop_watch.set()
    await asyncio.gather(*background)
    say("done")
    processes = {
        "replicas": target.replicas,
        "database": target.database,
        "setup": target.setup,
        "spread": placed,
        "rss_per_replica": memory.each,
        "lock_waits_max": locks,
    }
    return report(timeline, sizes, timing, memory.total, idle, loads, errors, processes)


def measure(opened, config: concurrent.futures.Future, sizes: dict, timing: dict) -> dict:
    """Queue the run in the target's store before any page opens (the pool of the server that shows the
    Training page first takes it), then the phases."""
    with opened as target:
        run_id = target.store.create_run(config.result())
        return asyncio.run(classroom(target, run_id, sizes, timing))


def run(
    playground: int = 30,
    training: int = 30,
    seconds: float = 60.0,
    phase_seconds: float | None = None,
    quick: bool = False,
    replicas: tuple[int, ...] = (1, 2),
    database: str = "postgresql",
) -> dict:
    """The phases against one server reached directly (`replicas=(0,)`), or against a cluster of each
    replica count in turn (its own database, replicas and balancer): one report per count, side by side."""
    sizes = {"playground": playground, "training": training}
    timing = {
        "classroom": seconds,
        "phase": phase_seconds or max(2.0, seconds / 4),
        "settle": 1.0 if quick else 60.0,  # at most; the rules' background compilation may still run
        "start_limit": 120.0,
    }
    env = {"OPTIM_LAB_WORKERS": "1", "OPTIM_LAB_TORCH_THREADS": "1"}
    env["OPTIM_LAB_RUN_VISIBILITY"] = "view"  # the viewers hold no key to the run: they may view it
    with (
        tempfile.TemporaryDirectory(prefix="bench-classroom-") as tmp,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        config = pool.submit(training_run)  # imports torch while the first server starts
        if replicas == (0,):
            say("starting the server")
            return measure(direct(env, Path(tmp)), config, sizes, timing)
        reports = {}
        for count in replicas:
            say(f"starting a cluster of {count} replica(s) behind the balancer, database {database}")
            opened = cluster(count, env, Path(tmp) / f"replicas-{count}", database)
            reports[str(count)] = measure(opened, config, sizes, timing)
        return {
            "benchmark": "classroom",
            "replica_counts": list(replicas),
            **scaling(reports),
            "by_replicas": reports,
        }


def counts(text: str) -> tuple[int, ...]:
    """--replicas: "1,2" -> (1, 2); "0": one server reached directly."""
    values = tuple(int(part) for part in text.split(",") if part.strip())
    if not values or any(v < 0 for v in values) or (0 in values and len(values) > 1):
        raise argparse.ArgumentTypeError("replica counts like 1,2 (or 0 alone: one server, directly)")
    return values


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playground", type=int, default=None, help="Playground students (30)")
    parser.add_argument("--training", type=int, default=None, help="Training viewers (30)")
    parser.add_argument("--seconds", type=float, default=None, help="the classroom phase (60)")
    parser.add_argument(
        "--phase-seconds", type=float, default=None, help="each other phase (seconds / 4, >= 2)"
    )
    parser.add_argument("--quick", action="store_true", help="1 + 1 students, 3 s: what the smoke test runs")
    parser.add_argument(
        "--replicas", type=counts, default=(1, 2), help="replica counts behind the balancer, in turn (1,2)"
    )
    parser.add_argument("--direct", action="store_true", help="one server, no balancer (= --replicas 0)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    sizes = (1, 1, 3.0) if args.quick else (30, 30, 60.0)
    result = run(
        playground=sizes[0] if args.playground is None else args.playground,
        training=sizes[1] if args.training is None else args.training,
        seconds=sizes[2] if args.seconds is None else args.seconds,
        phase_seconds=args.phase_seconds,
        quick=args.quick,
        replicas=(0,) if args.direct else args.replicas,
        database=args.database,
    )
    print(json.dumps(result, indent=2))
