"""What the registry does: records, share checks, history, lineage answers, policy; ingest and reports."""
