"""Open data for the agencies: a static Data Package folder (CSV + JSON + index.html), and per-series submission packs."""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import sql
from pipelines.catalogue import Catalogue, Publish
from pipelines.messages import t
from pipelines.reports.render import csv_bytes, html_document, write_bytes_atomic

# Data Package field types for the columns the product writes.
FIELD_TYPES = {
    "indicator_id": "string", "period": "string", "value": "number", "unit": "string", "source": "string",
    "source_url": "string", "note": "string", "index_id": "string", "edition": "string", "published": "string",
    "year": "integer", "city": "string", "city_ko": "string", "country": "string", "rank": "integer",
    "score": "number", "field_size": "integer", "status": "string",
}


def _json(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if (not isinstance(v, (list, dict)) and pd.isna(v)) else v) for k, v in rec.items()}
            for rec in frame.to_dict("records")]


def indicator_frame(con: duckdb.DuckDBPyConnection, indicator_id: str) -> pd.DataFrame:
    return sql.frame(con, "indicator_open_data", indicator_id=indicator_id)


def series_frame(con: duckdb.DuckDBPyConnection, index_id: str) -> pd.DataFrame:
    return sql.frame(con, "focus_and_peer_rankings", index_id=index_id)


def _schema(frame: pd.DataFrame, units: dict[str, str] | None = None) -> dict:
    fields = []
    for col in frame.columns:
        f = {"name": col, "type": FIELD_TYPES.get(col, "string")}
        if units and col in units:
            f["description"] = units[col]
        fields.append(f)
    return {"fields": fields}


def publish(con: duckdb.DuckDBPyConnection, cat: Catalogue, out_dir: Path) -> list[Path]:
    """Write the open-data folder; the same warehouse gives the same bytes (no clocks, sorted keys)."""
    meta = cat.publish
    written: list[Path] = []
    resources = []

    def put(rel: str, data: bytes) -> None:
        written.append(write_bytes_atomic(out_dir / rel, data))

    for ind in cat.indicators.values():
        frame = indicator_frame(con, ind.id)
        body = csv_bytes(frame)
        put(f"indicators/{ind.id}.csv", body)
        put(f"indicators/{ind.id}.json", _json({
            "id": ind.id, "name": {"ko": ind.name.ko, "en": ind.name.en},
            "definition": {"ko": ind.definition.ko, "en": ind.definition.en},
            "unit": {"ko": ind.unit.ko, "en": ind.unit.en}, "direction": ind.direction, "cadence": ind.cadence,
            "office_id": ind.office_id, "source": {"name": ind.source_name, "url": ind.source_url},
            "feeds": [{"series": f.series, "component": f.component} for f in ind.feeds],
            "target_2030": None if ind.target_2030 is None else {"value": ind.target_2030.value, "source": ind.target_2030.source},
            "values": _records(frame),
        }))
        resources.append({
            "name": ind.id.replace("_", "-"), "profile": "tabular-data-resource", "path": f"indicators/{ind.id}.csv", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8-sig", "title": f"{ind.name.ko} / {ind.name.en}",
            "description": f"{ind.definition.en} Unit: {ind.unit.en}.",
            "bytes": len(body), "hash": "sha256:" + hashlib.sha256(body).hexdigest(),
            "schema": _schema(frame, {"value": f"{ind.unit.ko} / {ind.unit.en}"}),
            "sources": [{"title": ind.source_name, "path": ind.source_url}],
        })
    for s in cat.series.values():
        frame = series_frame(con, s.id)
        body = csv_bytes(frame)
        put(f"series/{s.id}.csv", body)
        put(f"series/{s.id}.json", _json({
            "id": s.id, "title": {"ko": s.title.ko, "en": s.title.en}, "publisher": s.publisher,
            "publisher_url": s.publisher_url, "score": {"unit": s.score.unit.en, "scale": s.score.scale.en},
            "rankings": _records(frame),
        }))
        resources.append({
            "name": s.id.replace("_", "-"), "profile": "tabular-data-resource", "path": f"series/{s.id}.csv", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8-sig", "title": f"{s.title.ko} / {s.title.en}",
            "description": f"{cat.focus_city} and its peer cities in {s.title.en}; score: {s.score.unit.en} ({s.score.scale.en}).",
            "bytes": len(body), "hash": "sha256:" + hashlib.sha256(body).hexdigest(),
            "schema": _schema(frame, {"score": f"{s.score.unit.ko} / {s.score.unit.en}"}),
            "sources": [{"title": s.publisher, "path": s.publisher_url}],
        })
    descriptor = {
        "profile": "tabular-data-package", "name": meta.name if meta else "city-competitiveness",
        "title": meta.title.en if meta else "", "description": meta.description.en if meta else "",
        "licenses": [meta.license.model_dump()] if meta else [],
        "contributors": [{"title": meta.publisher.en, "role": "publisher"}] if meta else [],
        "keywords": ["city competitiveness", "global city index", cat.focus_city],
        "resources": resources,
    }
    put("datapackage.json", _json(descriptor))
    put("index.html", _index_html(cat, meta).encode("utf-8"))
    return written


def _index_html(cat: Catalogue, meta: Publish | None) -> str:
    parts = []
    for lang in ("ko", "en"):
        title = meta.title.get(lang) if meta else cat.focus_city
        parts.append(f'<section lang="{lang}"><h1>{html.escape(title)}</h1>')
        parts.append(f"<p>{html.escape(meta.description.get(lang) if meta else '')}</p>")
        parts.append(f"<h2>{t('doc.publish.indicators', lang)}</h2><ul>")
        for ind in cat.indicators.values():
            parts.append(f'<li>{html.escape(ind.name.get(lang))} ({html.escape(ind.unit.get(lang))}) — '
                         f'<a href="indicators/{ind.id}.csv">CSV</a> · <a href="indicators/{ind.id}.json">JSON</a></li>')
        parts.append(f"</ul><h2>{t('doc.publish.series', lang)}</h2><ul>")
        for s in cat.series.values():
            parts.append(f'<li>{html.escape(s.title.get(lang))} — <a href="series/{s.id}.csv">CSV</a> · '
                         f'<a href="series/{s.id}.json">JSON</a></li>')
        lic = meta.license if meta else None
        parts.append("</ul>")
        if lic:
            parts.append(f'<p class="muted">{t("doc.publish.license", lang)}: <a href="{html.escape(lic.path)}">'
                         f'{html.escape(lic.title)}</a> · <a href="datapackage.json">datapackage.json</a></p>')
        parts.append("</section>")
    return html_document(meta.title.ko if meta else cat.focus_city, "\n".join(parts), "ko")


def submission_pack(con: duckdb.DuckDBPyConnection, cat: Catalogue, index_id: str, lang: str = "ko") -> pd.DataFrame:
    """For one series: the latest value of every city-managed indicator that feeds it, ready for the agency."""
    series = cat.series[index_id]
    latest = sql.frame(con, "latest_values").set_index("indicator_id")
    rows = []
    for ind in cat.indicators.values():
        feeds = [f for f in ind.feeds if f.series == index_id]
        if not feeds:
            continue
        comps = ", ".join((series.component(f.component).name.get(lang) if f.component and series.component(f.component)
                           else series.short.get(lang)) for f in feeds)
        have = ind.id in latest.index
        rows.append({
            t("col.indicator_id", lang): ind.id,
            t("col.indicator", lang): ind.name.get(lang),
            t("col.definition", lang): ind.definition.get(lang),
            t("col.unit", lang): ind.unit.get(lang),
            t("col.period", lang): latest.at[ind.id, "period"] if have else t("doc.no_value", lang),
            t("col.value", lang): latest.at[ind.id, "value"] if have else None,
            t("col.source", lang): latest.at[ind.id, "source"] if have else ind.source_name,
            t("col.source_url", lang): latest.at[ind.id, "source_url"] if have else ind.source_url,
            t("col.owner", lang): cat.offices[ind.office_id].name.get(lang),
            t("col.components", lang): comps,
        })
    return pd.DataFrame(rows)
