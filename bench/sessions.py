"""The server alone (`make bench`, section M): N sessions at once over Streamlit's own websocket, each asking for one
page's run as a browser does when it opens the page, with no browser on the machine.

Section M's Chromium sessions run their browsers on the server's own cores, so their page-ready time is mostly
Chromium's work (Streamlit's front end costs seconds of CPU per fresh page on a slow 2-core machine). A reader's
browser runs on the reader's own computer: what the server owes each of them is the page's run, from the websocket's
opening to the run's end, with every element sent. That time, at 1, 5 and 10 sessions at once, is what this measures.

Bounded like the rest of the bench: loopback only (the URL comes from bench.browser.streamlit_server), at most
bench.browser.MAX_SESSIONS sessions, every wait at most PAGE_TIMEOUT_S.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.browser import MAX_SESSIONS, PAGE_TIMEOUT_S

# After a run ends, a page may start another at once (st.rerun, st.switch_page): the session is ready when no run
# has started for this long after the last one ended. The quiet stretch is not counted in the time.
QUIET_S = 0.3


@dataclass
class Run:
    url: str
    seconds: float | None  # None: the run did not end well (error or timeout)
    elements: int = 0  # elements the server sent
    error: str = ""


def _rerun(page: str, locale: str, zone: str) -> bytes:
    """The BackMsg a browser sends once the websocket is open: run the page at url path `page` ('' the default)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_name = page
    msg.rerun_script.context_info.locale = locale
    msg.rerun_script.context_info.timezone = zone
    return msg.SerializeToString()


def _shows(navigation, page: str) -> bool:
    """Whether the run a Navigation message announces is of the page at url path `page` ('' the default). For a page
    it does not have, st.navigation runs the default page instead."""
    current = [p for p in navigation.app_pages if p.page_script_hash == navigation.page_script_hash]
    return bool(current) and (current[0].is_default if page == "" else current[0].url_pathname == page)


async def _session(base: str, page: str, locale: str = "ko-KR", zone: str = "Asia/Seoul") -> Run:
    """One session: open the websocket, ask for `page`, read every message until its run has ended and no other has
    started for QUIET_S. An exception element, a page the app does not have (a renamed page would otherwise be
    measured as the default one) or a run that does not end well is an error."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    url = f"{base}/{page}"
    if not base.startswith("http://127.0.0.1:"):
        raise ValueError(f"loopback only: {base!r}")
    started = time.perf_counter()
    elements = 0
    try:
        async with asyncio.timeout(PAGE_TIMEOUT_S):
            async with connect("ws" + base[len("http"):] + "/_stcore/stream", subprotocols=["streamlit"],
                               max_size=None, open_timeout=PAGE_TIMEOUT_S) as ws:
                await ws.send(_rerun(page, locale, zone))
                ended = None  # when the last run ended, while no other has started
                while True:
                    try:
                        raw = await (ws.recv() if ended is None else asyncio.wait_for(ws.recv(), QUIET_S))
                    except TimeoutError:
                        return Run(url, ended - started, elements)
                    msg = ForwardMsg()
                    msg.ParseFromString(raw)
                    kind = msg.WhichOneof("type")
                    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                        elements += 1
                        if msg.delta.new_element.WhichOneof("type") == "exception":
                            return Run(url, None, elements, "exception box on the page")
                    elif kind == "navigation" and not _shows(msg.navigation, page):
                        return Run(url, None, elements, "page not found")
                    elif kind == "session_status_changed" and msg.session_status_changed.script_is_running:
                        ended = None
                    elif kind == "script_finished":
                        if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                            ended = time.perf_counter()
                        elif msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                            return Run(url, None, elements, "the page did not compile")
    except Exception as exc:  # noqa: BLE001 - a failed session is a measured error, not a crash of the bench
        return Run(url, None, elements, f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}")


def concurrent(base: str, pages: list[str], sessions: int) -> list[Run]:
    """`sessions` websocket sessions at once (at most MAX_SESSIONS), session i running pages[i % len(pages)]."""
    sessions = min(sessions, MAX_SESSIONS)

    async def go() -> list[Run]:
        return await asyncio.gather(*(_session(base, pages[i % len(pages)]) for i in range(sessions)))
    # in a thread of its own, with an event loop of its own: the caller's thread may run one already (playwright's
    # sync API keeps one running in the test suite's processes)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()
