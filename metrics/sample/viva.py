"""The sample company's Microsoft Viva Insights group-to-group export (issue 19): per unit and month, the hours,
meetings and e-mails its marketing and IT organizations spent with each other, in Viva's own column names, drawn
from the same world as the survey: where a unit's climate (and so its alignment) is higher, its people spend more
time with the other function."""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.sample.world import World

FILE_NAME = "viva_group_to_group.csv"
NATIVE_FILE_NAME = "collaboration.csv"   # the same rows in the collaboration kind's template: what the sample loads
COLUMNS = ("PrimaryCollaborator_Organization", "PrimaryCollaborator_GroupSize", "SecondaryCollaborator_Organization",
           "SecondaryCollaborator_GroupSize", "MetricDate", "Group collaboration time invested",
           "Group email sent count", "Group meeting count")
# Its own random stream, np.random.default_rng([seed, VIVA_STREAM]), outside the generator's STREAMS, so that adding
# it moves no byte of the other files. 19: the issue that added it.
VIVA_STREAM = 19
ORGANIZATIONS = {"marketing": "Marketing - {unit}", "it": "IT - {unit}"}


def hours_per_person(climate: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(unit, side, month): hours a person of one side spends with the other in a month: about 2 at a climate of 50,
    2.6 more for every 10 points, with month-to-month noise; marketing a little more than IT."""
    base = 2.0 + 0.26 * (climate - 50)
    side = np.array([0.6, -0.6])[None, :, None]
    noise = rng.normal(0, 0.8, (climate.shape[0], 2, climate.shape[1]))
    return np.clip(base[:, None, :] + side + noise, 0.3, None)


def viva_table(world: World, headcount: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The export: one row per unit, month and direction (marketing with IT, IT with marketing); the group sizes are
    the units' marketing and IT headcount of the month."""
    hours = hours_per_person(world.climate, rng)
    rows = []
    for u, unit in enumerate(world.units):
        for m, month in enumerate(world.month_labels):
            for side, other in ((0, 1), (1, 0)):
                people, other_people = int(headcount[u, side, m]), int(headcount[u, other, m])
                total = hours[u, side, m] * people
                meetings = rng.poisson(total / 1.6)
                emails = rng.poisson(total * 2.5)
                names = list(ORGANIZATIONS.values())
                rows.append((names[side].format(unit=unit), people, names[other].format(unit=unit), other_people,
                             f"{month}-01", round(float(total), 2), int(emails), int(meetings)))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def native_table(export: pd.DataFrame) -> pd.DataFrame:
    """The export in the collaboration template: a row per unit, month and direction already, so nothing is summed."""
    sides = {"Marketing": "marketing", "IT": "it"}
    primary = export["PrimaryCollaborator_Organization"].str.split(" - ", n=1, expand=True)
    secondary = export["SecondaryCollaborator_Organization"].str.split(" - ", n=1, expand=True)
    return pd.DataFrame({
        "business_unit": primary[1], "month": export["MetricDate"].str[:7], "from_side": primary[0].map(sides),
        "to_side": secondary[0].map(sides), "hours": export["Group collaboration time invested"],
        "meetings": export["Group meeting count"], "emails": export["Group email sent count"],
        "people": export["PrimaryCollaborator_GroupSize"]})


def write_viva(world: World, headcount: np.ndarray, seed: int, out) -> tuple[str, str]:
    """Write the export into `out`, and the same rows in the native template; returns the two paths."""
    export = viva_table(world, headcount, np.random.default_rng([seed, VIVA_STREAM]))
    paths = out / FILE_NAME, out / NATIVE_FILE_NAME
    for table, path in zip((export, native_table(export)), paths):
        table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return paths
