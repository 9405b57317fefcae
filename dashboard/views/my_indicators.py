"""My indicators: a department's own statistics, their template, a checked upload with preview and confirm, and history."""

from __future__ import annotations

import hashlib
import math

import pandas as pd
import streamlit as st

from dashboard import auth, data, display, svg_charts
from dashboard.display import DUE_STATE_STYLE, local_time, show_error, uploader_text, zone_note
from dashboard.markdown import escape, escape_frame, say
from dashboard.text import DEFAULT_LANG, t
from pipelines.analysis import preview
from pipelines.build import uploads, writes
from pipelines.build.uploads import ParsedUpload
from pipelines.catalogue import Catalogue
from pipelines.errors import Busy, CityIdxError
from pipelines.ledger.uploads import receipt_number
from pipelines.schemas import Problem, ProblemsFound

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()

RECEIPT_KEY = "mine_receipt"  # the last accepted upload, shown until another file is chosen
GENERATION_KEY = "mine_uploader_generation"  # a new uploader key after a commit empties the widget


def col(key: str) -> str:
    return t(f"col.{key}", lang)


def number(value: object) -> str:
    """1637000 -> '1,637,000'; 3.10 -> '3.1'; missing -> '—'."""
    if value is None or pd.isna(value):
        return "—"
    value = float(value)
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def with_unit(value: object, unit: str) -> str:
    text = number(value)
    if text == "—" or not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"




def who(username: object) -> str:
    return t("ui.mine.reference", lang) if username == "reference" else str(username)


def state_label(state: str) -> str:
    return t(f"due.{state}", lang)


def colour_states(frame: pd.DataFrame, column: str):
    """A Styler that colours the state column: red overdue, amber due, green up to date."""
    css = {state_label(s): style for s, style in DUE_STATE_STYLE.items()}
    return frame.style.map(lambda v: css.get(v, ""), subset=[column])


def department_name(office_id: str) -> str:
    names = data.indicator_departments().set_index("office_id")
    if office_id in names.index:
        return names.at[office_id, f"name_{lang}"]
    return office_id


# --- the upload, as a function of the file's bytes and name ---------------------------------------

def problems_table(problems: list[Problem]) -> pd.DataFrame:
    """Every problem with its cell as a spreadsheet names it (C7), column and message in this language."""
    return pd.DataFrame({
        col("cell"): [p.cell or "—" for p in problems],
        col("row"): [str(p.row) if p.row is not None else "—" for p in problems],
        col("column"): [p.column if p.column is not None else t("ui.mine.whole_file", lang) for p in problems],
        col("problem"): [p.ko if lang == "ko" else p.en for p in problems],
    })


def show_problems(problems: list[Problem], total: int | None = None) -> None:
    """The problems of a rejected file: the first ones (the catalogue's max_problems_shown) and how many in all."""
    total = max(total or 0, len(problems))
    st.error(t("upload.rejected", lang, count=total), icon=":material/block:")
    st.markdown(f"**{t('ui.mine.problems', lang)}**")
    # a table, not a grid: long messages wrap; st.table draws its cells as Markdown, and they hold the file's own text
    st.table(escape_frame(problems_table(problems)), hide_index=True)
    if total > len(problems):
        st.caption(t("problems.more", lang, count=total - len(problems), shown=len(problems)))


def preview_table(cat: Catalogue, parsed: ParsedUpload, department: str) -> tuple[pd.DataFrame, int, int]:
    """The upload preview (pipelines.analysis.preview) as this page shows it; returns (table, flagged, unchanged)."""
    result = preview.compare(parsed.rows, data.department_values(department), cat.reporting.change_flag_ratio)
    rows = []
    for r in result.rows.itertuples(index=False):
        ind = cat.indicators[r.indicator_id]
        unit = ind.unit.get(lang)
        shown = with_unit(r.previous, unit)  # a missing value shows as —
        if isinstance(r.compared_period, str):
            shown = t("ui.mine.earlier_period", lang, value=shown, period=r.compared_period)
        rows.append({
            col("indicator"): ind.name.get(lang),
            col("code"): r.indicator_id,
            col("period"): r.period,
            col("new"): with_unit(r.value, unit),
            col("previous"): shown,
            col("change_ratio"): "—" if pd.isna(r.change) else f"{r.change:+.1%}",
            col("flag"): t("ui.mine.flag", lang) if r.flagged else "",
            col("note"): r.note if isinstance(r.note, str) else "",
        })
    return pd.DataFrame(rows), result.flagged, result.unchanged


def handle_upload(cat: Catalogue, content: bytes, filename: str, department: str) -> None:
    """Check the file (nothing written), show its problems or its preview, and commit it on an explicit confirm."""
    parsed = writes.check_upload(cat, content, filename, department)
    if not parsed.ok:
        show_problems(parsed.problems, parsed.problem_count)
        return
    st.markdown(f"**{t('ui.mine.preview', lang)}**")
    st.caption(escape(t("ui.mine.preview_note", lang, file=filename, rows=len(parsed.rows), encoding=parsed.encoding)))
    table, flagged, unchanged = preview_table(cat, parsed, department)
    digest = hashlib.sha256(content).hexdigest()
    earlier = data.department_uploads(department)
    earlier = earlier[earlier["sha256"] == digest]
    if not earlier.empty:
        st.warning(say("ui.mine.same_file", lang, when=local_time(earlier.iloc[0]["uploaded_at"]), who=earlier.iloc[0]["uploaded_by"]),
                   icon=":material/content_copy:")
    elif unchanged == len(table):
        st.info(t("ui.mine.no_change", lang), icon=":material/info:")
    # st.table draws its cells as Markdown: the file's notes (and the catalogue's names) are shown as typed
    styled = escape_frame(table).style.map(lambda v: DUE_STATE_STYLE["due"] if v else "", subset=[escape(col("flag"))])
    st.table(styled, hide_index=True)
    if flagged:
        st.warning(t("ui.mine.flag_note", lang, n=flagged, ratio=cat.reporting.change_flag_ratio), icon=":material/flag:")

    account = auth.current_account()
    allowed = account is not None and account.can_upload_for(department)
    if not allowed:
        st.caption(say("ui.mine.cannot_upload", lang, department=department_name(department)))
    if st.button(t("ui.mine.confirm", lang, rows=len(parsed.rows)), type="primary", disabled=not allowed,
                 key="mine_confirm", icon=":material/cloud_upload:"):
        account = auth.current_account()  # re-read: a disabled account loses the right at once
        if account is None or not account.can_upload_for(department):
            st.error(say("ui.mine.cannot_upload", lang, department=department_name(department)))
            return
        changed = preview.compare(parsed.rows, data.department_values(department), cat.reporting.change_flag_ratio).rows
        try:
            receipt, _ = writes.commit_upload(cat, content, filename, department, account.username,
                                               warehouse_path=data.warehouse_file())
        except Busy as exc:
            show_error(exc, lang, retry=True)
            return
        except ProblemsFound as exc:  # the catalogue changed between the check and the commit
            show_problems(exc.problems, exc.total)
            return
        except CityIdxError as exc:  # a disk that refused, a name that cannot be stored: nothing was written
            show_error(exc, lang)
            return
        st.session_state[RECEIPT_KEY] = {
            "department": department, "number": receipt.number, "rows": receipt.rows, "file": receipt.original_filename,
            "path": receipt.path.relative_to(cat.root).as_posix(), "sha": receipt.sha256[:12],
            "changes": [{"indicator_id": r.indicator_id, "period": r.period, "value": r.value,
                         "previous": None if pd.isna(r.previous) or isinstance(r.compared_period, str) else r.previous}
                        for r in changed.itertuples(index=False)],
        }
        # A fresh uploader key empties the widget, so the accepted file cannot be confirmed twice; the
        # warehouse file has been swapped, so data.py's version key makes the rerun read the new values.
        st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
        st.rerun()


def show_receipt(cat: Catalogue, receipt: dict) -> None:
    """The accepted upload as staff read it: a receipt number and what changed; the technical record for admins."""
    lines = []
    for c in receipt["changes"]:
        ind = cat.indicators.get(c["indicator_id"])
        name, unit = (ind.name.get(lang), ind.unit.get(lang)) if ind else (c["indicator_id"], "")
        if c["previous"] is None:
            what = t("ui.mine.change_new", lang, value=with_unit(c["value"], unit))
        elif c["previous"] == c["value"]:
            what = t("ui.mine.change_same", lang, value=with_unit(c["value"], unit))
        else:
            what = t("ui.mine.change_from", lang, value=with_unit(c["value"], unit), previous=with_unit(c["previous"], unit))
        lines.append(f"- {escape(name)} {escape(c['period'])}: {escape(what)}")
    st.success(t("ui.mine.accepted", lang, number=receipt["number"], rows=receipt["rows"]) + "\n\n" + "\n".join(lines),
               icon=":material/task_alt:")
    if account is not None and account.role == "admin":
        with st.expander(t("ui.mine.technical", lang), icon=":material/info:"):
            st.caption(escape(t("ui.mine.technical_detail", lang, file=receipt["file"], path=receipt["path"],
                                sha=receipt["sha"])))


def upload_widget_mb(cat: Catalogue) -> int:
    """The widget's own limit, in whole MB as Streamlit counts: twice the catalogue's, so a file over the
    catalogue's limit gets this page's message (Korean first, with the exact figures) rather than Streamlit's
    English one; .streamlit/config.toml's server.maxUploadSize bounds what the server accepts at all."""
    return max(1, math.ceil(2 * cat.reporting.max_upload_bytes / 2**20))


# Load inputs.
cat = data.catalogue_or_stop(lang)
account = auth.current_account()
depts = data.indicator_departments()
st.title(t("ui.mine.page", lang))
zone_note(lang)
if depts.empty:
    st.info(t("ui.mine.no_departments", lang))
    st.stop()

# Whose indicators: an editor's own department; anyone else chooses.
names = dict(zip(depts["office_id"], depts[f"name_{lang}"]))
if account is not None and account.role == "department_editor" and account.department:
    department = account.department
    st.caption(escape(t("ui.mine.own_department", lang, name=account.name, department=names.get(department, department))))
else:
    options = list(depts["office_id"])
    default = account.department if account is not None and account.department in options else options[0]
    if st.session_state.get("mine_department") not in options:
        st.session_state["mine_department"] = default
    department = st.selectbox(t("col.department", lang), options, key="mine_department",
                              format_func=lambda o: names.get(o, o))
    if account is not None and account.role == "admin":
        st.caption(t("ui.mine.admin", lang))
    else:
        st.info(t("ui.mine.read_only", lang), icon=":material/lock:")
        auth.page_sign_in(lang)
dept_name = names.get(department) or (cat.offices[department].name.get(lang) if department in cat.offices else department)
st.subheader(escape(dept_name))
st.caption(t("ui.mine.intro", lang))

indicators = data.department_indicators(department)
if indicators.empty:
    st.info(say("ui.mine.no_indicators", lang, department=dept_name))
    st.stop()
today = data.local_today()  # the Seoul date: a Seoul morning is still yesterday on a UTC server
due = data.due_status(cat, today).set_index("indicator_id")


# The department's indicators and whether each is due, and each one's history as a line: they follow from the
# warehouse, the catalogue, the day and the department, so they are drawn once and replayed (data.static).
def indicators_and_lines() -> None:
    st.markdown(f"#### {t('ui.mine.indicators', lang)}")
    states = [due.at[i, "state"] if i in due.index else "overdue" for i in indicators["indicator_id"]]
    counts = {s: states.count(s) for s in ("overdue", "due", "up_to_date")}
    st.caption(t("ui.mine.counts", lang, total=len(states), today=today.isoformat(), **counts))
    unit_col = "unit_ko" if lang == "ko" else "unit_en"
    table = pd.DataFrame({
        col("indicator"): indicators[f"name_{lang}"],
        col("latest"): [with_unit(v, u) if not pd.isna(v) else t("doc.no_value", lang)
                        for v, u in zip(indicators["latest_value"], indicators[unit_col])],
        col("period"): indicators["latest_period"].fillna("—"),
        col("state"): [state_label(s) for s in states],
        col("expected"): [due.at[i, "expected_period"] if i in due.index else "—" for i in indicators["indicator_id"]],
        col("cadence"): [t(f"cadence.{c}", lang) for c in indicators["cadence"]],
        col("source"): indicators["source"],
        col("link"): indicators["source_url"],
        col("code"): indicators["indicator_id"],
    })
    # on a phone one card per indicator, without the link and the code (a machine's, not a reader's)
    display.table(
        table.drop(columns=[col("link"), col("code")]), "mine_indicators", shown=colour_states(table, col("state")),
        hide_index=True, width="stretch", key="mine_indicators",
        column_config={col("link"): st.column_config.LinkColumn(col("link"), display_text=t("ui.mine.open_link", lang))},
    )

    # Each indicator's history: its values as a line, its 2030 target and the period now due.
    st.markdown(f"#### {t('ui.mine.lines', lang)}")
    st.caption(t("ui.mine.lines_help", lang))
    values = data.department_values(department)
    chart_cols = st.columns(2)
    for n, (_, ind) in enumerate(indicators.iterrows()):
        own = values[values["indicator_id"] == ind["indicator_id"]]
        unit = ind[unit_col] if isinstance(ind[unit_col], str) else ""
        expected = due.at[ind["indicator_id"], "expected_period"] if ind["indicator_id"] in due.index else None
        expected = expected if isinstance(expected, str) and expected else None
        state = due.at[ind["indicator_id"], "state"] if ind["indicator_id"] in due.index else "overdue"
        with chart_cols[n % 2]:
            st.markdown(f"**{escape(ind[f'name_{lang}'])}**")
            if own.empty:
                st.caption(say("ui.mine.no_values_yet", lang, period=expected or "—"))
                continue
            target = None if pd.isna(ind["target_2030"]) else float(ind["target_2030"])
            svg_charts.show(svg_charts.indicator_svg(
                own, lang, unit=unit, target=target,
                target_label=t("ui.mine.target_line", lang, value=with_unit(target, unit)) if target is not None else "",
                due_period=expected if state != "up_to_date" else None,
                due_label=t("ui.mine.due_mark", lang, period=expected) if expected else "",
                key=f"mine_line_{ind['indicator_id']}", label=ind[f"name_{lang}"]))


data.static(indicators_and_lines, "mine-indicators", department, lang, today.isoformat(), data.catalogue_key(cat))

# Template and upload.
left, right = st.columns(2, gap="large")
with left:
    st.markdown(f"#### {t('ui.mine.template', lang)}")
    st.caption(t("ui.mine.template_help", lang))
    # Pre-filled: the period now due and, as a reminder, the last value with its period.
    due_periods = {i: due.at[i, "expected_period"] for i in indicators["indicator_id"] if i in due.index}
    last = {i: (v, p) for i, v, p in zip(indicators["indicator_id"], indicators["latest_value"], indicators["latest_period"])
            if not pd.isna(v)}
    st.download_button(t("ui.mine.download_xlsx", lang),
                       data.template(cat, "xlsx", department, lang, due_periods, last, sheet=t("ui.mine.sheet", lang)),
                       file_name=f"{department}_template_{lang}.xlsx", on_click="ignore", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", type="primary",
                       key="mine_template_xlsx", width="stretch")
    st.download_button(t("ui.mine.download_csv", lang), data.template(cat, "csv", department, lang, due_periods, last),
                       file_name=f"{department}_template_{lang}.csv", mime="text/csv", on_click="ignore",
                       icon=":material/download:", key="mine_template_csv", width="stretch")
    st.caption(t("ui.mine.xlsx_note", lang))
with right:
    st.markdown(f"#### {t('ui.mine.upload', lang)}")
    generation = st.session_state.get(GENERATION_KEY, 0)
    # The widget takes twice the catalogue's limit (upload_widget_mb), so a file just over it reaches our
    # check and gets our message (in the reader's language) rather than Streamlit's English one.
    limit = uploads.size_text(cat.reporting.max_upload_bytes)
    with st.container(key="mine_uploader"):
        # Streamlit's own words in the drop zone, in the reader's language and with the catalogue's limit
        uploader_text("mine_uploader", t("ui.mine.dropzone_button", lang),
                      t("ui.mine.dropzone_limit", lang, limit=limit), t("ui.mine.dropzone_drop", lang))
        chosen = st.file_uploader(t("ui.mine.uploader", lang), type=["xlsx", "csv"],
                                  key=f"mine_upload_{department}_{generation}", max_upload_size=upload_widget_mb(cat))
    st.caption(t("ui.mine.uploader_help", lang, limit=limit))
# The check, its problems or preview, and the receipt: full width, where a table has room.
receipt = st.session_state.get(RECEIPT_KEY)
if chosen is not None:
    st.session_state.pop(RECEIPT_KEY, None)
    if too_large := uploads.size_problem(chosen.name, chosen.size, cat):  # said here, before the bytes are read
        show_problems([too_large])
    else:
        handle_upload(cat, chosen.getvalue(), chosen.name, department)
elif receipt and receipt["department"] == department:
    show_receipt(cat, receipt)

# Upload history of the department.
st.markdown(f"#### {t('ui.mine.history', lang)}")
history = data.department_uploads(department)
if history.empty:
    st.caption(t("ui.mine.no_uploads", lang))
else:
    shown = {
        col("receipt"): [receipt_number(a, h) for a, h in zip(history["uploaded_at"], history["sha256"])],
        col("uploaded_at"): [local_time(v) for v in history["uploaded_at"]],
        col("uploader"): history["uploaded_by"],
        col("file"): history["original_filename"],
        col("rows"): history["rows"],
    }
    if account is not None and account.role == "admin":  # the technical record, for whoever keeps the ledger
        shown |= {col("encoding"): history["encoding"].fillna("—"), col("sha256"): history["sha256"].str[:12] + "…"}
    display.table(pd.DataFrame(shown), "mine_history", hide_index=True, width="stretch", key="mine_history")

# Every version of one indicator.
st.markdown(f"#### {t('ui.mine.versions', lang)}")
st.caption(t("ui.mine.versions_help", lang))
ind_names = dict(zip(indicators["indicator_id"], indicators[f"name_{lang}"]))
picked = st.selectbox(t("col.indicator", lang), list(ind_names), format_func=lambda i: ind_names[i],
                      key=f"mine_versions_{department}")
is_admin = account is not None and account.role == "admin"


def versions_table() -> None:
    versions = data.value_history(picked)
    if versions.empty:
        st.caption(t("ui.mine.no_versions", lang))
    else:
        unit = cat.indicators[picked].unit.get(lang) if picked in cat.indicators else ""
        frame = pd.DataFrame({
            col("period"): versions["period"],
            col("value"): [with_unit(v, unit) for v in versions["value"]],
            col("status"): [t("ui.mine.current" if c else "ui.mine.superseded", lang) for c in versions["is_current"]],
            col("uploader"): [who(u) for u in versions["uploaded_by"]],
            col("uploaded_at"): [local_time(v) for v in versions["uploaded_at"]],
            col("source"): versions["source"].fillna("—"),
        })
        if is_admin:
            frame[col("ledger")] = versions["ledger_file"]
        current = t("ui.mine.current", lang)
        display.table(frame, "mine_versions", shown=frame.style.map(lambda v: "color: #067647" if v == current else "color: #98a2b3; font-style: italic",
                                     subset=[col("status")]),
                     hide_index=True, width="stretch", height="content", key="mine_versions")


# every version of the indicator follows from the warehouse (and whether the reader sees the ledger's file names)
data.static(versions_table, "mine-versions", picked, lang, is_admin, data.catalogue_key(cat))
