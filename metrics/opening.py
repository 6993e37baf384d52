"""Opening the store for the dashboard and the command line: a database file that does not exist yet is created
and loaded with the committed sample data, so that a first `make run` shows a dashboard.

This sits above the store (which knows nothing of sample data) and the import layer, which it imports only for a
new file: the commands that only read start without loading pandera and the export readers."""

from __future__ import annotations

import os
import threading

import duckdb

from metrics import store

_lock = threading.Lock()   # two threads opening one new file load the sample once


def open_store(db: str | os.PathLike | None = None, *, with_sample: bool = True, serve: bool = False
               ) -> duckdb.DuckDBPyConnection:
    """store.connect(db, serve=serve); a database file that did not exist yet is loaded with sample_data/
    (with_sample)."""
    with _lock:
        path = store.resolve_db_path(db)
        new = store.is_new_file(path)
        con = store.connect(path, serve=serve)
        if new and with_sample:
            from metrics import ingest   # the import machinery, for a new file only

            ingest.load_sample(con)
    return con
