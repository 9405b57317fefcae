"""Page config, the shared sidebar (language) and the page router; nothing else."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data
from dashboard.display import TABLE_CSS, show_error
from dashboard.text import DEFAULT_LANG, LANGS, t

# (module, title key, icon, url path); the first page is the default, served at the root URL.
PAGES = (
    ("views/overview.py", "ui.page.overview", ":material/dashboard:", "home"),
    ("views/trends.py", "ui.page.trends", ":material/show_chart:", "trends"),
    ("views/weak_points.py", "ui.weak.page", ":material/troubleshoot:", "weak-points"),
    ("views/goal.py", "ui.goal.page", ":material/flag:", "goal"),
    ("views/forum.py", "ui.forum.page", ":material/forum:", "forum"),
    ("views/sources.py", "ui.page.sources", ":material/menu_book:", "sources"),
    ("views/my_indicators.py", "ui.mine.page", ":material/upload_file:", "my-indicators"),
    ("views/reporting.py", "ui.due.page", ":material/assignment_late:", "reporting"),
    ("views/calendar.py", "ui.cal.page", ":material/calendar_month:", "calendar"),
)

# Addresses people have bookmarked: /overview (the overview is served at the root; its own path, which
# Streamlit reserves, is /home) and the module names Streamlit used before the pages had url paths.
OLD_PATHS = {
    "overview": "home", "weak_points": "weak-points", "my_indicators": "my-indicators",
    "upload": "my-indicators", "due": "reporting", "release_calendar": "calendar", "brief": "calendar",
}

st.set_page_config(page_title=t("ui.app.title", "ko"), page_icon=":material/location_city:", layout="wide")
st.html(TABLE_CSS)  # which view of a table a screen shows (display.table)

# The language lives in st.session_state["lang"], where every page reads it. ?lang=en seeds it, so a
# shared link or a browser test opens the chosen language (a widget bound to the URL would want the
# label, "English", not the code).
if st.session_state.get("lang") not in LANGS:
    wanted = st.query_params.get("lang")
    st.session_state["lang"] = wanted if wanted in LANGS else DEFAULT_LANG
lang = st.sidebar.radio(
    t("ui.language", "ko"), LANGS, key="lang", horizontal=True, format_func=lambda code: t(f"ui.lang.{code}", code),
)
st.query_params["lang"] = lang
auth.sign_in_box(lang)
# A broken indicators.yml is said on every page, in the reader's language; pages that need it stop.
if (broken := data.catalogue_error()) is not None:
    show_error(broken, lang)

pages = {path: st.Page(module, title=t(title, lang), icon=icon, url_path=path, default=i == 0)
         for i, (module, title, icon, path) in enumerate(PAGES)}


def _forward(target: st.Page):
    """A hidden page at an old address that opens the page it names (query parameters such as ?lang= kept)."""
    def go() -> None:
        st.switch_page(target, query_params=dict(st.query_params))
    return go


aliases = [st.Page(_forward(pages[target]), title=pages[target].title, url_path=old, visibility="hidden")
           for old, target in OLD_PATHS.items()]
st.navigation([*pages.values(), *aliases]).run()
