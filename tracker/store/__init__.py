"""The store: all SQL lives in this package. SQLite by default, PostgreSQL by URL."""

from tracker.store.store import ApplyResult, Store

__all__ = ["ApplyResult", "Store"]
