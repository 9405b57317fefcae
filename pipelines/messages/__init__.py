"""The pipeline's user-facing messages, Korean first and English beside it, read from messages.yml."""

from __future__ import annotations

from pathlib import Path

import yaml

DEFAULT_LANG = "ko"
LANGS = ("ko", "en")
MESSAGES_FILE = Path(__file__).with_name("messages.yml")


def load_messages(path: Path) -> dict[str, dict[str, str]]:
    """A message file: key -> {ko, en}; placeholders use str.format names."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


MESSAGES: dict[str, dict[str, str]] = load_messages(MESSAGES_FILE)


def render(messages: dict[str, dict[str, str]], key: str, lang: str, values: dict[str, object]) -> str:
    entry = messages[key]
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the message `key` in `lang`, filled with `values`."""
    return render(MESSAGES, key, lang, values)


def both(key: str, **values: object) -> str:
    """Return the message in Korean and English, for logs and the command line."""
    return f"{t(key, 'ko', **values)} / {t(key, 'en', **values)}"
