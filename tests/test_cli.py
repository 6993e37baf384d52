"""The command line: import/export round trips, refusals that change nothing, imports and undo."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from metrics import ingest, store
from tests.conftest import FIXTURE_FILES, store_rows
from metrics.scorecard import scorecard

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics", *args, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)




def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    def cell(v):
        if pd.isna(v) or v == "":
            return ""
        try:
            return f"{float(v):.6g}"
        except ValueError:
            return str(v)
    return frame.astype(object).map(cell).sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("kind", list(ingest.KINDS))
def test_export_gives_back_the_imported_rows(kind, fixture_db, tmp_path):
    out = tmp_path / f"{kind}.csv"
    result = cli("export", kind, "--out", str(out), db=fixture_db)
    assert result.returncode == 0, result.stderr
    original_path = tmp_path / FIXTURE_FILES[kind]  # load_fixture copied/wrote it there
    original = pd.read_csv(original_path, dtype=str, keep_default_na=False)
    exported = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(exported.columns) == list(original.columns)
    assert len(exported) == len(original) > 0
    pd.testing.assert_frame_equal(normalised(exported), normalised(original))


def test_exported_file_reimports_as_nothing_new(fixture_db, tmp_path):
    out = tmp_path / "survey.csv"
    assert cli("export", "survey", "--out", str(out), db=fixture_db).returncode == 0
    before = store_rows(fixture_db)
    result = cli("import", "survey", str(out), db=fixture_db)
    assert result.returncode == 0, result.stderr
    assert "nothing new" in result.stdout
    assert store_rows(fixture_db) == before


def test_invalid_rows_refuse_the_whole_file(fixture_db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "response_id,submitted_at,business_unit,department,role,comm_vocabulary,comm_unheard,partner_strategic,partner_nps\n"
        "N1,2026-02-03 10:00:00,Alpha,marketing,staff,4,2,4,9\n"
        "N2,2026-02-30 10:00:00,Alpha,finance,staff,7,2,4,9\n"
        "N3,2026-02-03 10:00:00,Alpha,it,staff,4,2,4,11\n", encoding="utf-8")
    before = store_rows(fixture_db)
    result = cli("import", "survey", str(bad), db=fixture_db)
    assert result.returncode == 1
    errors = result.stderr
    assert "bad.csv: row 3, column 'submitted_at', value '2026-02-30 10:00:00': not a date" in errors
    assert "row 3, column 'department', value 'finance': must be one of: marketing, it, other" in errors
    assert "row 3, column 'comm_vocabulary', value '7': '7' is outside the 1–5 scale" in errors
    assert "row 4, column 'partner_nps', value '11': '11' is outside the 0–10 scale" in errors
    assert store_rows(fixture_db) == before


def test_skip_invalid_imports_the_valid_rows_and_logs_the_rest(fixture_db, tmp_path):
    bad = tmp_path / "partly.csv"
    bad.write_text(
        "response_id,submitted_at,business_unit,department,role,comm_vocabulary,partner_nps\n"
        "N1,2026-02-03 10:00:00,Alpha,marketing,staff,4,9\n"
        "N2,2026-02-03 10:00:00,Alpha,marketing,staff,9,9\n", encoding="utf-8")
    result = cli("import", "survey", str(bad), "--skip-invalid", db=fixture_db)
    assert result.returncode == 0, result.stderr
    log = json.loads(cli("imports", "--json", db=fixture_db).stdout)[-1]
    assert (log["rows_read"], log["rows_imported"], log["rows_skipped"]) == (2, 1, 1)
    assert json.loads(log["skipped_rows"])[0]["row"] == 3


def test_conflicting_response_is_refused(fixture_db, tmp_path):
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
        "R001,2026-01-15 09:30:00,Alpha,marketing,staff,1\n", encoding="utf-8")
    before = store_rows(fixture_db)
    result = cli("import", "survey", str(changed), db=fixture_db)
    assert result.returncode == 1
    assert "R001: already stored with different values" in result.stderr
    assert store_rows(fixture_db) == before


def test_unknown_column_and_unreadable_file_are_refused(fixture_db, tmp_path):
    odd = tmp_path / "odd.csv"
    odd.write_text("business_unit,department,month,headcount,salary\nAlpha,it,2026-02,5,100\n", encoding="utf-8")
    before = store_rows(fixture_db)
    result = cli("import", "headcount", str(odd), db=fixture_db)
    assert result.returncode == 1 and "unknown column 'salary'" in result.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 20)
    result = cli("import", "kpis", str(binary), db=fixture_db)
    assert result.returncode == 1 and "binary.csv" in result.stderr
    assert "Traceback" not in result.stderr
    assert store_rows(fixture_db) == before


def test_import_then_undo_restores_the_store(fixture_db, tmp_path):
    extra = tmp_path / "extra_kpis.csv"
    extra.write_text("business_unit,month,kpi,value\nAlpha,2026-02,margin_growth_pct,5.5\n", encoding="utf-8")
    before = store_rows(fixture_db)
    result = cli("import", "kpis", str(extra), db=fixture_db)
    assert result.returncode == 0, result.stderr
    import_id = json.loads(cli("imports", "--json", db=fixture_db).stdout)[-1]["import_id"]
    assert cli("undo", str(import_id), db=fixture_db).returncode == 0
    after = store_rows(fixture_db)
    assert {t: rows for t, rows in after.items() if t != "imports"} == \
           {t: rows for t, rows in before.items() if t != "imports"}
    assert "undone" in cli("imports", db=fixture_db).stdout
    again = cli("undo", str(import_id), db=fixture_db)
    assert again.returncode == 1 and "already undone" in again.stderr


def test_scorecard_json_matches_the_library(fixture_db):
    result = cli("scorecard", "--month", "2026-01", "--json", db=fixture_db)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    con = store.connect(fixture_db)
    assert printed == json.loads(json.dumps(scorecard(con, "2026-01")))
    assert set(printed) == {"month", "company", "business_units"}
    assert printed["company"]["chi"] == pytest.approx(61.613, abs=0.001)


def test_bad_month_is_a_clear_error(fixture_db):
    result = cli("scorecard", "--month", "October", "--json", db=fixture_db)
    assert result.returncode == 2 and "use YYYY-MM" in result.stderr


def test_missing_database_is_created_with_the_sample_data(tmp_path):
    db = tmp_path / "new" / "collab.duckdb"
    result = cli("init", db=db)
    assert result.returncode == 0, result.stderr
    assert "created from sample_data/" in result.stdout
    card = json.loads(cli("scorecard", "--month", "2026-10", "--json", db=db).stdout)
    assert len(card["business_units"]) == 6
    assert card["company"]["alignment_index"] is not None


def test_map_and_set_fill_what_a_file_lacks(fixture_db, tmp_path):
    odd = tmp_path / "renamed.csv"
    odd.write_text("response_id,submitted_at,department,role,Q1\nM1,2026-01-20 10:00:00,marketing,staff,5\n",
                   encoding="utf-8")
    result = cli("import", "survey", str(odd), "--map", "Q1=comm_vocabulary", "--set", "business_unit=Delta",
                 "--set", "wave=2025-12", db=fixture_db)
    assert result.returncode == 0, result.stderr
    con = store.connect(fixture_db)
    row = con.cursor().execute("""SELECT r.business_unit, r.wave, a.item_id, a.value FROM survey_responses r
                                  JOIN survey_answers a USING (response_id) WHERE response_id = 'M1'""").fetchall()
    assert row == [("Delta", "2025-12", "comm_vocabulary", 5)]


def test_replace_on_purpose_and_undo_brings_the_old_rows_back(fixture_db, tmp_path):
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
        "R001,2026-01-15 09:30:00,Alpha,marketing,staff,1\n", encoding="utf-8")
    before = store_rows(fixture_db)
    result = cli("import", "survey", str(changed), "--replace", db=fixture_db)
    assert result.returncode == 0, result.stderr
    assert "1 replaced" in result.stdout
    con = store.connect(fixture_db)
    answers = con.cursor().execute("SELECT item_id, value FROM survey_answers WHERE response_id = 'R001'").fetchall()
    con.close()
    assert answers == [("comm_vocabulary", 1)]
    import_id = json.loads(cli("imports", "--json", db=fixture_db).stdout)[-1]["import_id"]
    undone = cli("undo", str(import_id), db=fixture_db)
    assert undone.returncode == 0 and "restored 1 replaced rows of survey_responses" in undone.stdout
    after = store_rows(fixture_db)
    assert {t: r for t, r in after.items() if t != "imports"} == {t: r for t, r in before.items() if t != "imports"}


def test_undo_of_a_replaced_import_waits_for_the_replacing_one(fixture_db, tmp_path):
    first = tmp_path / "k1.csv"
    first.write_text("business_unit,month,kpi,value\nAlpha,2026-02,margin_growth_pct,1\n", encoding="utf-8")
    second = tmp_path / "k2.csv"
    second.write_text("business_unit,month,kpi,value\nAlpha,2026-02,margin_growth_pct,2\n", encoding="utf-8")
    assert cli("import", "kpis", str(first), db=fixture_db).returncode == 0
    assert cli("import", "kpis", str(second), db=fixture_db).returncode == 1            # a conflict
    assert cli("import", "kpis", str(second), "--replace", db=fixture_db).returncode == 0
    log = json.loads(cli("imports", "--json", db=fixture_db).stdout)
    first_id, second_id = log[-2]["import_id"], log[-1]["import_id"]
    refused = cli("undo", str(first_id), db=fixture_db)
    assert refused.returncode == 1 and f"undo import {second_id} first" in refused.stderr
    assert cli("undo", str(second_id), db=fixture_db).returncode == 0
    con = store.connect(fixture_db)
    assert con.cursor().execute("SELECT value FROM kpis WHERE month = '2026-02'").fetchall() == [(1.0,)]
    con.close()
    assert cli("undo", str(first_id), db=fixture_db).returncode == 0


def test_the_command_line_names_every_kind():
    from metrics.__main__ import KIND_NAMES

    assert set(KIND_NAMES) == set(ingest.KINDS)


def test_formula_cells_are_neutralised_on_export_and_round_trip(fixture_db, tmp_path):
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        "response_id,submitted_at,business_unit,department,role,comm_vocabulary,comment\n"
        'F1,2026-01-20 10:00:00,=HYPERLINK("http://x"),it,staff,4,-1 for speed\n'
        "F2,2026-01-20 10:00:00,@Delta,it,staff,4,+ great\n", encoding="utf-8")
    assert cli("import", "survey", str(hostile), db=fixture_db).returncode == 0
    out = tmp_path / "export.csv"
    assert cli("export", "survey", "--out", str(out), db=fixture_db).returncode == 0
    exported = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("response_id")
    assert exported.loc["F1", "business_unit"] == "'=HYPERLINK(\"http://x\")"
    assert exported.loc["F1", "comment"] == "'-1 for speed" and exported.loc["F2", "business_unit"] == "'@Delta"
    before = store_rows(fixture_db)
    again = cli("import", "survey", str(out), db=fixture_db)
    assert again.returncode == 0 and "nothing new" in again.stdout
    assert store_rows(fixture_db) == before


# File names are whatever the sender's machine allowed. Each of these characters would act on a terminal printed
# raw: colour or clear the screen (ESC, and CSI as one C1 byte), overwrite the line (CR), forge a second line
# (LF), ring the bell, reverse the text (U+202E); a name that is not UTF-8 at all raised UnicodeEncodeError.
HOSTILE_FILE_NAMES = {
    "a\x1b[31mred\x1b[0m over\rwrite two\nlines bell\x07\x7f c1\x9bcsi invoice\u202egnp.csv":
        "a\\x1b[31mred\\x1b[0m over\\x0dwrite two\\x0alines bell\\x07\\x7f c1\\x9bcsi invoice\\u202egnp.csv",
    os.fsdecode(b"caf\xe9.csv"): "caf\\xe9.csv",
}


@pytest.mark.parametrize("name, shown", [
    ("a\x1b[2Jb", "a\\x1b[2Jb"), ("\r\n\t\x00", "\\x0d\\x0a\\x09\\x00"), ("\x85\x9b\x7f", "\\x85\\x9b\\x7f"),
    ("\u202e\u2066\u200b\u2028", "\\u202e\\u2066\\u200b\\u2028"),
    ("Zürich café 東京 \\x1b.csv", "Zürich café 東京 \\x1b.csv")])   # letters stay; a visible escape stays as it is
def test_printable_shows_control_and_format_characters_as_escapes_and_is_idempotent(name, shown):
    from metrics.printable import printable

    assert printable(name) == shown
    assert printable(printable(name)) == shown
    assert shown.isprintable()


def no_control_characters(output: bytes) -> None:
    """Only printable text and line ends: no C0 byte but LF, no DEL, no C1 or bidi character once decoded."""
    assert not re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", output), output
    text = output.decode("utf-8")   # strict: a raw surrogate-escaped byte would not decode
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n" for ch in text), text


def test_file_names_reach_the_terminal_and_the_log_only_as_visible_escapes(fixture_db, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()

    def run(*args) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "metrics", *args, "--db", str(fixture_db)], cwd=ROOT,
                              capture_output=True, timeout=300)
        no_control_characters(done.stdout + done.stderr)
        return done

    for n, (name, shown) in enumerate(HOSTILE_FILE_NAMES.items()):
        bad, good = folder / f"bad-{name}", folder / name
        bad.write_bytes(b"response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
                        b"N1,2026-01-20 10:00:00,Beta,it,staff,9\n")
        good.write_text("response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
                        f"N{n}a,2026-01-20 10:00:00,Beta,it,staff,4\nN{n}b,2026-01-20 11:00:00,Beta,it,staff,5\n")
        refused = run("import", "survey", str(bad))
        assert refused.returncode == 1
        lines = refused.stderr.decode().splitlines()     # a newline in the name forges no line
        assert len(lines) == 3 and all(line.startswith(f"bad-{shown}: ") for line in lines)
        assert lines[0] == f"bad-{shown}: refused, nothing was imported."
        imported = run("import", "survey", str(good))
        assert imported.returncode == 0, imported.stderr
        assert imported.stdout.decode().splitlines()[0].startswith(f"{shown}: layout native; 2 rows read, 2 valid")
    name, shown = next(iter(HOSTILE_FILE_NAMES.items()))
    binary = folder / f"{name}.xlsx"
    binary.write_bytes(b"PK\x03\x04" + bytes(200))
    unreadable = run("import", "headcount", str(binary))          # refused by the reader (a LayoutError)
    assert unreadable.returncode == 1
    assert unreadable.stderr.decode().splitlines()[1].startswith(f"{shown}.xlsx: file: is not a readable Excel")
    missing = run("import", "survey", str(folder / f"gone-{name}"))
    assert missing.returncode == 2 and missing.stderr.decode() == f"{folder}/gone-{shown}: no such file.\n"
    # The import log holds each name as shown, and so does its listing.
    listing = run("imports").stdout.decode()
    assert all(shown in listing for shown in HOSTILE_FILE_NAMES.values())
    con = store.connect(fixture_db)
    try:
        logged = con.execute("SELECT file_name FROM imports ORDER BY import_id DESC LIMIT $n",
                             {"n": len(HOSTILE_FILE_NAMES)}).fetchall()
    finally:
        con.close()
    assert sorted(name for (name,) in logged) == sorted(HOSTILE_FILE_NAMES.values())
