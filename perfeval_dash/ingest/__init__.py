"""The ingest room: reading uploads (xlsx, CSV), parsing cells, resolving rows, merging, diffing, the template."""
