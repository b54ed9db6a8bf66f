-- Frozen: the SQL migration 0013_audit_log runs (drops the append-only guard of audit_log), sqlite.
-- Written once with that revision; never edit (a change is a new migration).
DROP TRIGGER IF EXISTS easymo_audit_log_no_delete
;
DROP TRIGGER IF EXISTS easymo_audit_log_no_update
;
