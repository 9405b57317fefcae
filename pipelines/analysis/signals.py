"""How the signals of views focus_signals and goal_projection read in words: one wording for every page and report.

The warehouse decides (change kind, staleness, best edition, status, reason); this module only says it, so the
overview, the goal page, the weak points, the brief, the agenda packet and `cityidx status` say the same thing.
Every function takes a row (a mapping or a pandas row) and a language and returns plain text: the caller escapes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pipelines.messages import t

# focus_signals.change_kind: how the latest edition compares with the one before it, status included
CHANGE_KINDS = ("up", "down", "no_change", "fell_out", "no_figure", "entered", "still_outside", "unranked", "first_edition",
                "no_edition")
# goal_projection.unknown_reason, in the order the view tests them
UNKNOWN_REASONS = ("no_rank", "discontinued", "stale", "too_few")
# the flags a figure can carry (build/notes.FLAGS), each with a one-line explanation (flag.<name>_help)
FLAG_NAMES = ("derived", "inferred", "conflict", "low_confidence")


def blank(value: Any) -> bool:
    """None, NaN or pandas' NA (a list is never blank)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return False
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return str(value) in ("<NA>", "NaT")


def as_list(value: Any) -> list:
    """A list column's value as a list (None, NA or a numpy array alike)."""
    if value is None or (not hasattr(value, "__len__") and blank(value)):
        return []
    return list(value)


def rank_text(rank: Any, lang: str) -> str:
    return t("doc.rank", lang, rank=int(rank))


def figure(status: Any, rank: Any, lang: str, bound: Any = None) -> str:
    """A row's figure in words: its rank, the bound it is known within, or its status."""
    if status == "ranked" and not blank(rank):
        return rank_text(rank, lang)
    if status == "rank_unknown" and not blank(bound):
        return t("rank.bound", lang, bound=int(bound))
    return t(f"status.{status}", lang) if isinstance(status, str) and not blank(status) else "—"


def change_text(row: Mapping, lang: str) -> str:
    """The change since the previous edition: "▲ up 3 places", "no change", "fell out of the published list"."""
    kind = row["change_kind"]
    if kind in ("up", "down"):
        return t(f"change.{kind}", lang, n=abs(int(row["change_places"])))
    return t(f"change.{kind if kind in CHANGE_KINDS else 'no_edition'}", lang)


def change_basis(row: Mapping, lang: str) -> str:
    """The two editions the change compares, each with its figure: "2024: #11 → 2025: #12"."""
    if blank(row.get("previous_edition")) or blank(row.get("latest_edition")):
        return ""
    return t("change.between", lang, before=row["previous_edition"],
             before_value=figure(row["previous_status"], row["previous_rank"], lang, row.get("previous_rank_bound")),
             after=row["latest_edition"],
             after_value=figure(row["latest_status"], row["latest_rank"], lang, row.get("latest_rank_bound")))


def flag_names(flags: Any, lang: str) -> list[str]:
    return [t(f"flag.{f}", lang) for f in FLAG_NAMES if f in as_list(flags)]


def flag_help(flags: Any, lang: str) -> list[str]:
    return [f"{t(f'flag.{f}', lang)}: {t(f'flag.{f}_help', lang)}" for f in FLAG_NAMES if f in as_list(flags)]


def with_flags(text: str, flags: Any, lang: str) -> str:
    """A figure followed by its flags in brackets ("#53 [low confidence]"): a flagged figure never goes bare."""
    names = flag_names(flags, lang)
    return f"{text} [{', '.join(names)}]" if names else text


def best_text(row: Mapping, lang: str) -> str:
    """The best rank ever, naming the first edition that reached it: "#6, first in 2012, again in 2025"."""
    if blank(row.get("best_rank")):
        return ""
    editions = as_list(row.get("best_editions")) or [row["best_edition"]]
    rank = rank_text(row["best_rank"], lang)
    text = (t("best.once", lang, rank=rank, first=editions[0]) if len(editions) == 1
            else t("best.again", lang, rank=rank, first=editions[0], last=editions[-1]))
    return with_flags(text, row.get("best_flags"), lang)


def stale_text(row: Mapping, lang: str) -> str:
    """Why the latest edition is old, or "" when it is current."""
    if not bool(row.get("stale")) or blank(row.get("latest_month")):
        return ""
    return t("signal.stale", lang, month=row["latest_month"], cadence=int(row["cadence_months"]))


def old_edition_label(year: Any, lang: str) -> str:
    return t("signal.old_edition", lang, year=int(year))


def unknown_reason_text(row: Mapping, lang: str) -> str:
    """Why the goal status is unknown (goal_projection.unknown_reason), or ""."""
    reason = row.get("unknown_reason")
    if blank(reason):
        return ""
    if reason == "discontinued":
        return t("goal.reason.discontinued", lang, month=row["latest_month"], cadence=int(row["cadence_months"]))
    if reason == "stale":
        return t("goal.reason.stale", lang, edition=row["last_ranked_edition"], month=row["last_ranked_month"],
                 cadence=int(row["cadence_months"]))
    if reason == "too_few":
        return t("goal.reason.few_editions", lang, n=int(row["trend_points"] if not blank(row["trend_points"]) else 0),
                 min=int(row["min_trend_editions"]))
    return t("goal.reason.no_rank", lang)


def projected_gap_text(row: Mapping, lang: str, with_range: bool = True) -> str:
    """The projected gap to the goal in places, beside every status: "projected 6 places short"."""
    gap = row.get("projected_gap")
    if blank(gap):
        return t("goal.no_projection", lang)
    text = t("goal.projected_inside", lang) if int(gap) <= 0 else t("goal.projected_gap", lang, n=int(gap))
    if with_range and row.get("status") == "at_risk":  # the middle may be inside; the range makes it at risk
        text += " · " + t("goal.range_straddles", lang, low=int(row["projected_low"]), high=int(row["projected_high"]))
    return text


def projected_text(row: Mapping, lang: str) -> str:
    """The projected rank with its range: "#11 (#11–#19)"; "—" where there is none."""
    if blank(row.get("projected_rank")):
        return "—"
    text = rank_text(row["projected_rank"], lang)
    low, high = row.get("projected_low"), row.get("projected_high")
    if not blank(low) and not blank(high) and int(low) != int(high):
        text += f" ({t('goal.range', lang, low=int(low), high=int(high))})"
    return text


def status_text(row: Mapping, lang: str) -> str:
    """The goal status with its projected gap or, when unknown, its reason."""
    status = t(f"goal.{row['status']}", lang)
    if row["status"] == "unknown":
        return joined([status, unknown_reason_text(row, lang)])
    return joined([status, f"{t('goal.projected', lang)} {projected_text(row, lang)}", projected_gap_text(row, lang, False)])


def joined(parts: Iterable[str]) -> str:
    return " · ".join(p for p in parts if p)
