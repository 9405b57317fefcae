"""The rules that judge the data: what is due, and (as SQL views in sql/warehouse.sql) weaknesses and the goal."""

# The values the rule views give (sql/warehouse.sql), each shown through its message (label.*, goal.*).
WEAKNESS_LABELS = ("weakness", "neutral", "strength", "no_data")  # weaknesses.label
GOAL_STATUSES = ("on_course", "at_risk", "off_course", "unknown")  # top5_gap.status
