-- Statements that set up a read-only session on the warehouse file (dashboard/data.py).

-- name: attach_warehouse(path)!
-- Attach the warehouse file, read-only, to a private in-memory database as `warehouse`.
attach :path as warehouse (read_only);

-- name: use_warehouse#
-- Make the attached warehouse the default catalogue of this connection or cursor.
use warehouse;
