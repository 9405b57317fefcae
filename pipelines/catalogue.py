"""indicators.yml declared once, as one typed pydantic model: every section, its defaults and its cross-references."""

from __future__ import annotations

import datetime
import re
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipelines import ROOT
from pipelines.catalogue_data import (DEFAULT_CATALOGUE, WEEKDAY_NAMES, CatalogueMethods, GoalMethods,  # noqa: F401
                                      IndicatorMethods, SeriesMethods, TextMethods, analysis_settings, catalogue_path)
from pipelines.errors import CityIdxError, Message
from pipelines.messages import parsed
# The catalogue's own size limit cannot live in the catalogue: ten times the real one (about 100 kB).
MAX_CATALOGUE_BYTES = 1024 * 1024

# --- vocabularies --------------------------------------------------------------------------------
CADENCES = ("yearly", "semiannual", "biennial", "irregular")
# Months between editions where the catalogue gives no `cadence_months` (an irregular series must give it).
CADENCE_MONTHS = {"yearly": 12, "semiannual": 6, "biennial": 24}
OFFICE_KINDS = ("office", "department", "agency")
UNIT_KINDS = ("count", "amount", "percent", "percent_change", "rate", "index", "measure")
DIRECTIONS = ("higher_is_better", "lower_is_better")
INDICATOR_CADENCES = ("yearly", "quarterly", "monthly")
# Default allowed range per unit kind, where the catalogue gives none.
UNIT_RANGES = {
    "count": (0, None), "amount": (0, None), "percent": (0, 100), "rate": (0, None),
    "percent_change": (None, None), "index": (None, None), "measure": (0, None),
}


class CatalogueError(CityIdxError):
    """The catalogue cannot be used: every problem found in it, each a message key and its values."""

    def __init__(self, file: str, problems: list[Message]):
        self.problems = problems
        super().__init__("catalogue.problems", file=file, count=len(problems))

    def text(self, lang: str) -> str:
        return "\n".join([self.summary(lang), *(f"- {p.text(lang)}" for p in self.problems)])

    def __str__(self) -> str:
        return "\n".join([f"{self.summary('ko')} / {self.summary('en')}", *(f"- {p.both()}" for p in self.problems)])


def _problem(key: str, at: tuple = (), **values: object) -> PydanticCustomError:
    """A catalogue problem raised inside validation; `at` is where, below the failing node; see _problems()."""
    return PydanticCustomError("catalogue", key, {"problems": [(at, key, values)]})


# --- scalar types: strict (a YAML `yes` or `"5"` is not a bool or an int) --------------------------
def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _problem("catalogue.unknown_timezone", got=value) from None
    return value


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise _problem("catalogue.expected_url", got=value)
    return value


def _data_file(value: Any, info: ValidationInfo) -> Path:
    """A file under the catalogue's folder that must exist: a ledger file the build reads."""
    if not isinstance(value, str) or not value.strip():
        raise _problem("catalogue.expected_text", got=_shown(value))
    root = (info.context or {}).get("root", ROOT)
    target = (root / value).resolve()
    if not target.is_file():
        raise _problem("catalogue.missing_file", target=value)
    return target


# Every id (catalogue keys, component ids, references): the one place an id's format is declared. Ids become
# file and folder names (publish's indicators/<id>.csv, the ledger's departments/<office_id>/), so only
# lower-case letters, digits and underscores, at most 64 of them: no '../', no '/', no dot files.
ID_RE = re.compile(r"[a-z0-9_]{1,64}")


def _id(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise _problem("catalogue.bad_id", got=_shown(value))
    return value


Str = Annotated[str, Strict(), StringConstraints(pattern=r"\S")]
Id = Annotated[str, Strict(), AfterValidator(_id)]
Url = Annotated[str, Strict(), AfterValidator(_url)]
TimeZone = Annotated[str, Strict(), AfterValidator(_timezone)]
Int = Annotated[int, Strict()]
Count = Annotated[int, Strict(), Field(ge=1)]
Num = Annotated[float, Strict()]
# A bound shows in messages ("minimum 0"), so a whole number stays one.
Bound = Annotated[float, Strict(), AfterValidator(lambda v: int(v) if v.is_integer() else v)]
Bool = Annotated[bool, Strict()]
Month = Annotated[int, Strict(), Field(ge=1, le=12)]
DataFile = Annotated[Path, BeforeValidator(_data_file)]


def _with_ids(value: Any) -> Any:
    """Entries of an id-keyed mapping carry their key as `id` (an `id:` written inside that differs is refused)."""
    if not isinstance(value, dict):
        return value
    return {k: {**v, "id": k} if isinstance(v, dict) and "id" not in v else v for k, v in value.items()}


def _ids_match_keys(value: dict) -> dict:
    wrong = [((key,), "catalogue.unknown_key",
              {"name": "id", "allowed": ", ".join(sorted(k for k in type(entry).model_fields if k != "id"))})
             for key, entry in value.items() if entry.id != key]
    if wrong:
        raise PydanticCustomError("catalogue", "ids", {"problems": wrong})
    return value


class Model(BaseModel):
    """Every part of the catalogue: unknown keys are errors, values are read-only once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Text(TextMethods, Model):
    ko: Str
    en: Str


class Office(Model):
    id: Id
    name: Text
    kind: Literal[OFFICE_KINDS]
    parent: Id | None


class Component(Model):
    id: Id
    name: Text
    weight: Annotated[float, Strict(), Field(gt=0, le=1)] | None  # share of the total, null where not published
    weight_note: Str | None = None
    policy_area: Id
    parent: Id | None


class MethodNote(Model):
    text: Str
    text_ko: Str | None = None  # the note in Korean, translated from `text` without adding facts
    source_url: Url
    edition: Str | None = None
    change: Bool = False


class Score(Model):
    unit: Text
    scale: Text
    higher_is_better: Bool
    comparable_across_editions: Bool


class FetchSource(Model):
    """A machine-readable page behind a series, which `cityidx fetch` snapshots into the ledger."""

    url: Url
    format: Str
    note: Str | None = None
    # Bounds on one fetch: bytes after decompression (a gzip bomb counts what it expands to) and seconds for
    # the whole request, redirects and body included (a body dripped a byte at a time still ends).
    max_bytes: Count = 20 * 1024 * 1024
    deadline_seconds: Count = 60


class Series(SeriesMethods, Model):
    id: Id
    title: Text
    short: Text
    publisher: Str
    publisher_url: Url
    office_id: Id
    cadence: Literal[CADENCES]
    cadence_months: Annotated[int, Strict(), Field(ge=1, le=120)]  # the real interval between editions
    release_months: tuple[Month, ...]
    cities_covered: Str | None = None
    score: Score
    rank_higher_is_better: Literal[False] = False  # rank 1 is always best; written down for readers
    rankings_file: DataFile
    components_file: DataFile | None
    component_kind: Text
    components: tuple[Component, ...]
    fetch: tuple[FetchSource, ...] = ()
    methodology: tuple[MethodNote, ...]

    @model_validator(mode="before")
    @classmethod
    def _cadence_months(cls, data: Any) -> Any:
        """The cadence's months where none is given; an irregular series must give them (else: missing key)."""
        if isinstance(data, dict) and "cadence_months" not in data and data.get("cadence") != "irregular":
            # a missing or unknown cadence is reported on its own: no second problem for the months
            cadence = data.get("cadence")
            data = {**data, "cadence_months": CADENCE_MONTHS.get(cadence, 12) if isinstance(cadence, str) else 12}
        return data


class Feed(Model):
    series: Id
    component: Id | None  # null: the indicator feeds the series as a whole
    note: Str | None = None


class Target(Model):
    value: Num
    source: Str
    source_url: Url | None = None


class Source(Model):
    name: Str
    url: Url


class Indicator(IndicatorMethods, Model):
    """A statistic the city itself keeps, owned by one department, feeding index components."""

    id: Id
    name: Text
    definition: Text
    unit: Text
    unit_kind: Literal[UNIT_KINDS]
    min: Bound | None = None  # the unit kind's range fills what is not given; None: no bound
    max: Bound | None = None
    direction: Literal[DIRECTIONS]
    cadence: Literal[INDICATOR_CADENCES]
    office_id: Id
    source: Source
    feeds: tuple[Feed, ...]
    target_2030: Target | None = None
    note: Str | None = None

    @model_validator(mode="before")
    @classmethod
    def _unit_range(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("unit_kind"), str) and data["unit_kind"] in UNIT_RANGES:
            lo, hi = UNIT_RANGES[data["unit_kind"]]
            data = {**data, "min": lo if data.get("min") is None else data["min"],
                    "max": hi if data.get("max") is None else data["max"]}
        return data

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Indicator:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _problem("catalogue.range_reversed", at=("max",), low=self.min, high=self.max)
        return self


class Goal(GoalMethods, Model):
    target_rank: Count
    by_year: Int
    title: Text
    # the document that sets the goal: in each language ({ko, en}: a Korean plan's title and its English gloss), or
    # one text shown in both
    source: Text | Str


class Schedule(Model):
    """A regular meeting: the nth weekday (-1: the last) of each listed month."""

    months: tuple[Month, ...]
    weekday: Literal[WEEKDAY_NAMES]
    nth: Literal[1, 2, 3, 4, -1]


class Forum(Model):
    id: Id
    name: Text
    office_id: Id | None = None
    place: Str | None = None
    schedule: Schedule | None = None


class ForumSection(Model):
    default: Id
    forums: Annotated[dict[Id, Forum], Field(min_length=1), BeforeValidator(_with_ids), AfterValidator(_ids_match_keys)]
    suggestions: Count = 5  # how many weak areas the Forum page suggests as agenda topics
    max_text_chars: Count = 2000  # the longest title, note or summary a new forum event takes


def _default_forum() -> ForumSection:
    """Without a `forum:` section the city still has one forum, with no regular schedule."""
    return ForumSection.model_validate({
        "default": "competitiveness_forum",
        "forums": {"competitiveness_forum": {"name": {"ko": "도시경쟁력 포럼", "en": "City Competitiveness Forum"}}},
    })


# Analysis thresholds: what makes a component a weakness or a strength, and a series on course.
class Weakness(Model):
    rank_gap_to_overall: Int = 5
    falling_editions: Count = 3
    peer_bottom_share: Annotated[float, Strict(), Field(gt=0, le=1)] = 0.5
    min_peers_with_data: Int = 2


class Strength(Model):
    rank_gap_to_overall: Int = 3


class GoalRules(Model):
    trend_editions: Annotated[int, Strict(), Field(ge=2)] = 4  # a slope needs two points
    min_trend_editions: Annotated[int, Strict(), Field(ge=2)] = 3  # fewer ranked editions: status unknown


class Signals(Model):
    """When a figure is old: a multiple of its series' cadence_months."""

    stale_after_cadences: Annotated[float, Strict(), Field(gt=0)] = 2
    discontinued_after_cadences: Annotated[float, Strict(), Field(gt=0)] = 2
    # the day ages are measured to (a dated report, a test); empty: the day the warehouse is read
    as_of: Optional[datetime.date] = None


class Analysis(Model):
    weakness: Weakness = Field(default_factory=Weakness)
    strength: Strength = Field(default_factory=Strength)
    goal: GoalRules = Field(default_factory=GoalRules)
    signals: Signals = Field(default_factory=Signals)


class License(Model):
    name: Str
    title: Str
    path: Url


class Publish(Model):
    """What `cityidx publish` writes into its Data Package descriptor."""

    name: Str
    title: Text
    description: Text
    publisher: Text
    homepage: Url | None = None
    license: License


class SourceTier(Model):
    """Where a figure comes from (publisher, government, press, aggregator), most direct first."""

    id: Id
    name: Text
    help: Text | None = None


def _default_source_tiers() -> dict[str, SourceTier]:
    names = {"publisher": ("발행기관", "publisher"), "government": ("정부·공공기관", "government"),
             "press": ("언론", "press"), "aggregator": ("집계·블로그", "aggregator/blog")}
    return {k: SourceTier(id=k, name=Text(ko=ko, en=en)) for k, (ko, en) in names.items()}


class Calendar(Model):
    collection_window_months: Count = 3
    horizon_months: Count = 12


def _lag_defaults(value: dict[str, int]) -> dict[str, int]:
    return {**{"yearly": 6, "quarterly": 3, "monthly": 2}, **value}


class Reporting(Model):
    """When a department's statistic is due, what counts as recent, what change to flag, how large an upload."""

    lag_months: Annotated[dict[Literal[INDICATOR_CADENCES], Annotated[int, Strict(), Field(ge=0)]],
                          AfterValidator(_lag_defaults)] = Field(default_factory=lambda: _lag_defaults({}))
    recent_days: Count = 30
    change_flag_ratio: Annotated[float, Strict(), Field(gt=0)] = 0.3
    max_upload_bytes: Count = 5 * 1024 * 1024
    # A rejected file lists its first problems and counts the rest: a file of 278,394 bad rows is answered
    # in seconds, not with a list no one reads (and the memory to build it).
    max_problems_shown: Count = 200


class SignIn(Model):
    """How long a dashboard sign-in lasts across reloads and tabs (a signed cookie naming a server-side session)."""

    session_hours: Annotated[float, Strict(), Field(gt=0, le=24 * 30)] = 8  # a working day


class Accounts(Model):
    """Who may act: the password rule, how sign-in failures slow down and lock, how far a ledger clock may run ahead."""

    password_min_length: Annotated[int, Strict(), Field(ge=8)] = 12
    signin_delay_seconds: Annotated[float, Strict(), Field(ge=0)] = 1.0  # after the n-th failure: this x 2^(n-1)
    signin_max_delay_seconds: Annotated[float, Strict(), Field(ge=0)] = 30.0
    signin_lock_after: Count = 10  # failures of one account in a row
    signin_client_lock_after: Count = 30  # failures from one client (several people may share an address)
    signin_lock_minutes: Count = 15
    clock_skew_seconds: Annotated[int, Strict(), Field(ge=0)] = 300  # a ledger entry dated further ahead is refused


class Build(Model):
    """What a build may use: the memory of its working DuckDB, beyond which DuckDB spills to temporary files
    (issue 13: with 600 MB the 3.24M-row synthetic build peaks under 1 GiB of memory in all)."""

    memory_limit_mb: Annotated[int, Strict(), Field(ge=64)] = 600


class Catalogue(CatalogueMethods, Model):
    """The whole of indicators.yml; `path` and `root` say where it was read from."""

    version: Literal[1]
    focus_city: Str
    timezone: TimeZone = "Asia/Seoul"  # every time shown to people is in this zone (ledger times are UTC)
    goal: Goal
    peer_cities: tuple[Str, ...]
    cities_file: DataFile
    editions_file: DataFile
    source_domains_file: DataFile | None = None  # every source URL's domain -> its tier
    source_tiers: Annotated[dict[Id, SourceTier], Field(min_length=1), BeforeValidator(_with_ids),
                            AfterValidator(_ids_match_keys)] = Field(default_factory=_default_source_tiers)
    policy_areas: Annotated[dict[Id, Text], Field(min_length=1)]
    offices: Annotated[dict[Id, Office], Field(min_length=1), BeforeValidator(_with_ids), AfterValidator(_ids_match_keys)]
    series: Annotated[dict[Id, Series], Field(min_length=1), BeforeValidator(_with_ids), AfterValidator(_ids_match_keys)]
    indicators: Annotated[dict[Id, Indicator], Field(min_length=1), BeforeValidator(_with_ids),
                          AfterValidator(_ids_match_keys)] = Field(default_factory=dict)
    seed_values_file: DataFile | None = None
    forum: ForumSection = Field(default_factory=_default_forum)
    analysis: Analysis = Field(default_factory=Analysis)
    publish: Publish | None = None
    calendar: Calendar = Field(default_factory=Calendar)
    reporting: Reporting = Field(default_factory=Reporting)
    sign_in: SignIn = Field(default_factory=SignIn)
    build: Build = Field(default_factory=Build)


    accounts: Accounts = Field(default_factory=Accounts)

    _path: Path = PrivateAttr(default=DEFAULT_CATALOGUE)

    @model_validator(mode="after")
    def _references(self) -> Catalogue:
        """Every id that names another entry names one that exists; all dangling ones are listed at once."""
        wrong: list[tuple[tuple, str, dict]] = []

        def check(ok: bool, at: tuple, key: str, **values: object) -> None:
            if not ok:
                wrong.append((at, key, values))

        for oid, office in self.offices.items():
            if office.parent is not None:
                check(office.parent in self.offices, ("offices", oid, "parent"), "catalogue.unknown_office", value=office.parent)
        for sid, s in self.series.items():
            check(s.office_id in self.offices, ("series", sid, "office_id"), "catalogue.unknown_office", value=s.office_id)
            ids = [c.id for c in s.components]
            for i, c in enumerate(s.components):
                at = ("series", sid, "components", i)
                check(c.id not in ids[:i], (*at, "id"), "catalogue.duplicate_id", value=c.id)
                check(c.policy_area in self.policy_areas, (*at, "policy_area"), "catalogue.unknown_policy_area",
                      value=c.policy_area)
                if c.parent is not None:
                    check(c.parent in ids, (*at, "parent"), "catalogue.unknown_component", value=c.parent, series=sid)
        check(self.forum.default in self.forum.forums, ("forum", "default"), "catalogue.unknown_forum",
              value=self.forum.default)
        for fid, f in self.forum.forums.items():
            if f.office_id is not None:
                check(f.office_id in self.offices, ("forum", "forums", fid, "office_id"), "catalogue.unknown_office",
                      value=f.office_id)
        for iid, ind in self.indicators.items():
            check(ind.office_id in self.offices, ("indicators", iid, "office_id"), "catalogue.unknown_office",
                  value=ind.office_id)
            for i, feed in enumerate(ind.feeds):
                at = ("indicators", iid, "feeds", i)
                series = self.series.get(feed.series)
                check(series is not None, (*at, "series"), "catalogue.unknown_series", value=feed.series)
                if series is not None and feed.component is not None:
                    check(series.component(feed.component) is not None, (*at, "component"), "catalogue.unknown_component",
                          value=feed.component, series=feed.series)
        if wrong:
            raise PydanticCustomError("catalogue", "references", {"problems": wrong})
        return self



# --- pydantic's errors as the catalogue's messages (file, key path, what is wrong) ---------------
# Pydantic error type -> message key; each message takes {file}, {path} and {got}.
_TYPE_MESSAGES = {
    "int_type": "catalogue.expected_whole_number", "int_parsing": "catalogue.expected_whole_number",
    "int_from_float": "catalogue.expected_whole_number",
    "float_type": "catalogue.expected_number", "float_parsing": "catalogue.expected_number",
    "bool_type": "catalogue.expected_true_false", "bool_parsing": "catalogue.expected_true_false",
    "string_type": "catalogue.expected_text", "string_pattern_mismatch": "catalogue.expected_text",
    "list_type": "catalogue.expected_list", "tuple_type": "catalogue.expected_list",
    "dict_type": "catalogue.expected_mapping", "model_type": "catalogue.expected_mapping",
    "model_attributes_type": "catalogue.expected_mapping",
}
_BOUND_MESSAGES = {"greater_than_equal": ("catalogue.too_small", "ge"), "greater_than": ("catalogue.not_above", "gt"),
                   "less_than_equal": ("catalogue.too_large", "le")}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "/"


def _unwrap(tp: Any) -> Any:
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def _keys_at(loc: tuple) -> list[str]:
    """The keys the model allows at `loc`, for the unknown-key message."""
    tp: Any = Catalogue
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            tp = field.annotation if field else None
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) is tuple:
            tp = get_args(tp)[0]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return sorted(k for k in tp.model_fields if not (k == "id" and loc and not isinstance(loc[-1], int)))
    return []


def _problems(exc: ValidationError) -> list[tuple[str, dict]]:
    """Every pydantic error as (message key, values), with the key path the catalogue author wrote."""
    out: list[tuple[str, dict]] = []
    for err in exc.errors(include_url=False):
        loc, kind, given = tuple(err["loc"]), err["type"], err.get("input")
        if kind == "catalogue":
            for at, key, values in err["ctx"]["problems"]:
                out.append((key, {"path": _path(loc + tuple(at)), **values}))
        elif kind == "missing":
            out.append(("catalogue.missing_key", {"path": _path(loc[:-1]), "name": loc[-1]}))
        elif kind == "extra_forbidden":
            out.append(("catalogue.unknown_key", {"path": _path(loc[:-1]), "name": loc[-1],
                                                  "allowed": ", ".join(_keys_at(loc[:-1]))}))
        elif given is None:
            out.append(("catalogue.empty", {"path": _path(loc)}))
        elif kind == "too_short":
            out.append(("catalogue.empty", {"path": _path(loc)}))
        elif kind == "literal_error":
            allowed = ", ".join(a.strip("'") for a in re.split(r", | or ", err["ctx"]["expected"]))
            out.append(("catalogue.not_one_of", {"path": _path(loc), "got": _shown(given), "allowed": allowed}))
        elif kind in _BOUND_MESSAGES:
            key, bound = _BOUND_MESSAGES[kind]
            out.append((key, {"path": _path(loc), "got": _shown(given), "limit": err["ctx"][bound]}))
        elif kind in _TYPE_MESSAGES:
            out.append((_TYPE_MESSAGES[kind], {"path": _path(loc), "got": _shown(given)}))
        else:  # a check this mapping does not know yet: still named, in pydantic's words
            out.append(("catalogue.bad_value", {"path": _path(loc), "detail": err["msg"]}))
    return out


def _read_yaml(path: Path) -> Any:
    """indicators.yml as data, bounded: at most MAX_CATALOGUE_BYTES, and no YAML aliases (an alias is how a
    few hundred bytes expand to gigabytes, "billion laughs"; the catalogue never needs one).

    Parsed once per content of the file (`pipelines.messages.parsed` keeps the parsed form, keyed on the file's
    hash): scanning and loading the YAML cost ~30 ms of every command that reads the catalogue (issue 13)."""
    size = path.stat().st_size
    if size > MAX_CATALOGUE_BYTES:
        raise CatalogueError(path.name, [Message("catalogue.file_too_large", {"file": path.name, "size": size,
                                                                        "limit": MAX_CATALOGUE_BYTES})])
    return parsed.load([path], "catalogue", lambda: _parse_yaml(path))


def _parse_yaml(path: Path) -> Any:
    import yaml  # only when the file changed since its parsed form was kept

    try:
        text = path.read_text(encoding="utf-8")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster, same result
        for token in yaml.scan(text, Loader=loader):
            if isinstance(token, yaml.AliasToken):
                line = token.start_mark.line + 1
                raise CatalogueError(path.name, [Message("catalogue.yaml_alias", {"file": path.name, "line": line})])
        return yaml.load(text, Loader=loader)  # noqa: S506  # nosec B506 - CSafeLoader/SafeLoader: a safe loader
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CatalogueError(path.name, [Message("catalogue.yaml_error", {"file": path.name, "detail": str(exc)})]) from exc


def load(path: Path | str | None = None) -> Catalogue:
    """Load and check the catalogue; raise CatalogueError listing every problem."""
    path = catalogue_path(path)
    if not path.is_file():
        raise CatalogueError(path.name, [Message("catalogue.not_found", {"file": str(path)})])
    data = _read_yaml(path)
    try:
        cat = Catalogue.model_validate({} if data is None else data, context={"root": path.parent})
    except ValidationError as exc:
        raise CatalogueError(path.name, [Message(key, {"file": path.name, **values}) for key, values in _problems(exc)]) from None
    cat._path = path
    return cat
