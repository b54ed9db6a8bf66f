-- Frozen: the SQL migration 0013_audit_log runs (drops the append-only guard of audit_log), postgresql.
-- Written once with that revision; never edit (a change is a new migration).
DROP TRIGGER IF EXISTS easymo_audit_log_no_truncate ON audit_log
;
DROP TRIGGER IF EXISTS easymo_audit_log_no_change ON audit_log
;
DROP FUNCTION IF EXISTS easymo_audit_log_append_only()
;
