"""A Streamlit client without a browser, for load tests: it speaks the app's websocket protocol itself.

One `Session` is one browser tab: a websocket to `/_stcore/stream`, over which it sends BackMsgs
(`rerun_script` with the page, the query string, widget states, a fragment id) and reads ForwardMsgs until
the run's `script_finished`. It does what the frontend does that costs the server something:

- follows the URL the app writes (`page_info_changed`) and sends it back with the next rerun;
- keeps the widgets' ids by their keys (`$$ID-<hash>-<key>`) and which fragment each is drawn in, so a
  change of a widget in a fragment reruns only that fragment, as a browser's would;
- keeps the fragments' `run_every` intervals (`auto_rerun`) so a caller can poll them as the browser does;
- keeps the large messages the server marked cacheable and tells the server their hashes
  (`cached_message_hashes`), so an unchanged element comes back as a reference, as it would to a browser;
- keeps its cookies (`CookieJar`) as a browser's tab does: it first loads the page and asks the server's
  health and host config over HTTP, then opens the websocket, every request carrying the cookies the
  earlier answers set. Behind a load balancer with sticky sessions, that cookie is what keeps one
  student's requests on one replica; the jar notes any answer that replaced it, and the tab notes which
  replica answered each request (`answered_by`, from the balancer's REPLICA_HEADER).

Also here: starting `streamlit run` on a free localhost port, and a process's CPU time and memory read
from /proc (Linux only; the server's own process, not its training workers).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parents[2]
DONE = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}  # FINISHED_EARLY_FOR_RERUN is not the end: the script asked for a rerun, which follows
CACHE_BYTES = 4 << 20  # cacheable messages a session keeps (a browser keeps a bounded cache too)
STREAMLIT_COOKIES = "_streamlit"  # the prefix of Streamlit's own cookies (XSRF, auth); others: the balancer's
BROWSER_GETS = ("/", "/_stcore/health", "/_stcore/host-config")  # what a tab asks before its websocket
REPLICA_HEADER = "X-Optimlab-Replica"  # deploy/haproxy.cfg: the replica that answered, on every answer


# ---------------------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: Path, env: dict, log_path: Path, timeout: float = 120):
    """`streamlit run script`, headless on a free localhost port: yields (base URL, its Popen)."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]
    cmd += ["--browser.gatherUsageStats", "false"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start:\n{log_path.read_text()[-2000:]}")
                time.sleep(0.3)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU seconds so far (its threads, not its children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def rss_bytes(pid: int) -> int:
    """The process's resident memory now."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# ---------------------------------------------------------------------------------------- a tab


class CookieJar:
    """A tab's cookies for its one host (localhost, path /): set by the answers, sent with each request."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.replaced: list[tuple[str, str, str]] = []  # (name, old, new): a sticky cookie the server changed

    def header(self) -> dict[str, str]:
        """The Cookie header to send (none while the jar is empty)."""
        if not self.values:
            return {}
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.values.items())}

    def take(self, set_cookies: list[str]) -> None:
        """Keep what an answer's Set-Cookie headers set."""
        for line in set_cookies:
            name, _, rest = line.partition("=")
            name, value = name.strip(), rest.split(";", 1)[0].strip()
            old = self.values.get(name)
            if old is not None and old != value and not name.startswith(STREAMLIT_COOKIES):
                self.replaced.append((name, old, value))
            self.values[name] = value

    def sticky(self) -> dict[str, str]:
        """The cookies that are not Streamlit's own: behind a balancer, its affinity cookie."""
        return {k: v for k, v in self.values.items() if not k.startswith(STREAMLIT_COOKIES)}


@dataclass
class RunResult:
    """One script run (a page or a fragment), as the client saw it."""

    sent_at: float  # time.perf_counter() when the BackMsg left
    finished_at: float = 0.0  # ... when its script_finished arrived
    bytes: int = 0  # the ForwardMsgs' sizes on the websocket (before its compression)
    messages: int = 0
    status: int = -1  # script_finished's status
    elements: list = field(default_factory=list)  # the Element protos it drew (references resolved)

    @property
    def latency(self) -> float:
        return self.finished_at - self.sent_at

    def exceptions(self) -> list[str]:
        """The messages of the exceptions the script showed (st.exception or an uncaught one)."""
        return [e.exception.message for e in self.elements if e.WhichOneof("type") == "exception"]

    def arrow_tables(self) -> list[pa.Table]:
        """The data of every dataframe and chart element it drew."""
        payloads = []
        for element in self.elements:
            kind = element.WhichOneof("type")
            if kind == "dataframe":
                payloads.append(element.dataframe.arrow_data.data)
            elif kind == "vega_lite_chart":
                payloads.append(element.vega_lite_chart.data.data)
                payloads += [d.data.data for d in element.vega_lite_chart.datasets]
        return [pa.ipc.open_stream(p).read_all() for p in payloads if p]


class Session:
    """One browser tab on `page` of the app at `url`: `open()` ... `close()`, or `async with`."""

    def __init__(self, url: str, page: str, query: str = ""):
        self.ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.page = page
        # the page's script hash, from the server's navigation message, goes back with every rerun as a
        # browser's does: a rerun the page asks for itself (st.rerun) runs the page of the session's last
        # request, and a request by page name alone leaves none (the server then ran Home)
        self.page_hash = ""
        self.query_string = query
        self.widgets: dict[str, tuple] = {}  # user key -> (widget id, its Element proto, its fragment id)
        self.auto_reruns: dict[str, float] = {}  # fragment id -> run_every seconds
        self.bytes_outside_runs = 0
        self.base_url = url
        self.cookies = CookieJar()
        self.answered_by: list[str] = []  # the replica that answered each HTTP request and the websocket's
        self._states: dict[str, WidgetState] = {}  # widget id -> the value this tab last set
        self._cache: collections.OrderedDict[str, ForwardMsg] = collections.OrderedDict()
        self._cache_bytes = 0
        self._run: RunResult | None = None
        self._done: asyncio.Future | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None

    async def open(self) -> Session:
        """Connect (no page runs yet: `rerun()` loads it, as a browser's first BackMsg does)."""
        if self._ws is not None:
            raise RuntimeError("this tab is open already")
        await asyncio.to_thread(self._visit)
        # no Origin header: the server allows non-browser clients without the XSRF cookie dance
        self._ws = await connect(
            self.ws_url,
            subprotocols=[Subprotocol("streamlit")],
            max_size=None,
            open_timeout=60,
            additional_headers=self.cookies.header(),
            proxy=None,
        )
        assert self._ws.response is not None
        self._answered(self._ws.response.headers.get_all("Set-Cookie"), self._ws.response.headers)
        self._reader = asyncio.create_task(self._read())
        return self

    def _visit(self, timeout: float = 60) -> None:
        """The HTTP requests a browser's tab makes before its websocket, each with the jar's cookies."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        for path in BROWSER_GETS:
            request = urllib.request.Request(self.base_url + path, headers=self.cookies.header())
            with opener.open(request, timeout=timeout) as response:
                response.read()
                self._answered(response.headers.get_all("Set-Cookie") or [], response.headers)

    def _answered(self, set_cookies: list[str], headers) -> None:
        self.cookies.take(set_cookies)
        replica = headers.get(REPLICA_HEADER)
        if replica:
            self.answered_by.append(replica)

    async def close(self) -> None:
        assert self._ws is not None and self._reader is not None, "this tab was never opened"
        await self._ws.close()
        with contextlib.suppress(Exception):
            await self._reader

    async def __aenter__(self) -> Session:
        return await self.open()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def set_widget(self, key: str, value) -> str:
        """Give the widget with this key a new value (sent with the next rerun); returns its fragment id."""
        widget_id, element, fragment_id = self.widgets[key]
        state = WidgetState(id=widget_id)
        kind = element.WhichOneof("type")
        proto = getattr(element, kind)
        if kind == "slider" and proto.options:  # st.select_slider: the option's text
            state.string_array_value.data[:] = [str(value)]
        elif kind == "slider":
            state.double_array_value.data[:] = [float(value)]
        else:
            raise NotImplementedError(f"setting a {kind} widget")
        self._states[widget_id] = state
        return fragment_id

    async def rerun(self, fragment_id: str = "", auto: bool = False, timeout: float = 120) -> RunResult:
        """Run the page (or one fragment of it) with this tab's URL and widget values; wait for the end."""
        if self._done is not None:
            raise RuntimeError("one run at a time per tab")
        assert self._ws is not None, "open() the tab first"
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = self.query_string
        client.page_name = self.page
        client.page_script_hash = self.page_hash
        client.fragment_id = fragment_id
        client.is_auto_rerun = auto
        client.widget_states.widgets.extend(self._states.values())
        client.cached_message_hashes.extend(self._cache)
        self._run = RunResult(sent_at=time.perf_counter())
        self._done = asyncio.get_running_loop().create_future()
        try:
            await self._ws.send(msg.SerializeToString())
            return await asyncio.wait_for(self._done, timeout)
        finally:
            self._run, self._done = None, None

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for data in self._ws:
                if isinstance(data, str):
                    raise RuntimeError("the server sent a text frame; Streamlit sends protobufs")
                self._receive(data)
        except Exception as error:  # the connection broke: the run waiting for its end learns why
            if self._done is not None and not self._done.done():
                self._done.set_exception(error)
            raise
        if self._done is not None and not self._done.done():
            self._done.set_exception(ConnectionError("the server closed the websocket"))

    def _receive(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        run = self._run
        if run is not None:
            run.bytes += len(data)
            run.messages += 1
        else:
            self.bytes_outside_runs += len(data)
        if msg.WhichOneof("type") == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                raise RuntimeError(f"the server referred to a message this tab never kept: {msg.ref_hash}")
            self._cache.move_to_end(msg.ref_hash)
            msg = cached
        elif msg.metadata.cacheable:
            self._keep(msg)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._delta(msg.delta, run)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment_id, None)
        elif kind == "script_finished" and run is not None and msg.script_finished in DONE:
            run.finished_at = time.perf_counter()
            run.status = msg.script_finished
            if self._done is not None and not self._done.done():
                self._done.set_result(run)

    def _delta(self, delta, run: RunResult | None) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        if run is not None:
            run.elements.append(element)
        proto = getattr(element, element.WhichOneof("type"))
        widget_id = proto.id if "id" in proto.DESCRIPTOR.fields_by_name else ""
        if widget_id.startswith("$$ID-") and widget_id.count("-") >= 2:
            self.widgets[widget_id.split("-", 2)[2]] = (widget_id, element, delta.fragment_id)

    def _keep(self, msg: ForwardMsg) -> None:
        if msg.hash in self._cache:
            return
        self._cache[msg.hash] = msg
        self._cache_bytes += msg.ByteSize()
        while self._cache_bytes > CACHE_BYTES and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= old.ByteSize()
