"""`make bench` section M's server-alone sessions (bench/sessions.py): what they call ready and what an error."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import browser, sessions

PAGES = '''
import time

import streamlit as st


def good():
    st.write("one")
    st.write("two")


def boom():
    raise RuntimeError("boom")


def again():  # a page that starts a second run at once, which takes a while: ready only once it has ended
    if not st.session_state.get("seen"):
        st.session_state["seen"] = True
        st.rerun()
    time.sleep(SLOW)
    st.write("after the rerun")


SLOW = {slow}
# the default page is at '', as the dashboard's overview is
st.navigation([st.Page(good, default=True), st.Page(boom, url_path="boom"),
               st.Page(again, url_path="again")]).run()
'''


SLOW_S = 2 * sessions.QUIET_S


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("sessions")
    (folder / "pages.py").write_text(PAGES.replace("{slow}", str(SLOW_S)), encoding="utf-8")
    with browser.streamlit_server(folder / "pages.py", {}, folder / "server.log") as base:
        yield base


def test_a_page_is_ready_when_its_run_has_ended_and_an_exception_or_an_unknown_page_is_an_error(server: str):
    good, boom, again, gone = sessions.concurrent(server, ["", "boom", "again", "gone"], 4)
    assert good.seconds is not None and good.elements >= 2 and not good.error
    assert boom.seconds is None and boom.error == "exception box on the page"
    assert again.seconds is not None and again.seconds > SLOW_S and again.elements >= 1, again.error
    assert gone.seconds is None and gone.error == "page not found"


def test_sessions_run_where_an_event_loop_already_runs(server: str):
    """As in the suite's processes, where playwright's sync API keeps one running."""
    async def inside() -> list[sessions.Run]:
        return sessions.concurrent(server, [""], 2)
    with ThreadPoolExecutor(1) as pool:  # a loop of the test's own (this process may run playwright's already)
        runs = pool.submit(asyncio.run, inside()).result()
    assert [r.seconds is not None for r in runs] == [True, True]


def test_sessions_are_bounded_in_count_and_kept_to_this_machine(server: str):
    runs = sessions.concurrent(server, [""], browser.MAX_SESSIONS + 5)
    assert len(runs) == browser.MAX_SESSIONS and all(r.seconds is not None for r in runs)
    with pytest.raises(ValueError, match="loopback only"):
        sessions.concurrent(server.replace("127.0.0.1", "localhost"), [""], 1)
