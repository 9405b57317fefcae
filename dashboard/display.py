"""How values look on a page: ledger times in Seoul time, the colours of a reporting state, errors, and tables that fit a phone."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.markdown import escape
from dashboard.text import t
from pipelines.reports import render
from pipelines.errors import CityIdxError


# Cell styles for the due states of pipelines.reporting (overdue, due, up to date).
DUE_STATE_STYLE = {
    "overdue": "background-color: #fde2e1; color: #b42318; font-weight: 600",
    "due": "background-color: #fff1d6; color: #93370d; font-weight: 600",
    "up_to_date": "background-color: #e3f4e8; color: #067647",
}


def local_time(iso: object) -> str:
    """An ISO 8601 UTC time from the ledger in the catalogue's time zone (Seoul), to the minute; '—' when missing.
    Which zone is said once per page, with zone_note()."""
    return render.local_time(iso, data.timezone()) or "—"


def zone_note(lang: str) -> None:
    """The one line per page that names the zone every time on it is in."""
    zone = data.timezone()
    st.caption(t("ui.times_in_zone", lang, zone=f"{render.zone_name(zone)} ({zone})"))


def show_error(exc: CityIdxError, lang: str, *, retry: bool = False) -> None:
    """Any CityIdxError on a page, in the page's language: escaped (file names and ledger text are not
    Markdown), one line per item of a list (problems, catalogue keys). `retry`: a warning to try again
    (a busy ledger), not an error to fix."""
    text = escape(exc.text(lang)).replace("\n", "  \n")
    if retry:
        st.warning(text, icon=":material/hourglass_top:")
    else:
        st.error(text, icon=":material/error:")


# Below 640 px Streamlit stacks columns; there a table of many columns would scroll sideways inside its frame.
# So `table` draws two views and this CSS shows one: the full st.dataframe on a wide screen, and on a phone either
# the same rows as stacked cards (every value with its column's name) or a narrow st.dataframe of a few columns.
# An SVG chart drawn twice (svg_charts.show_fitted) is shown the same way: each drawing's text at its size.
# app.py adds it to every page: a style-only st.html goes to Streamlit's event container, which a page drawn
# through data.static (Streamlit's element replay) cannot reach.
TABLE_CSS = """<style>
@media (max-width: 639.98px) { [class*="st-key-widetable_"], [class*="st-key-widechart_"] { display: none; } }
@media (min-width: 640px) { [class*="st-key-phonetable_"], [class*="st-key-phonechart_"] { display: none; } }
.cx-cards { display: flex; flex-direction: column; gap: 0.5rem; }
.cx-card { border: 1px solid #d9dee7; border-radius: 0.4rem; padding: 0.5rem 0.75rem; overflow-wrap: anywhere; }
.cx-card .cx-head { font-weight: 600; margin: 0 0 0.3rem; }
.cx-card dl { display: grid; grid-template-columns: minmax(4.5rem, 38%) 1fr; gap: 0.15rem 0.6rem; margin: 0;
              font-size: 0.85rem; padding: 0; }
.cx-card dt { color: #6b7280; font-weight: 400; margin: 0; padding: 0; }
.cx-card dd { margin: 0; padding: 0; }
</style>"""


def _cell(value: object) -> str:
    """A table value as card text: '' for a missing one (the card leaves its line out)."""
    if value is None or (not isinstance(value, (list, tuple)) and bool(pd.isna(value))):
        return ""
    if isinstance(value, (bool, np.bool_)):  # a checkbox column: a mark, in no language
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value).strip()


def cards_html(frame: pd.DataFrame, head: int = 1) -> str:
    """`frame`'s rows as stacked cards: the first `head` columns joined as the card's heading, then each other
    non-empty value under its column's name. Every text is HTML-escaped (ledger and catalogue text is shown as typed)."""
    cards = []
    for row in frame.itertuples(index=False):
        values = [_cell(v) for v in row]
        title = " · ".join(html.escape(v) for v in values[:head] if v and v != "—")
        lines = "".join(f"<dt>{html.escape(str(name))}</dt><dd>{html.escape(v)}</dd>"
                        for name, v in zip(frame.columns[head:], values[head:]) if v and v != "—")
        cards.append(f'<section class="cx-card"><p class="cx-head">{title}</p><dl>{lines}</dl></section>')
    return f'<div class="cx-cards">{"".join(cards)}</div>'


def table(frame: pd.DataFrame, name: str, /, *, shown: object = None, phone: list[str] | None = None, head: int = 1,
          **dataframe_args) -> None:
    """`frame` as st.dataframe (of `shown`, e.g. its Styler, when given) on a wide screen; on a phone the columns
    `phone` as a narrow st.dataframe, or without `phone` every row as a card (`head` columns make its heading).
    TABLE_CSS (added by app.py) shows the one that fits; `name` keys the two containers (st-key-widetable_<name>,
    st-key-phonetable_<name>), a `key` among `dataframe_args` the wide grid (and, with a suffix, the phone one)."""
    with st.container(key=f"widetable_{name}"):
        st.dataframe(frame if shown is None else shown, **dataframe_args)
    with st.container(key=f"phonetable_{name}"):
        if phone is None:
            st.html(cards_html(frame, head))
        else:
            config = {c: v for c, v in (dataframe_args.get("column_config") or {}).items() if c in phone}
            own = {"key": f"{dataframe_args['key']}_phone"} if dataframe_args.get("key") else {}
            st.dataframe(frame[phone], **{**dataframe_args, "column_config": config, **own})


def css_text(text: str) -> str:
    """`text` as a CSS string literal: every character but ASCII letters, digits and spaces as a hex escape, so
    nothing in it can end the string, the rule or the <style> element."""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):x} " for c in text) + '"'


def uploader_text(key: str, button: str, limits: str, drop: str) -> None:
    """Streamlit (1.67) writes its file uploader's own words in English and has no option to change them
    (streamlit/streamlit#13500): inside the container `key` this hides its button label ("Upload"), its limits
    line (the widget's "10MB per file • XLSX, CSV") and its drag hint ("Drag and drop a file here") and shows
    ours, from the catalogue, in the reader's language."""
    zone = f'.st-key-{key} [data-testid="stFileUploaderDropzone"]'
    st.html(f"""<style>
{zone} button[data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p {{ display: none; }}
{zone} button[data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"]::after {{ content: {css_text(button)}; }}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span {{ display: none; }}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] > div::after {{ content: {css_text(limits)}; }}
{zone} > div:not([data-testid]):has(> span:only-child) > span {{ display: none; }}
{zone} > div:not([data-testid]):has(> span:only-child)::after {{ content: {css_text(drop)}; }}
</style>""")
