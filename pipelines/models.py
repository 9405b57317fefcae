"""Every pandera model: the rules of every ledger file and warehouse table, declared once.

pandera itself never runs them: `pipelines.schemas` turns each rule into a DuckDB expression and judges the rows
where they lie. It reads the models as data (`schemas.Model`, kept per content of this file), so a process loads
pandera (~0.14 s of start-up) only when this file, formats.py or pandera changed since that data was kept.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipelines.formats import DATE_RE, FLAGS_RE, MONTH_RE, STATUSES, URL_RE

# --- raw ledger files -----------------------------------------------------------------------


class _PublishedFigure(pa.DataFrameModel):
    """The columns every raw file of published figures shares: which edition and city, the figure, its source."""

    edition: Series[str] = pa.Field(str_length={"min_value": 1})
    city: Series[str] = pa.Field(str_length={"min_value": 1})
    rank: Series[pd.Int64Dtype] = pa.Field(ge=1, le=100000, nullable=True)
    score: Series[float] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(str_matches=URL_RE)
    publication: Series[str] = pa.Field(str_length={"min_value": 1})
    retrieved: Series[str] = pa.Field(str_matches=DATE_RE)
    flags: Optional[Series[str]] = pa.Field(str_matches=FLAGS_RE, nullable=True)
    note: Series[str] = pa.Field(nullable=True)
    note_ko: Optional[Series[str]] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


class RawRanking(_PublishedFigure):
    """data/raw/rankings/<index_id>.csv"""

    country: Series[str] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(isin=list(STATUSES))
    # Known only to be within the top N: rank <= rank_bound (status rank_unknown only).
    rank_bound: Optional[Series[pd.Int64Dtype]] = pa.Field(ge=1, le=100000, nullable=True)

    class Config:
        unique = ["edition", "city"]


class RawComponent(_PublishedFigure):
    """data/raw/rankings/<index_id>__components.csv"""

    component: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+$")


class RawEdition(pa.DataFrameModel):
    """data/raw/rankings/editions.csv"""

    index_id: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+$")
    edition: Series[str] = pa.Field(str_length={"min_value": 1})
    published: Series[str] = pa.Field(str_matches=MONTH_RE, nullable=True)
    year: Series[pd.Int64Dtype] = pa.Field(ge=1990, le=2100)
    field_size: Series[pd.Int64Dtype] = pa.Field(ge=1, nullable=True)
    methodology_change: Series[str] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(str_matches=URL_RE, nullable=True)
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True
        unique = ["index_id", "edition"]


class RawSourceDomain(pa.DataFrameModel):
    """data/raw/source_domains.csv: one row per domain (or domain/path prefix) with its tier and why."""

    domain: Series[str] = pa.Field(str_matches=r"^[a-z0-9][a-z0-9.-]*[a-z0-9](/[^ \t\n\r\f\v]*)?$")
    tier: Series[str] = pa.Field(str_matches=r"^[a-z_]+$")
    reason: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        coerce = True
        unique = ["domain"]


class RawCity(pa.DataFrameModel):
    """data/raw/cities.csv"""

    city: Series[str] = pa.Field(str_length={"min_value": 1}, unique=True)
    city_ko: Series[str] = pa.Field(str_length={"min_value": 1})
    country: Series[str] = pa.Field(str_length={"min_value": 1})
    country_ko: Series[str] = pa.Field(str_length={"min_value": 1})
    aliases: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


class RawSeedValue(pa.DataFrameModel):
    """data/raw/indicators/seed_values.csv"""

    indicator_id: Series[str] = pa.Field(str_length={"min_value": 1})
    period: Series[str] = pa.Field(str_length={"min_value": 1})
    value: Series[float]
    source_name: Series[str] = pa.Field(str_length={"min_value": 1})
    source_url: Series[str] = pa.Field(str_matches=URL_RE)
    retrieved: Series[str] = pa.Field(str_matches=DATE_RE)
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True
        unique = ["indicator_id", "period"]


# --- warehouse tables (the primary keys here must match warehouse.sql) ----------------------


class CityTable(pa.DataFrameModel):
    city: Series[str]
    city_ko: Series[str]
    country: Series[str]
    country_ko: Series[str]

    class Config:
        strict = True
        unique = ["city"]


class EditionTable(pa.DataFrameModel):
    index_id: Series[str]
    edition: Series[str]
    published: Series[str] = pa.Field(nullable=True)
    year: Series[pd.Int64Dtype]
    edition_order: Series[pd.Int64Dtype] = pa.Field(ge=1)
    field_size: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    methodology_change: Series[str] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(nullable=True)
    source_tier: Series[str] = pa.Field(nullable=True)
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["index_id", "edition"]


class RankingTable(pa.DataFrameModel):
    index_id: Series[str]
    edition: Series[str]
    city: Series[str]
    source_city: Series[str] = pa.Field(nullable=True)
    source_country: Series[str] = pa.Field(nullable=True)
    rank: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    score: Series[float] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(isin=list(STATUSES))
    rank_bound: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(nullable=True)
    source_tier: Series[str] = pa.Field(nullable=True)
    publication: Series[str] = pa.Field(nullable=True)
    retrieved: Series[str] = pa.Field(nullable=True)
    flags: Series[str] = pa.Field(str_matches=FLAGS_RE, nullable=True)
    note: Series[str] = pa.Field(nullable=True)
    note_ko: Series[str] = pa.Field(nullable=True)
    source_file: Series[str] = pa.Field(nullable=True)
    source_row: Series[pd.Int64Dtype] = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["index_id", "edition", "city"]


class ComponentTable(pa.DataFrameModel):
    index_id: Series[str]
    edition: Series[str]
    city: Series[str]
    component_id: Series[str]
    rank: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    score: Series[float] = pa.Field(nullable=True)
    source_url: Series[str]
    source_tier: Series[str] = pa.Field(nullable=True)
    score_source_url: Series[str] = pa.Field(nullable=True)
    flags: Series[str] = pa.Field(str_matches=FLAGS_RE, nullable=True)
    note: Series[str] = pa.Field(nullable=True)
    note_ko: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["index_id", "edition", "city", "component_id"]


class IndicatorVersionTable(pa.DataFrameModel):
    indicator_id: Series[str]
    period: Series[str]
    upload_id: Series[str]
    value: Series[float]
    office_id: Series[str]
    uploaded_by: Series[str]
    uploaded_at: Series[str]
    source: Series[str] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(nullable=True)
    note: Series[str] = pa.Field(nullable=True)
    ledger_file: Series[str]
    ledger_row: Series[pd.Int64Dtype]

    class Config:
        strict = True
        unique = ["indicator_id", "period", "upload_id"]


class LedgerUploadTable(pa.DataFrameModel):
    upload_id: Series[str]
    office_id: Series[str]
    uploaded_by: Series[str]
    uploaded_at: Series[str]
    sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    original_filename: Series[str]
    encoding: Series[str] = pa.Field(nullable=True)
    bytes: Series[pd.Int64Dtype]
    rows: Series[pd.Int64Dtype]

    class Config:
        strict = True
        unique = ["upload_id"]


MODELS: dict[str, type[pa.DataFrameModel]] = {model.__name__: model for model in (
    RawRanking, RawComponent, RawEdition, RawSourceDomain, RawCity, RawSeedValue,
    CityTable, EditionTable, RankingTable, ComponentTable, IndicatorVersionTable, LedgerUploadTable,
)}
