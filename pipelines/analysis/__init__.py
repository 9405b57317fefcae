"""The rules that judge the data: what is due, and (as SQL views in sql/warehouse.sql) weaknesses and the goal."""
