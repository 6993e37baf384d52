"""Schema changes as numbered steps recorded in the store (issue 17): applied once, in order; a store written by
the release before them opens and gives the same figures."""

from __future__ import annotations

import pytest

from metrics import review, scorecard, store
from metrics.store import settings
from tests.conftest import fixture_store


def applied(con) -> list[int]:
    return [step for (step,) in store.fetch_rows(con, "SELECT step FROM migrations ORDER BY step")]


def test_a_new_store_records_every_step_once(tmp_path, monkeypatch):
    path = tmp_path / "new.duckdb"
    con = store.connect(path)
    assert applied(con) == [step for step, _ in store.MIGRATIONS] == [1, 2, 3, 4, 5, 6, 7, 8]
    con.close()

    def refuse(con, step):
        raise AssertionError(f"step {step} ran again")

    monkeypatch.setattr(store, "_apply", refuse)
    con = store.connect(path)          # opening it again applies nothing
    assert applied(con) == [1, 2, 3, 4, 5, 6, 7, 8]
    con.close()


def test_a_new_step_is_applied_once_on_an_existing_store(tmp_path, monkeypatch):
    path = tmp_path / "older.duckdb"
    store.connect(path).close()
    ran = []
    real = store._apply
    later = max(step for step, _ in store.MIGRATIONS) + 1   # the step after the last released one (issue 19: 5 and 6; issue 18: 7 and 8)
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, (later, "a step of a later release")))
    monkeypatch.setattr(store, "_apply", lambda con, step: ran.append(step) if step == later else real(con, step))
    store.connect(path).close()
    store.connect(path).close()
    assert ran == [later] == [9]


def test_a_store_of_the_release_before_the_steps_opens_with_the_same_figures(tmp_path):
    # The release before this change wrote the tables of sql/schema.sql (step 1 is that file as it was then) and
    # recorded no steps: dropping the record leaves such a store, with its data, its settings and its imports.
    path = tmp_path / "before.duckdb"
    con = fixture_store(path, tmp_path)
    settings.save(con, {"anonymity_threshold": 6})
    before = scorecard.scorecard(con, "2026-01"), review.review(con, "2025-12"), \
        store.fetch_rows(con, "SELECT count(*) FROM imports")
    con.execute("DROP TABLE migrations")
    con.close()

    con = store.connect(path)
    assert applied(con) == [1, 2, 3, 4, 5, 6, 7, 8]
    after = scorecard.scorecard(con, "2026-01"), review.review(con, "2025-12"), \
        store.fetch_rows(con, "SELECT count(*) FROM imports")
    assert after == before
    assert settings.anonymity_threshold(con) == 6     # the defaults of step 1 do not overwrite a saved setting
    con.close()


@pytest.mark.parametrize("step", [2, 3, 4, 5, 6, 7, 8])
def test_each_later_step_leaves_a_current_store_as_it_is(tmp_path, step):
    con = fixture_store(tmp_path / "current.duckdb", tmp_path)
    tables = store.fetch_rows(con, "SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY 1")
    card = scorecard.scorecard(con, "2026-01")
    store._apply(con, step)
    assert store.fetch_rows(con, "SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY 1") == tables
    assert scorecard.scorecard(con, "2026-01") == card
    con.close()


def test_step_6_makes_the_person_key_once_and_keeps_it(tmp_path):
    """The calendar imports' key for person ids (issue 19): 32 random bytes, one per store, the same after the store
    is opened again or the step runs again, and another store's is another."""
    path = tmp_path / "keyed.duckdb"
    con = store.connect(path)
    key = store.fetch_rows(con, "SELECT key FROM person_key")
    assert len(key) == 1 and len(bytes.fromhex(key[0][0])) == 32
    store._apply(con, 6)
    con.close()
    con = store.connect(path)
    assert store.fetch_rows(con, "SELECT key FROM person_key") == key
    con.close()
    other = store.connect(tmp_path / "other.duckdb")
    assert store.fetch_rows(other, "SELECT key FROM person_key") != key
    other.close()
