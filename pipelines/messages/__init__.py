"""The pipeline's user-facing messages, Korean first and English beside it, read from messages.yml."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path, PurePath
from typing import NamedTuple

from pipelines.messages import parsed

DEFAULT_LANG = "ko"
LANGS = ("ko", "en")
MESSAGES_FILE = Path(__file__).with_name("messages.yml")


def load_messages(path: Path) -> dict[str, dict]:
    """A message file: key -> {ko, en}; placeholders use str.format names.

    A message that counts something names its count (`plural: n`) and gives, per language, a text
    for each plural category of that language (`en: {one: "{n} place", other: "{n} places"}`;
    Korean has one form, so a plain text).

    Parsed once per content of the file (`parsed`: the YAML's parsed form is kept in the user's cache, keyed on its
    hash), so that a command does not pay for PyYAML at every start.
    """
    return parsed.load([path], "messages", lambda: _parse_yaml(path))


def _parse_yaml(path: Path) -> dict[str, dict]:
    import yaml  # only when the file changed since its parsed form was kept: keeps start-up light

    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # nosec B506 - a safe loader


@cache
def all_messages() -> dict[str, dict[str, str]]:
    """The pipeline's messages (messages.yml), read on first use."""
    return load_messages(MESSAGES_FILE)


def __getattr__(name: str) -> object:
    # `MESSAGES` is read on first use (PEP 562), so that importing the messages (every module does) costs nothing
    if name == "MESSAGES":
        return all_messages()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _plural_rule(lang: str):
    from babel import Locale  # only when a plural message is shown: keeps `import pipelines` light

    return Locale.parse(lang).plural_form


def plural_forms(lang: str) -> frozenset[str]:
    """The plural categories a language distinguishes (CLDR): English `one` and `other`, Korean only `other`."""
    return frozenset(_plural_rule(lang).tags | {"other"})


class Bilingual(NamedTuple):
    """A value that is itself said in both languages (a unit, a cadence): each message shows its own."""

    ko: str
    en: str


def _in(lang: str, value: object) -> object:
    # Anything with a Korean and an English text (Bilingual, the catalogue's Text) shows in the message's language.
    ko, en = getattr(value, "ko", None), getattr(value, "en", None)
    return (en if lang == "en" else ko) if isinstance(ko, str) and isinstance(en, str) else value


# Characters that act instead of showing: C0 and C1 controls (a terminal's escape sequences, a line break that would
# start a line of its own), format characters (bidirectional overrides that reorder what follows, zero-width and tag
# characters that hide text), line and paragraph separators, and lone surrogates (which no terminal can be sent).
_ACTING = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


# What a multi-line text typed by a person (a note, a summary) keeps as it is: its line breaks and tabs.
TYPED_BREAKS = "\n\r\t"


def _acts(ch: str, keep: str) -> bool:
    return ch not in keep and unicodedata.category(ch) in _ACTING


def first_acting(text: str, keep: str = "") -> str | None:
    """The first character of `text` that would act instead of show (none in `keep`), or None."""
    return None if text.isprintable() else next((ch for ch in text if _acts(ch, keep)), None)


def visible(text: str, keep: str = "") -> str:
    """`text` with every character that would act instead of show (a control, a format character, a separator)
    written as its escape, as Python writes it (`\\x1b`, `\\n`, `\\u202e`), except those in `keep`; everything else,
    Hangul and spaces included, as it is. For what a user or a file supplied, shown in a terminal or on a page."""
    if text.isprintable():
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if _acts(ch, keep) else ch for ch in text)


def _shown(value: object) -> object:
    """A message's value as it is shown: a text (a cell, a name, a path) with what would act as its escape."""
    return visible(str(value)) if isinstance(value, str | PurePath) else value


def render(messages: dict[str, dict], key: str, lang: str, values: dict[str, object]) -> str:
    values = {name: _shown(_in(lang, value)) for name, value in values.items()}
    entry = messages[key]
    text = entry.get(lang) or entry[DEFAULT_LANG]
    if isinstance(text, dict):  # plural forms: the count named by `plural:` picks one, by the language's rule
        text = text[_plural_rule(lang)(values[entry["plural"]])]
    return text.format(**values) if values else text


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the message `key` in `lang`, filled with `values`."""
    return render(all_messages(), key, lang, values)


def bilingual(key: str, **values: object) -> Bilingual:
    """The message in each language, to pass as a value into another message."""
    return Bilingual(t(key, "ko", **values), t(key, "en", **values))


def both(key: str, **values: object) -> str:
    """Return the message in Korean and English, for logs and the command line."""
    return f"{t(key, 'ko', **values)} / {t(key, 'en', **values)}"
