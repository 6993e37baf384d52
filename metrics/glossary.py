"""The Definitions page's content: the marketing/IT glossary and every metric's definition in words."""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

import pandas as pd

from metrics import catalog

PURPOSE = ("Marketing and IT often use the same word for different things; each term below gives what marketing "
           "usually means, what IT usually means, and a definition both can agree on.")


@dataclass(frozen=True)
class Term:
    term: str
    marketing: str  # what marketing usually means by it
    it: str         # what IT usually means by it
    shared: str     # a definition the two can agree on


# The seeds' remedy for "not speaking the same language": a maintained glossary of the terms the two
# functions use differently. Kept in alphabetical order so the page and a diff read the same way.
TERMS: tuple[Term, ...] = (
    Term(
        "Agile sprint",
        "Working fast and flexibly; \"agile\" often means being able to change the plan at short notice.",
        "A fixed timebox, usually two weeks, in which a team builds a planned set of work; the scope does not "
        "change during the sprint.",
        "A fixed period in which a team commits to a set of work and shows the result at the end. "
        "New requests normally wait for the next sprint, so agree sprint dates with campaign dates.",
    ),
    Term(
        "API (application programming interface)",
        "What lets one tool \"talk to\" another; often a box ticked when buying software.",
        "A documented contract (endpoints, data formats, authentication, rate limits, versions) through which "
        "programs exchange data.",
        "A documented way for one system to exchange data with another automatically. Having an API does not mean "
        "an integration exists: someone still has to build and run it.",
    ),
    Term(
        "Attribution",
        "Giving credit for a sale to the channels and touchpoints that came before it (last click, first touch, "
        "multi-touch or modelled).",
        "Joining tracking events, cookie or device identifiers and orders so a conversion can be traced back; "
        "limited by identifiers, consent and data retention.",
        "The written rule for crediting a conversion to the touchpoints before it, and the data joins that make it "
        "possible. The model is changed only by joint decision, so reports stay comparable.",
    ),
    Term(
        "Campaign",
        "A coordinated set of messages and offers across channels, aimed at one audience and goal over a set period.",
        "Configuration in several tools (audiences, templates, tracking codes, landing pages) and a release date "
        "that needs data feeds and capacity.",
        "A time-boxed marketing effort with a goal, audience and budget, plus the list of technical pieces it needs "
        "and the date each is needed, agreed before launch.",
    ),
    Term(
        "Collaboration time (Viva Insights)",
        "Time in meetings and e-mails with IT, usually felt as too much for too little.",
        "Hours Microsoft Viva Insights measures from calendars, e-mail, chats and calls between two groups of people, "
        "without reading what was said.",
        "The hours marketing and IT spend with each other per person each month, as Viva Insights measures them: "
        "what the two sides do, set beside what the survey says of the partnership.",
    ),
    Term(
        "Conversion",
        "A prospect doing what the campaign asks: buying, signing up, downloading or enquiring. Conversion rate is "
        "conversions divided by visitors or recipients.",
        "A tracked event (a tag firing, a form post, an order row written); also converting data from one format "
        "to another.",
        "A named event defined once in a tracking plan (for example \"order placed\"), counted by one rule that "
        "both functions report from.",
    ),
    Term(
        "CRM (customer relationship management)",
        "The practice of managing customer relationships, loyalty and communications, and the tool sales and "
        "marketing work in.",
        "An application (such as Salesforce or Dynamics) with a data model, licences, integrations and upgrades "
        "to run.",
        "Both the practice of managing customer relationships and the system that records customers' contacts and "
        "interactions; say which one is meant, and who owns the system.",
    ),
    Term(
        "Customer",
        "A person or household who buys or might buy, often including prospects and lapsed buyers, known by their "
        "behaviour and preferences.",
        "A record in a system (a customer ID in the CRM, billing or ERP); different systems may hold different "
        "records for the same person.",
        "A person or organisation that has bought from us, identified by one agreed customer ID across systems. "
        "Prospects and lapsed buyers are named as such, not counted as customers.",
    ),
    Term(
        "Customer data platform (CDP)",
        "A marketer-run tool that unifies customer profiles from many sources and sends audiences to channels "
        "without waiting for IT.",
        "Another system holding personal data, with its own copies, integrations, identity matching and security "
        "to govern; it may duplicate the CRM or warehouse.",
        "Software that builds a persistent, unified customer profile from several sources and makes it available "
        "to other systems. Which system is the master for which data must be agreed.",
    ),
    Term(
        "Customer lifetime value (CLV)",
        "The total margin a customer is expected to bring over the relationship; sets how much to spend to win "
        "and keep them.",
        "A computed field or model output that needs purchase history joined across systems, a home and a refresh "
        "schedule.",
        "The expected margin from a customer over the whole relationship, computed by one agreed model from agreed "
        "data and refreshed on a known schedule.",
    ),
    Term(
        "Data governance",
        "Rules and approvals that slow down getting at data.",
        "Policies, roles and controls for data quality, security, access, retention and lineage.",
        "The agreed rules for who owns each kind of data, who may use it for what, how its quality is kept and how "
        "long it is kept. It exists so data can be used safely and quickly.",
    ),
    Term(
        "Data warehouse",
        "Where the reports come from; often slow to get new data into.",
        "A central store of integrated, historical data from operational systems, modelled for analysis and "
        "loaded by scheduled pipelines.",
        "The central store of cleaned, integrated history that reporting and analysis read. New data reaches it "
        "through an agreed pipeline, not by one-off uploads.",
    ),
    Term(
        "GDPR / consent",
        "Permission to market: email and cookie opt-ins, which limit how many people a campaign can reach.",
        "Legal duties to protect personal data and honour people's rights (access, correction, deletion), and "
        "consent records to store and enforce in every system.",
        "The GDPR requires a lawful basis, such as consent, to process personal data. Consent must be freely given, "
        "specific, informed, recorded and as easy to withdraw as to give, and every system must honour it.",
    ),
    Term(
        "Integration",
        "Tools connected so data flows between them, ideally out of the box.",
        "The work of building, securing, monitoring and maintaining data flows between systems, including field "
        "mapping and error handling.",
        "A maintained, monitored connection that moves agreed data between two systems on an agreed schedule, "
        "with a named owner who fixes it when it breaks.",
    ),
    Term(
        "KPI (key performance indicator)",
        "Measures of reach, engagement and revenue: conversion rate, cost per acquisition, customer NPS.",
        "Operational measures: uptime, incidents, projects delivered on time and on budget, cost per user.",
        "A measure tied to a goal, with one calculation, an owner and a target. Shared KPIs, such as campaign time "
        "to market, are ones both functions are judged on.",
    ),
    Term(
        "Lead",
        "A person who has shown interest (filled in a form, joined a webinar), scored and passed to sales once "
        "marketing-qualified (MQL).",
        "A record in the CRM or marketing-automation system with a status field; a matter of duplicates, routing "
        "and data quality.",
        "A contact who has shown interest and meets written qualification criteria, held as one CRM record whose "
        "status (new, MQL, SQL, won, lost) changes by rules both sides can see.",
    ),
    Term(
        "Martech stack",
        "The marketing tools the team uses every day: email, advertising, analytics, content management, "
        "automation, CDP.",
        "A portfolio of applications to integrate, secure, license and support, often with overlapping features.",
        "The inventory of marketing technology with each tool's owner, cost, data held and integrations. "
        "The seeds report that about 22% of marketing budgets go to technology.",
    ),
    Term(
        "MVP / pilot",
        "A quick test of an idea with real customers, launched in weeks; if it works, it should simply be rolled "
        "out.",
        "A minimum viable product: the smallest build that tests a hypothesis. A pilot is a limited trial, often "
        "without production-grade security, support or capacity.",
        "A small, time-boxed trial with success criteria agreed in advance, and an agreed plan for what happens "
        "if it succeeds (scale it) or fails (stop it).",
    ),
    Term(
        "Personalisation",
        "Tailoring content, offers and experience to a person or segment to make them more relevant.",
        "Rules or models that choose content at run time from profile data; a matter of speed, data access, "
        "consent and testing.",
        "Showing a customer content chosen from what we know about them, within their consent, with the rules, "
        "the data used and the measured uplift written down.",
    ),
    Term(
        "Real time",
        "Fast enough that nobody waits: often \"today\" or \"within minutes\".",
        "Processed within milliseconds to seconds of the event, as opposed to in a nightly batch; costly to build "
        "and run.",
        "State the acceptable delay as a number (for example \"within five minutes of the order\"), because the "
        "cost depends heavily on it.",
    ),
    Term(
        "Requirements / brief",
        "A brief: the goal, audience, message and deadline.",
        "A specification: what the system must do, how well (speed, security, availability), the data needed and "
        "acceptance criteria.",
        "A written statement of what is needed and why, agreed at the outset, with acceptance criteria that say "
        "when the work is done.",
    ),
    Term(
        "Roadmap",
        "The year's plan of campaigns, launches and customer initiatives, timed to market events.",
        "The plan of system changes, upgrades and platform investments, often over several years, with "
        "dependencies and capacity.",
        "One dated plan of the outcomes both functions are working towards, showing what depends on what, "
        "reviewed together at the joint steering meeting.",
    ),
    Term(
        "ROI (return on investment)",
        "Revenue or margin attributed to marketing spend, usually over weeks or months.",
        "Return on a technology investment over its life, counting total cost of ownership (build, licences, "
        "running, support), usually over years.",
        "(Gain - cost) / cost over an agreed time horizon, with the costs to include and the way gains are "
        "measured agreed before the investment.",
    ),
    Term(
        "Scale-up",
        "Rolling a successful pilot out to more customers, markets or channels.",
        "Making a system handle more users, load and data reliably; often rebuilding a pilot to production "
        "standard.",
        "Turning a successful pilot into a supported service for everyone it is meant for, with the budget and "
        "time a production-grade build needs. Measured here as the pilot-to-scale rate.",
    ),
    Term(
        "Segment",
        "A group of customers who share traits or behaviour and should get the same message.",
        "A saved query or filter over customer data (or, in networking, a part of the network).",
        "A named group of customers defined by a written rule over agreed data fields, so the same rule gives the "
        "same people in every tool.",
    ),
    Term(
        "Shadow IT",
        "Buying a cloud tool on a credit card to move fast when the IT process is too slow.",
        "Technology bought or run without IT's knowledge: a risk to security, data protection, integration and "
        "cost.",
        "Technology a function buys or runs without IT's involvement. It signals a risk (security, data "
        "protection, integration, duplicate cost) and an unmet need for speed.",
    ),
    Term(
        "Single customer view",
        "One picture of each customer, with every interaction, purchase and preference, to personalise and "
        "measure.",
        "A master-data problem: matching records from many systems into one \"golden record\", with rules for "
        "conflicts.",
        "One consolidated, regularly updated record per customer, built by matching records across systems with "
        "agreed rules, that every team reads from.",
    ),
    Term(
        "SLA (service level agreement)",
        "A promised turnaround from a team or agency, such as landing pages in three days.",
        "Measured commitments for a service (availability, response and resolution times by priority) with "
        "regular reporting.",
        "A written commitment of how fast and how reliably a service or request is delivered, measured the same "
        "way by both sides.",
    ),
    Term(
        "Technical debt",
        "IT jargon for why things take longer than expected.",
        "The future cost of past shortcuts (quick fixes, outdated software, undocumented integrations) that slows "
        "every later change until it is repaid.",
        "The extra cost and delay that past shortcuts add to every future change. Quick tactical tools add to it; "
        "paying it down needs time in the plan.",
    ),
    Term(
        "Uptime",
        "The website works: customers can browse and buy.",
        "The percentage of time a system is available, measured by monitoring against a target such as 99.9%.",
        "The share of time customers can complete the key journeys, measured end to end against an agreed target. "
        "99.9% allows about 43 minutes down in a 30-day month.",
    ),
)

GLOSSARY_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Term))


def glossary() -> pd.DataFrame:
    """Every term as a row: term, marketing, it, shared."""
    return pd.DataFrame([astuple(t) for t in TERMS], columns=list(GLOSSARY_COLUMNS))


def _matches(term: Term, words: list[str]) -> bool:
    text = " ".join(astuple(term)).casefold()
    return all(word in text for word in words)


def search(text: str | None) -> pd.DataFrame:
    """The terms in which every word of `text` appears in some field, ignoring case; all terms for no text.

    Words are matched separately so "shadow it" and "IT shadow" both find "Shadow IT".
    """
    words = (text or "").casefold().split()
    return pd.DataFrame([astuple(t) for t in TERMS if _matches(t, words)], columns=list(GLOSSARY_COLUMNS))


# ---- metric definitions, from the catalogue ---------------------------------------------------------------

DIRECTION_WORDS = {catalog.HIGHER: "higher is better", catalog.LOWER: "lower is better"}


def _number(value: float) -> str:
    return f"{value:g}"


def status_bands(metric: catalog.Metric) -> str:
    """The red/amber/green rule of Metric.status in words, e.g. "amber from 60 to 70, red below 60".

    A value on the target is green; on the far edge of the amber band it is still amber.
    """
    if metric.target is None:
        return "no target"
    band = metric.amber_band or 0.0
    target = metric.target
    if metric.direction == catalog.HIGHER:
        edge = target - band
        red = f"red below {_number(edge)}"
    else:
        edge = target + band
        red = f"red above {_number(edge)}"
    if band == 0:
        return f"no amber band, {red}"
    low, high = sorted((edge, target))
    return f"amber from {_number(low)} to {_number(high)}, {red}"


METRIC_DEFINITION_COLUMNS: tuple[str, ...] = (
    "label", "name", "formula", "unit", "direction", "target", "bands", "survey",
)


def metric_definitions() -> pd.DataFrame:
    """One row per catalogue metric, in catalogue order, with its direction and status bands in words."""
    rows = [
        (m.label, m.name, m.description, m.unit, DIRECTION_WORDS[m.direction], m.target, status_bands(m), m.survey)
        for m in catalog.METRICS
    ]
    return pd.DataFrame(rows, columns=list(METRIC_DEFINITION_COLUMNS))


def chi_weights() -> pd.DataFrame:
    """The Collaboration Health Index's parts: label, name and weight (summing to 1)."""
    rows = [(catalog.metric(name).label, name, weight) for name, weight in catalog.CHI_WEIGHTS.items()]
    return pd.DataFrame(rows, columns=["label", "name", "weight"])


def how_computed(anonymity_threshold: int, comment_threshold: int) -> list[str]:
    """DESIGN.md's computing rules in plain words, one paragraph each, with the thresholds in force (settings)."""
    k = anonymity_threshold
    weights = ", ".join(f"{catalog.metric(n).label.lower()} {w:g}" for n, w in catalog.CHI_WEIGHTS.items())
    return [
        "**Survey answers.** Agreement is scored 1 to 5, 5 the most favourable. Statements worded negatively are "
        "reverse-scored (a 1 counts as 5, a 2 as 4) before anything else. An unanswered question is left out, "
        "never counted as zero.",
        "**Indexes (0-100).** Each respondent's score is the mean of their answers; a group's index is "
        "(mean respondent score - 1) / 4 x 100, so 0 is all \"strongly disagree\" and 100 all \"strongly agree\". "
        "Every respondent weighs the same.",
        "**Alignment.** The alignment index is the mean of the marketing index and the IT index, so each side "
        "weighs the same whatever its size. It is blank when either side is missing or hidden. The perception "
        "gap is marketing's score minus IT's on each dimension.",
        f"**Collaboration Health Index.** A weighted mean of {weights}. A missing part drops out and the other "
        "weights are scaled up to sum to 1.",
        f"**Anonymity.** No survey figure is shown for a group of fewer than {k} respondents. When the hidden "
        f"business units of a month together hold fewer than {k} respondents, the smallest shown unit is hidden "
        "too, so no hidden unit can be worked out by subtracting the shown ones from the company figure. "
        f"Free-text comments need at least {comment_threshold} respondents.",
        f"**Time windows.** Survey figures are per monthly wave. Cadence adherence is also shown over the month "
        f"and the two before it; joint-project rates cover projects delivered in the trailing 12 months. "
        f"A response rate below {_number(catalog.RESPONSE_RATE_FLAG)}% is flagged.",
        "**Measured collaboration.** From Microsoft Viva Insights' group-to-group query (or the collaboration "
        "template): the hours marketing spent with IT plus the hours IT spent with marketing, divided by the people "
        "of both sides, per business unit and month (weeks are added up to months). It is measured, not answered, so "
        "it needs no anonymity threshold, and it is shown beside the survey's partnership score (\"say and do\").",
    ]
