"""The settings an admin may change (anonymity thresholds, upload cap): their bounds, and writing them at once."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from metrics import store


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    help: str
    minimum: int
    maximum: int


# No group is smaller than this, whatever an admin sets: the default of the common survey tools (Qualtrics, Glint,
# Peakon, Lattice).
ANONYMITY_FLOOR = 5
UPLOAD_CAP_MB = 200   # Streamlit's own cap on an upload (server.maxUploadSize)

SETTINGS = (
    Setting("anonymity_threshold", "Anonymity threshold (respondents)",
            "No survey figure is shown, exported or printed for a group smaller than this. Never below "
            f"{ANONYMITY_FLOOR}, the default of the common survey tools.", ANONYMITY_FLOOR, 1000),
    Setting("comment_threshold", "Comment threshold (respondents)",
            "Free-text comments are shown only from groups (business unit, department, month) at least this "
            "large. Never below the anonymity threshold.", ANONYMITY_FLOOR, 1000),
    Setting("max_upload_mb", "Largest upload (MB)",
            "The largest file an import reads, and the most an Excel workbook may unpack to. At most "
            f"{UPLOAD_CAP_MB}, the cap the web server itself puts on uploads.", 1, UPLOAD_CAP_MB),
)
BY_KEY = {setting.key: setting for setting in SETTINGS}


class SettingsRefused(ValueError):
    """Values that are out of bounds or contradict each other; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def current(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every admin setting's stored value (a value that is not a whole number reads as the setting's minimum)."""
    stored = dict(store.fetch_rows(con, "SELECT key, value FROM settings"))
    values = {}
    for setting in SETTINGS:
        try:
            values[setting.key] = int(float(stored[setting.key]))
        except (KeyError, ValueError):
            values[setting.key] = setting.minimum
    return values


def anonymity_threshold(con: duckdb.DuckDBPyConnection) -> int:
    """The smallest group a survey figure is shown for: the one every query applies and every text states."""
    return current(con)["anonymity_threshold"]


def comment_threshold(con: duckdb.DuckDBPyConnection) -> int:
    """The smallest group whose free-text comments are shown."""
    return current(con)["comment_threshold"]


def problems(values: dict[str, object]) -> list[str]:
    """Why these values cannot be saved; empty when they can."""
    found = []
    for key, value in values.items():
        setting = BY_KEY.get(key)
        if setting is None:
            found.append(f"{key!r} is not a setting; the settings are {', '.join(BY_KEY)}")
        elif isinstance(value, bool) or not isinstance(value, int):
            found.append(f"{setting.label}: {value!r} is not a whole number")
        elif not setting.minimum <= value <= setting.maximum:
            found.append(f"{setting.label}: {value} is outside {setting.minimum}–{setting.maximum}")
    anonymity, comments = values.get("anonymity_threshold"), values.get("comment_threshold")
    if isinstance(anonymity, int) and isinstance(comments, int) and comments < anonymity:
        found.append(f"Comment threshold: {comments} is below the anonymity threshold ({anonymity})")
    return found


def save(con: duckdb.DuckDBPyConnection, values: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Write the settings that changed, all in one transaction; returns {key: (old, new)} for each. Raises
    SettingsRefused (writing nothing) when any value is out of bounds, checked against the stored values of the
    settings not given."""
    before = current(con)
    merged = {**before, **values}
    found = problems(merged)
    if found:
        raise SettingsRefused(found)
    changed = {key: (before[key], merged[key]) for key in values if merged[key] != before[key]}
    if changed:
        with store.transaction(con) as cur:
            if "anonymity_threshold" in changed:   # what is hidden now stays hidden at the new threshold
                from metrics.store import answers

                answers.remember_hidden(cur)
            for key, (_, new) in changed.items():
                cur.execute("INSERT OR REPLACE INTO settings VALUES ($key, $value)", {"key": key, "value": str(new)})
    return changed
