"""SQL lives in .sql files: no SQL text in the Python of dashboard/ or pipelines/, and every named query loads,
binds its parameters by name and runs on a real warehouse."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipelines import sql
from pipelines.sql import parts

ROOT = Path(__file__).resolve().parent.parent
CODE = (ROOT / "dashboard", ROOT / "pipelines")

# A string that opens like a SQL statement (optionally after a parenthesis): what a query, a DDL line or a
# session command looks like. English prose ("Select the department ...") does not match: a select needs a
# `from`, and the other keywords need the word that follows them in SQL.
SQL_TEXT = re.compile(r"""(?isx)
  ^\s*\(?\s*(
    select\s[\s\S]*?\bfrom\s | select\s+\S+\s*$ | with\s+\w+\s+as\s*\( | with\s+recursive\b |
    insert\s+into\b | update\s+\S+\s+set\b | delete\s+from\b | merge\s+into\b |
    create\s+(or\s+replace\s+)?(temp\w*\s+)?(table|view|macro|index|schema|sequence|type)\b |
    drop\s+(table|view|macro|index|schema)\b | alter\s+(table|view)\b | attach\s | detach\s |
    use\s+\S+\s*;?\s*$ | describe\s+\S | checkpoint\s*;?\s*$ | copy\s+\S+\s+(to|from)\b |
    pragma\s+\w | install\s+\w+\s*;?\s*$ | load\s+\w+\s*;?\s*$ | summarize\s | set\s+\w+\s*(=|to)\s
  )""")


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def sql_in_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal in `source` that reads as SQL; an f-string is read with its
    placeholders as `{}`; adjacent literals are one string (Python joins them); docstrings are prose."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    parts = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    hits = []
    for node in ast.walk(tree):
        if id(node) in skip or id(node) in parts:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        else:
            continue
        if SQL_TEXT.search(text):
            hits.append((node.lineno, " ".join(text.split())[:100]))
    return sorted(hits)


def test_no_sql_text_in_the_python_of_dashboard_and_pipelines():
    files = [p for root in CODE for p in sorted(root.rglob("*.py"))]
    assert len(files) > 30
    found = [f"{p.relative_to(ROOT)}:{line}: {text}" for p in files for line, text in sql_in_strings(p.read_text("utf-8"))]
    assert not found, "SQL text belongs in pipelines/sql/ (a view in warehouse.sql or a named query):\n" + "\n".join(found)


def test_the_check_finds_sql_in_every_shape_a_string_takes():
    """The check above could fail: SQL in a plain, concatenated, f- or triple-quoted string is found; prose and
    docstrings are not."""
    source = '''
"""Select the rows from the ledger: a docstring, prose."""
a = "select key, value from setting order by key"
b = ("select index_id, editions "
     "from focus_overview order by seq")
c = f"insert into {name} select * from incoming"
d = """
    with latest as (select 1)
    select * from latest
"""
e = "use warehouse"
f = f"describe {name}"
g = "attach 'x.duckdb' as warehouse (read_only)"
h = "checkpoint"
i = "Choose a department to see its indicators"
j = "select a file to upload"
k = "update"
'''
    hits = sql_in_strings(source)
    assert [line for line, _ in hits] == [3, 4, 6, 7, 11, 12, 13, 14]


# --- the named queries ----------------------------------------------------------------------------

def test_the_queries_load_with_their_documentation():
    assert len(sql.names()) > 50
    for name in sql.names():
        q = sql.query(name)
        assert (q.__doc__ or "").strip(), f"query {name} says nothing about what it returns"
        assert "?" not in q.sql, f"query {name}: parameters are named (:name), never positional"


def _python_sources() -> str:
    return "\n".join(p.read_text("utf-8") for root in CODE for p in root.rglob("*.py"))


def test_every_query_is_used_and_every_used_name_exists():
    source = _python_sources()
    unused = [n for n in sql.names() if not re.search(rf"""["']{n}["']""", source)]
    assert not unused, f"named queries no code runs: {unused}"
    called = set(re.findall(r"""\b(?:sql\.(?:frame|rows|value|execute)\(\w+,\s*|_read\()["'](\w+)["']""", source))
    assert len(called) > 40
    assert not called - set(sql.names()), f"code runs queries that do not exist: {called - set(sql.names())}"


@pytest.fixture
def warehouse_con(mini_warehouse: Path):
    con = parts.connect_read_only(mini_warehouse)
    yield con
    con.close()


def test_every_query_runs_on_a_built_warehouse(warehouse_con):
    """Each query binds against the warehouse as built (a view renamed or a column dropped fails here), with
    every parameter given as NULL."""
    # session set-up (pipelines/sql/parts.py) and staging (build/warehouse.py): statements, run where they belong
    statements = {"attach_warehouse", "attach_values", "attach_forum", "use_warehouse", "use_published",
                  "stage_open", "stage_create", "stage_use",
                  "stage_attach_values", "stage_attach_forum", "stage_search_path", "stage_close",
                  "hold_csv", "held_columns", "held_rows", "hold_csvs", "hold_typed", "json_rows", "built_from_attach", "built_from_digest", "built_from_detach",
                  "components_open", "components_open_small", "components_use", "components_aside",
                  "components_close", "components_append", "component_conflicts",
                  "stage_component_rows", "stage_ranking_rows", "rankings_insert",
                  "components_append_unique", "components_threads_one", "components_threads_reset",
                  "ledger_csv_macro", "ledger_csv_sniff", "components_insert", "components_values", "components_trim", "components_set_city", "components_set_flags",
                  "components_set_other_tier", "components_take_back",
                  "stage_detach", "hold_typed_query", "component_source_of_file", "table_columns", "table_rows",
                  "lookup_city", "lookup_flags", "lookup_flag_store", "lookup_url_tier", "lookup_url_tier_default",
                  "components_checkpoint", "small_build_threads"}
    # and the ledger read in DuckDB (schemas.hold_validated, rankings)
    assert statements <= set(sql.names())
    ran = 0
    for name in sql.names():
        if name in statements:
            continue
        params = {p: None for p in sql.query(name).parameters or ()}
        sql.execute(warehouse_con, name, **params).fetchall()
        ran += 1
    assert ran > 50


def test_parameters_are_bound_by_name_and_never_spliced(warehouse_con):
    ranked = sql.frame(warehouse_con, "series_rankings", index_id="mori_gpci")
    assert len(ranked) > 0 and set(ranked["index_id"]) == {"mori_gpci"}
    hostile = sql.frame(warehouse_con, "series_rankings", index_id="mori_gpci' or '1'='1")
    assert hostile.empty
    # a value with a colon is a value, not a parameter
    assert sql.value(warehouse_con, "city_ko", city="x:city") is None


def test_a_wrong_parameter_is_refused_by_name(warehouse_con):
    with pytest.raises(TypeError, match=r"missing \['index_id'\]"):
        sql.frame(warehouse_con, "series_rankings")
    with pytest.raises(TypeError, match=r"unknown \['city'\]"):
        sql.frame(warehouse_con, "series_rankings", index_id="mori_gpci", city="Seoul")
    with pytest.raises(KeyError, match="no query named 'nonexistent'"):
        sql.frame(warehouse_con, "nonexistent")


def test_a_malformed_query_file_fails_at_load_naming_the_file(tmp_path: Path):
    (tmp_path / "a.sql").write_text("-- name: one(city)\n-- One.\nselect :city, :country;\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.sql.*undeclared parameter.*country"):
        sql.load(tmp_path)
    (tmp_path / "a.sql").write_text("-- name: one()\n-- One.\nselect 1;\n", encoding="utf-8")
    (tmp_path / "b.sql").write_text("-- name: one()\n-- One again.\nselect 2;\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"b\.sql: query 'one' is also defined in a\.sql"):
        sql.load(tmp_path)
