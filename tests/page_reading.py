"""Reading a dashboard page in Streamlit's AppTest: open it in a language, and collect what a reader sees."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.text import MESSAGES

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def english_labels(*prefixes: str) -> set[str]:
    """English labels of these catalogue sections that differ from their Korean form (none may show in Korean mode)."""
    return {m["en"] for k, m in MESSAGES.items()
            if k.startswith(prefixes) and m["en"] != m["ko"] and isinstance(m["en"], str) and "{" not in m["en"]}


def open_page(page: str | None, lang: str | None = "ko", account: str | None = None) -> AppTest:
    """Run the app (optionally signed in as `account`), switch to `page`, and fail on any exception."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    if account:
        at.session_state["account"] = account
    at.run()
    if page:
        at.switch_page(page)
        at.run()
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
