-- Frozen: the SQL migration 0011_accounts runs (rebuild_conversations: figures rebuilt set-based from messages), both dialects.
-- Generated once from the code of that revision; never edit (a change is a new migration).
DROP TABLE IF EXISTS easymo_conv
;
CREATE TEMPORARY TABLE easymo_conv AS SELECT id, waba_id, contact_wa_id, direction, created_at, updated_at, resp, new_s, SUM(new_s) OVER (PARTITION BY waba_id, contact_wa_id ORDER BY created_at, id ROWS UNBOUNDED PRECEDING) AS sn FROM (SELECT id, waba_id, contact_wa_id, direction, created_at, updated_at, CASE WHEN pdir IS NOT NULL AND pdir <> direction THEN created_at - pts END AS resp, CASE WHEN pts IS NULL OR created_at - pts > :gap_ms THEN 1 ELSE 0 END AS new_s FROM (SELECT id, waba_id, contact_wa_id, direction, created_at, updated_at, LAG(direction) OVER w AS pdir, LAG(created_at) OVER w AS pts FROM messages WHERE direction = 'in' OR wamid IS NOT NULL WINDOW w AS (PARTITION BY waba_id, contact_wa_id ORDER BY created_at, id)) AS a) AS b
;
CREATE INDEX easymo_conv_session ON easymo_conv (waba_id, contact_wa_id, sn)
;
INSERT INTO contacts (waba_id, wa_id, first_seen_at, last_inbound_at, last_outbound_at, messages_in, messages_out, replies, engagement_score, updated_at) SELECT waba_id, contact_wa_id, MIN(created_at), MAX(CASE WHEN direction = 'in' THEN created_at END), MAX(CASE WHEN direction = 'out' THEN created_at END), SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'in' AND resp IS NOT NULL THEN 1 ELSE 0 END), 0.0, MAX(updated_at) FROM easymo_conv GROUP BY waba_id, contact_wa_id ON CONFLICT (waba_id, wa_id) DO UPDATE SET first_seen_at = excluded.first_seen_at, last_inbound_at = excluded.last_inbound_at, last_outbound_at = excluded.last_outbound_at, messages_in = excluded.messages_in, messages_out = excluded.messages_out, replies = excluded.replies
;
UPDATE contacts SET engagement_score = 100.0 * (
  0.4 * (CASE WHEN last_inbound_at IS NULL THEN 0.0
              ELSE 1.0 / (1.0 + (CASE WHEN last_outbound_at > last_inbound_at
                                      THEN last_outbound_at - last_inbound_at ELSE 0 END)
                                / 604800000.0) END)
  + 0.3 * (messages_in * 1.0 / (messages_in + 5.0))
  + 0.3 * (CASE WHEN messages_out = 0 THEN 0.0 WHEN replies >= messages_out THEN 1.0
                ELSE replies * 1.0 / messages_out END))
;
INSERT INTO conversation_sessions (waba_id, contact_wa_id, started_at, last_message_at, messages_in, messages_out, duration_ms, user_response_ms_sum, user_response_count, business_response_ms_sum, business_response_count) SELECT waba_id, contact_wa_id, MIN(created_at), MAX(created_at), SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), MAX(created_at) - MIN(created_at), SUM(CASE WHEN direction = 'in' THEN COALESCE(resp, 0) ELSE 0 END), SUM(CASE WHEN direction = 'in' AND resp IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'out' THEN COALESCE(resp, 0) ELSE 0 END), SUM(CASE WHEN direction = 'out' AND resp IS NOT NULL THEN 1 ELSE 0 END) FROM easymo_conv GROUP BY waba_id, contact_wa_id, sn ORDER BY MIN(created_at), waba_id, contact_wa_id
;
UPDATE messages SET response_ms = c.resp, session_id = s.id FROM easymo_conv c, conversation_sessions s, (SELECT waba_id, contact_wa_id, sn, MIN(created_at) AS st FROM easymo_conv GROUP BY waba_id, contact_wa_id, sn) k WHERE messages.id = c.id AND k.waba_id = c.waba_id AND k.contact_wa_id = c.contact_wa_id AND k.sn = c.sn AND s.waba_id = k.waba_id AND s.contact_wa_id = k.contact_wa_id AND s.started_at = k.st
;
DELETE FROM activity_rollups
;
INSERT INTO activity_rollups (hour_start, waba_id, messages_in, messages_out, sessions_started, user_responses, user_response_ms_sum, business_responses, business_response_ms_sum) SELECT ((easymo_conv.created_at / 3600000) * 3600000) AS h, waba_id, SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), SUM(new_s), SUM(CASE WHEN direction = 'in' AND resp IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'in' THEN COALESCE(resp, 0) ELSE 0 END), SUM(CASE WHEN direction = 'out' AND resp IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN direction = 'out' THEN COALESCE(resp, 0) ELSE 0 END) FROM easymo_conv GROUP BY 1, 2
;
DROP TABLE easymo_conv
;
