"""The one catalogue of user-facing strings, Korean first and English beside it."""

from __future__ import annotations

DEFAULT_LANG = "ko"
LANGS = ("ko", "en")

# Each entry: key -> {"ko": ..., "en": ...}; placeholders use str.format names.
MESSAGES: dict[str, dict[str, str]] = {
    # --- validation problems (pipeline and uploads) ---
    "problem.location": {
        "ko": "{file} {row}행 '{column}' 열",
        "en": "{file} row {row}, column '{column}'",
    },
    "problem.location_file": {"ko": "{file}", "en": "{file}"},
    "problem.location_cell": {
        "ko": "{file} {cell} 셀 ('{column}' 열)",
        "en": "{file} cell {cell} (column '{column}')",
    },
    "problem.location_column": {"ko": "{file} '{column}' 열", "en": "{file}, column '{column}'"},
    "check.not_a_whole_number": {
        "ko": "정수가 아닙니다: '{value}'. 1, 2, 3 같은 숫자만 적으세요.",
        "en": "not a whole number: '{value}'. Write a plain number such as 1, 2, 3.",
    },
    "check.not_a_number": {
        "ko": "숫자가 아닙니다: '{value}'. 숫자만 적으세요 (예: 1234.5).",
        "en": "not a number: '{value}'. Write a number only (e.g. 1234.5).",
    },
    "check.missing_value": {
        "ko": "값이 비어 있습니다. 이 열은 반드시 채워야 합니다.",
        "en": "the value is empty; this column is required.",
    },
    "check.too_small": {
        "ko": "값 '{value}'이(가) 너무 작습니다 (최소 {limit}).",
        "en": "value '{value}' is too small (minimum {limit}).",
    },
    "check.too_large": {
        "ko": "값 '{value}'이(가) 너무 큽니다 (최대 {limit}).",
        "en": "value '{value}' is too large (maximum {limit}).",
    },
    "check.not_allowed": {
        "ko": "허용되지 않는 값: '{value}'. 가능한 값: {allowed}.",
        "en": "value '{value}' is not allowed. Allowed: {allowed}.",
    },
    "check.bad_format": {
        "ko": "형식이 맞지 않습니다: '{value}' ({expected}).",
        "en": "wrong format: '{value}' (expected {expected}).",
    },
    "check.duplicate_key": {
        "ko": "같은 키({columns})가 두 번 이상 나옵니다. 한 행만 남기세요.",
        "en": "the key ({columns}) appears more than once; keep one row.",
    },
    "check.missing_column": {
        "ko": "필수 열 '{value}'이(가) 없습니다.",
        "en": "required column '{value}' is missing.",
    },
    "check.unknown_column": {
        "ko": "알 수 없는 열 '{value}'이(가) 있습니다. 열 이름을 확인하세요.",
        "en": "unknown column '{value}'; check the column names.",
    },
    "check.rank_status": {
        "ko": "순위와 상태가 맞지 않습니다: 순위가 있으면 상태는 'ranked', 순위가 없으면 다른 상태여야 합니다 (상태 '{value}').",
        "en": "rank and status disagree: a row with a rank has status 'ranked', a row without one another status (status '{value}').",
    },
    "check.rank_or_score": {
        "ko": "순위와 점수가 모두 비어 있습니다. 둘 중 하나는 있어야 합니다.",
        "en": "both rank and score are empty; give at least one.",
    },
    "check.url": {
        "ko": "출처 URL이 http(s)로 시작하지 않습니다: '{value}'.",
        "en": "the source URL does not start with http(s): '{value}'.",
    },
    "check.date": {
        "ko": "날짜 형식이 아닙니다: '{value}' (YYYY-MM-DD).",
        "en": "not a date: '{value}' (YYYY-MM-DD).",
    },
    "check.month": {
        "ko": "연월 형식이 아닙니다: '{value}' (YYYY-MM).",
        "en": "not a year-month: '{value}' (YYYY-MM).",
    },
    "check.failed": {
        "ko": "검사 '{check}' 실패: '{value}'.",
        "en": "check '{check}' failed: '{value}'.",
    },
    "check.unmapped_city": {
        "ko": "도시 이름 '{value}'을(를) 도시 목록(data/raw/cities.csv)에서 찾을 수 없습니다. 목록에 도시나 별칭을 추가하세요.",
        "en": "city '{value}' is not in the city mapping (data/raw/cities.csv); add the city or an alias there.",
    },
    "check.ambiguous_city": {
        "ko": "도시 이름 또는 별칭 '{value}'이(가) 도시 목록에 두 번 이상 나옵니다.",
        "en": "city name or alias '{value}' appears more than once in the city mapping.",
    },
    "check.unknown_edition": {
        "ko": "판 '{value}'이(가) editions.csv에 없습니다. 판 정보(연도, 발표월)를 먼저 추가하세요.",
        "en": "edition '{value}' is not in editions.csv; add the edition (year, month published) there first.",
    },
    "check.unknown_component": {
        "ko": "구성요소 '{value}'이(가) indicators.yml의 이 지수 구성요소에 없습니다.",
        "en": "component '{value}' is not a component of this series in indicators.yml.",
    },
    "check.unknown_series": {
        "ko": "지수 '{value}'이(가) indicators.yml에 없습니다.",
        "en": "series '{value}' is not in indicators.yml.",
    },
    "check.unknown_indicator": {
        "ko": "지표 '{value}'이(가) indicators.yml의 indicators에 없습니다.",
        "en": "indicator '{value}' is not in the indicators of indicators.yml.",
    },
    "check.component_conflict": {
        "ko": "같은 판·도시·구성요소에 서로 다른 {measure} 값이 있습니다: {value}.",
        "en": "conflicting {measure} values for the same edition, city and component: {value}.",
    },
    "check.unreadable_csv": {
        "ko": "CSV 파일을 읽을 수 없습니다: {value}",
        "en": "cannot read the CSV file: {value}",
    },
    # --- department uploads ---
    "upload.too_large": {
        "ko": "파일이 너무 큽니다 ({size:,}바이트). 한 번에 {limit:,}바이트까지 올릴 수 있습니다. 파일을 나누어 올리세요.",
        "en": "the file is too large ({size:,} bytes); the limit is {limit:,} bytes per upload. Split it into smaller files.",
    },
    "upload.not_text": {
        "ko": "텍스트(CSV) 파일이 아닙니다 ({kind}). 엑셀에서 '다른 이름으로 저장 > CSV UTF-8(쉼표로 분리)'로 저장해 올리세요.",
        "en": "not a text (CSV) file ({kind}). In Excel use 'Save As > CSV UTF-8 (Comma delimited)' and upload that.",
    },
    "upload.encoding": {
        "ko": "글자 인코딩을 알 수 없습니다 (UTF-8, UTF-8 BOM, CP949/EUC-KR만 가능). CSV UTF-8로 다시 저장하세요.",
        "en": "unknown text encoding (UTF-8, UTF-8 with BOM and CP949/EUC-KR are accepted). Save again as CSV UTF-8.",
    },
    "upload.bad_csv": {
        "ko": "CSV 형식 오류: {detail}",
        "en": "malformed CSV: {detail}",
    },
    "upload.empty": {
        "ko": "내용이 없습니다 (빈 파일이거나 머리글 행만 있음). 서식 파일에 값을 채워 올리세요.",
        "en": "there is nothing to load (the file is empty or has only a header row). Fill in the template and upload it.",
    },
    "upload.missing_column": {
        "ko": "필수 열 '{ko_name}'({en_name})이(가) 없습니다. 첫 행의 열 이름을 서식 파일과 같게 하세요.",
        "en": "required column '{en_name}' ({ko_name}) is missing; make the first row match the template.",
    },
    "upload.unknown_column": {
        "ko": "알 수 없는 열 '{value}'. 쓸 수 있는 열: {allowed}.",
        "en": "unknown column '{value}'. Allowed columns: {allowed}.",
    },
    "upload.duplicate_column": {
        "ko": "열 '{value}'이(가) 두 번 나옵니다. 하나만 남기세요.",
        "en": "column '{value}' appears twice; keep one.",
    },
    "upload.missing_value": {
        "ko": "값이 비어 있습니다. 이 칸은 반드시 채워야 합니다.",
        "en": "the cell is empty; it is required.",
    },
    "upload.unknown_indicator": {
        "ko": "지표코드 '{value}'이(가) 지표 목록에 없습니다. 서식 파일의 지표코드를 그대로 쓰세요.",
        "en": "indicator code '{value}' is not in the catalogue; use the codes in the template.",
    },
    "upload.other_department": {
        "ko": "지표 '{value}'은(는) {owner} 소관이라 {department}에서 올릴 수 없습니다. 이 행을 지우거나 {owner}에 요청하세요.",
        "en": "indicator '{value}' is owned by {owner_en}, so {department_en} cannot upload it; delete the row or ask {owner_en}.",
    },
    "upload.not_a_number": {
        "ko": "숫자가 아닙니다: '{value}'. 숫자만 적으세요 (천 단위 쉼표는 괜찮습니다, 예: 1,234.5).",
        "en": "not a number: '{value}'. Write a number (thousands separators are fine, e.g. 1,234.5).",
    },
    "upload.percent_not_allowed": {
        "ko": "'{value}': 이 지표의 단위는 {unit}이므로 % 기호를 쓸 수 없습니다.",
        "en": "'{value}': this indicator's unit is {unit_en}, so a % sign is not allowed.",
    },
    "upload.below_min": {
        "ko": "값 {value}이(가) 허용 범위보다 작습니다 (최소 {limit}, 단위 {unit}).",
        "en": "value {value} is below the allowed range (minimum {limit}, unit {unit_en}).",
    },
    "upload.above_max": {
        "ko": "값 {value}이(가) 허용 범위보다 큽니다 (최대 {limit}, 단위 {unit}).",
        "en": "value {value} is above the allowed range (maximum {limit}, unit {unit_en}).",
    },
    "upload.bad_period": {
        "ko": "기준기간 '{value}'이(가) 이 지표의 주기({cadence})에 맞지 않습니다. {example} 형식으로 적으세요.",
        "en": "period '{value}' does not fit this indicator's cadence ({cadence_en}); write it as {example}.",
    },
    "upload.future_period": {
        "ko": "기준기간 '{value}'은(는) 아직 시작되지 않았습니다 (오늘 {today}).",
        "en": "period '{value}' has not started yet (today is {today}).",
    },
    "upload.conflicting_duplicate": {
        "ko": "같은 지표·기준기간({indicator}, {period})이 {rows}행에 서로 다른 값으로 나옵니다. 하나만 남기세요.",
        "en": "the same indicator and period ({indicator}, {period}) appear in rows {rows} with different values; keep one.",
    },
    "upload.unknown_department": {
        "ko": "부서 '{value}'이(가) indicators.yml의 부서 목록에 없습니다.",
        "en": "department '{value}' is not an office in indicators.yml.",
    },
    "upload.tampered": {
        "ko": "원장 파일의 SHA-256이 접수 기록과 다릅니다. 원장 파일은 고치면 안 됩니다.",
        "en": "the ledger file's SHA-256 differs from its receipt; ledger files must never be edited.",
    },
    "upload.busy": {
        "ko": "다른 업로드나 빌드가 진행 중입니다. 잠시 후 다시 시도하세요. 아무것도 바뀌지 않았습니다.",
        "en": "another upload or build is running; try again in a moment. Nothing was changed.",
    },
    "upload.accepted": {
        "ko": "접수했습니다: {rows}행 ({department}, {user}). 원장 {path}, SHA-256 {sha}.",
        "en": "Accepted {rows} rows ({department_en}, {user}). Ledger {path}, SHA-256 {sha}.",
    },
    "upload.dry_run_ok": {
        "ko": "검사 통과 (시험 실행): {rows}행. 기록한 것은 없습니다.",
        "en": "Check passed (dry run): {rows} rows. Nothing was written.",
    },
    "upload.rejected": {
        "ko": "파일을 받지 않았습니다: 문제 {count}건. 원장과 웨어하우스는 바뀌지 않았습니다.",
        "en": "The file was rejected: {count} problem(s). The ledger and the warehouse were not changed.",
    },
    "cadence.yearly": {"ko": "연간", "en": "yearly"},
    "cadence.quarterly": {"ko": "분기", "en": "quarterly"},
    "cadence.monthly": {"ko": "월간", "en": "monthly"},
    "column.indicator_id": {"ko": "지표코드", "en": "indicator_id"},
    "column.period": {"ko": "기준기간", "en": "period"},
    "column.value": {"ko": "값", "en": "value"},
    "column.note": {"ko": "비고", "en": "note"},
    "column.source": {"ko": "출처", "en": "source"},
    "column.indicator_name": {"ko": "지표명", "en": "indicator_name"},
    "column.unit": {"ko": "단위", "en": "unit"},
    "due.overdue": {"ko": "지연", "en": "overdue"},
    "due.due": {"ko": "제출 예정", "en": "due"},
    "due.up_to_date": {"ko": "최신", "en": "up to date"},
    # --- analysis reasons (rendered inside the warehouse's weaknesses view; placeholders are SQL-filled) ---
    "reason.below_overall": {
        "ko": "구성요소 순위 {comp_rank}위가 종합 순위 {overall_rank}위보다 {gap}계단 낮음",
        "en": "component rank {comp_rank} is {gap} places below the overall rank {overall_rank}",
    },
    "reason.above_overall": {
        "ko": "구성요소 순위 {comp_rank}위가 종합 순위 {overall_rank}위보다 {gap}계단 높음",
        "en": "component rank {comp_rank} is {gap} places above the overall rank {overall_rank}",
    },
    "reason.falling": {
        "ko": "최근 {n}개 판 연속 하락 ({ranks})",
        "en": "fell in each of the last {n} editions ({ranks})",
    },
    "reason.rising": {
        "ko": "최근 {n}개 판 연속 상승 ({ranks})",
        "en": "rose in each of the last {n} editions ({ranks})",
    },
    "reason.peer_bottom": {
        "ko": "비교 도시 포함 {peers}곳 중 {position}위 (하위권)",
        "en": "{position} of {peers} among the peer cities with data (bottom)",
    },
    "reason.peer_top": {
        "ko": "비교 도시 포함 {peers}곳 중 1위",
        "en": "first of {peers} among the peer cities with data",
    },
    "reason.inside_goal": {
        "ko": "구성요소 순위 {comp_rank}위로 목표 순위({target}위) 이내",
        "en": "component rank {comp_rank} is inside the goal rank ({target})",
    },
    "reason.no_rule": {
        "ko": "약점·강점 규칙에 해당하지 않음 (구성요소 {comp_rank}위, 종합 {overall_rank}위)",
        "en": "no weakness or strength rule applies (component {comp_rank}, overall {overall_rank})",
    },
    "reason.no_data": {
        "ko": "이 판에 이 구성요소의 순위 자료가 없음",
        "en": "no rank for this component in this edition",
    },
    "label.weakness": {"ko": "약점", "en": "weakness"},
    "label.strength": {"ko": "강점", "en": "strength"},
    "label.neutral": {"ko": "중립", "en": "neutral"},
    "label.no_data": {"ko": "자료 없음", "en": "no data"},
    "goal.on_course": {"ko": "순항", "en": "on course"},
    "goal.at_risk": {"ko": "주의", "en": "at risk"},
    "goal.off_course": {"ko": "이탈", "en": "off course"},
    "goal.unknown": {"ko": "판단 불가 (최근 순위 없음)", "en": "unknown (no recent rank)"},
    # --- accounts ---
    "account.bad_username": {
        "ko": "사용자 이름은 영문 소문자·숫자·_.- 로 2-40자입니다: '{value}'",
        "en": "a username is 2-40 lowercase letters, digits or _.-: '{value}'",
    },
    "account.exists": {"ko": "이미 있는 사용자입니다: {value}", "en": "the user already exists: {value}"},
    "account.bad_role": {"ko": "역할은 {allowed} 중 하나입니다.", "en": "the role must be one of {allowed}."},
    "account.needs_department": {
        "ko": "부서 편집자에게는 부서가 필요합니다 (--department).",
        "en": "a department editor needs a department (--department).",
    },
    "account.short_password": {
        "ko": "비밀번호는 {minimum}자 이상이어야 합니다.",
        "en": "the password must be at least {minimum} characters.",
    },
    "account.no_such_user": {"ko": "없는 사용자입니다: {value}", "en": "no such user: {value}"},
    "account.not_allowed": {
        "ko": "{user} 계정은 {department}의 지표를 올릴 수 없습니다.",
        "en": "account {user} may not upload indicators of {department_en}.",
    },
    "role.analyst": {"ko": "분석가 (조회)", "en": "analyst (read)"},
    "role.department_editor": {"ko": "부서 편집자", "en": "department editor"},
    "role.forum_organizer": {"ko": "포럼 운영자", "en": "forum organizer"},
    "role.admin": {"ko": "관리자", "en": "admin"},
    # --- catalogue ---
    "catalogue.unknown_key": {
        "ko": "{file}: '{path}'에 알 수 없는 키 '{name}'이(가) 있습니다. 가능한 키: {allowed}.",
        "en": "{file}: unknown key '{name}' at '{path}'. Allowed keys: {allowed}.",
    },
    "catalogue.missing_key": {
        "ko": "{file}: '{path}'에 필수 키 '{name}'이(가) 없습니다.",
        "en": "{file}: required key '{name}' is missing at '{path}'.",
    },
    "catalogue.bad_value": {
        "ko": "{file}: '{path}' 값이 올바르지 않습니다: {detail}.",
        "en": "{file}: bad value at '{path}': {detail}.",
    },
    "catalogue.missing_file": {
        "ko": "{file}: '{path}'가 가리키는 파일 '{target}'이(가) 없습니다.",
        "en": "{file}: the file '{target}' named at '{path}' does not exist.",
    },
    "catalogue.unknown_ref": {
        "ko": "{file}: '{path}'의 '{value}'이(가) {kind} 목록에 없습니다.",
        "en": "{file}: '{value}' at '{path}' is not a known {kind}.",
    },
    "catalogue.not_found": {
        "ko": "카탈로그 파일 '{file}'이(가) 없습니다.",
        "en": "catalogue file '{file}' does not exist.",
    },
    "catalogue.yaml_error": {
        "ko": "{file}: YAML 문법 오류: {detail}",
        "en": "{file}: YAML syntax error: {detail}",
    },
    # --- command line ---
    "cli.check_ok": {
        "ko": "검사 통과: 지수 {series}개, 순위 {rankings}행, 구성요소 {components}행, 도시 {cities}곳. 기록한 것은 없습니다.",
        "en": "Check passed: {series} series, {rankings} ranking rows, {components} component rows, {cities} cities. Nothing was written.",
    },
    "cli.problems": {
        "ko": "문제 {count}건을 찾았습니다. 데이터 웨어하우스는 바뀌지 않았습니다.",
        "en": "Found {count} problem(s). The warehouse was not changed.",
    },
    "cli.build_ok": {
        "ko": "웨어하우스를 만들었습니다: {path} (순위 {rankings}행, 구성요소 {components}행, {seconds:.2f}초)",
        "en": "Built the warehouse: {path} ({rankings} ranking rows, {components} component rows, {seconds:.2f}s)",
    },
    "cli.no_warehouse": {
        "ko": "웨어하우스 {path}이(가) 없습니다. 먼저 'cityidx build'를 실행하세요.",
        "en": "No warehouse at {path}; run 'cityidx build' first.",
    },
    # --- shared labels (dashboard and CLI) ---
    "status.ranked": {"ko": "순위 발표", "en": "ranked"},
    "status.outside_list": {"ko": "발표 목록 밖", "en": "outside the published list"},
    "status.not_covered": {"ko": "평가 대상 아님", "en": "not covered this edition"},
    "status.not_published": {"ko": "순위 비공개", "en": "rank not published"},
    "status.rank_unknown": {"ko": "목록 내 순위 미상", "en": "in the list, position not given"},
    "status.not_found": {"ko": "자료 없음", "en": "not found"},
    "status.no_edition": {"ko": "그해 발표 없음", "en": "no edition that year"},
    # --- dashboard (dashboard/*.py) ---
    "ui.app.title": {"ko": "글로벌 도시경쟁력 지수", "en": "Global city competitiveness indices"},
    "ui.language": {"ko": "언어 · Language", "en": "Language · 언어"},
    "ui.lang.ko": {"ko": "한국어", "en": "한국어"},
    "ui.lang.en": {"ko": "English", "en": "English"},
    "ui.page.overview": {"ko": "개요", "en": "Overview"},
    "ui.page.trends": {"ko": "추이", "en": "Trends"},
    "ui.page.sources": {"ko": "출처", "en": "Sources"},
    "ui.no_warehouse": {
        "ko": "웨어하우스 파일이 없습니다: {path}. 터미널에서 `cityidx build`를 실행해 만든 뒤 이 페이지를 새로고침하세요.",
        "en": "There is no warehouse file at {path}. Run `cityidx build` in a terminal, then reload this page.",
    },
    "ui.bad_warehouse": {
        "ko": "웨어하우스 파일을 열 수 없습니다: {path}. `cityidx build`로 다시 만드세요.",
        "en": "The warehouse file {path} cannot be opened. Rebuild it with `cityidx build`.",
    },
    "ui.no_series": {"ko": "웨어하우스에 지수가 없습니다.", "en": "The warehouse holds no series."},
    "ui.none": {"ko": "없음", "en": "none"},
    "ui.unknown": {"ko": "알 수 없음", "en": "unknown"},
    "ui.yes": {"ko": "예", "en": "yes"},
    "ui.no": {"ko": "아니오", "en": "no"},
    "ui.source": {"ko": "출처", "en": "source"},
    "ui.all_editions": {"ko": "전체 판", "en": "All editions"},
    "ui.rank_value": {"ko": "{rank}위", "en": "#{rank}"},
    "ui.higher_better": {"ko": "높을수록 좋음", "en": "higher is better"},
    "ui.lower_better": {"ko": "낮을수록 좋음", "en": "lower is better"},
    "ui.month_sep": {"ko": "·", "en": ", "},
    "ui.month.1": {"ko": "1월", "en": "Jan"},
    "ui.month.2": {"ko": "2월", "en": "Feb"},
    "ui.month.3": {"ko": "3월", "en": "Mar"},
    "ui.month.4": {"ko": "4월", "en": "Apr"},
    "ui.month.5": {"ko": "5월", "en": "May"},
    "ui.month.6": {"ko": "6월", "en": "Jun"},
    "ui.month.7": {"ko": "7월", "en": "Jul"},
    "ui.month.8": {"ko": "8월", "en": "Aug"},
    "ui.month.9": {"ko": "9월", "en": "Sep"},
    "ui.month.10": {"ko": "10월", "en": "Oct"},
    "ui.month.11": {"ko": "11월", "en": "Nov"},
    "ui.month.12": {"ko": "12월", "en": "Dec"},
    "ui.cadence.yearly": {"ko": "매년", "en": "yearly"},
    "ui.cadence.semiannual": {"ko": "반기 (연 2회)", "en": "twice a year"},
    "ui.cadence.biennial": {"ko": "격년", "en": "every two years"},
    "ui.cadence.irregular": {"ko": "부정기", "en": "irregular"},
    "ui.flag.derived": {"ko": "파생 (DERIVED)", "en": "DERIVED"},
    "ui.flag.inferred": {"ko": "추정 (INFERRED)", "en": "INFERRED"},
    "ui.flag.conflict": {"ko": "상충 (CONFLICT)", "en": "CONFLICT"},
    "ui.flag.low_confidence": {"ko": "낮은 신뢰도 (LOW CONFIDENCE)", "en": "LOW CONFIDENCE"},
    "ui.flag.not_found": {"ko": "찾지 못함 (NOT FOUND)", "en": "NOT FOUND"},
    "ui.col.series": {"ko": "지수", "en": "Series"},
    "ui.col.edition": {"ko": "판", "en": "Edition"},
    "ui.col.city": {"ko": "도시", "en": "City"},
    "ui.col.rank": {"ko": "순위", "en": "Rank"},
    "ui.col.score": {"ko": "점수", "en": "Score"},
    "ui.col.status": {"ko": "상태", "en": "Status"},
    "ui.col.publication": {"ko": "게재처", "en": "Publication"},
    "ui.col.source": {"ko": "출처", "en": "Source"},
    "ui.col.note": {"ko": "비고", "en": "Note"},
    "ui.col.retrieved": {"ko": "수집일", "en": "Retrieved"},
    "ui.col.component": {"ko": "구성요소", "en": "Component"},
    "ui.col.policy_area": {"ko": "정책 분야", "en": "Policy area"},
    "ui.col.weight": {"ko": "가중치", "en": "Weight"},
    "ui.col.weight_note": {"ko": "가중치 기준", "en": "Weight note"},
    "ui.col.parent": {"ko": "상위 구성요소", "en": "Parent"},
    "ui.col.total": {"ko": "합계", "en": "Total"},
    "ui.col.rows": {"ko": "행 수", "en": "Rows"},
    "ui.col.ranked_rows": {"ko": "순위 행 수", "en": "Ranked rows"},
    "ui.col.published": {"ko": "발표", "en": "Published"},
    "ui.col.year": {"ko": "연도", "en": "Year"},
    "ui.col.field_size": {"ko": "대상 도시 수", "en": "Cities ranked"},
    "ui.col.methodology_change": {"ko": "방법론 변경", "en": "Methodology change"},
    "ui.chart.edition": {"ko": "판", "en": "Edition"},
    "ui.chart.rank": {"ko": "순위", "en": "Rank"},
    "ui.chart.city": {"ko": "도시", "en": "City"},
    "ui.chart.score_axis": {"ko": "점수 ({unit})", "en": "Score ({unit})"},
    "ui.chart.scores_in": {"ko": "{edition} 판 점수", "en": "Scores in {edition}"},
    "ui.chart.methodology_change": {"ko": "방법론 변경", "en": "Methodology change"},
    "ui.chart.no_rank": {"ko": "순위 없음", "en": "No rank"},
    "ui.chart.score_cell": {"ko": "점수 {score}", "en": "score {score}"},
    "ui.chart.lane_change": {"ko": "방법론 변경", "en": "Method change"},
    "ui.chart.lane_no_rank": {"ko": "{city} 순위 없음", "en": "{city}: no rank"},
    "ui.hover.rank": {"ko": "순위: {rank}위", "en": "Rank: #{rank}"},
    "ui.hover.no_rank": {"ko": "순위: 없음", "en": "Rank: none"},
    "ui.hover.score": {"ko": "점수: {score} {unit}", "en": "Score: {score} {unit}"},
    "ui.hover.status": {"ko": "상태: {status}", "en": "Status: {status}"},
    "ui.hover.source": {"ko": "출처: {source}", "en": "Source: {source}"},
    "ui.hover.spark": {"ko": "{edition}: {rank}위", "en": "{edition}: #{rank}"},
    "ui.overview.title": {"ko": "{city}의 글로벌 도시 순위 한눈에 보기", "en": "{city} in the global city rankings"},
    "ui.overview.in_goal_now": {"ko": "지금 TOP {target} 안에 든 지수", "en": "Series with a TOP {target} rank now"},
    "ui.overview.ranked_now": {"ko": "최신 판에서 순위가 발표된 지수", "en": "Series with a rank in the latest edition"},
    "ui.overview.target_year": {"ko": "목표 연도", "en": "Target year"},
    "ui.overview.of_series": {"ko": "{n} / {total}개", "en": "{n} of {total}"},
    "ui.overview.headline_note": {
        "ko": "‘지금’은 각 지수의 최신 판 기준입니다. TOP {target} 안: {names}. 목표 출처: {source}",
        "en": "“Now” means each series' latest edition. In the TOP {target}: {names}. Goal from: {source}",
    },
    "ui.overview.by_series": {"ko": "지수별 현황", "en": "Series by series"},
    "ui.overview.col.series": {"ko": "지수 · 담당 부서", "en": "Series · managing office"},
    "ui.overview.col.latest_edition": {"ko": "최신 판", "en": "Latest edition"},
    "ui.overview.col.latest_rank": {"ko": "최신 순위", "en": "Latest rank"},
    "ui.overview.col.change": {"ko": "직전 대비", "en": "Change"},
    "ui.overview.col.best": {"ko": "역대 최고", "en": "Best ever"},
    "ui.overview.col.to_goal": {"ko": "TOP {target}까지", "en": "To the TOP {target}"},
    "ui.overview.col.trend": {"ko": "순위 추이", "en": "Trend"},
    "ui.overview.office": {"ko": "담당: {office}", "en": "Managed by: {office}"},
    "ui.overview.published": {"ko": "발표 {month} · 수록 {n}개 판", "en": "published {month} · {n} editions loaded"},
    "ui.overview.published_unknown": {"ko": "발표월 미상 · 수록 {n}개 판", "en": "month unknown · {n} editions loaded"},
    "ui.overview.out_of": {"ko": "{n}개 도시 중", "en": "of {n} cities"},
    "ui.overview.last_ranked": {"ko": "마지막 순위: {edition} 판 {rank}", "en": "Last rank: {rank} in {edition}"},
    "ui.overview.never_ranked": {"ko": "수록된 판에서 발표된 순위가 없습니다", "en": "no published rank in any loaded edition"},
    "ui.overview.no_rank": {"ko": "순위 없음", "en": "no rank"},
    "ui.overview.no_previous": {"ko": "비교 대상 없음", "en": "nothing to compare"},
    "ui.overview.one_ranked": {"ko": "순위가 발표된 판이 하나뿐입니다", "en": "only one edition has a rank"},
    "ui.overview.between": {"ko": "{before} {before_rank} → {after} {after_rank}", "en": "{before} {before_rank} → {after} {after_rank}"},
    "ui.overview.unchanged": {"ko": "변동 없음", "en": "unchanged"},
    "ui.overview.best_in": {"ko": "{edition} 판 · 순위 있는 판 {n}개", "en": "in {edition} · {n} ranked editions"},
    "ui.overview.basis": {"ko": "기준: {edition} 판 {rank}", "en": "from {rank} in {edition}"},
    "ui.overview.places": {"ko": "{n}계단", "en": "{n} places"},
    "ui.overview.places_one": {"ko": "{n}계단", "en": "{n} place"},
    "ui.overview.in_goal": {"ko": "TOP {target} 안", "en": "in the TOP {target}"},
    "ui.overview.no_goal_gap": {"ko": "계산할 수 없음", "en": "cannot tell"},
    "ui.overview.no_trend": {"ko": "추이를 그릴 순위가 없습니다", "en": "no ranks to draw"},
    "ui.overview.footnote": {
        "ko": "▲는 순위가 오른 것(숫자가 작아짐), ▼는 내린 것입니다. 순위가 없는 판은 상태(발표 목록 밖, 평가 대상 아님, 자료 없음 등)로 표시합니다.",
        "en": "▲ means the city moved up (a smaller rank number), ▼ that it moved down. Editions without a rank show their status (outside the list, not covered, not found ...).",
    },
    "ui.trends.title": {"ko": "지수별 순위 추이", "en": "Rank trends by series"},
    "ui.trends.series": {"ko": "지수", "en": "Series"},
    "ui.trends.about": {
        "ko": "발행: {publisher} · 담당: {office} · 수록 {editions}개 판, {cities}개 도시",
        "en": "Published by {publisher} · managed by {office} · {editions} editions, {cities} cities loaded",
    },
    "ui.trends.cities": {"ko": "비교 도시", "en": "Cities to compare"},
    "ui.trends.cities_placeholder": {"ko": "도시를 고르세요", "en": "Choose cities"},
    "ui.trends.rank_chart": {"ko": "순위 (1위가 맨 위)", "en": "Rank (1st at the top)"},
    "ui.trends.rank_chart_help": {
        "ko": "굵은 선이 {city}입니다. 점선은 순위가 없는 판을 건너 잇습니다. 아래 띠의 ★는 방법론이 바뀐 판, ×는 {city}의 순위가 없는 판(상태는 표 참조)입니다. 점에 마우스를 올리면 순위·점수·상태·출처가 보입니다.",
        "en": "The thick line is {city}. Dotted lines bridge editions without a rank. In the strip below, ★ marks a methodology change and × an edition where {city} has no rank (see the table for its status). Hover a point for rank, score, status and source.",
    },
    "ui.trends.no_ranks": {"ko": "고른 도시에는 발표된 순위가 없습니다.", "en": "The chosen cities have no published rank."},
    "ui.trends.scores": {"ko": "점수", "en": "Scores"},
    "ui.trends.score_meaning": {"ko": "단위: {unit} · {scale} · {better}", "en": "Unit: {unit} · {scale} · {better}"},
    "ui.trends.no_scores": {"ko": "이 지수에는 수록된 점수가 없습니다.", "en": "No scores are loaded for this series."},
    "ui.trends.no_scores_chosen": {"ko": "고른 도시에는 점수가 없습니다.", "en": "The chosen cities have no scores."},
    "ui.trends.not_comparable": {
        "ko": "이 지수의 점수는 판마다 기준이 달라 판끼리 비교할 수 없습니다. 한 판 안에서 도시끼리 비교하세요.",
        "en": "This series' scores are not comparable across editions; compare cities within one edition.",
    },
    "ui.trends.score_edition": {"ko": "점수를 볼 판", "en": "Edition"},
    "ui.trends.table": {"ko": "수치와 출처", "en": "Figures and sources"},
    "ui.trends.methodology": {"ko": "방법론 메모", "en": "Methodology notes"},
    "ui.trends.edition_changes": {"ko": "판별 방법론 변경", "en": "Methodology changes by edition"},
    "ui.trends.no_notes": {"ko": "방법론 메모가 없습니다.", "en": "No methodology notes."},
    "ui.trends.components": {"ko": "{kind}별 순위", "en": "Rank by {kind}"},
    "ui.trends.no_components": {"ko": "이 지수에는 {kind}별 순위가 수록되지 않았습니다.", "en": "No {kind} ranks are loaded for this series."},
    "ui.trends.component_city": {"ko": "도시", "en": "City"},
    "ui.sources.title": {"ko": "출처와 수록 현황", "en": "Sources and coverage"},
    "ui.sources.intro": {
        "ko": "모든 수치는 data/raw/의 원장에서 출처 URL과 함께 옵니다. 아래는 지수별 발행 기관, 점수의 의미, 구성요소, 방법론, 수록된 판, 그리고 수치가 기대는 게재처와 표시(flag)입니다.",
        "en": "Every figure comes from the ledger in data/raw/ with its source URL. Below: per series the publisher, what the score means, components, methodology, editions loaded, and the outlets and flags the figures rest on.",
    },
    "ui.sources.by_status": {"ko": "상태별 행 수", "en": "Rows by status"},
    "ui.sources.by_publication": {"ko": "게재처별 행 수", "en": "Rows by publication"},
    "ui.sources.no_publication": {"ko": "(게재처 없음: 자료 없음 행)", "en": "(no publication: not-found rows)"},
    "ui.sources.publication_help": {"ko": "수치가 기대는 게재처 {n}곳.", "en": "{n} outlets the figures rest on."},
    "ui.sources.flags": {"ko": "비고의 표시(flag)", "en": "Flags in notes"},
    "ui.sources.flags_help": {
        "ko": "비고(note)에 표시가 대문자로 들어 있거나 비고가 그 말로 시작하는 행의 수입니다.",
        "en": "Rows whose note carries the flag in capitals, or opens with it.",
    },
    "ui.sources.catalogue": {"ko": "지수 카탈로그", "en": "The catalogue"},
    "ui.sources.publisher": {"ko": "발행 기관", "en": "Publisher"},
    "ui.sources.office": {"ko": "담당 부서", "en": "Managing office"},
    "ui.sources.cadence": {"ko": "발표 주기", "en": "Cadence"},
    "ui.sources.release_months": {"ko": "통상 발표월", "en": "Usual release months"},
    "ui.sources.cities_covered": {"ko": "대상 도시", "en": "Cities covered"},
    "ui.sources.score_unit": {"ko": "점수 단위", "en": "Score unit"},
    "ui.sources.score_scale": {"ko": "점수의 의미", "en": "What the score means"},
    "ui.sources.score_direction": {"ko": "점수 방향", "en": "Direction"},
    "ui.sources.score_comparable": {"ko": "판 사이 점수 비교 가능", "en": "Scores comparable across editions"},
    "ui.sources.ledger_file": {"ko": "원장 파일", "en": "Ledger files"},
    "ui.sources.components": {"ko": "구성요소 ({kind})와 가중치", "en": "Components ({kind}) and weights"},
    "ui.sources.no_components": {"ko": "카탈로그에 {kind} 구성요소가 없습니다.", "en": "No {kind} components in the catalogue."},
    "ui.sources.no_weights": {"ko": "가중치는 공개되지 않았습니다.", "en": "Weights are not published."},
    "ui.sources.methodology": {"ko": "방법론 메모", "en": "Methodology notes"},
    "ui.sources.editions": {"ko": "수록된 판", "en": "Editions loaded"},
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the message `key` in `lang`, filled with `values`."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def both(key: str, **values: object) -> str:
    """Return the message in Korean and English, for logs and the command line."""
    return f"{t(key, 'ko', **values)} / {t(key, 'en', **values)}"
