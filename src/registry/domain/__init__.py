"""The domain: record kinds and their RDF mapping; no I/O."""
