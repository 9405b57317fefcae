"""Reading a dashboard page in Streamlit's AppTest: open it in a language, and collect what a reader sees."""

from __future__ import annotations

import ast
import json
import xml.etree.ElementTree as ET
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard.text import MESSAGES

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def english_labels(*prefixes: str) -> set[str]:
    """English labels of these catalogue sections that differ from their Korean form (none may show in Korean mode)."""
    return {m["en"] for k, m in MESSAGES.items()
            if k.startswith(prefixes) and m["en"] != m["ko"] and isinstance(m["en"], str) and "{" not in m["en"]}


def _url_paths() -> dict[str, str]:
    """Each page module's url path, as dashboard/app.py registers it (its PAGES: module, title, icon, path)."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    pages = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets))
    return {module: path for module, _, _, path in ast.literal_eval(pages)}


URL_PATHS = _url_paths()


def run_on(at: AppTest, page: str | None) -> AppTest:
    """Run `at` once, straight on `page` (a module beside dashboard/app.py, e.g. "views/trends.py"), as a browser
    opening the page's address does; None runs the default page.

    Instead of a first run of the default page and a switch (AppTest.switch_page knows a page with its own url path
    only after a run), which cost a whole overview on the test's fresh warehouse each time (~0.15 s of CPU): the run
    asks for the page by the hash st.Page gives it (calc_hash of its url path), and the page that ran is checked."""
    if page is None:
        return at.run()
    wanted = calc_hash(URL_PATHS[page])
    at._page_hash = wanted  # AppTest's own field for the page its next run opens (switch_page sets it)
    at.run()
    assert at._finished_page_script_hash == wanted, f"{page}: another page ran"
    return at


def open_page(page: str | None, lang: str | None = "ko", account: str | None = None) -> AppTest:
    """Run the app (optionally signed in as `account`) on `page`, and fail on any exception."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    if account:
        at.session_state["account"] = account
    run_on(at, page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def labels(at: AppTest) -> list[str]:
    """Headings, widget labels and table headers: where a stray word of the other language would be a bug."""
    out = [e.value for e in (*at.title, *at.subheader)] + [m.label for m in at.metric]
    out += [w.label for w in (*at.selectbox, *at.multiselect)]
    for frame in at.dataframe:
        out += [str(c) for c in frame.value.columns]
    return out


def plotly_specs(at: AppTest) -> dict[str, dict]:
    """Every Plotly chart on the page as its JSON spec, keyed by the chart's key."""
    return {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def svg_charts(at: AppTest) -> dict[str, ET.Element]:
    """Every SVG chart on the page (dashboard.svg_charts), parsed, keyed by its data-chart key: it must be well-formed
    XML, which an unescaped text in it would break."""
    found = {}
    for el in at.markdown:
        if el.value.startswith("<div><svg"):
            root = ET.fromstring(el.value)[0]
            found[root.get("data-chart")] = root
    return found


def marks(svg: ET.Element, role: str) -> list[ET.Element]:
    """The chart's marks of one role (data-role: rank, trend, range, goal-band, no-rank, value, target, due, x-tick, ...)."""
    return [e for e in svg.iter() if e.get("data-role") == role]
