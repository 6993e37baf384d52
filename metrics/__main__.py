"""The command line: `python -m metrics COMMAND`, doing from a shell what the pages do."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from metrics import opening, store, vocabulary
from metrics.catalog import LINKAGE_INDEXES
from metrics.printable import printable

# The kinds of data (metrics.ingest.KINDS; a test keeps the two equal). Named here so that commands which do
# not import anything, like scorecard, start without loading the import machinery (pandera, layouts).
KIND_NAMES = ("items", "survey", "headcount", "meetings", "attendance", "projects", "kpis", "commentary",
              "decision_rights", "decisions", "actions", "collaboration")

# Commands that only read the store and print. When one has run, its output is flushed and its connection closed,
# so the process ends without the interpreter's teardown: freeing pandas, pyarrow and duckdb module by module
# costs about 0.08 s, an eighth of a `scorecard` command. Commands that write files, start a browser (kaleido)
# or use temporary directories keep the ordinary exit, which runs their clean-up.
READ_ONLY_COMMANDS = ("scorecard", "linkage", "review")

_connections = []  # opened by this command; main() closes them


class _SurveyLayouts:
    """--format's choices: "auto" and the survey reader's own list (metrics.ingest.layouts.LAYOUTS). The reader is
    imported only when argparse checks a --format or prints the import command's help, so that commands like
    scorecard start without it (about 0.06 s)."""

    def _names(self) -> tuple[str, ...]:
        from metrics.ingest.layouts import LAYOUTS

        return ("auto", *LAYOUTS)

    def _tools(self) -> tuple[str, ...]:
        """Issue 19: projects take a tracker's export (jira, asana), kpis a finance wide sheet (wide), from the
        readers' own lists; accepted here, and checked against the kind by the import (prepare_import)."""
        from metrics.ingest import finance, trackers

        return (*trackers.LAYOUTS, *finance.LAYOUTS)

    def __contains__(self, name: object) -> bool:
        return name in self._names() or name in self._tools() or name == "viva"   # the collaboration kind's Viva Insights exports

    def __iter__(self):
        return iter(self._names())


def _connect(args):
    con = opening.open_store(args.db)
    _connections.append(con)
    return con


def cmd_init(args) -> int:
    path = store.resolve_db_path(args.db)
    existed = os.path.exists(path)
    try:
        con = _connect(args)
    except store.StoreBusy:
        if existed:  # a running dashboard holds it: it exists, which is all `make run`/`make test` need
            print(f"{path}: exists (in use by a running dashboard)")
            return 0
        raise
    counts = store.fetch_rows(con, "SELECT (SELECT count(*) FROM survey_responses), (SELECT count(*) FROM imports)")[0]
    state = "exists" if existed else "created from sample_data/"
    print(f"{path}: {state}; {counts[0]} survey responses from {counts[1]} imports")
    return 0


def cmd_serve(args) -> int:
    """Hold the store and serve it until SIGTERM or Ctrl-C. The token goes to STORE.server (mode 0600), never to
    the screen or a log."""
    import signal
    import threading

    from metrics.store import served

    path = store.resolve_db_path(args.db)
    if served.is_address(path) or path == ":memory:":
        print("serve takes a database file: --db PATH", file=sys.stderr)
        return 2
    con = _connect(args)
    if store.is_remote(con):
        print(f"{path} is served already, at {con.address}.", file=sys.stderr)
        return 3
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    address = store.serve_store(con, path, args.host, args.port)
    try:
        print(f"Serving {path} at {address}. Clients: --db {address} with COLLAB_DB_TOKEN_FILE="
              f"{served.sidecar(path)} (or COLLAB_DB_TOKEN); on this machine --db {path} finds it. Ctrl-C stops.",
              flush=True)
        stop.wait()
    finally:
        served.forget(path)
    return 0


def cmd_sample(args) -> int:
    from metrics.sample import collaboration_paths, write_sample

    from metrics.sample import tool_exports

    paths = {**write_sample(args.out, seed=args.seed, scale=args.scale), **collaboration_paths(args.out)}
    paths |= {name: Path(args.out) / file for name, file in tool_exports.FILE_NAMES.items()}   # issue 19's examples
    width = max(map(len, paths))   # the longest kind (decision_rights) sets the column
    for kind, path in paths.items():
        print(f"{kind:<{width}} {path}")
    from metrics.sample.calendar import FILE_NAMES as CALENDAR_FILES   # the meetings as an .ics, and its roster

    for what, name in CALENDAR_FILES.items():
        print(f"{what:<{width}} {Path(args.out) / name}")
    return 0


def _pairs(pairs: list[str] | None, option: str) -> dict[str, str]:
    """--set COLUMN=VALUE / --map SOURCE=ITEM_ID pairs as a dict."""
    result = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"{option} takes NAME=VALUE, not {pair!r}")
        result[key.strip()] = value.strip()
    return result


def cmd_import(args) -> int:
    from metrics import ingest

    path = Path(args.file)
    if not path.is_file():
        print(f"{printable(args.file)}: no such file.", file=sys.stderr)
        return 2
    if args.roster is not None and not Path(args.roster).is_file():
        print(f"{printable(args.roster)}: no such file (the roster).", file=sys.stderr)
        return 2
    try:
        rules = ingest.calendar.rules_argument(args.rule)
    except ValueError as error:
        raise SystemExit(f"--rule: {error}")
    con = _connect(args)
    try:
        report = ingest.import_file(con, args.kind, path, layout=args.format, constants=_pairs(args.set, "--set"),
                                    mapping=_pairs(args.map, "--map"), date_order=args.date_order,
                                    skip_invalid=args.skip_invalid, replace=args.replace, dry_run=args.dry_run,
                                    allow_any_date=args.allow_any_date, roster=args.roster, rules=rules,
                                    percent_as=args.percent_as)
    except ingest.ImportRefused as refused:
        # The file's name, and the columns and cells a problem quotes, come from outside: no control character
        # of theirs reaches the terminal (metrics.printable).
        name = printable(refused.file_name)
        print(f"{name}: refused, nothing was imported.", file=sys.stderr)
        for line in refused.problems:
            print(f"{name}: {printable(line)}", file=sys.stderr)
        return 1
    name = printable(report.file_name)
    if not report.dry_run and report.import_id is None:
        print(f"{name}: nothing new: all {report.rows_valid} valid rows are already stored; "
              "nothing changed.")
        return 0
    verb = "would import" if report.dry_run else "imported"
    print(f"{name}: layout {report.layout}; {report.rows_read} rows read, {report.rows_valid} valid; "
          f"{verb} {report.rows_imported if not report.dry_run else report.rows_valid}"
          + ("" if report.dry_run else f", {report.rows_unchanged} already stored")
          + (f", {report.rows_replaced} replaced" if report.rows_replaced else "")
          + (f"; skipped {report.rows_skipped} invalid rows" if report.rows_skipped else "")
          + (f" (import {report.import_id})" if report.import_id else ""))
    if ingest.masked_summary(report):
        print(f"{name}: {ingest.masked_summary(report)}")
    for note in report.notes:   # a reader's own: what it read and the rules it used, invitations, guests
        print(f"{name}: {printable(note)}")
    for problem in report.problems:
        print(f"{name}: skipped {printable(problem)}")
    if report.dropped_columns:
        print(f"{name}: not stored: {printable(', '.join(report.dropped_columns))}")
    if report.kind == "survey" and not report.dry_run:
        for note in ingest.held_notes(con):
            print(f"{name}: {printable(note)}")
    return 0


def cmd_imports(args) -> int:
    from metrics import ingest

    frame = ingest.list_imports(_connect(args))
    if args.json:
        print(frame.to_json(orient="records", date_format="iso"))
        return 0
    if frame.empty:
        print("No imports yet.")
        return 0
    for row in frame.itertuples():
        state = f"undone {row.undone_at:%Y-%m-%d %H:%M}" if row.undone_at is not None and str(row.undone_at) != "NaT" else ""
        name = printable(row.file_name)   # stored as given before names were made safe on the way in
        print(f"{row.import_id:>4}  {row.imported_at:%Y-%m-%d %H:%M}  {row.kind:<10} {name:<28} "
              f"{row.layout:<8} read {row.rows_read:>6}  new {row.rows_imported:>6}  same {row.rows_unchanged:>6}  "
              f"skipped {row.rows_skipped:>4}  by {row.imported_by}  {state}".rstrip())
    return 0


def cmd_undo(args) -> int:
    from metrics import ingest

    try:
        con = _connect(args)
        removed = ingest.undo(con, args.import_id)
    except ingest.UndoRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    parts = [f"restored {n} replaced rows of {t.split()[0]}" if t.endswith("restored") else f"removed {n} rows from {t}"
             for t, n in removed.items()]
    print(f"Undid import {args.import_id}: " + ", ".join(parts))
    for note in ingest.held_notes(con):
        print(printable(note))
    return 0


def cmd_scorecard(args) -> int:
    from metrics.scorecard import scorecard

    result = scorecard(_connect(args), args.month, args.business_unit)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    from metrics.catalog import SCORECARD_COLUMNS

    rows = [("Company", result["company"])] + [(u["business_unit"], u) for u in result["business_units"]]
    print(f"Scorecard {result['month']}")
    print(f"{'':<22}" + "".join(f"{name[:14]:>15}" for name in SCORECARD_COLUMNS))
    for name, values in rows:
        cells = "".join(f"{'-' if values[c] is None else format(values[c], '.1f'):>15}" for c in SCORECARD_COLUMNS)
        print(f"{name:<22}{cells}")
    return 0


def cmd_review(args) -> int:
    from metrics.review import review, review_lines

    result = review(_connect(args), args.month)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("\n".join(review_lines(result)))
    return 0


def cmd_linkage(args) -> int:
    from metrics import linkage

    con = _connect(args)
    known = linkage.kpi_names(con)
    if args.kpi not in known:
        print(f"unknown KPI {args.kpi!r}; the store holds: {', '.join(known) or 'none'}", file=sys.stderr)
        return 2
    result = linkage.linkage(con, args.kpi, args.index, args.max_lag)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['index']} against {result['kpi']}")
    print(f"{'lag':>4} {'n':>5} {'r':>7} {'95% CI':>17} {'p':>9} {'rho':>7} {'within':>7}")
    for row in result["lags"]:
        if row["pearson_r"] is None:
            print(f"{row['lag']:>4} {row['n']:>5}   too few pairs")
            continue
        print(f"{row['lag']:>4} {row['n']:>5} {row['pearson_r']:>+7.3f} {row['ci_low']:>+8.3f}..{row['ci_high']:<+7.3f}"
              f" {linkage.p_text(row['p_value']):>9} {row['spearman_rho']:>+7.3f}"
              f" {row['within_unit_r'] or float('nan'):>+7.3f}")
    return 0


def cmd_boardpack(args) -> int:
    from metrics import boardpack
    from metrics.charts import images

    out = Path(args.out)
    if out.suffix.lower() not in (".pptx", ".pdf"):
        print(f"{printable(out)}: the board pack is written as .pptx or .pdf; name the file accordingly.",
              file=sys.stderr)
        return 2
    con = _connect(args)
    from metrics.scorecard import months_available

    if args.month not in months_available(con):
        print(f"no data for {args.month}; the store holds {months_available(con)[0]} to {months_available(con)[-1]}"
              if months_available(con) else "the store holds no data yet", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    kind = "pptx_path" if out.suffix.lower() == ".pptx" else "pdf_path"
    try:
        result = boardpack.build_pack(con, args.month, **{kind: out})
    except images.ImagesUnavailable as missing:
        print(str(missing), file=sys.stderr)
        return 1
    print(f"{printable(out)}: {len(result['slides'])} slides for {args.month} in {result['seconds']:.1f} s")
    return 0


def cmd_export(args) -> int:
    from metrics import ingest

    count = ingest.export(_connect(args), args.kind, args.out)
    print(f"{printable(args.out)}: {count} {args.kind} rows")
    return 0


def cmd_settings(args) -> int:
    from metrics.store import settings

    con = _connect(args)
    if args.pairs:
        values = {key: _whole_number(value) for key, value in _pairs(args.pairs, "settings").items()}
        try:
            changed = settings.save(con, values)
        except settings.SettingsRefused as refused:
            print("Nothing was saved.", file=sys.stderr)
            for problem in refused.problems:
                print(problem, file=sys.stderr)
            return 1
        for key, (old, new) in changed.items():
            print(f"{key}: {old} -> {new}")
        if not changed:
            print("Nothing changed: every value given is the one in force.")
        return 0
    stored = settings.current(con)
    width = max(len(s.key) for s in settings.SETTINGS)
    for setting in settings.SETTINGS:
        print(f"{setting.key:<{width}}  {stored[setting.key]:>5}  ({setting.minimum}-{setting.maximum})  "
              f"{setting.label}. {setting.help}")
    return 0


def _whole_number(text: str) -> int | str:
    """A setting's value as given on the command line: a whole number, or the text for the checks to refuse."""
    try:
        return int(text)
    except ValueError:
        return text


def _month(text: str) -> str:
    if not vocabulary.MONTH_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-10")
    return text


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m metrics", description="Collaboration Health from the command line.")
    sub = main.add_subparsers(dest="command", required=True)

    def with_db(p):
        p.add_argument("--db", help="database file, or a store server's address quack:HOST:PORT (default: $COLLAB_DB, "
                                    "else data/collab.duckdb)")
        return p

    p = with_db(sub.add_parser("init", help="create the database (loaded with the sample data) if there is none"))
    p.set_defaults(func=cmd_init)

    p = with_db(sub.add_parser("serve", help="serve the store to other processes and machines (DuckDB's quack "
                                             "protocol) until stopped"))
    p.add_argument("--host", default="localhost", help="the address to listen on (default: the loopback address)")
    p.add_argument("--port", type=int, default=None, help="the port (default: a free one)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("sample", help="write the deterministic sample data set")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--out", default="sample_data")
    p.set_defaults(func=cmd_sample)

    p = with_db(sub.add_parser("import", help="import a file, all or nothing"))
    p.add_argument("kind", choices=list(KIND_NAMES))
    p.add_argument("file")
    p.add_argument("--format", default="auto", choices=_SurveyLayouts(), metavar="LAYOUT",
                   help="the file's layout: %(choices)s (default: %(default)s); for projects also jira or asana "
                        "(trackers' CSV exports), for kpis also wide (a finance sheet, months as columns), for "
                        "collaboration viva (a Microsoft Viva Insights group-to-group query)")
    p.add_argument("--set", action="append", metavar="COLUMN=VALUE", help="a constant for a column the file lacks")
    p.add_argument("--map", action="append", metavar="SOURCE_COLUMN=ITEM_ID",
                   help="map a column to an item id or a field (business_unit, department, role, wave, comment); "
                        "remembered for the next file of the same layout and questions. Trackers: a column to a "
                        "field ('Custom field (Budget)=budget') or a value to a status or choice ('Status:In "
                        "Review=active'); finance: a sheet or KPI name to a KPI ('Margin=margin_growth_pct'); "
                        "remembered per tool. Collaboration, and meetings from a Viva meeting query: "
                        "'ORGANIZATION=marketing|it|other[@BUSINESS_UNIT]', remembered for every Viva file")
    p.add_argument("--percent-as", choices=["fraction", "percent"],
                   help="finance sheets: whether a bare 0.052 in a _pct KPI is a fraction (5.2%%) or a percent, "
                        "when the values do not say")
    p.add_argument("--date-order", choices=["dmy", "mdy", "ymd"],
                   help="how to read dates like 03/04/2026 when the file does not settle it")
    p.add_argument("--skip-invalid", action="store_true", help="import the valid rows and log the others")
    p.add_argument("--replace", action="store_true",
                   help="replace stored rows that have the same id but different values (undo restores them)")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.add_argument("--allow-any-date", action="store_true",
                   help="accept dates and months before 2000 or more than a year after today (refused otherwise: "
                        "they are usually typos, such as 9999-12-31)")
    p.add_argument("--roster", metavar="FILE",
                   help="meetings from a calendar (.ics): the people roster (CSV or Excel: e-mail, department, role, "
                        "business unit) that maps attendees; addresses are never stored")
    p.add_argument("--rule", action="append", metavar="PATTERN=TYPE",
                   help="meetings from a calendar or a Viva Insights meeting query: a subject rule (a case-insensitive "
                        "regular expression) giving the meeting type, or 'ignore'; remembered for the next file")
    p.set_defaults(func=cmd_import)

    p = with_db(sub.add_parser("imports", help="list imports"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_imports)

    p = with_db(sub.add_parser("undo", help="remove everything one import brought"))
    p.add_argument("import_id", type=int)
    p.set_defaults(func=cmd_undo)

    p = with_db(sub.add_parser("scorecard", help="the month's scorecard"))
    p.add_argument("--month", required=True, type=_month)
    p.add_argument("--business-unit")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_scorecard)

    p = with_db(sub.add_parser("review", help="the month's review: notes, decisions, decision rights, actions and "
                                              "their effect"))
    p.add_argument("--month", required=True, type=_month)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_review)

    p = with_db(sub.add_parser("linkage", help="an index against a KPI at lags 0..max-lag"))
    p.add_argument("--kpi", required=True)
    p.add_argument("--index", default="alignment_index", choices=list(LINKAGE_INDEXES))
    p.add_argument("--max-lag", type=int, default=6, choices=range(0, 13), metavar="0-12")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_linkage)

    p = with_db(sub.add_parser("boardpack", help="the month's board pack as PowerPoint or PDF"))
    p.add_argument("--month", required=True, type=_month)
    p.add_argument("--out", required=True, help="FILE.pptx or FILE.pdf")
    p.set_defaults(func=cmd_boardpack)

    p = with_db(sub.add_parser("settings", help="list the admin settings with their bounds, or change them",
                               description="With no KEY=VALUE, lists every setting, its value and its bounds. "
                                           "With some, saves them all or none, with the Data page's checks."))
    p.add_argument("pairs", nargs="*", metavar="KEY=VALUE")
    p.set_defaults(func=cmd_settings)

    p = with_db(sub.add_parser("export", help="write stored data in the native template layout"))
    p.add_argument("kind", choices=list(KIND_NAMES))
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_export)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (store.StoreBusy, store.StoreGone, store.StoreUnreadable) as busy:
        print(" ".join(str(busy).split()), file=sys.stderr)
        return 3
    except Exception as error:
        # A value in the store that no check foresaw (a date of 9999-12-31 an import was told to accept, a value
        # written by hand) says what it is in one line, with the way out, not in a traceback.
        if os.environ.get("COLLAB_DEBUG"):
            raise
        what = " ".join(str(error).split())[:300].rstrip(".") or type(error).__name__
        print(f"{args.command} failed: {printable(what)}. This comes from the stored data: `python -m metrics imports` lists "
              "the imports and `python -m metrics undo ID` removes one (COLLAB_DEBUG=1 shows the traceback).",
              file=sys.stderr)
        return 1
    finally:
        while _connections:
            _connections.pop().close()


if __name__ == "__main__":
    code = main()
    if sys.argv[1:2] and sys.argv[1] in READ_ONLY_COMMANDS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
