"""What the sample generator and the monthly-review record it writes share: the survey catalogue's items, the
invented company (World) and the two units that carry a story. A module of its own so that metrics.sample and
metrics.sample.review both build on it and neither imports the other's internals in a circle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

@dataclass(frozen=True)
class Item:
    """A catalogue item; `loading` and `difficulty` only shape the generated answers."""

    item_id: str
    dimension: str
    text: str
    scale: str = "likert5"
    reverse_scored: bool = False
    loading: float = 1.0  # how strongly answers follow the climate
    difficulty: float = 0.0  # shift of the favourable answer, in Likert points


ITEMS: tuple[Item, ...] = (
    Item("comm_vocabulary", "communication",
         "We and the other function use the same vocabulary for customers, data and results."),
    Item("comm_open", "communication",
         "I can raise a problem with the other function openly and early."),
    Item("comm_only_problems", "communication",
         "We only hear from the other function when something has gone wrong.",
         reverse_scored=True),
    Item("goals_aligned", "shared_goals",
         "Our objectives and those of the other function point in the same direction."),
    Item("goals_joint_planning", "shared_goals",
         "We plan the year's priorities together with the other function."),
    Item("goals_conflicting", "shared_goals",
         "The other function's targets work against ours.", reverse_scored=True),
    # The seeds' 16%/12% figures are about this item: hard to agree with, and slow to move.
    Item("partner_strategic", "partnership",
         "I see the other function as a strategic partner rather than a service provider.",
         loading=0.55, difficulty=-0.35),
    Item("partner_early", "partnership",
         "The other function is involved from the start of our initiatives, "
         "not only to deliver them."),
    Item("partner_supplier", "partnership",
         "Working with the other function feels like placing orders with a supplier.",
         reverse_scored=True),
    Item("trust_commitments", "trust", "The other function keeps its commitments to us."),
    Item("trust_leaders", "trust",
         "Our head and the head of the other function have a good working relationship."),
    Item("cust_insight_shared", "customer_focus",
         "The other function shares customer insight with us early."),
    Item("cust_understanding", "customer_focus",
         "The other function understands our customers and what they value."),
    Item("cust_systems_first", "customer_focus",
         "The other function's decisions are driven more by its own systems than by customers.",
         reverse_scored=True),
    Item("data_integrated", "data_insight",
         "Our customer and campaign data are integrated with the other function's data."),
    Item("data_decisions", "data_insight",
         "Joint decisions with the other function rest on data we both trust."),
    Item("agility_fast_pilots", "agility",
         "Together with the other function we can start a pilot within weeks."),
    Item("agility_scale_together", "agility",
         "Pilots that work are scaled up together with the other function."),
    Item("agility_stuck_requests", "agility",
         "Our requests to the other function get stuck in queues and approvals.",
         reverse_scored=True),
    Item("gov_decision_rights", "governance",
         "It is clear who decides on technology and who owns which budget."),
    Item("gov_around_us", "governance",
         "The other function buys or builds technology around us.", reverse_scored=True),
    Item("partner_nps", "nps",
         "How likely are you to recommend working with the other function to a colleague?",
         scale="nps11"),
)
LIKERT_ITEMS = tuple(item for item in ITEMS if item.scale == "likert5")
DIMENSIONS = tuple(dict.fromkeys(item.dimension for item in LIKERT_ITEMS))

IMPROVING_UNIT = 1  # the second unit: lifted by the staff-exchange programme
DECLINING_UNIT = 4  # the fifth unit: slides over the whole period


@dataclass(frozen=True)
class World:
    """The invented company: its units, the months covered and the latent climate."""

    units: tuple[str, ...]
    codes: tuple[str, ...]
    months: np.ndarray  # datetime64[M], oldest first
    climate: np.ndarray  # (unit, month), 0-100
    exchange_start: int  # month index at which the staff-exchange programme starts
    scale: float

    @property
    def month_labels(self) -> list[str]:
        return [str(month) for month in self.months]

    @property
    def as_of(self) -> np.datetime64:
        """The last day of the last month: projects are reported as of then."""
        return (self.months[-1] + 1).astype("datetime64[D]") - 1

