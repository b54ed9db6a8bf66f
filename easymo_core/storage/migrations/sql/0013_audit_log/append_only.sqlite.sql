-- Frozen: the SQL migration 0013_audit_log runs (the append-only guard of audit_log), sqlite.
-- Written once with that revision; never edit (a change is a new migration).
CREATE TRIGGER easymo_audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END
;
CREATE TRIGGER easymo_audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END
;
