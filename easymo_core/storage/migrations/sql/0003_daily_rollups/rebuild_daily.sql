-- Frozen: the SQL migration 0003_daily_rollups runs (rebuild_daily: figures rebuilt set-based from messages), both dialects.
-- Generated once from the code of that revision; never edit (a change is a new migration).
DELETE FROM delivery_rollups_daily
;
INSERT INTO delivery_rollups_daily (day_start, template_name, template_language, sent, delivered, read, failed, delivery_latency_sum_ms, delivery_latency_count, read_latency_sum_ms, read_latency_count, replied, clicks, dl_h00, dl_h01, dl_h02, dl_h03, dl_h04, dl_h05, dl_h06, dl_h07, dl_h08, dl_h09, dl_h10, dl_h11, rd_h00, rd_h01, rd_h02, rd_h03, rd_h04, rd_h05, rd_h06, rd_h07, rd_h08, rd_h09, rd_h10, rd_h11) SELECT (hour_start / 86400000) * 86400000, template_name, template_language, SUM(sent), SUM(delivered), SUM(read), SUM(failed), SUM(delivery_latency_sum_ms), SUM(delivery_latency_count), SUM(read_latency_sum_ms), SUM(read_latency_count), SUM(replied), SUM(clicks), SUM(dl_h00), SUM(dl_h01), SUM(dl_h02), SUM(dl_h03), SUM(dl_h04), SUM(dl_h05), SUM(dl_h06), SUM(dl_h07), SUM(dl_h08), SUM(dl_h09), SUM(dl_h10), SUM(dl_h11), SUM(rd_h00), SUM(rd_h01), SUM(rd_h02), SUM(rd_h03), SUM(rd_h04), SUM(rd_h05), SUM(rd_h06), SUM(rd_h07), SUM(rd_h08), SUM(rd_h09), SUM(rd_h10), SUM(rd_h11) FROM delivery_rollups GROUP BY 1, 2, 3
;
DELETE FROM error_rollups_daily
;
INSERT INTO error_rollups_daily (day_start, error_code, failures) SELECT (hour_start / 86400000) * 86400000, error_code, SUM(failures) FROM error_rollups GROUP BY 1, 2 HAVING SUM(failures) <> 0
;
DELETE FROM score_rollups
;
INSERT INTO score_rollups (hour_start, decile, contacts, score_sum) SELECT ((CASE WHEN contacts.last_inbound_at IS NULL THEN contacts.last_outbound_at WHEN contacts.last_outbound_at IS NULL OR contacts.last_inbound_at >= contacts.last_outbound_at THEN contacts.last_inbound_at ELSE contacts.last_outbound_at END) / 3600000) * 3600000, (CASE WHEN engagement_score < 10 THEN 0 WHEN engagement_score < 20 THEN 1 WHEN engagement_score < 30 THEN 2 WHEN engagement_score < 40 THEN 3 WHEN engagement_score < 50 THEN 4 WHEN engagement_score < 60 THEN 5 WHEN engagement_score < 70 THEN 6 WHEN engagement_score < 80 THEN 7 WHEN engagement_score < 90 THEN 8 ELSE 9 END), COUNT(*), SUM(engagement_score) FROM contacts WHERE (CASE WHEN contacts.last_inbound_at IS NULL THEN contacts.last_outbound_at WHEN contacts.last_outbound_at IS NULL OR contacts.last_inbound_at >= contacts.last_outbound_at THEN contacts.last_inbound_at ELSE contacts.last_outbound_at END) IS NOT NULL GROUP BY 1, 2
;
