-- Frozen: the SQL migration 0011_accounts runs (drops every analytics trigger), sqlite.
-- Generated once from the code of that revision; never edit (a change is a new migration).
DROP TRIGGER IF EXISTS easymo_msg_out_ins
;
DROP TRIGGER IF EXISTS easymo_msg_out_rollup
;
DROP TRIGGER IF EXISTS easymo_msg_out_ins_rollup
;
DROP TRIGGER IF EXISTS easymo_msg_latency_ins
;
DROP TRIGGER IF EXISTS easymo_msg_latency_upd
;
DROP TRIGGER IF EXISTS easymo_msg_latency
;
DROP TRIGGER IF EXISTS easymo_msg_out_ins_conv
;
DROP TRIGGER IF EXISTS easymo_msg_in_ins
;
DROP TRIGGER IF EXISTS easymo_msg_out_error
;
DROP TRIGGER IF EXISTS easymo_msg_out_wamid
;
DROP TRIGGER IF EXISTS easymo_msg_out_del
;
DROP TRIGGER IF EXISTS easymo_session_satisfaction
;
DROP TRIGGER IF EXISTS easymo_rollup_daily_ins
;
DROP TRIGGER IF EXISTS easymo_rollup_daily_upd
;
DROP TRIGGER IF EXISTS easymo_rollup_daily_rekey
;
DROP TRIGGER IF EXISTS easymo_rollup_daily_del
;
DROP TRIGGER IF EXISTS easymo_error_daily_ins
;
DROP TRIGGER IF EXISTS easymo_error_daily_upd
;
DROP TRIGGER IF EXISTS easymo_error_daily_del
;
DROP TRIGGER IF EXISTS easymo_contact_score_ins
;
DROP TRIGGER IF EXISTS easymo_contact_score_upd
;
DROP TRIGGER IF EXISTS easymo_contact_score_del
;
