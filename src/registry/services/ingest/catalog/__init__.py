"""Catalogue import: DCAT (any RDF syntax), DCAT-US data.json and CKAN answers, read into datasets through
the write path. One module per source format, the ids, the values, the report, and the import itself."""
