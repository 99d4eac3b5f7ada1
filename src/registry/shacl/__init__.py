"""SHACL: the shapes compiled to SPARQL, and validation on the write path and over the whole store."""
