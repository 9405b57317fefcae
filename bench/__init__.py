"""The benchmark (`make bench`): real-data build against DuckDB's floor, a synthetic scale run, page renders."""
