"""Load indicators.yml strictly into typed objects: unknown, missing or dangling keys fail loudly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.errors import CityIdxError, Message

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOGUE = ROOT / "indicators.yml"

CADENCES = ("yearly", "semiannual", "biennial", "irregular")
# Months between editions where the catalogue gives no `cadence_months` (an irregular series must give it).
CADENCE_MONTHS = {"yearly": 12, "semiannual": 6, "biennial": 24}
OFFICE_KINDS = ("office", "department", "agency")


class CatalogueError(CityIdxError):
    """The catalogue cannot be used: every problem found in it, each a message key and its values."""

    def __init__(self, file: str, problems: list[Message]):
        self.problems = problems
        super().__init__("catalogue.problems", file=file, count=len(problems))

    def text(self, lang: str) -> str:
        return "\n".join([super().text(lang), *(f"- {p.text(lang)}" for p in self.problems)])

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *(f"- {p.both()}" for p in self.problems)])


@dataclass(frozen=True)
class Text:
    ko: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ko


@dataclass(frozen=True)
class Office:
    id: str
    name: Text
    kind: str
    parent: str | None


@dataclass(frozen=True)
class Component:
    id: str
    name: Text
    weight: float | None
    weight_note: str | None
    policy_area: str
    parent: str | None


@dataclass(frozen=True)
class MethodNote:
    text: str
    source_url: str
    edition: str | None
    change: bool
    text_ko: str | None = None  # the note in Korean, translated from `text` without adding facts


@dataclass(frozen=True)
class Score:
    unit: Text
    scale: Text
    higher_is_better: bool
    comparable_across_editions: bool


@dataclass(frozen=True)
class FetchSource:
    """A machine-readable page behind a series, which `cityidx fetch` snapshots into the ledger."""

    url: str
    format: str
    note: str | None


@dataclass(frozen=True)
class Series:
    id: str
    title: Text
    short: Text
    publisher: str
    publisher_url: str
    office_id: str
    cadence: str
    release_months: tuple[int, ...]
    cities_covered: str | None
    score: Score
    rankings_file: Path
    components_file: Path | None
    component_kind: Text
    components: tuple[Component, ...]
    methodology: tuple[MethodNote, ...]
    fetch: tuple[FetchSource, ...] = ()
    cadence_months: int = 12  # the real interval between editions, from the editions the ledger holds

    def component(self, component_id: str) -> Component | None:
        return next((c for c in self.components if c.id == component_id), None)


@dataclass(frozen=True)
class Feed:
    series: str
    component: str | None
    note: str | None


@dataclass(frozen=True)
class Target:
    value: float
    source: str
    source_url: str | None


@dataclass(frozen=True)
class Indicator:
    """A statistic the city itself keeps, owned by one department, feeding index components."""

    id: str
    name: Text
    definition: Text
    unit: Text
    unit_kind: str
    min: float | None
    max: float | None
    direction: str
    cadence: str
    office_id: str
    source_name: str
    source_url: str
    feeds: tuple[Feed, ...]
    target_2030: Target | None
    note: str | None

    @property
    def accepts_percent_sign(self) -> bool:
        return self.unit_kind in ("percent", "percent_change")


# Analysis thresholds: what makes a component a weakness or a strength, and a series on course.
DEFAULT_ANALYSIS = {
    "weakness": {"rank_gap_to_overall": 5, "falling_editions": 3, "peer_bottom_share": 0.5, "min_peers_with_data": 2},
    "strength": {"rank_gap_to_overall": 3},
    "goal": {"trend_editions": 4, "min_trend_editions": 3, "at_risk_margin": 3, "stale_years": 4},
    "signals": {"stale_after_cadences": 2, "discontinued_after_cadences": 2},
}

# Where a figure comes from, most direct first; `source_tiers:` in the catalogue may rename or explain them.
DEFAULT_SOURCE_TIERS = {
    "publisher": {"name": {"ko": "발행기관", "en": "publisher"}},
    "government": {"name": {"ko": "정부·공공기관", "en": "government"}},
    "press": {"name": {"ko": "언론", "en": "press"}},
    "aggregator": {"name": {"ko": "집계·블로그", "en": "aggregator/blog"}},
}


# Without a `forum:` section the city still has one forum, with no regular schedule.
DEFAULT_FORUM = {
    "default": "competitiveness_forum",
    "forums": {"competitiveness_forum": {"name": {"ko": "도시경쟁력 포럼", "en": "City Competitiveness Forum"}}},
    "suggestions": 5,
}


def analysis_settings(cat: "Catalogue") -> dict[str, float]:
    """The thresholds as flat `section.key` numbers, for the warehouse's analysis_setting table."""
    given = {k: {key: value for key, value in (cat.analysis.get(k) or {}).items() if value is not None}
             for k in DEFAULT_ANALYSIS}
    merged = {k: {**v, **given[k]} for k, v in DEFAULT_ANALYSIS.items()}
    return {f"{section}.{key}": float(value) for section, values in merged.items() for key, value in values.items()}


@dataclass(frozen=True)
class Reporting:
    """When a department's statistic is due, what counts as recent, what change to flag, how large an upload."""

    lag_months: dict[str, int] = field(default_factory=lambda: {"yearly": 6, "quarterly": 3, "monthly": 2})
    recent_days: int = 30
    change_flag_ratio: float = 0.3
    max_upload_bytes: int = 5 * 1024 * 1024


@dataclass(frozen=True)
class SourceTier:
    id: str
    name: Text
    help: Text | None


@dataclass(frozen=True)
class Goal:
    target_rank: int
    by_year: int
    title: Text
    source: str


@dataclass(frozen=True)
class Catalogue:
    path: Path
    root: Path
    focus_city: str
    goal: Goal
    peer_cities: tuple[str, ...]
    cities_file: Path
    editions_file: Path
    policy_areas: dict[str, Text]
    offices: dict[str, Office]
    series: dict[str, Series]
    indicators: dict[str, Indicator] = field(default_factory=dict)
    seed_values_file: Path | None = None
    reporting: Reporting = field(default_factory=Reporting)
    analysis: dict[str, dict[str, float]] = field(default_factory=dict)
    forum: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_FORUM))
    publish: dict[str, Any] = field(default_factory=dict)
    calendar: dict[str, int] = field(default_factory=lambda: {"collection_window_months": 3, "horizon_months": 12})
    extra: dict[str, Any] = field(default_factory=dict)
    source_tiers: dict[str, SourceTier] = field(default_factory=dict)
    source_domains_file: Path | None = None

    def raw_files(self) -> list[Path]:
        """Every ledger file the catalogue names, in a stable order."""
        files = [self.cities_file, self.editions_file]
        if self.source_domains_file is not None:
            files.append(self.source_domains_file)
        for s in self.series.values():
            files.append(s.rankings_file)
            if s.components_file is not None:
                files.append(s.components_file)
        return files


# --- the shape of the file: key -> (required, kind) -------------------------------------------
# kind is a type name understood by _Reader.value, or a nested dict shape, or ("list", shape).
TEXT = {"ko": (True, "str"), "en": (True, "str")}
SHAPE_TOP = {
    "version": (True, "int"),
    "focus_city": (True, "str"),
    "goal": (True, {
        "target_rank": (True, "int"),
        "by_year": (True, "int"),
        "title": (True, TEXT),
        "source": (True, "str"),
    }),
    "peer_cities": (True, ("list", "str")),
    "cities_file": (True, "file"),
    "editions_file": (True, "file"),
    "source_domains_file": (False, "file?"),
    "source_tiers": (False, ("map", {"name": (True, TEXT), "help": (False, TEXT)})),
    "policy_areas": (True, ("map", TEXT)),
    "offices": (True, ("map", {
        "name": (True, TEXT),
        "kind": (True, "str"),
        "parent": (True, "str?"),
    })),
    "series": (True, ("map", {
        "title": (True, TEXT),
        "short": (True, TEXT),
        "publisher": (True, "str"),
        "publisher_url": (True, "url"),
        "office_id": (True, "str"),
        "cadence": (True, "str"),
        "cadence_months": (False, "int"),
        "release_months": (True, ("list", "int")),
        "cities_covered": (False, "str?"),
        "score": (True, {
            "unit": (True, TEXT),
            "scale": (True, TEXT),
            "higher_is_better": (True, "bool"),
            "comparable_across_editions": (True, "bool"),
        }),
        "rank_higher_is_better": (False, "bool"),
        "rankings_file": (True, "file"),
        "components_file": (True, "file?"),
        "component_kind": (True, TEXT),
        "components": (True, ("list", {
            "id": (True, "str"),
            "name": (True, TEXT),
            "weight": (True, "num?"),
            "weight_note": (False, "str?"),
            "policy_area": (True, "str"),
            "parent": (True, "str?"),
        })),
        "fetch": (False, ("list", {
            "url": (True, "url"),
            "format": (True, "str"),
            "note": (False, "str?"),
        })),
        "methodology": (True, ("list", {
            "text": (True, "str"),
            "text_ko": (False, "str?"),
            "source_url": (True, "url"),
            "edition": (False, "str?"),
            "change": (False, "bool"),
        })),
    })),
    "indicators": (False, ("map", {
        "name": (True, TEXT),
        "definition": (True, TEXT),
        "unit": (True, TEXT),
        "unit_kind": (True, "str"),
        "min": (False, "num?"),
        "max": (False, "num?"),
        "direction": (True, "str"),
        "cadence": (True, "str"),
        "office_id": (True, "str"),
        "source": (True, {"name": (True, "str"), "url": (True, "url")}),
        "feeds": (True, ("list", {"series": (True, "str"), "component": (True, "str?"), "note": (False, "str?")})),
        "target_2030": (False, {
            "value": (True, "num"),
            "source": (True, "str"),
            "source_url": (False, "url"),
        }),
        "note": (False, "str?"),
    })),
    "seed_values_file": (False, "file?"),
    "forum": (False, {
        "default": (True, "str"),
        "forums": (True, ("map", {
            "name": (True, TEXT),
            "office_id": (False, "str?"),
            "place": (False, "str?"),
            "schedule": (False, {
                "months": (True, ("list", "int")),
                "weekday": (True, "str"),
                "nth": (True, "int"),
            }),
        })),
        "suggestions": (False, "int"),
    }),
    "analysis": (False, {
        "weakness": (True, {
            "rank_gap_to_overall": (True, "int"),
            "falling_editions": (True, "int"),
            "peer_bottom_share": (True, "num"),
            "min_peers_with_data": (True, "int"),
        }),
        "strength": (True, {
            "rank_gap_to_overall": (True, "int"),
        }),
        "goal": (True, {
            "trend_editions": (True, "int"),
            "min_trend_editions": (False, "int"),
            "at_risk_margin": (False, "int"),
            "stale_years": (False, "int"),
        }),
        "signals": (False, {
            "stale_after_cadences": (True, "num"),
            "discontinued_after_cadences": (True, "num"),
        }),
    }),
    "publish": (False, {
        "name": (True, "str"),
        "title": (True, TEXT),
        "description": (True, TEXT),
        "publisher": (True, TEXT),
        "homepage": (False, "url"),
        "license": (True, {"name": (True, "str"), "title": (True, "str"), "path": (True, "url")}),
    }),
    "calendar": (False, {
        "collection_window_months": (True, "int"),
        "horizon_months": (True, "int"),
    }),
    "reporting": (False, {
        "lag_months": (True, {"yearly": (True, "int"), "quarterly": (True, "int"), "monthly": (True, "int")}),
        "recent_days": (True, "int"),
        "change_flag_ratio": (True, "num"),
        "max_upload_bytes": (True, "int"),
    }),
}
# Sections owned by later features: allowed at the top level, passed through as data.
PASSTHROUGH: tuple[str, ...] = ()

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNIT_KINDS = ("count", "amount", "percent", "percent_change", "rate", "index", "measure")
DIRECTIONS = ("higher_is_better", "lower_is_better")
INDICATOR_CADENCES = ("yearly", "quarterly", "monthly")
# Default allowed range per unit kind, where the catalogue gives none.
UNIT_RANGES = {
    "count": (0, None), "amount": (0, None), "percent": (0, 100), "rate": (0, None),
    "percent_change": (None, None), "index": (None, None), "measure": (0, None),
}


class _Reader:
    """Walks the parsed YAML against SHAPE_TOP and collects every problem."""

    def __init__(self, file: Path, root: Path):
        self.file = file
        self.root = root
        self.problems: list[Message] = []

    def fail(self, key: str, **values: object) -> None:
        self.problems.append(Message(key, {"file": self.file.name, **values}))

    def node(self, data: Any, shape: Any, path: str) -> Any:
        if isinstance(shape, dict):
            return self.mapping(data, shape, path)
        if isinstance(shape, tuple) and shape[0] == "list":
            if not isinstance(data, list):
                self.fail("catalogue.bad_value", path=path, detail="expected a list / 목록이어야 함")
                return []
            return [self.node(item, shape[1], f"{path}[{i}]") for i, item in enumerate(data)]
        if isinstance(shape, tuple) and shape[0] == "map":
            if not isinstance(data, dict) or not data:
                self.fail("catalogue.bad_value", path=path, detail="expected a non-empty mapping / 비어 있지 않은 매핑이어야 함")
                return {}
            return {str(k): self.node(v, shape[1], f"{path}.{k}") for k, v in data.items()}
        return self.value(data, shape, path)

    def mapping(self, data: Any, shape: dict, path: str) -> dict:
        if not isinstance(data, dict):
            self.fail("catalogue.bad_value", path=path or "/", detail="expected a mapping / 매핑이어야 함")
            return {}
        out: dict[str, Any] = {}
        allowed = sorted(shape) + (list(PASSTHROUGH) if path == "" else [])
        for key in data:
            if key not in shape and not (path == "" and key in PASSTHROUGH):
                self.fail("catalogue.unknown_key", path=path or "/", name=key, allowed=", ".join(allowed))
        for key, (required, kind) in shape.items():
            sub = f"{path}.{key}" if path else key
            if key not in data:
                if required:
                    self.fail("catalogue.missing_key", path=path or "/", name=key)
                out[key] = None
                continue
            out[key] = self.node(data[key], kind, sub)
        if path == "":
            for key in PASSTHROUGH:
                if key in data:
                    out[key] = data[key]
        return out

    def value(self, data: Any, kind: str, path: str) -> Any:
        optional = kind.endswith("?")
        base = kind.rstrip("?")
        if data is None:
            if not optional:
                self.fail("catalogue.bad_value", path=path, detail="empty / 비어 있음")
            return None
        ok = {
            "str": isinstance(data, str) and data.strip() != "",
            "int": isinstance(data, int) and not isinstance(data, bool),
            "bool": isinstance(data, bool),
            "num": isinstance(data, (int, float)) and not isinstance(data, bool),
            "url": isinstance(data, str) and data.startswith(("http://", "https://")),
            "file": isinstance(data, str) and data.strip() != "",
        }[base]
        if not ok:
            self.fail("catalogue.bad_value", path=path, detail=f"expected {base} / {base} 형식이어야 함, got {data!r}")
            return None
        if base == "file":
            target = (self.root / data).resolve()
            if not target.is_file():
                self.fail("catalogue.missing_file", path=path, target=data)
            return target
        return data


def _text(d: dict) -> Text:
    return Text(ko=d["ko"], en=d["en"])


def _check_refs(cat: dict, reader: _Reader) -> None:
    """References between sections: offices, policy areas, parents, weights, months."""
    offices = cat.get("offices") or {}
    areas = cat.get("policy_areas") or {}
    for oid, office in offices.items():
        if office.get("kind") and office["kind"] not in OFFICE_KINDS:
            reader.fail("catalogue.bad_value", path=f"offices.{oid}.kind", detail=f"one of {OFFICE_KINDS}")
        if office.get("parent") and office["parent"] not in offices:
            reader.fail("catalogue.unknown_ref", path=f"offices.{oid}.parent", value=office["parent"], kind="office")
    for sid, s in (cat.get("series") or {}).items():
        p = f"series.{sid}"
        if s.get("office_id") and s["office_id"] not in offices:
            reader.fail("catalogue.unknown_ref", path=f"{p}.office_id", value=s["office_id"], kind="office")
        if s.get("cadence") and s["cadence"] not in CADENCES:
            reader.fail("catalogue.bad_value", path=f"{p}.cadence", detail=f"one of {CADENCES}")
        elif s.get("cadence") and s.get("cadence_months") is None and s["cadence"] not in CADENCE_MONTHS:
            reader.fail("catalogue.missing_key", path=p, name="cadence_months")
        if s.get("cadence_months") is not None and not 1 <= s["cadence_months"] <= 120:
            reader.fail("catalogue.bad_value", path=f"{p}.cadence_months", detail="months between editions, 1-120")
        for m in s.get("release_months") or []:
            if m is not None and not 1 <= m <= 12:
                reader.fail("catalogue.bad_value", path=f"{p}.release_months", detail=f"month {m} not in 1-12")
        comps = s.get("components") or []
        ids = [c.get("id") for c in comps]
        for i, c in enumerate(comps):
            cp = f"{p}.components[{i}]"
            if ids.count(c.get("id")) > 1:
                reader.fail("catalogue.bad_value", path=cp, detail=f"duplicate component id {c.get('id')}")
            if c.get("policy_area") and c["policy_area"] not in areas:
                reader.fail("catalogue.unknown_ref", path=f"{cp}.policy_area", value=c["policy_area"], kind="policy area")
            if c.get("parent") and c["parent"] not in ids:
                reader.fail("catalogue.unknown_ref", path=f"{cp}.parent", value=c["parent"], kind="component")
            w = c.get("weight")
            if w is not None and not 0 < w <= 1:
                reader.fail("catalogue.bad_value", path=f"{cp}.weight", detail=f"weight {w} not in (0, 1]")
    forum = cat.get("forum")
    if forum:
        if forum.get("default") and forum["default"] not in (forum.get("forums") or {}):
            reader.fail("catalogue.unknown_ref", path="forum.default", value=forum["default"], kind="forum")
        for fid, f in (forum.get("forums") or {}).items():
            if f.get("office_id") and f["office_id"] not in offices:
                reader.fail("catalogue.unknown_ref", path=f"forum.forums.{fid}.office_id", value=f["office_id"], kind="office")
            sched = f.get("schedule") or {}
            if sched.get("weekday") and sched["weekday"] not in WEEKDAY_NAMES:
                reader.fail("catalogue.bad_value", path=f"forum.forums.{fid}.schedule.weekday", detail=f"one of {WEEKDAY_NAMES}")
            if sched.get("nth") is not None and sched["nth"] not in (1, 2, 3, 4, -1):
                reader.fail("catalogue.bad_value", path=f"forum.forums.{fid}.schedule.nth", detail="1-4, or -1 for the last")
            for m in sched.get("months") or []:
                if m is not None and not 1 <= m <= 12:
                    reader.fail("catalogue.bad_value", path=f"forum.forums.{fid}.schedule.months", detail=f"month {m} not in 1-12")
    series = cat.get("series") or {}
    for iid, ind in (cat.get("indicators") or {}).items():
        p = f"indicators.{iid}"
        for key, allowed in (("unit_kind", UNIT_KINDS), ("direction", DIRECTIONS), ("cadence", INDICATOR_CADENCES)):
            if ind.get(key) and ind[key] not in allowed:
                reader.fail("catalogue.bad_value", path=f"{p}.{key}", detail=f"one of {allowed}")
        if ind.get("office_id") and ind["office_id"] not in offices:
            reader.fail("catalogue.unknown_ref", path=f"{p}.office_id", value=ind["office_id"], kind="office")
        for i, feed in enumerate(ind.get("feeds") or []):
            if feed.get("series") not in series:
                reader.fail("catalogue.unknown_ref", path=f"{p}.feeds[{i}].series", value=feed.get("series"), kind="series")
            elif feed.get("component") and feed["component"] not in [c.get("id") for c in series[feed["series"]].get("components") or []]:
                reader.fail("catalogue.unknown_ref", path=f"{p}.feeds[{i}].component", value=feed["component"],
                            kind=f"component of {feed['series']}")


def load(path: Path | str | None = None) -> Catalogue:
    """Load and check the catalogue; raise CatalogueError listing every problem."""
    path = Path(path or os.environ.get("CITYIDX_CATALOGUE") or DEFAULT_CATALOGUE).resolve()
    if not path.is_file():
        raise CatalogueError(path.name, [Message("catalogue.not_found", {"file": str(path)})])
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster, same result
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise CatalogueError(path.name, [Message("catalogue.yaml_error", {"file": path.name, "detail": str(exc)})]) from exc
    reader = _Reader(path, path.parent)
    cat = reader.mapping(data if data is not None else {}, SHAPE_TOP, "")
    if not reader.problems:
        _check_refs(cat, reader)
    if reader.problems:
        raise CatalogueError(path.name, reader.problems)

    series = {}
    for sid, s in cat["series"].items():
        series[sid] = Series(
            id=sid,
            title=_text(s["title"]),
            short=_text(s["short"]),
            publisher=s["publisher"],
            publisher_url=s["publisher_url"],
            office_id=s["office_id"],
            cadence=s["cadence"],
            release_months=tuple(s["release_months"]),
            cities_covered=s.get("cities_covered"),
            score=Score(
                unit=_text(s["score"]["unit"]),
                scale=_text(s["score"]["scale"]),
                higher_is_better=s["score"]["higher_is_better"],
                comparable_across_editions=s["score"]["comparable_across_editions"],
            ),
            rankings_file=s["rankings_file"],
            components_file=s["components_file"],
            component_kind=_text(s["component_kind"]),
            components=tuple(
                Component(
                    id=c["id"],
                    name=_text(c["name"]),
                    weight=None if c["weight"] is None else float(c["weight"]),
                    weight_note=c.get("weight_note"),
                    policy_area=c["policy_area"],
                    parent=c["parent"],
                )
                for c in s["components"]
            ),
            methodology=tuple(
                MethodNote(
                    text=m["text"],
                    source_url=m["source_url"],
                    edition=None if m.get("edition") is None else str(m["edition"]),
                    change=bool(m.get("change") or False),
                    text_ko=m.get("text_ko"),
                )
                for m in s["methodology"]
            ),
            fetch=tuple(FetchSource(f["url"], f["format"], f.get("note")) for f in s.get("fetch") or []),
            cadence_months=s.get("cadence_months") or CADENCE_MONTHS[s["cadence"]],
        )
    indicators = {}
    for iid, ind in (cat.get("indicators") or {}).items():
        lo, hi = UNIT_RANGES[ind["unit_kind"]]
        target = ind.get("target_2030")
        indicators[iid] = Indicator(
            id=iid,
            name=_text(ind["name"]),
            definition=_text(ind["definition"]),
            unit=_text(ind["unit"]),
            unit_kind=ind["unit_kind"],
            min=ind["min"] if ind.get("min") is not None else lo,
            max=ind["max"] if ind.get("max") is not None else hi,
            direction=ind["direction"],
            cadence=ind["cadence"],
            office_id=ind["office_id"],
            source_name=ind["source"]["name"],
            source_url=ind["source"]["url"],
            feeds=tuple(Feed(f["series"], f.get("component"), f.get("note")) for f in ind["feeds"]),
            target_2030=None if not target else Target(float(target["value"]), target["source"], target.get("source_url")),
            note=ind.get("note"),
        )
    return Catalogue(
        path=path,
        root=path.parent,
        focus_city=cat["focus_city"],
        goal=Goal(
            target_rank=cat["goal"]["target_rank"],
            by_year=cat["goal"]["by_year"],
            title=_text(cat["goal"]["title"]),
            source=cat["goal"]["source"],
        ),
        peer_cities=tuple(cat["peer_cities"]),
        cities_file=cat["cities_file"],
        editions_file=cat["editions_file"],
        policy_areas={k: _text(v) for k, v in cat["policy_areas"].items()},
        offices={
            k: Office(id=k, name=_text(v["name"]), kind=v["kind"], parent=v["parent"])
            for k, v in cat["offices"].items()
        },
        series=series,
        indicators=indicators,
        seed_values_file=cat.get("seed_values_file"),
        reporting=Reporting(**cat["reporting"]) if cat.get("reporting") else Reporting(),
        analysis=cat.get("analysis") or {},
        forum=cat.get("forum") or dict(DEFAULT_FORUM),
        publish=cat.get("publish") or {},
        calendar=cat.get("calendar") or {"collection_window_months": 3, "horizon_months": 12},
        extra={k: cat[k] for k in PASSTHROUGH if k in cat},
        source_tiers={
            k: SourceTier(id=k, name=_text(v["name"]), help=_text(v["help"]) if v.get("help") else None)
            for k, v in (cat.get("source_tiers") or DEFAULT_SOURCE_TIERS).items()
        },
        source_domains_file=cat.get("source_domains_file"),
    )
