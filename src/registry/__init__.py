"""A knowledge-graph registry of government datasets, lineage, agreements and legal basis."""

__version__ = "0.1.0"
