"""Which live KPIs an event moves, and how stored counters become KPI values.
Plain Python: events in, counter deltas out.

State design (docs/evaluation-kpis.md has the full table):

* **Subjects.** A KPI is about a subject at one nine-grid level. The part before the first `/` is
  always the org unit, which is what department isolation checks:
  organisation `fgw`; process `fgw/incident`; individual `fgw/staff/<staff id>` and
  `fgw/group/<group id>` (a support group is a team performer). A ticket event counts for its
  department *and every ancestor unit* (roll-up through the org directory), so `gov/incident`
  is the incident process of the whole government.
* **Buckets.** Flow counters (created, resolved, breaches, sums and histograms of durations …)
  are written into three buckets per subject: `all`, the day `dYYYY-MM-DD` and the month
  `mYYYY-MM`, by the event's `occurred_at` in China Standard Time (UTC+8). The read side sums
  buckets into windows: today = 1 day bucket, 7d/30d = 7/30 day buckets, month = 1 month
  bucket, quarter = 3 month buckets, year = the months of this year, all = `all`.
* **Additive and idempotent.** Every flow delta depends only on its own event, so any order of a
  set of events gives the same sums; the event id dedupes them (SET NX in the same Lua script).
* **Backlog** (`tickets_open`, per subject, `all` bucket only) is the number of tickets whose
  latest known status is open. Each ticket keeps (order key, subjects it counts for); an event
  that is later than the stored one (by `occurred_at`, then event id) moves the ticket's +1
  from its old subjects to its new ones, an earlier one changes nothing. The final state is
  that of the latest event whatever the arrival order — so reassignments move workload.
* **Durations** (business seconds) are kept as count, sum and a fixed log histogram (ratio
  2^(1/8) per bucket); p90 is the geometric middle of the bucket holding the 90th percentile:
  relative error at most ±4.4 %, and histograms add across days, months and units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from typing import Protocol

from govkit.events import Envelope


class Level(str, Enum):
    ORGANIZATION = "organization"
    PROCESS = "process"
    INDIVIDUAL = "individual"


WINDOW_ALL = "all"
WINDOWS = ("all", "today", "7d", "30d", "month", "quarter", "year")
PROCESSES = ("request", "incident", "problem", "change")
CST = timezone(timedelta(hours=8))  # China Standard Time: the calendar of every window
CLOSED_STATUSES = frozenset({"resolved", "closed", "cancelled", "canceled", "rejected"})

TICKETS_CREATED = "tickets_created"
TICKETS_OPEN = "tickets_open"

# Counters stored under their KPI name (shown as they are).
COUNTS = (
    "tickets_created", "tickets_resolved", "tickets_closed", "tickets_reopened", "tickets_open",
    "tickets_assigned", "sla_warnings", "sla_breaches", "escalations", "satisfaction_count",
    "changes_approved", "changes_rejected", "changes_implemented", "problem_links",
    "repeat_incidents", "incidents_created", "alerts_received", "alerts_deduplicated",
    "rectifications_opened", "rectifications_resolved",
    # availability and security (ticket events), cost (budget events; yuan)
    "alert_incidents", "security_incidents", "budget_approved_total", "om_spend", "budget_assets",
)
# Derived on read from counters and internal (underscore) fields.
DERIVED = (
    "response_time_mean_s", "response_time_p90_s", "resolution_time_mean_s",
    "resolution_time_p90_s", "sla_attainment_pct", "response_sla_attainment_pct",
    "first_contact_resolution_pct", "reopen_rate_pct", "satisfaction_avg",
    "change_success_rate_pct", "change_emergency_rate_pct", "change_rolled_back_rate_pct",
    "change_failed_rate_pct", "incidents_per_problem", "repeat_incident_rate_pct",
    "catalogue_coverage_pct", "budget_execution_pct", "om_spend_per_ticket", "om_spend_per_asset",
)
KPI_NAMES = COUNTS + DERIVED
# Security incidents: incidents raised on a catalogue item under one of these nodes (the default
# catalogue's 等保安全事件 is `infra.security.incident`). A constant, not a setting: `kpi check`
# recomputes every counter from the facts with the same rule.
SECURITY_CATALOGUE_PREFIXES = ("infra.security",)
ALERT_CHANNEL = "alert"  # incidents ticket opens from an Alertmanager alert (a business system down)


# ---- keys and values ---------------------------------------------------------------------
@dataclass(frozen=True)
class KpiKey:
    level: Level
    subject: str
    window: str = WINDOW_ALL

    @property
    def org_unit_id(self) -> str:
        return org_unit_of(self.subject)


@dataclass(frozen=True)
class KpiDelta:
    key: KpiKey
    name: str
    delta: float


@dataclass(frozen=True)
class KpiValue:
    key: KpiKey
    name: str
    value: float
    updated_at: str | None


def org_unit_of(subject: str) -> str:
    return subject.split("/", 1)[0]


def subject_parts(subject: str) -> dict:
    """{'org_unit_id', 'process'|'staff'|'group'|'vendor'} of a subject."""
    parts = subject.split("/")
    out = {"org_unit_id": parts[0]}
    if len(parts) == 2:
        out["process"] = parts[1]
    elif len(parts) == 3:
        out[parts[1]] = parts[2]
    return out


@dataclass(frozen=True)
class KpiFilter:
    level: Level | None = None
    subjects: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    org_unit_ids: frozenset[str] = frozenset()
    processes: frozenset[str] = frozenset()
    persons: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    windows: frozenset[str] = frozenset()  # empty = {"all"} (what v1 clients always got)

    @property
    def window_list(self) -> list[str]:
        return sorted(self.windows) if self.windows else [WINDOW_ALL]

    def matches_subject(self, level: Level, subject: str) -> bool:
        if self.level is not None and level != self.level:
            return False
        if self.subjects and subject not in self.subjects:
            return False
        parts = subject_parts(subject)
        if self.org_unit_ids and parts["org_unit_id"] not in self.org_unit_ids:
            return False
        if self.processes and parts.get("process") not in self.processes:
            return False
        if self.persons and parts.get("staff") not in self.persons:
            return False
        if self.groups and parts.get("group") not in self.groups:
            return False
        return True

    def matches(self, value: KpiValue) -> bool:
        return (self.matches_subject(value.key.level, value.key.subject)
                and (not self.names or value.name in self.names)
                and value.key.window in self.window_list)


# ---- time buckets and windows ------------------------------------------------------------
def parse_time(value) -> datetime:
    t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def order_key(occurred_at: str, event_id: str) -> str:
    """Totally ordered string: UTC time with microseconds, then the event id."""
    return parse_time(occurred_at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "|" + event_id


def local_day(at) -> date:
    return parse_time(at).astimezone(CST).date()


def day_bucket(d: date) -> str:
    return f"d{d.isoformat()}"


def month_bucket(d: date) -> str:
    return f"m{d.year:04d}-{d.month:02d}"


def buckets_for(at) -> tuple[str, str, str]:
    d = local_day(at)
    return WINDOW_ALL, day_bucket(d), month_bucket(d)


def today_cst(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(CST).date()


def window_buckets(window: str, today: date) -> list[str]:
    if window == WINDOW_ALL:
        return [WINDOW_ALL]
    if window == "today":
        return [day_bucket(today)]
    if window in ("7d", "30d"):
        n = int(window[:-1])
        return [day_bucket(today - timedelta(days=i)) for i in range(n)]
    if window == "month":
        return [month_bucket(today)]
    if window == "quarter":
        first = 3 * ((today.month - 1) // 3) + 1
        return [f"m{today.year:04d}-{m:02d}" for m in range(first, today.month + 1)]
    if window == "year":
        return [f"m{today.year:04d}-{m:02d}" for m in range(1, today.month + 1)]
    if window.startswith("d") or window.startswith("m"):
        return [window]
    raise ValueError(f"unknown window {window!r}")


# ---- histogram ---------------------------------------------------------------------------
H_RATIO = 2 ** (1 / 8)


def h_index(seconds: float) -> int:
    return 0 if seconds < 1 else 1 + int(math.floor(math.log(seconds) / math.log(H_RATIO) + 1e-9))


def h_value(index: int) -> float:
    """Geometric middle of a bucket (bucket 0 holds [0, 1))."""
    if index == 0:
        return 0.5
    lo = H_RATIO ** (index - 1)
    return lo * math.sqrt(H_RATIO)


def percentile(hist: dict[int, float], q: float) -> float | None:
    total = sum(hist.values())
    if total <= 0:
        return None
    rank, seen = q * total, 0.0
    for i in sorted(hist):
        seen += hist[i]
        if seen >= rank - 1e-9:
            return h_value(i)
    return h_value(max(hist))


# ---- event → plan ------------------------------------------------------------------------
class OrgResolver(Protocol):
    def ancestors(self, unit: str) -> list[str]: ...


class NoOrg:
    def ancestors(self, unit: str) -> list[str]:
        return []


def event_units(d: dict, org_unit_id: str, org: OrgResolver) -> list[str]:
    """The units a ticket event counts for: its (customer) department and every ancestor, and —
    when the handling group belongs to another unit (the O&M centre) — that unit and its
    ancestors, each once. So `om-centre/group/grp-network` measures the group on all the work it
    does, and `fgw/group/grp-network` on its work for fgw (the per-department view)."""
    units = [org_unit_id] + [u for u in org.ancestors(org_unit_id) if u != org_unit_id]
    unit_of_group = getattr(org, "unit_of_group", None)
    handler = unit_of_group(d["group_id"]) if unit_of_group and d.get("group_id") else None
    if handler:
        units += [u for u in [handler, *org.ancestors(handler)] if u not in units]
    return units


@dataclass(frozen=True)
class TicketState:
    """The latest-known-state contribution of one ticket to the backlog."""

    ticket_id: str
    order: str
    open_keys: tuple[KpiKey, ...]  # all-window keys it counts +1 `tickets_open` in (empty if closed)


@dataclass
class EventPlan:
    """One event's effect: the same `counters` added to every key of `flow_keys` (its subjects
    × buckets), plus the ticket's backlog state. `flows` lists them as single deltas."""

    counters: dict[str, float] = field(default_factory=dict)
    flow_keys: list[KpiKey] = field(default_factory=list)
    ticket: TicketState | None = None
    extra: list[KpiDelta] = field(default_factory=list)  # raw deltas (tools and tests)
    subjects: list[tuple[Level, str]] = field(default_factory=list)  # every (level, subject) touched

    def members(self) -> set[tuple[Level, str]]:
        out = set(self.subjects)
        out.update((d.key.level, d.key.subject) for d in self.extra)
        return out

    @property
    def flows(self) -> list[KpiDelta]:
        return [KpiDelta(k, n, d) for k in self.flow_keys for n, d in self.counters.items()] + self.extra

    @property
    def keys(self) -> set[KpiKey]:
        keys = set(self.flow_keys) if self.counters else set()
        keys.update(d.key for d in self.extra)
        if self.ticket:
            keys.update(self.ticket.open_keys)
        return keys


def _b(value) -> bool:
    return value is True or value in ("true", "True", 1)


def _num(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def ticket_subjects(data: dict, units: list[str]) -> list[tuple[Level, str]]:
    process = data.get("ticket_type") or "request"
    out: list[tuple[Level, str]] = []
    for u in units:
        out.append((Level.ORGANIZATION, u))
        out.append((Level.PROCESS, f"{u}/{process}"))
        if data.get("assignee"):
            out.append((Level.INDIVIDUAL, f"{u}/staff/{data['assignee']}"))
        if data.get("group_id"):
            out.append((Level.INDIVIDUAL, f"{u}/group/{data['group_id']}"))
        if data.get("vendor_id"):  # tickets handled by a vendor's engineers: the vendor as an object
            out.append((Level.INDIVIDUAL, f"{u}/vendor/{data['vendor_id']}"))
    return out


# Rectification work items (ticket type `rectification`, evaluation's own findings) have a due
# date and no SLA: they are counted apart and never in the ticket, SLA, response, resolution,
# backlog or workload KPIs they would otherwise distort (the loop must not feed on itself).
RECTIFICATION = "rectification"


def rectification_counters(name: str) -> dict[str, float]:
    if name == "ticket_created":
        return {"rectifications_opened": 1}
    if name == "ticket_resolved":
        return {"rectifications_resolved": 1}
    return {}


def event_counters(name: str, d: dict) -> dict[str, float]:
    """The counter increments of one ticket event, the same for every subject it counts for."""
    if d.get("ticket_type") == RECTIFICATION:
        return rectification_counters(name)
    c: dict[str, float] = {}

    def duration(prefix: str, seconds) -> None:
        s = _num(seconds)
        if s is None:
            return
        c[f"_{prefix}_n"] = 1
        c[f"_{prefix}_sum"] = s
        c[f"_h_{prefix}:{h_index(s)}"] = 1

    if name == "ticket_created":
        c["tickets_created"] = 1
        if (d.get("ticket_type") or "request") == "incident":
            c["incidents_created"] = 1
            if d.get("channel") == ALERT_CHANNEL:
                c["alert_incidents"] = 1
            item = d.get("catalogue_item_id") or ""
            if any(item == p or item.startswith(p + ".") for p in SECURITY_CATALOGUE_PREFIXES):
                c["security_incidents"] = 1
        if "catalogue_item_id" in d:  # producers that know the catalogue (not the walking skeleton)
            c["_cat_known"] = 1
            c["_catalogued"] = 1 if d.get("catalogue_item_id") else 0
    elif name == "ticket_assigned":
        c["tickets_assigned"] = 1
        if _b(d.get("first_response")):
            duration("resp", d.get("response_business_seconds"))
    elif name == "ticket_resolved":
        c["tickets_resolved"] = 1
        duration("res", d.get("resolution_business_seconds"))
        c["_res_met"] = 1 if _b(d.get("resolution_sla_met")) else 0
        c["_resp_sla_n"] = 1
        c["_resp_sla_met"] = 1 if _b(d.get("response_sla_met")) else 0
        c["_fcr"] = 1 if _b(d.get("first_contact")) else 0
    elif name == "ticket_closed":
        c["tickets_closed"] = 1
    elif name == "ticket_reopened":
        c["tickets_reopened"] = 1
    elif name == "ticket_rated":
        r = _num(d.get("rating"))
        if r is not None:
            c["satisfaction_count"] = 1
            c["_rating_sum"] = r
    elif name == "sla_warning":
        c["sla_warnings"] = 1
    elif name == "sla_breached":
        c["sla_breaches"] = 1
    elif name == "ticket_escalated":
        c["escalations"] = 1
    elif name == "change_approved":
        if d.get("status") == "approved":  # the last step's approval: one per change, not one per step
            c["changes_approved"] = 1
    elif name == "change_rejected":
        c["changes_rejected"] = 1
    elif name == "change_implemented":
        outcome = d.get("outcome")
        c["changes_implemented"] = 1
        c["_chg_ok"] = 1 if outcome == "successful" else 0
        c["_chg_failed"] = 1 if outcome == "failed" else 0
        c["_chg_rb"] = 1 if outcome == "rolled_back" else 0
        c["_chg_emergency"] = 1 if _b(d.get("emergency")) else 0
    elif name == "problem_linked":
        n = int(_num(d.get("linked_incident_count")) or 0)
        c["problem_links"] = 1
        # The link that makes a problem's first incident marks a problem with incidents; every
        # further link is an incident that repeats a known problem (a repeat incident).
        c["_problems_linked"] = 1 if n == 1 else 0
        c["repeat_incidents"] = 1 if n >= 2 else 0
    elif name == "alert_received":
        c["alerts_received"] = 1
        c["alerts_deduplicated"] = 1 if _b(d.get("deduplicated")) else 0
    return {k: v for k, v in c.items() if v}


TICKET_EVENTS = ("ticket_created", "ticket_assigned", "ticket_status_changed", "ticket_resolved",
                 "ticket_closed", "ticket_reopened", "ticket_rated", "sla_warning", "sla_breached",
                 "ticket_escalated", "change_approved", "change_rejected", "change_implemented",
                 "problem_linked", "alert_received")
# Events about a ticket's own state (the backlog follows them). alert_received is about an
# alert, and problem_linked's common fields describe the problem ticket: both carry its state.
STATEFUL = frozenset(TICKET_EVENTS) - {"alert_received"}


def occurred_at(env: Envelope) -> str:
    d = env.data
    return d.get("occurred_at") or (d.get("created_at") if env.name == "ticket_created" else None) or env.time


BUDGET_EVENTS = ("budget_approved", "expense_recorded")


def budget_plan(env: Envelope, org: OrgResolver) -> EventPlan:
    """Cost counters of a budget event, at the organisation level of the budget unit and its
    ancestors: an approved budget's total (`budget_approved_total`, counted in January of its
    budget year, so a year's window holds both the budget and its spending) and each recorded
    expense (`om_spend`, when it was recorded)."""
    d = env.data
    unit = d.get("org_unit_id") or env.org_unit_id
    if not unit:
        return EventPlan()
    if env.name == "budget_approved":
        amount, year = _num(d.get("total")), d.get("year")
        at = f"{int(year):04d}-01-01T00:00:00+08:00" if year else occurred_at(env)
        counters = {"budget_approved_total": amount} if amount else {}
        if amount and int(d.get("asset_count") or 0) > 0:  # events from before the field: no per-asset figure
            counters["budget_assets"] = int(d["asset_count"])
    else:
        amount, at = _num(d.get("amount")), occurred_at(env)
        counters = {"om_spend": amount} if amount else {}
    subjects = [(Level.ORGANIZATION, u) for u in [unit] + [a for a in org.ancestors(unit) if a != unit]]
    plan = EventPlan(counters=counters, subjects=subjects)
    if counters:
        plan.flow_keys = [KpiKey(level, subject, bucket) for bucket in buckets_for(at) for level, subject in subjects]
    return plan


def plan_for(env: Envelope, org: OrgResolver | None = None) -> EventPlan:
    """The counter deltas and backlog state of one event (empty plan if it moves no KPI)."""
    if env.source == "budget" and env.name in BUDGET_EVENTS:
        return budget_plan(env, org or NoOrg())
    if env.source != "ticket" or env.name not in TICKET_EVENTS:
        return EventPlan()
    d = env.data
    org_unit_id = d.get("org_unit_id") or env.org_unit_id
    if not org_unit_id:
        return EventPlan()
    subjects = ticket_subjects(d, event_units(d, org_unit_id, org or NoOrg()))
    at = occurred_at(env)
    plan = EventPlan(counters=event_counters(env.name, d), subjects=subjects)
    if plan.counters:
        plan.flow_keys = [KpiKey(level, subject, bucket) for bucket in buckets_for(at) for level, subject in subjects]
    ticket_id = d.get("ticket_id") or env.subject
    if env.name in STATEFUL and ticket_id and d.get("ticket_type") != RECTIFICATION:
        status = (d.get("status") or "new").lower()
        open_keys = () if status in CLOSED_STATUSES else tuple(KpiKey(lv, s) for lv, s in subjects)
        plan.ticket = TicketState(ticket_id, order_key(at, env.id), open_keys)
    return plan


def deltas_for(envelope: Envelope, org: OrgResolver | None = None) -> list[KpiDelta]:
    """Flow deltas only (kept for callers of the walking skeleton)."""
    return plan_for(envelope, org).flows


# ---- counters → KPI values ---------------------------------------------------------------
def _ratio(num: float, den: float, scale: float = 100.0) -> float | None:
    return None if not den else scale * num / den


def derive(raw: dict[str, float]) -> dict[str, float]:
    """KPI values from summed counters. A KPI whose denominator is zero is absent, not 0."""
    g = raw.get
    out: dict[str, float] = {k: raw[k] for k in COUNTS if k in raw}

    def hist(prefix: str) -> dict[int, float]:
        p = f"_h_{prefix}:"
        return {int(k[len(p):]): v for k, v in raw.items() if k.startswith(p) and v}

    candidates = {
        "response_time_mean_s": _ratio(g("_resp_sum", 0), g("_resp_n", 0), 1),
        "response_time_p90_s": percentile(hist("resp"), 0.9),
        "resolution_time_mean_s": _ratio(g("_res_sum", 0), g("_res_n", 0), 1),
        "resolution_time_p90_s": percentile(hist("res"), 0.9),
        "sla_attainment_pct": _ratio(g("_res_met", 0), g("tickets_resolved", 0)),
        "response_sla_attainment_pct": _ratio(g("_resp_sla_met", 0), g("_resp_sla_n", 0)),
        "first_contact_resolution_pct": _ratio(g("_fcr", 0), g("tickets_resolved", 0)),
        "reopen_rate_pct": _ratio(g("tickets_reopened", 0), g("tickets_resolved", 0)),
        "satisfaction_avg": _ratio(g("_rating_sum", 0), g("satisfaction_count", 0), 1),
        "change_success_rate_pct": _ratio(g("_chg_ok", 0), g("changes_implemented", 0)),
        "change_emergency_rate_pct": _ratio(g("_chg_emergency", 0), g("changes_implemented", 0)),
        "change_rolled_back_rate_pct": _ratio(g("_chg_rb", 0), g("changes_implemented", 0)),
        "change_failed_rate_pct": _ratio(g("_chg_failed", 0), g("changes_implemented", 0)),
        "incidents_per_problem": _ratio(g("problem_links", 0), g("_problems_linked", 0), 1),
        "repeat_incident_rate_pct": _ratio(g("repeat_incidents", 0), g("incidents_created", 0)),
        "catalogue_coverage_pct": _ratio(g("_catalogued", 0), g("_cat_known", 0)),
        "budget_execution_pct": _ratio(g("om_spend", 0), g("budget_approved_total", 0)),
        "om_spend_per_ticket": _ratio(g("om_spend", 0), g("tickets_resolved", 0), 1) if g("om_spend") else None,
        "om_spend_per_asset": _ratio(g("om_spend", 0), g("budget_assets", 0), 1) if g("om_spend") else None,
    }
    out.update({k: round(v, 6) for k, v in candidates.items() if v is not None})
    return out


def add_raw(total: dict[str, float], raw: dict) -> dict[str, float]:
    for k, v in raw.items():
        if k == "_at":
            continue
        total[k] = total.get(k, 0.0) + float(v)
    return total


# ---- the in-memory twin of the Redis script (rebuild checks, periodic evaluation, tests) --
class Ledger:
    """Applies event plans exactly as the Redis script does, in memory.

    `keep(bucket)` limits which flow buckets are kept (e.g. the days of an evaluation period)."""

    def __init__(self, keep: Callable[[str], bool] | None = None):
        self.hashes: dict[KpiKey, dict[str, float]] = {}
        self.tickets: dict[str, TicketState] = {}
        self.seen: set[str] = set()
        self.keep = keep

    def _add(self, key: KpiKey, name: str, delta: float) -> None:
        h = self.hashes.setdefault(key, {})
        h[name] = h.get(name, 0.0) + delta

    def apply(self, event_id: str, plan: EventPlan) -> bool:
        if event_id in self.seen:
            return False
        self.seen.add(event_id)
        t = plan.ticket
        if t is not None:
            old = self.tickets.get(t.ticket_id)
            if old is None or t.order > old.order:
                for k in (old.open_keys if old else ()):
                    self._add(k, TICKETS_OPEN, -1)
                for k in t.open_keys:
                    self._add(k, TICKETS_OPEN, 1)
                self.tickets[t.ticket_id] = t
        for k in plan.flow_keys:
            if self.keep is None or self.keep(k.window):
                for name, delta in plan.counters.items():
                    self._add(k, name, delta)
        for d in plan.extra:
            if self.keep is None or self.keep(d.key.window):
                self._add(d.key, d.name, d.delta)
        return True

    def apply_all(self, envelopes: Iterable[Envelope], org: OrgResolver | None = None) -> int:
        return sum(self.apply(e.id, plan_for(e, org)) for e in envelopes)

    def raw(self, level: Level, subject: str, buckets: Iterable[str]) -> dict[str, float]:
        total: dict[str, float] = {}
        for b in buckets:
            add_raw(total, self.hashes.get(KpiKey(level, subject, b), {}))
        if WINDOW_ALL not in buckets:  # backlog is a current state, kept in `all` only
            open_now = self.hashes.get(KpiKey(level, subject, WINDOW_ALL), {}).get(TICKETS_OPEN)
            if open_now is not None:
                total[TICKETS_OPEN] = open_now
        return total

    def subjects(self) -> set[tuple[Level, str]]:
        return {(k.level, k.subject) for k in self.hashes}
