"""The ingest room: reading uploaded workbooks and CSV, parsing cells, resolving rows, merging, diffing, the template."""
