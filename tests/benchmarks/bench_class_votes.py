"""A class votes: N students on the Class page through Streamlit's own protocol, one instructor's tally.

    .venv/bin/python tests/benchmarks/bench_class_votes.py                  # 60 students, votes over 5 s
    .venv/bin/python tests/benchmarks/bench_class_votes.py --students 2 --spread 1   # the smoke test's

Prints one JSON object. The benchmark starts its own `streamlit run app/main.py` on a free localhost port
with a temporary run store and two lessons (tests/app/classroom_lessons.py), creates a class in that
store (as the Start button does), and drives it with `classroom_client.Session`s (no browser):

1. join: every student opens the join link (`?class=CODE`, a few at a time, as a room does): the page
   gives each an id and joins it; the instructor opens the instructor link.
2. vote: every student clicks an answer at a random moment within `--spread` seconds; meanwhile each
   student polls the class as its browser would (the page's follow fragment, every STUDENT_POLL_S) and
   the instructor's tally fragment polls every TALLY_POLL_S. Figures: the time from the first vote sent
   to the last vote done (target: within 10 s), each vote's latency, every vote counted (in the store and
   on the instructor's screen), and how far behind the store the instructor's tally was: for the k-th vote
   done, the seconds until a tally poll showed at least k votes (target: within 3 s).
3. reveal: the instructor clicks Reveal; the seconds until every student's screen showed the answer.

Server CPU is the server process's own (/proc). On a busy machine latencies grow with its load
(`machine_load_1min` beside them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from app.shared.i18n import STRINGS  # noqa: E402
from optim_core.classroom import ClassStore, Question  # noqa: E402
from optim_core.lessons import load_lessons  # noqa: E402
from tests.app.classroom_lessons import write_lessons  # noqa: E402
from tests.benchmarks.classroom_client import RunResult, Session, cpu_seconds, streamlit_server  # noqa: E402
from tests.benchmarks.classroom_report import dist  # noqa: E402

PAGE = "classroom"
CONNECTS_AT_ONCE = 4
POLL_TIMEOUT_S = 30
TARGETS = {"votes_done_s": 10.0, "tally_behind_s": 3.0}
ANSWER_SHOWN = STRINGS["cls.answer"][0].split("{")[0]  # "The answer: "
_COUNT = re.compile(r'class="cls-count">(\d+)<')


class Tab(Session):
    """A Session that can also click a button (a trigger, sent once, as the browser does) and that runs
    one script at a time (a click waits for a poll in flight)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock = asyncio.Lock()

    async def click(self, key: str) -> RunResult:
        async with self.lock:
            widget_id, _, fragment_id = self.widgets[key]
            self._states[widget_id] = WidgetState(id=widget_id, trigger_value=True)
            try:
                return await self.rerun(fragment_id)
            finally:
                self._states.pop(widget_id, None)

    async def poll(self) -> RunResult | None:
        async with self.lock:
            if not self.auto_reruns:
                return None
            return await self.rerun(next(iter(self.auto_reruns)), auto=True, timeout=POLL_TIMEOUT_S)


def shown_votes(result: RunResult) -> int | None:
    """The votes the instructor's tally showed in this run (None: no tally drawn)."""
    for element in result.elements:
        if element.WhichOneof("type") == "html" and "cls-tally" in element.html.body:
            return sum(int(n) for n in _COUNT.findall(element.html.body))
    return None


def revealed(result: RunResult) -> bool:
    return any(
        e.WhichOneof("type") == "alert" and e.alert.body.startswith(ANSWER_SHOWN) for e in result.elements
    )


async def keep_polling(tab: Tab, stop: asyncio.Event, seen: list, errors: list) -> None:
    """Poll as the browser does: every run_every (ticks that come during a poll fold into one)."""
    interval = next(iter(tab.auto_reruns.values()), 1.0)
    next_tick = time.perf_counter() + random.uniform(0, interval)
    while not stop.is_set():
        await asyncio.sleep(max(0.0, min(0.1, next_tick - time.perf_counter())))
        if time.perf_counter() < next_tick:
            continue
        try:
            result = await tab.poll()
        except TimeoutError:
            errors.append(f"a poll got no answer in {POLL_TIMEOUT_S} s")
            continue
        if result is None:
            errors.append("a tab stopped polling")
            return
        errors.extend(result.exceptions())
        seen.append(result)
        while next_tick <= time.perf_counter():
            next_tick += interval


async def session(url: str, students: int, spread: float, seed: int) -> dict:
    rng = random.Random(seed)
    store = ClassStore()
    lesson = load_lessons()[0]
    code, key = store.create([Question(lesson.id, tuple(a.id for a in lesson.answers))])
    answers = [a.id for a in lesson.answers]
    errors: list[str] = []
    tabs = [Tab(url, PAGE, f"class={code}") for _ in range(students)]
    teacher = Tab(url, PAGE, f"class={code}&ckey={key}")

    started = time.perf_counter()
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def connect(tab: Tab) -> RunResult:
        async with gate:
            await tab.open()
            return await tab.rerun()

    joins = await asyncio.gather(*(connect(tab) for tab in tabs))
    await teacher.open()
    first = await teacher.rerun()
    join_s = time.perf_counter() - started
    for result in (*joins, first):
        errors.extend(result.exceptions())
    if store.tally(code).students != students:
        errors.append(f"{store.tally(code).students} of {students} students joined")

    stop = asyncio.Event()
    student_polls: list[list[RunResult]] = [[] for _ in tabs]
    teacher_polls: list[RunResult] = []
    pollers = [
        asyncio.create_task(keep_polling(t, stop, p, errors))
        for t, p in zip(tabs, student_polls, strict=True)
    ]
    stop_tally = asyncio.Event()  # the revealed page draws no live tally: its poll stops before the reveal
    tally_poller = asyncio.create_task(keep_polling(teacher, stop_tally, teacher_polls, errors))

    cpu0 = cpu_seconds(SERVER_PID)
    vote_start = time.perf_counter()

    async def vote(tab: Tab) -> RunResult:
        await asyncio.sleep(rng.uniform(0, spread))
        return await tab.click(f"cls_vote_{rng.choice(answers)}")

    votes = await asyncio.gather(*(vote(tab) for tab in tabs))
    for result in votes:
        errors.extend(result.exceptions())
    done = sorted(r.finished_at for r in votes)
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and not (teacher_polls and teacher_polls[-1].sent_at > done[-1]):
        await asyncio.sleep(0.1)
    await asyncio.sleep(2 * max(teacher.auto_reruns.values(), default=1.0))
    vote_cpu = cpu_seconds(SERVER_PID) - cpu0
    vote_wall = time.perf_counter() - vote_start

    shown = [(r.finished_at, shown_votes(r)) for r in teacher_polls if shown_votes(r) is not None]
    behind = []
    for k, at in enumerate(done, start=1):
        caught = next((t for t, n in shown if n >= k and t >= at), None)
        behind.append(None if caught is None else caught - at)
    counted = store.tally(code).voters
    polls_before_reveal = [r for polls in student_polls for r in polls]

    stop_tally.set()
    await tally_poller
    reveal_at = time.perf_counter()
    for polls in student_polls:
        polls.clear()
    await teacher.click("cls_reveal")
    deadline = reveal_at + 20
    reached: list[float | None] = [None] * students
    while time.perf_counter() < deadline and None in reached:
        for i, polls in enumerate(student_polls):
            if reached[i] is None:
                reached[i] = next((r.finished_at - reveal_at for r in polls if revealed(r)), None)
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*pollers)
    for tab in (*tabs, teacher):
        await tab.close()

    quiet = [r for r in polls_before_reveal if not r.elements]
    return {
        "students": students,
        "spread_s": spread,
        "join_all_s": round(join_s, 3),
        "votes_sent": len(votes),
        "votes_counted_in_store": counted,
        "votes_shown_to_instructor": shown[-1][1] if shown else None,
        "votes_done_s": round(done[-1] - min(r.sent_at for r in votes), 3),
        "vote_latency_s": dist([r.latency for r in votes]),
        "tally_behind_s": dist([b for b in behind if b is not None]),
        "tally_never_caught_up": sum(b is None for b in behind),
        "reveal_reached_all_s": None if None in reached else round(max(reached), 3),  # type: ignore[type-var]
        "student_polls": len(polls_before_reveal),
        "student_poll_bytes": dist([r.bytes for r in polls_before_reveal], 0),
        "student_polls_drawing_nothing": len(quiet),
        "instructor_poll_bytes": dist([r.bytes for r in teacher_polls], 0),
        "server_cpu_s_voting_phase": round(vote_cpu, 3),
        "server_cpu_fraction_voting_phase": round(vote_cpu / vote_wall, 3),
        "errors": errors[:20],
        "error_count": len(errors),
    }


SERVER_PID = 0


def main() -> None:
    global SERVER_PID
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--spread", type=float, default=5.0, help="votes come at random within this")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="class-votes-") as tmp:
        env = {
            "OPTIM_LAB_RUNS_DIR": str(Path(tmp) / "runs"),
            "OPTIM_LAB_LESSONS": str(write_lessons(Path(tmp) / "lessons")),
            "OPTIM_LAB_WARM_UP": "0",
        }
        os.environ.update(env)
        with streamlit_server(ROOT / "app" / "main.py", env, Path(tmp) / "server.log") as (url, process):
            SERVER_PID = process.pid
            result = asyncio.run(session(url, args.students, args.spread, args.seed))
    result["machine_load_1min"] = os.getloadavg()[0]
    result["targets"] = {
        name: {"max": limit, "value": value, "met": value is not None and value <= limit}
        for name, limit in TARGETS.items()
        for value in [result[name] if name == "votes_done_s" else (result[name] or {}).get("max")]
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
