"""The dashboard's strings (dashboard/messages.yml) over the pipeline's messages: one `t` for every page."""

from __future__ import annotations

from pathlib import Path

from pipelines import messages
from pipelines.messages import DEFAULT_LANG, LANGS, load_messages, render

__all__ = ["DEFAULT_LANG", "LANGS", "MESSAGES", "t"]

DASHBOARD_MESSAGES = load_messages(Path(__file__).with_name("messages.yml"))
MESSAGES: dict[str, dict[str, str]] = messages.MESSAGES | DASHBOARD_MESSAGES


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the message `key` in `lang`, filled with `values`."""
    return render(MESSAGES, key, lang, values)
