"""The message processor (one path for every message) and the status ingest (one path
for every status), with bulk sends and fallbacks."""
