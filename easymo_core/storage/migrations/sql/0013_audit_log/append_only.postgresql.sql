-- Frozen: the SQL migration 0013_audit_log runs (the append-only guard of audit_log), postgresql.
-- Written once with that revision; never edit (a change is a new migration).
CREATE OR REPLACE FUNCTION easymo_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    -- Never SECURITY DEFINER: current_user must be whoever runs the statement. The owner
    -- (and a superuser) may, since they could drop this trigger anyway; nobody else.
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'only the owner of the table may change or remove audit rows';
END
$$
;
CREATE TRIGGER easymo_audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION easymo_audit_log_append_only()
;
CREATE TRIGGER easymo_audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION easymo_audit_log_append_only()
;
