"""Finance's wide KPI sheets read into the kpis kind's native columns (issue 19): business units as rows, months as
columns, one KPI a sheet (the sheet's name) or a KPI column, .xlsx or CSV.

- Month headers: 2026-10, 2026/10, 10/2026, Oct 2026, Oct-26, Oct '26, October 2026, 2026 Oct, and Excel date cells
  (any day of the month: finance heads a month with its first or last day). Two-digit years are 20xx. Fiscal
  periods (FY26 M01, P01, Q1) are refused with what to do: which calendar month a fiscal period is depends on
  when the company's fiscal year starts, which the sheet does not say.
- A title above the header is skipped: the header is the first of a sheet's first ten rows with a month in it.
- Values: 5.2, -3.1, (3.1) (an accountant's negative), 1,234.5, 5,2 (a decimal comma), €120 and 5.2% (5.2: the
  store keeps percentages as percents). A blank cell is missing, not zero; a dash is refused (zero or blank?).
- A bare 0.052 in a KPI whose name ends _pct could be a fraction (5.2%) or a percent (0.052%). The values settle
  it when any bare value of that KPI is above 1 in size (then they are percents); otherwise the import asks
  (--percent-as fraction|percent, a choice on the Data page). A cell formatted as a percentage in Excel is read as
  Excel shows it (5.2%), so it needs no answer.
- Total and subtotal rows ('Total', 'Company', 'Group') are skipped and reported, never imported as a unit.
- A sheet name or KPI-column value that is not a KPI's name is mapped once (--map 'Margin=margin_growth_pct',
  remembered as saved_mappings' 'finance_kpis'), or named for a one-KPI file with --set kpi=NAME. Names are
  matched without case, spaces or punctuation, '%' read as 'pct': 'Margin growth %' is margin_growth_pct.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import duckdb
import pandas as pd

import metrics.ingest.mapping as mapping_module
from metrics.ingest.adapted import SIGNATURE, Adapted, rules_table
from metrics.ingest.grid import ZIP_MAGIC, XLSX_MAX_UNPACKED, Grid, read_grid, read_sheets
from metrics.vocabulary import SNAKE

LAYOUTS: tuple[str, ...] = ("wide",)
PERCENT_AS = ("fraction", "percent")
RULES_LAYOUT = "finance_kpis"
# The KPIs DESIGN.md names; with those already stored, the names a sheet is matched to.
KNOWN_KPIS = ("margin_growth_pct", "revenue_growth_pct", "customer_nps", "campaign_time_to_market_days",
              "martech_budget_share_pct", "shadow_it_tools")
MONTH_NAMES = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
TOTALS = {"total", "totals", "grand total", "subtotal", "sub-total", "sub total", "company", "company total",
          "group", "group total", "all units", "all", "sum", "overall"}
UNIT_HEADERS = {"business unit", "business_unit", "unit", "bu", "division", "entity", "segment", "region"}
KPI_HEADERS = {"kpi", "kpi name", "metric", "measure", "indicator", "line item"}
HEADER_SEARCH = 10
DASHES = {"-", "–", "—"}
MISSING = {"n/a", "na", "#n/a"}

_YM = re.compile(r"(\d{4})[-/.](\d{1,2})")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T]00:00(?::00)?")   # an Excel date cell, as the grid gives it
_MY = re.compile(r"(\d{1,2})[-/.](\d{4})")
_NAME_YEAR = re.compile(r"([A-Za-z]{3,9})\.?[\s\-'’/.]*(\d{4}|\d{2})")
_YEAR_NAME = re.compile(r"(\d{4})[\s\-/]+([A-Za-z]{3,9})")
_FISCAL = re.compile(r"(?i)^(fy\s*'?\d{2,4}|p\s*\d{1,2}\b|q[1-4]\b|period\s*\d|m\d{2}\b|h[12]\b)")


class FiscalHeader(ValueError):
    """A fiscal-period header (FY26 M01, P01, Q1): no calendar month without the fiscal year's start."""


def month_of(header: str | None) -> str | None:
    """The YYYY-MM a column header stands for, or None if it is no month. Raises FiscalHeader for a fiscal
    period, which names no calendar month by itself."""
    text = " ".join(str(header or "").split())
    if not text:
        return None
    for pattern, year_group, month_group in ((_DATE, 1, 2), (_YM, 1, 2), (_MY, 2, 1)):
        found = pattern.fullmatch(text)
        if found:
            return _month(int(found.group(year_group)), int(found.group(month_group)))
    found = _NAME_YEAR.fullmatch(text) or _YEAR_NAME.fullmatch(text)
    if found:
        name, year = (found.group(1), found.group(2)) if found.re is _NAME_YEAR else (found.group(2), found.group(1))
        number = MONTH_NAMES.get(name.casefold())
        if number is not None:
            return _month(int(year) + (2000 if len(year) == 2 else 0), number)
    if _FISCAL.match(text):
        raise FiscalHeader(text)
    return None


def _month(year: int, month: int) -> str | None:
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and 1900 <= year <= 2999 else None


def kpi_name(text: str) -> str:
    """A sheet's or row's name as a KPI name would be written: 'Margin growth %' -> margin_growth_pct."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).casefold().replace("%", " pct")).strip("_")


def number_of(text: str) -> tuple[float, bool]:
    """(value, written with %) of a cell; ValueError, with the reason, if it is not a number."""
    clean = str(text).strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if clean in DASHES:
        raise ValueError("a dash: write 0 if the value is zero, or leave the cell blank if it is missing")
    negative = clean.startswith("(") and clean.endswith(")")
    clean = clean.strip("()")
    percent = clean.endswith("%")
    clean = re.sub(r"^[€$£]|[€$£%]$", "", clean.rstrip("%"))
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", clean):
        clean = clean.replace(",", "")           # 1,234.5: a thousands separator
    elif re.fullmatch(r"[-+]?\d+,\d+", clean):
        clean = clean.replace(",", ".")          # 5,2: a decimal comma
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", clean):
        raise ValueError("not a number: write it like 5.2, -3.1, 1,234.5 or 5.2%")
    value = float(clean)
    return (-value if negative else value), percent


def _text(value: float) -> str:
    return format(round(value, 10) + 0.0, ".15g")


def read(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, layout: str = "auto", *,
         constants: dict[str, str] | None = None, mapping: dict[str, str] | None = None,
         percent_as: str | None = None, max_unpacked: int | None = None) -> Adapted | None:
    """A wide KPI file read into the kpis kind's columns; None when layout is auto and no sheet has a month header
    (the native reader takes the file). Raises LayoutError for a file that cannot be read at all."""
    limit = max_unpacked or XLSX_MAX_UNPACKED
    if data.startswith(ZIP_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm")):
        sheets = read_sheets(data, file_name, limit, percents=True)
    else:
        sheets = [(None, read_grid(data, file_name, limit))]
    if layout == "auto" and _native(sheets):
        return None
    return _Reader(con, file_name, sheets, constants or {}, mapping or {}, percent_as).read(layout)


def _native(sheets: list[tuple[str | None, Grid]]) -> bool:
    """The native template (its header is business_unit, month, kpi, value), or no month header anywhere."""
    first = sheets[0][1].cells
    native = {"business_unit", "month", "kpi", "value"}
    if len(first) and len({str(c).strip().casefold() for c in first.iloc[0] if c} & native) >= 2:
        return True   # the template's header, perhaps damaged: the native reader says what is wrong with it
    for _, grid in sheets:
        for _, row in grid.cells.head(HEADER_SEARCH).iterrows():
            for cell in row:
                try:
                    if month_of(cell):
                        return False
                except FiscalHeader:
                    return False
    return True


class _Reader:
    def __init__(self, con, file_name: str, sheets, constants: dict[str, str], asked: dict[str, str],
                 percent_as: str | None):
        self.file_name, self.sheets, self.constants, self.asked, self.percent_as = (file_name, sheets, constants,
                                                                                    dict(asked), percent_as)
        self.saved = mapping_module.saved_mapping(con, RULES_LAYOUT, SIGNATURE)
        stored = [r[0] for r in con.cursor().execute("SELECT DISTINCT kpi FROM kpis").fetchall()]
        self.known = {*KNOWN_KPIS, *stored}
        self.blocking: list[str] = []
        self.problems: list[tuple[int, str, str | None, str]] = []
        self.notes: list[str] = []
        self.dropped: dict[str, list[str]] = {}
        self.used_rules: dict[str, tuple[str, str]] = {}
        self.rows: list[tuple[str, str, str, float, bool, int]] = []   # unit, month, kpi, value, had %, row

    def read(self, layout: str) -> Adapted:
        if self.percent_as not in (None, *PERCENT_AS):
            self.blocking.append(f"--percent-as takes {' or '.join(PERCENT_AS)}, not {self.percent_as!r}: choose one")
        unknown = set(self.constants) - {"kpi", "business_unit"}
        if unknown:
            self.blocking.append(f"--set {', '.join(sorted(unknown))}: a finance sheet takes only kpi= (one KPI) "
                                 "and business_unit= (a sheet of one unit)")
        with_months = []
        for title, grid in self.sheets:
            header = self._header(title, grid)
            if header is not None:
                with_months.append((title, grid, header))
            elif title is not None and not grid.cells.empty:
                self.notes.append(f"sheet {title!r} has no month columns: not read")
        if not with_months and not self.blocking:
            self.blocking.append("no month columns: a finance sheet has months as columns, headed like 2026-10, "
                                 "Oct 2026, Oct-26 or an Excel date; for the native template choose native")
        if "kpi" in self.constants and len(with_months) > 1:
            self.blocking.append(f"--set kpi= names one KPI, but {len(with_months)} sheets have months: choose each "
                                 "sheet's KPI with --map 'SHEET=kpi_name' instead")
        if self.blocking:
            return Adapted("wide", pd.DataFrame(), [], blocking=self.blocking)
        for title, grid, header in with_months:
            self._sheet(title, grid, header)
        self._percents()
        frame = pd.DataFrame({"business_unit": [r[0] for r in self.rows], "month": [r[1] for r in self.rows],
                              "kpi": [r[2] for r in self.rows], "value": [_text(r[3]) for r in self.rows]},
                             dtype=object)
        rules = rules_table(self.used_rules)
        kpis = sorted(set(frame["kpi"]))
        said = [f"read as a wide finance sheet: {len(frame)} values of {len(kpis)} KPI(s) ({', '.join(kpis)})"]
        remember = dict(self.asked)   # the analyst's own names, kept when the file is committed
        return Adapted("wide", frame, [r[5] for r in self.rows], notes=said + self.notes, dropped=self.dropped,
                       blocking=self.blocking, cell_problems=self.problems, rules=rules,
                       remember=(RULES_LAYOUT, remember) if remember else None)

    def where(self, title: str | None) -> str:
        return f"sheet {title!r}" if title is not None else "the file"

    def _header(self, title, grid: Grid) -> tuple[int, dict[int, str]] | None:
        """(header row index, {column: month}) of a sheet, or None; a fiscal header blocks."""
        for index in range(min(HEADER_SEARCH, len(grid.cells))):
            months: dict[int, str] = {}
            for column, cell in grid.cells.iloc[index].items():
                try:
                    month = month_of(cell)
                except FiscalHeader:
                    self.blocking.append(
                        f"{self.where(title)}, row {grid.row_numbers[index]}: {cell!r} is a fiscal period, and which "
                        "calendar month it is depends on when the fiscal year starts: rename the columns to calendar "
                        "months (2025-07, Jul 2025) and import again")
                    return None
                if month:
                    if month in months.values():
                        self.blocking.append(f"{self.where(title)}: the month {month} heads two columns: remove one")
                        return None
                    months[column] = month
            if months:
                return index, months
        return None

    def _sheet(self, title, grid: Grid, header: tuple[int, dict[int, str]]) -> None:
        index, months = header
        cells, rows = grid.cells, grid.row_numbers
        names = {c: ("" if v is None else str(v)) for c, v in cells.iloc[index].items() if c not in months}
        kpi_column = next((c for c, n in names.items() if n.casefold() in KPI_HEADERS), None)
        unit_column = next((c for c, n in names.items() if n.casefold() in UNIT_HEADERS), None)
        if unit_column is None:
            first_month = min(months)
            unit_column = next((c for c in sorted(names) if c < first_month and c != kpi_column), None)
        others = [n or f"column {c + 1}" for c, n in names.items() if c not in (kpi_column, unit_column)
                  and cells.iloc[index + 1:][c].notna().any()]
        if others:
            self.dropped.setdefault("not used (not a month)", []).extend(
                f"{n} ({title})" if title is not None else n for n in others)
        if unit_column is None and "business_unit" not in self.constants:
            self.blocking.append(f"{self.where(title)}: no column names the business units (headed 'Business unit', "
                                 "or the first column): add it, or give the sheet's unit with --set business_unit=…")
            return
        sheet_kpi = None
        if kpi_column is None:
            sheet_kpi = self._sheet_kpi(title)
            if sheet_kpi is None:
                return
        if index:
            self.notes.append(f"{self.where(title)}: the header is row {rows[index]}; the rows above it were read as "
                              "a title")
        for i in range(index + 1, len(cells)):
            row = cells.iloc[i]
            line = rows[i]
            unit = row[unit_column] if unit_column is not None else self.constants.get("business_unit")
            values = {c: row[c] for c in months if row[c] is not None}
            if unit is None and not values:
                continue
            if unit is not None and (unit.casefold() in TOTALS or unit.casefold().startswith(("total ", "sum "))):
                self.notes.append(f"{self.where(title)}, row {line}: {unit!r} is a total: skipped, not a unit")
                continue
            if unit is None:
                self.problems.append((line, "business_unit", None, "the row has values but no business unit"))
                continue
            kpi = sheet_kpi
            if kpi_column is not None:
                kpi = self._row_kpi(row[kpi_column], line)
                if kpi is None:
                    continue
            for column, text in values.items():
                try:
                    value, percent = number_of(text)
                except ValueError as error:
                    self.problems.append((line, f"{months[column]}" + (f" ({title})" if title else ""), text,
                                          str(error)))
                    continue
                self.rows.append((unit, months[column], kpi, value, percent, line))

    def _named(self, name: str) -> str | None:
        """The KPI a name stands for: the analyst's or a remembered rule, else the name itself when it is a KPI's."""
        for how, rules in (("asked", self.asked), ("remembered", self.saved)):
            for rule, target in rules.items():
                if rule.casefold() == name.casefold():
                    self.used_rules[name] = (target, how)
                    return target
        candidate = kpi_name(name)
        if candidate in self.known:
            if candidate != name:
                self.used_rules[name] = (candidate, "by name")
            return candidate
        return None

    def _sheet_kpi(self, title) -> str | None:
        if "kpi" in self.constants:
            return self.constants["kpi"]
        name = title if title is not None else PurePath(self.file_name).stem
        kpi = self._named(name)
        if kpi is None:
            self.used_rules[name] = ("", "no rule")
            self.blocking.append(f"{self.where(title) if title is not None else 'the file ' + repr(name)} is not a "
                                 f"KPI's name ({', '.join(sorted(self.known))}): choose its KPI with --map '{name}=KPI' "
                                 "(remembered for the next file), or --set kpi=KPI for a one-KPI file")
        elif not re.fullmatch(SNAKE, kpi):
            self.blocking.append(f"{kpi!r} is not a KPI name: lower-case letters, digits and _ only")
            return None
        return kpi

    def _row_kpi(self, text: str | None, line: int) -> str | None:
        if text is None:
            self.problems.append((line, "kpi", None, "the row has values but no KPI"))
            return None
        kpi = self._named(text)
        if kpi is None:
            self.used_rules.setdefault(text, ("", "no rule"))
            self.problems.append((line, "kpi", text, f"{text!r} is not a KPI's name: map it once with "
                                  f"--map '{text}=KPI' (remembered), or rename it"))
        return kpi

    def _percents(self) -> None:
        """Bare values of a _pct KPI: percents if any is above 1 in size; if all are within ±1, a fraction or a
        percent as the analyst says, else the file is held with the question."""
        for kpi in sorted({r[2] for r in self.rows if r[2].endswith("_pct")}):
            bare = [r for r in self.rows if r[2] == kpi and not r[4]]
            if not bare or any(abs(r[3]) > 1 for r in bare) or all(r[3] == 0 for r in bare):
                continue
            if self.percent_as is None:
                example = next(r for r in bare if r[3] != 0)
                self.blocking.append(
                    f"{kpi}: every value written without % is between -1 and 1 (e.g. {_text(example[3])} in row "
                    f"{example[5]}): is {_text(example[3])} a fraction ({_text(example[3] * 100)}%) or already a "
                    "percent? Choose --percent-as fraction or --percent-as percent (on the Data page: "
                    "'Percentages like 0.052 are')")
            elif self.percent_as == "fraction":
                self.rows = [(u, m, k, v * 100, p, line) if k == kpi and not p else (u, m, k, v, p, line)
                             for u, m, k, v, p, line in self.rows]
                self.notes.append(f"{kpi}: values without % read as fractions (0.052 is 5.2%), as asked")
            else:
                self.notes.append(f"{kpi}: values without % read as percents (0.052 is 0.052%), as asked")


