-- Statements that read a ledger CSV into DuckDB, where its rows are checked (pipelines/schemas.py).

-- name: hold_csv(path)!
-- The CSV at :path as a temporary table `held` of this cursor (it goes when the cursor closes): every cell
-- text, trimmed, an empty one missing; parsed strictly (a ragged row or bad UTF-8 is an error; a UTF-8 BOM is
-- allowed). Its `rowid` is the row's place in the file, from 0.
create or replace temp table held as
select nullif(trim(columns(*)), '') from read_csv(:path, header = true, all_varchar = true, strict_mode = true, null_padding = false,
                       auto_detect = true, sep = ',', quote = '"', escape = '"');
