"""The dashboard's strings (dashboard/messages.yml) over the pipeline's messages: one `t` for every page."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines import messages
from pipelines.messages import DEFAULT_LANG, LANGS, load_messages, render

__all__ = ["DEFAULT_LANG", "LANGS", "MESSAGES", "ledger_text", "t"]

DASHBOARD_MESSAGES = load_messages(Path(__file__).with_name("messages.yml"))
MESSAGES: dict[str, dict[str, str]] = messages.MESSAGES | DASHBOARD_MESSAGES


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the message `key` in `lang`, filled with `values`."""
    return render(MESSAGES, key, lang, values)


HANGUL = re.compile("[\uac00-\ud7a3]")


def ledger_text(text: object, lang: str) -> str:
    """A ledger's own words (a research note, an edition's methodology change) as shown: in Korean mode, a text
    with no Hangul in it is marked as the English original; a blank is ""."""
    if not isinstance(text, str) or not text:
        return ""
    return t("ui.trends.note_in_english", lang, note=text) if lang == "ko" and not HANGUL.search(text) else text
