"""Django's SQLite backend, with each query's placeholder conversion remembered.

Django writes queries with ``%s`` placeholders and its SQLite cursor rewrites them to
``?`` with a regular expression on every execution, about 10 µs for a query of the
length the reveal and audit paths run. The same few hundred query texts come back all
the time, so the converted text is kept in a bounded cache. The cache holds query
texts only, because parameter values are passed separately and are never part of
the key.
"""

from __future__ import annotations

import functools

from django.db.backends.sqlite3 import base

# Distinct query texts an installation runs are in the hundreds; IN lists of
# varying length add more, and the least recently used then leave.
CACHED_QUERIES = 2048


@functools.lru_cache(maxsize=CACHED_QUERIES)
def _to_qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return _to_qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> SQLiteCursorWrapper:
        return self.connection.cursor(factory=SQLiteCursorWrapper)
