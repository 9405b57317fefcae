"""Reporting status: for the planning office, which department has reported which indicator, and who is behind."""

from __future__ import annotations


import pandas as pd
import streamlit as st

from dashboard import data, display
from dashboard.display import DUE_STATE_STYLE, local_time, zone_note
from dashboard.markdown import say
from dashboard.text import DEFAULT_LANG, t
from pipelines.analysis.due import STATES

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()


def col(key: str) -> str:
    return t(f"col.{key}", lang)


# Load inputs.
cat = data.catalogue_or_stop(lang)
today = data.local_today()  # the Seoul date (the catalogue's zone), as the my-indicators page judges due dates: not the server's
status = data.due_status(cat, today)
offices = {o.id: o.name.get(lang) for o in cat.offices.values()}
recent_days = cat.reporting.recent_days

st.title(t("ui.due.title", lang))
zone_note(lang)
st.caption(t("ui.due.intro", lang, today=today.isoformat()))
if status.empty:
    st.info(t("ui.due.no_indicators", lang))
    st.stop()
missing = sorted(set(status["indicator_id"]) - set(data.managed_indicator_ids()))
if missing:  # the catalogue is newer than the warehouse (or another one): its states would be guesses
    st.warning(t("ui.due.catalogue_mismatch", lang, n=len(missing)), icon=":material/sync_problem:")
    with st.expander(t("ui.admin_detail", lang), icon=":material/build:"):
        st.caption(say("ui.admin_rebuild", lang, ids=", ".join(missing)))
        st.code("cityidx build", language="bash")


# Process: the state order puts overdue first; within a state, the furthest behind first; then one row per department.
def process() -> tuple[pd.DataFrame, pd.DataFrame]:
    order = {s: i for i, s in enumerate(STATES)}
    ordered = status.assign(
        department=status["office_id"].map(lambda d: offices.get(d, d)),
        state_order=status["state"].map(order),
        behind_sort=status["periods_behind"].fillna(10**6),
    ).sort_values(["state_order", "behind_sort", "department", "indicator_id"], ascending=[True, False, True, True])
    summary = (
        ordered.groupby(["office_id", "department"], sort=False)
        .agg(indicators=("indicator_id", "size"),
             overdue=("state", lambda s: int((s == "overdue").sum())),
             due=("state", lambda s: int((s == "due").sum())),
             up_to_date=("state", lambda s: int((s == "up_to_date").sum())),
             recent=("recently_updated", "sum"))
        .reset_index()
        .sort_values(["overdue", "due", "department"], ascending=[False, False, True])
    )
    return ordered, summary


# They follow from the catalogue, the day and the warehouse: computed once, drawn once, replayed after (data.static).
KEY = (lang, today.isoformat(), data.catalogue_key(cat))
status, summary = data.derived(process, "due", *KEY)


def headline_and_departments() -> None:
    # Headline: the whole city at once.
    metrics = st.columns(4)
    for box, state in zip(metrics, STATES):
        box.metric(t(f"ui.due.count.{state}", lang), int((status["state"] == state).sum()))
    metrics[3].metric(t("ui.due.recent", lang, days=recent_days), int(status["recently_updated"].sum()))

    # One row per department: who has not reported.
    st.subheader(t("ui.due.by_department", lang))
    summary_view = pd.DataFrame({
        col("department"): summary["department"],
        col("indicator_count"): summary["indicators"],
        t("ui.due.count.overdue", lang): summary["overdue"],
        t("ui.due.count.due", lang): summary["due"],
        t("ui.due.count.up_to_date", lang): summary["up_to_date"],
        t("ui.due.recent", lang, days=recent_days): summary["recent"].astype(int),
    })
    display.table(
        summary_view, "due_summary", shown=summary_view.style.map(lambda v: DUE_STATE_STYLE["overdue"] if v else "", subset=[t("ui.due.count.overdue", lang)])
        .map(lambda v: DUE_STATE_STYLE["due"] if v else "", subset=[t("ui.due.count.due", lang)]),
        hide_index=True, width="stretch", height="content", key="due_summary",
    )


data.static(headline_and_departments, "due-summary", *KEY)

# Every indicator, filtered.
st.subheader(t("ui.due.detail", lang))
left, right = st.columns(2)
dept_options = list(summary["office_id"])
chosen_depts = left.multiselect(t("col.department", lang), dept_options, key="due_departments",
                                format_func=lambda d: offices.get(d, d), placeholder=t("ui.all_departments", lang),
                                select_all=False)
chosen_states = right.multiselect(t("col.state", lang), list(STATES), key="due_states",
                                  format_func=lambda s: t(f"due.{s}", lang), placeholder=t("ui.due.all_states", lang),
                                  select_all=False)
shown = status
if chosen_depts:
    shown = shown[shown["office_id"].isin(chosen_depts)]
if chosen_states:
    shown = shown[shown["state"].isin(chosen_states)]
if shown.empty:
    st.info(t("ui.due.none_match", lang))
    st.stop()


def detail_table() -> None:
    state_col = col("state")
    detail = pd.DataFrame({
        state_col: [t(f"due.{s}", lang) for s in shown["state"]],
        col("department"): shown["department"],
        col("indicator"): shown[f"name_{lang}"],
        col("cadence"): [t(f"cadence.{c}", lang) for c in shown["cadence"]],
        col("last_period"): shown["last_period"].fillna(t("doc.no_value", lang)),
        col("expected"): shown["expected_period"],
        col("behind"): [str(int(b)) if not pd.isna(b) else "—" for b in shown["periods_behind"]],
        col("last_by"): shown["last_uploaded_by"].fillna(t("ui.due.never_uploaded", lang)),
        col("last_at"): [local_time(v) for v in shown["last_uploaded_at"]],
        col("recent"): shown["recently_updated"].astype(bool),
    })
    css = {t(f"due.{s}", lang): style for s, style in DUE_STATE_STYLE.items()}
    # on a phone one card per indicator, headed by its state, department and name
    display.table(
        detail, "due_detail", shown=detail.style.map(lambda v: css.get(v, ""), subset=[state_col]), head=3,
        hide_index=True, width="stretch", height="content", key="due_detail",
        column_config={
            col("recent"): st.column_config.CheckboxColumn(col("recent"), width="small"),
            **{col(k): st.column_config.TextColumn(col(k), width="small") for k in ("state", "cadence")},
        },
    )


data.static(detail_table, "due-detail", *KEY, tuple(chosen_depts), tuple(chosen_states))
