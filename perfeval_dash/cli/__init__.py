"""The command line: `python -m perfeval_dash <command>`."""

from perfeval_dash.cli.commands import build_parser, main

__all__ = ["build_parser", "main"]
