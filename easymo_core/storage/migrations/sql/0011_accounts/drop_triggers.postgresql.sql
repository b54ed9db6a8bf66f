-- Frozen: the SQL migration 0011_accounts runs (drops every analytics trigger), postgresql.
-- Generated once from the code of that revision; never edit (a change is a new migration).
DROP TRIGGER IF EXISTS easymo_msg_out_ins ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_out_ins_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_out_rollup ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_out_rollup_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_out_ins_rollup ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_out_ins_rollup_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_latency_ins ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_latency_ins_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_latency_upd ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_latency_upd_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_latency ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_latency_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_out_ins_conv ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_out_ins_conv_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_in_ins ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_in_ins_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_out_error ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_out_error_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_out_wamid ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_out_wamid_fn()
;
DROP TRIGGER IF EXISTS easymo_msg_out_del ON messages
;
DROP FUNCTION IF EXISTS easymo_msg_out_del_fn()
;
DROP TRIGGER IF EXISTS easymo_session_satisfaction ON conversation_sessions
;
DROP FUNCTION IF EXISTS easymo_session_satisfaction_fn()
;
DROP TRIGGER IF EXISTS easymo_rollup_daily_ins ON delivery_rollups
;
DROP FUNCTION IF EXISTS easymo_rollup_daily_ins_fn()
;
DROP TRIGGER IF EXISTS easymo_rollup_daily_upd ON delivery_rollups
;
DROP FUNCTION IF EXISTS easymo_rollup_daily_upd_fn()
;
DROP TRIGGER IF EXISTS easymo_rollup_daily_rekey ON delivery_rollups
;
DROP FUNCTION IF EXISTS easymo_rollup_daily_rekey_fn()
;
DROP TRIGGER IF EXISTS easymo_rollup_daily_del ON delivery_rollups
;
DROP FUNCTION IF EXISTS easymo_rollup_daily_del_fn()
;
DROP TRIGGER IF EXISTS easymo_error_daily_ins ON error_rollups
;
DROP FUNCTION IF EXISTS easymo_error_daily_ins_fn()
;
DROP TRIGGER IF EXISTS easymo_error_daily_upd ON error_rollups
;
DROP FUNCTION IF EXISTS easymo_error_daily_upd_fn()
;
DROP TRIGGER IF EXISTS easymo_error_daily_del ON error_rollups
;
DROP FUNCTION IF EXISTS easymo_error_daily_del_fn()
;
DROP TRIGGER IF EXISTS easymo_contact_score_ins ON contacts
;
DROP FUNCTION IF EXISTS easymo_contact_score_ins_fn()
;
DROP TRIGGER IF EXISTS easymo_contact_score_upd ON contacts
;
DROP FUNCTION IF EXISTS easymo_contact_score_upd_fn()
;
DROP TRIGGER IF EXISTS easymo_contact_score_del ON contacts
;
DROP FUNCTION IF EXISTS easymo_contact_score_del_fn()
;
