"""Ledger and catalogue text inside Streamlit Markdown: shown as written, never formatted."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from dashboard.text import t
from pipelines.messages import TYPED_BREAKS, visible

if TYPE_CHECKING:
    import pandas as pd

# `~` would strike through ("200~320"), `$` start LaTeX, `*`/`_` emphasise, `[`/`]` make links,
# `:` opens Streamlit directives (":red[...]", ":material/...:"); `#`, `+`, `-`, `>` only at a line start.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<|~$:])")
_LINE_START = re.compile(r"^(\s*|\s*\d+)([#+\->]|(?<=\d)[.)])", re.MULTILINE)


def escape(text: object) -> str:
    """`text` with every Markdown-active character escaped, and every character that would act instead of show
    written as its escape (`\\u202e`); None and NaN become ''.

    A bare web address in the text (https://…, www.…) still becomes a link: GitHub-flavoured Markdown finds it after
    the escapes are read. That is kept on purpose, as the ledger's notes cite secondary sources by address ("score per
    sedaily https://m.sedaily.com/…"), and such a link shows its whole address as typed: no label can hide where it
    goes, and only http(s) addresses are linked (never javascript:)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    # a character that would act instead of show (a bidirectional override, a zero-width or control character) is
    # written as its escape first (messages.visible), so its backslash is escaped with the rest
    escaped = _SPECIAL.sub(r"\\\1", visible(str(text), keep=TYPED_BREAKS))
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` for st.table, which draws every cell and column name as Markdown (st.dataframe does not): each text
    cell and column name escaped, so an uploaded `![x](https://…)` or `<img …>` is shown as typed and fetches nothing.
    Other values (numbers, dates, None) are left as they are."""
    return frame.rename(columns=lambda c: escape(c) if isinstance(c, str) else c).map(
        lambda v: escape(v) if isinstance(v, str) else v)


def say(key: str, lang: str, **values: object) -> str:
    """The catalogue message `key` with every text value escaped: the message's own Markdown stays, text from
    a user, the ledger or the catalogue (a meeting title, an account name, an edition label) is shown as typed.
    Every page passes such values through here (or `escape`) before st.markdown/caption/info/... show them."""
    return t(key, lang, **{k: escape(v) if isinstance(v, str) else v for k, v in values.items()})


def with_note(text: str, note: str) -> str:
    """`text` and, under it, `note` in small grey type (a caption's look) as one Markdown string, for one element
    where a st.markdown and a st.caption made two (issue 13: the elements a page replays and a browser draws). Both
    are Markdown already, every ledger or catalogue text in them escaped; `link` keeps a URL's brackets from ending
    the small type."""
    return f"{text}\n\n:small[:gray[{note}]]" if note else text


def link(label: object, url: object) -> str:
    """A Markdown link whose label is escaped and whose URL keeps its parentheses balanced, and whose brackets cannot
    end a Streamlit directive it stands in (":small[...]"); an IPv6 host's brackets ("http://[::1]/") are kept."""
    text = str(url)
    authority = text.find("://") + 3 if "://" in text else 0  # scheme://host:port, up to the path, query or fragment
    host_end = min((i for i in (text.find(c, authority) for c in "/?#") if i >= 0), default=len(text)) if authority else 0
    target = text[:host_end] + text[host_end:].replace("[", "%5B").replace("]", "%5D")
    target = target.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{escape(label)}]({target})"


def methodology_line(note, lang: str) -> str:
    """One methodology note as a list item: edition (or all editions), change badge, text, source link."""
    edition = note["edition"] if isinstance(note["edition"], str) and note["edition"] else t("ui.all_editions", lang)
    badge = f" :violet-badge[{t('col.methodology_change', lang)}]" if bool(note["is_change"]) else ""
    source = f" ({link(t('ui.source', lang), note['source_url'])})" if isinstance(note["source_url"], str) and note["source_url"] else ""
    # Korean first: the Korean note where there is one (every note has: tests/test_ledger_signals.py)
    text = note.get("text_ko") if lang == "ko" and isinstance(note.get("text_ko"), str) and note.get("text_ko") else note["text"]
    return f"- **{escape(edition)}**{badge} {escape(text)}{source}"
