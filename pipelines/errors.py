"""The one error type: a message key and its values, rendered in either language by `.text(lang)`."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.messages import t


class _Said:
    """Said in Korean and English: `.ko` and `.en` let a message take it as a value, in its own language."""

    def text(self, lang: str) -> str:
        raise NotImplementedError

    @property
    def ko(self) -> str:
        return self.text("ko")

    @property
    def en(self) -> str:
        return self.text("en")

    def both(self) -> str:
        return f"{self.ko} / {self.en}"


@dataclass(frozen=True)
class Message(_Said):
    """One keyed message (a problem in a list, a warning, a noun inside another message), rendered on demand."""

    key: str
    values: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


class CityIdxError(_Said, Exception):
    """Something the product cannot do, said in Korean and English; nothing has been written.

    `.text(lang)` is the message in one language (a page shows the current one); `str()` holds both
    (the command line and logs show both). Subclasses that carry a list override both. An error given
    as a value of another message (a nested cause) is said in that message's language.
    """

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(key)

    def summary(self, lang: str) -> str:
        """The error's own message (for an error that carries a list: the line that closes it)."""
        return t(self.key, lang, **self.values)

    def text(self, lang: str) -> str:
        """The message in one language, for a page that shows only the current one."""
        return self.summary(lang)

    def __str__(self) -> str:
        return self.both()


class ForumError(CityIdxError):
    """An operation the forum log cannot take."""


class AccountError(CityIdxError):
    """A request about accounts that cannot be done."""


class Busy(CityIdxError):
    """Another writer held the ledger for too long: the caller should retry; nothing changed."""

    def __init__(self) -> None:
        super().__init__("upload.busy")
