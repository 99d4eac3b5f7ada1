"""Indexes derived from the store and kept in step with the audit log."""
