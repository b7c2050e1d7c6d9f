"""The store room: the data contract, immutable Parquet snapshots, derived tables, and the data it ships with.

Only this room touches data files. `from perfeval_dash.store import Store, connect` is the way in.
"""

from perfeval_dash.store.snapshots import (
    Snapshot,
    StorageError,
    Store,
    StoreError,
    ValidationError,
    connect,
    reset_connections,
)

__all__ = ["Snapshot", "StorageError", "Store", "StoreError", "ValidationError", "connect", "reset_connections"]
