"""Benchmark: every page against the floor (hand-written DuckDB over Parquet) and the usual pandas way.

`python -m perfeval_dash bench` runs it (see bench_cli.py); `run.run_all` is the entry point. Modules:
data (scale snapshots), states (filter states), figures (what each page computes, via the app's queries),
floor (one hand-written query per figure), usual (pandas + st.cache_data), compare (figure equality),
apprun (complete page runs through AppTest, in a child process), report (tables, machine, markdown).
"""
