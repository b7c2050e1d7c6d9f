"""The `bench` subcommand (filled in by the benchmark work)."""


def register(sub) -> None:
    """Add the `bench` subcommand."""
