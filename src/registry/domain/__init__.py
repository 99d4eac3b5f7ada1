"""The domain: record kinds and their RDF mapping, the lineage graph and the legal rules as pure functions
over facts; no I/O."""
