"""An in-memory unit of work for the ticket handlers: the `TicketUow` Protocol
(ticket.domain.ports) without a database, with the same scope filtering and transaction
semantics (rollback restores, commit publishes). mypy checks the fit (`_conforms` below, run by
`make lint`); tests/integration/test_ticket_repository_contract.py runs the same repository
cases here and on PostgreSQL, so the fake cannot drift from the real thing unnoticed."""

from __future__ import annotations

import copy
import itertools
import uuid
from datetime import UTC, datetime

from govkit.auth import Principal, Scope
from govkit.units import UnitChecks
from govkit.uow import UnitOfWork
from ticket.adapters.details import audit_snapshot
from ticket.adapters.repository import decode_token, encode_token
from ticket.adapters.uow import lifecycle_settings
from ticket.domain.calendar import DEFAULT_CALENDARS
from ticket.domain.change import CHANGE_TYPES, DEFAULT_ROUTES
from ticket.domain.defaults import DEFAULT_CATALOGUE
from ticket.domain.knowledge import search_tokens
from ticket.domain.lifecycle import NUMBER_PREFIX
from ticket.domain.ports import TicketUow
from ticket.domain.sla import DEFAULT_POLICIES


def _uuid(value):
    """As the repositories parse ids: a string that is no UUID matches nothing."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None


class State:
    def __init__(self):
        self.tickets: dict = {}
        self.fingerprints: dict = {}  # ticket id → request fingerprint (govkit.idempotency)
        self.audit: list = []
        self.catalogue = {i.id: i for i in copy.deepcopy(DEFAULT_CATALOGUE)}
        self.deadlines: dict = {}
        self.comments: list = []
        self.articles: dict = {}
        self.article_versions: list = []
        self.alerts: dict = {}
        self.views: dict = {}  # (owner, name) → SavedView
        self.links: dict = {}
        self.watchers: set = set()
        self.attachments: dict = {}
        self.policies: dict = {}
        self.calendars: dict = {}
        self.dept_policy: dict = {}
        self.change_routes: dict = {}
        self.numbers = itertools.count(1)
        self.audit_ids = itertools.count(1)  # like identity columns, never rolled back
        self.comment_ids = itertools.count(1)


class FakeTickets:
    def __init__(self, s: State, scope: Scope):
        self.s, self.scope = s, scope

    def next_number(self, ticket_type, year):
        return f"{NUMBER_PREFIX[ticket_type]}-{year}-{next(self.s.numbers):06d}"

    def add(self, t, actor=None, fingerprint=None):
        if t.idempotency_key and self._by_key(t.requester, t.idempotency_key, scoped=False):
            return False
        self.s.tickets[t.id] = copy.deepcopy(t)
        self.s.fingerprints[t.id] = fingerprint
        self._audit(t, actor or t.requester, "created", {}, audit_snapshot(t))
        t._loaded = audit_snapshot(t)
        return True

    def _find(self, ticket_id):
        number = str(ticket_id).upper()
        return self.s.tickets.get(ticket_id) or next((t for t in self.s.tickets.values() if t.number == number), None)

    def get(self, ticket_id, *, for_update=False, skip_locked=False):
        t = self._find(ticket_id)
        if t is None or not self.scope.allows(t.org_unit_id):
            return None
        t = copy.deepcopy(t)
        t._loaded = audit_snapshot(t)
        return t

    def lock_many(self, ids):
        return [t for t in (self.get(i) for i in ids) if t is not None]

    def exists(self, ticket_id):
        return self._find(ticket_id) is not None

    def by_idempotency_key(self, requester, key):
        return self._by_key(requester, key, scoped=True)

    def request_fingerprint(self, requester, key):
        t = self._by_key(requester, key, scoped=False)
        return self.s.fingerprints.get(t.id) if t else None

    def _by_key(self, requester, key, scoped):
        return next((copy.deepcopy(t) for t in self.s.tickets.values()
                     if (t.requester, t.idempotency_key) == (requester, key)
                     and (not scoped or self.scope.allows(t.org_unit_id))), None)

    def save(self, t, actor, action):
        before, after = getattr(t, "_loaded", {}), audit_snapshot(t)
        changed = [k for k in after if before.get(k) != after[k]]
        self.s.tickets[t.id] = copy.deepcopy(t)
        if changed or not action.startswith("sla_"):  # as on PostgreSQL: a no-op SLA step leaves no entry
            self._audit(t, actor, action, {k: before.get(k) for k in changed}, {k: after[k] for k in changed})
        t._loaded = after

    def _audit(self, t, actor, action, before, after):
        self.s.audit.append({"id": next(self.s.audit_ids), "ticket_id": uuid.UUID(t.id), "org_unit_id": t.org_unit_id,
                             "actor": actor, "action": action, "at": t.updated_at or datetime.now(UTC),
                             "before": before, "after": after})

    def audit_entries(self, *, ticket_id=None, actor=None, after_id=0, limit=50):
        return [dict(a) for a in self.s.audit if a["id"] > after_id
                and (ticket_id is None or a["ticket_id"] == _uuid(ticket_id))
                and (actor is None or a["actor"] == actor) and self.scope.allows(a["org_unit_id"])][:limit]

    def open_load(self, staff_ids):
        load = dict.fromkeys(staff_ids, 0)
        for t in self.s.tickets.values():
            if t.is_open and t.assignee in load:
                load[t.assignee] += 1
        return load

    def list(self, f, *, page_size, page_token="", sort="created_desc"):
        """The filters, orders and page tokens of the PostgreSQL repository."""
        def keep(t):
            if not self.scope.allows(t.org_unit_id):
                return False
            for name in _LIST_FILTERS:
                if f.get(name) and _value(getattr(t, name)) not in list(f[name]):
                    return False
            return ((not f.get("requester") or t.requester == f["requester"])
                    and (not f.get("open_only") or t.is_open)
                    and (not f.get("unassigned") or t.assignee is None)
                    and (not f.get("created_from") or t.created_at >= f["created_from"])
                    and (not f.get("created_to") or t.created_at < f["created_to"]))

        items = [t for t in self.s.tickets.values() if keep(t)]
        cursor = decode_token(page_token, sort)
        if sort == "sla_due":
            def due_key(t):
                return (t.resolution_due_at is None, t.resolution_due_at or datetime.min.replace(tzinfo=UTC),
                        uuid.UUID(t.id))
            items.sort(key=due_key)
            if cursor:
                due, last_id = cursor
                after = (due is None, datetime.fromisoformat(due) if due else datetime.min.replace(tzinfo=UTC),
                         uuid.UUID(last_id))
                items = [t for t in items if due_key(t) > after]
        else:
            items.sort(key=lambda t: (t.created_at, uuid.UUID(t.id)), reverse=True)
            if cursor:
                before = (datetime.fromisoformat(cursor[0]), uuid.UUID(cursor[1]))
                items = [t for t in items if (t.created_at, uuid.UUID(t.id)) < before]
        page = [copy.deepcopy(t) for t in items[:page_size]]
        token = ""
        if len(items) > page_size:
            last = page[-1]
            key = (last.resolution_due_at.isoformat() if last.resolution_due_at else None) \
                if sort == "sla_due" else last.created_at.isoformat()
            token = encode_token([key, last.id])
        return page, token


_LIST_FILTERS = ("status", "priority", "category", "org_unit_id", "assignee", "sla_state", "ticket_type",
                 "group_id", "catalogue_item_id")


def _value(v):
    return getattr(v, "value", v)


class FakeCatalogue:
    def __init__(self, s):
        self.s = s

    def get(self, item_id):
        return copy.deepcopy(self.s.catalogue.get(item_id))

    def list(self, *, include_inactive=False):
        return [copy.deepcopy(i) for i in sorted(self.s.catalogue.values(), key=lambda i: (i.sort, i.id))
                if include_inactive or i.active]

    def get_for_update(self, item_id):
        return self.get(item_id)

    def upsert(self, item):
        old = self.s.catalogue.get(item.id)
        stored = copy.deepcopy(item)
        stored.version = old.version + 1 if old else 1
        self.s.catalogue[item.id] = stored
        return stored.version


class FakeSla:
    def __init__(self, s):
        self.s = s

    def calendar(self, cid):
        if cid is None:
            return None
        return copy.deepcopy(self.s.calendars.get(cid)) or next((c for c in DEFAULT_CALENDARS if c.id == cid), None)

    def policy(self, pid):
        if pid is None:
            return None
        return copy.deepcopy(self.s.policies.get(pid)) or next((p for p in DEFAULT_POLICIES if p.id == pid), None)

    def department_policy(self, org_unit_id):
        return self.s.dept_policy.get(org_unit_id)

    def policies(self):
        return [copy.deepcopy(self.s.policies[k]) for k in sorted(self.s.policies)]

    def calendars(self):
        return [copy.deepcopy(self.s.calendars[k]) for k in sorted(self.s.calendars)]

    def upsert_policy(self, p):
        self.s.policies[p.id] = copy.deepcopy(p)

    def upsert_calendar(self, cal):
        self.s.calendars[cal.id] = copy.deepcopy(cal)

    def set_department_policy(self, org_unit_id, policy_id):
        if policy_id:
            self.s.dept_policy[org_unit_id] = policy_id
        else:
            self.s.dept_policy.pop(org_unit_id, None)


class FakeChangeRoutes:
    def __init__(self, s):
        self.s = s

    def get(self, change_type):
        return self.s.change_routes.get(change_type) or next(r for r in DEFAULT_ROUTES if r.change_type == change_type)

    def list(self):
        return [self.get(x) for x in CHANGE_TYPES]

    def upsert(self, route):
        self.s.change_routes[route.change_type] = route


class FakeDeadlines:
    def __init__(self, s):
        self.s = s

    def replace(self, ticket_id, items, now, *, new=False):
        if items:
            self.s.deadlines[ticket_id] = list(items)
        else:
            self.s.deadlines.pop(ticket_id, None)

    def due_tickets(self, now, limit=100):
        due = [(min(d.due_at for d in ds if d.due_at <= now), tid) for tid, ds in self.s.deadlines.items()
               if any(d.due_at <= now for d in ds)]
        return [tid for _, tid in sorted(due)][:limit]

    def for_ticket(self, ticket_id, now):
        return sorted((d for d in self.s.deadlines.get(ticket_id, []) if d.due_at <= now), key=lambda d: d.due_at)

    def for_tickets(self, ids, now):
        return {i: self.for_ticket(i, now) for i in ids if self.for_ticket(i, now)}

    def next_due(self):
        dues = [d.due_at for ds in self.s.deadlines.values() for d in ds]
        return min(dues) if dues else None


class FakeComments:
    def __init__(self, s):
        self.s = s

    def add(self, ticket_id, author, body, visibility, at):
        cid = next(self.s.comment_ids)
        self.s.comments.append({"id": cid, "ticket_id": uuid.UUID(ticket_id), "author": author, "body": body,
                                "visibility": visibility, "created_at": at})
        return cid

    def list(self, ticket_id, *, include_internal):
        return [dict(c) for c in self.s.comments if c["ticket_id"] == uuid.UUID(ticket_id)
                and (include_internal or c["visibility"] == "public")]


class FakeAttachments:
    def __init__(self, s):
        self.s = s

    def add(self, **values):
        self.s.attachments[values["id"]] = dict(values)

    def get(self, attachment_id):
        a = self.s.attachments.get(_uuid(attachment_id))
        return dict(a) if a else None

    def list(self, ticket_id):
        rows = [a for a in self.s.attachments.values() if a["ticket_id"] == uuid.UUID(ticket_id)]
        return [{k: v for k, v in a.items() if k != "data"} for a in sorted(rows, key=lambda a: a["created_at"])]


class FakeRelations:
    def __init__(self, s):
        self.s = s

    def link(self, a, b, kind, by, at):
        key = (uuid.UUID(a), uuid.UUID(b), kind)
        if key in self.s.links:
            return False
        self.s.links[key] = {"from_id": key[0], "to_id": key[1], "kind": kind, "created_by": by, "created_at": at}
        return True

    def count(self, a, kind):
        return sum(1 for x, _, k in self.s.links if x == uuid.UUID(a) and k == kind)

    def links(self, ticket_id):
        key = uuid.UUID(ticket_id)
        return [dict(v) for (x, y, _), v in self.s.links.items() if key in (x, y)]

    def watch(self, ticket_id, subject, on):
        (self.s.watchers.add if on else self.s.watchers.discard)((ticket_id, subject))

    def watchers(self, ticket_id):
        return sorted(s for t, s in self.s.watchers if t == ticket_id)


class FakeArticles:
    def __init__(self, s):
        self.s = s

    def add(self, a):
        self.s.articles[a.id] = copy.deepcopy(a)
        self._version(a)

    def save(self, a, new_version):
        self.s.articles[a.id] = copy.deepcopy(a)
        if new_version:
            self._version(a)

    def _version(self, a):
        self.s.article_versions.append({"article_id": uuid.UUID(a.id), "version": a.version, "title": a.title,
                                        "body": a.body, "author": a.author, "created_at": a.updated_at})

    def get(self, article_id, for_update=False):
        return copy.deepcopy(self.s.articles.get(article_id))

    def versions(self, article_id):
        return sorted((dict(v) for v in self.s.article_versions if v["article_id"] == _uuid(article_id)),
                      key=lambda v: v["version"])

    def list(self, *, statuses, catalogue_item_id=None, problem_id=None, offset=0, limit=20):
        found = [a for a in self.s.articles.values() if a.status in statuses
                 and (not catalogue_item_id or catalogue_item_id in a.catalogue_item_ids)
                 and (not problem_id or a.problem_id == problem_id)]
        found.sort(key=lambda a: (-a.updated_at.timestamp(), a.id))
        return [copy.deepcopy(a) for a in found[offset:offset + limit]], len(found)

    def search(self, query, *, catalogue_item_id=None, statuses=("published",), limit=10):
        """Articles sharing a search token with the query, most shared tokens first (PostgreSQL
        ranks by ts_rank, which this only approximates)."""
        q = set(search_tokens(query))
        scored = [(len(q & set(search_tokens(a.title + " " + a.body))), a) for a in self.s.articles.values()
                  if a.status in statuses]
        return [copy.deepcopy(a) for n, a in sorted(scored, key=lambda x: -x[0]) if n][:limit]


class FakeAlerts:
    def __init__(self, s):
        self.s = s

    def get(self, fp):
        return copy.deepcopy(self.s.alerts.get(fp))

    def upsert(self, record):
        self.s.alerts[record.fingerprint] = copy.deepcopy(record)


class FakeViews:
    def __init__(self, s):
        self.s = s

    def list(self, owner, *, for_update=False):
        return [v for (o, _), v in self.s.views.items() if o == owner]

    def upsert(self, view):
        self.s.views[(view.owner, view.name)] = view

    def delete(self, owner, name):
        return self.s.views.pop((owner, name), None) is not None


class FakeOrgDir(UnitChecks):
    """Staff s1, s2 in group grp-network (s1 on duty); positions engineer → lead → director;
    units gov, om-centre and five departments (all active).

    Changes: fgw (with its division fgw-xxc) and czj each have an officer with the change-approval
    duty (F001, C001); the O&M centre's director approves its own unit's changes and sits on the
    emergency board; the change manager and the network lead (both held by `lead`) are the change
    advisory board (CAB), the change manager also an emergency member. gaj has no approver."""

    UNITS = {"gov": (None, "government"), "om-centre": ("gov", "om_centre"), "fgw": ("gov", "department"),
             "fgw-xxc": ("fgw", "division"), "czj": ("gov", "department"), "gaj": ("gov", "department"),
             "wjw": ("gov", "department")}
    POSITIONS = {  # id: (org unit, approval duties)
        "pos-om-director": ("om-centre", ["change", "change_ecab"]),
        "pos-change-manager": ("om-centre", ["change_cab", "change_ecab"]),
        "pos-net-lead": ("om-centre", ["change_cab"]),
        "pos-net-engineer": ("om-centre", []),
        "czj-officer": ("czj", ["change"]),
        "fgw-officer": ("fgw", ["change"]),
    }

    def __init__(self):
        self.units = dict.fromkeys(("gov", "om-centre", "fgw", "fgw-xxc", "czj", "gaj", "wjw"), True)  # id: active
        self.staff = {"s1": {"id": "s1", "active": True, "vendor_id": None},
                      "s2": {"id": "s2", "active": True, "vendor_id": None},
                      "lead": {"id": "lead", "active": True, "vendor_id": None},
                      "boss": {"id": "boss", "active": True, "vendor_id": None},
                      "v1": {"id": "v1", "active": True, "vendor_id": "vendor-a"}}
        self.duty = {"grp-network": ["s1", "s2"]}
        self.parents = {"pos-net-engineer": "pos-net-lead", "pos-net-lead": "pos-om-director"}
        self.holders_of = {"pos-net-lead": ["lead"], "pos-om-director": ["boss"]}
        self.positions = {"lead": ["pos-net-lead", "pos-change-manager"], "boss": ["pos-om-director"],
                          "F001": ["fgw-officer"], "C001": ["czj-officer"]}
        self.unit_names = {"om-centre": "市电子政务运维中心", "czj": "市财政局", "wjw": "市卫生健康委员会"}

    def unit_states(self, ids):
        return {u: self.units[u] for u in ids if u in self.units}

    def on_duty(self, group, at):
        return list(self.duty.get(group, []))

    def staff_member(self, sid):
        return self.staff.get(sid)

    def groups(self, group_ids=None):
        ids = sorted(self.duty) if group_ids is None else [g for g in group_ids if g in self.duty]
        return [{"id": g, "code": g[4:], "name": g, "org_unit_id": "om-centre", "lead_position_id": None} for g in ids]

    def groups_of(self, sid):
        return sorted(g for g, members in self.duty.items() if sid in members)

    def group_members(self, gid):
        return list(self.duty.get(gid, []))

    def staff_members(self, ids):
        return {i: self.staff[i] for i in ids if i in self.staff}

    def find_unit(self, code_or_name):
        named = [u for u, name in self.unit_names.items() if name == code_or_name]
        unit = code_or_name if code_or_name in self.unit_names else named[0] if len(named) == 1 else None
        return {"id": unit, "name": self.unit_names[unit]} if unit else None

    def group(self, gid):
        return {"id": gid} if gid.startswith("grp-") else None

    def escalation_chain(self, pos):
        out = []
        while pos in self.parents:
            pos = self.parents[pos]
            out.append(pos)
        return out

    def holders(self, pos, on):
        return list(self.holders_of.get(pos, []))

    def positions_of(self, sid, on):
        return list(self.positions.get(sid, []))

    def unit(self, unit_id):
        if unit_id not in self.UNITS:
            return None
        parent, kind = self.UNITS[unit_id]
        return {"id": unit_id, "name": unit_id, "parent_id": parent, "kind": kind, "active": True}

    def ancestors(self, unit_id):
        out, current = [], self.UNITS.get(unit_id, (None, ""))[0]
        while current:
            out.append(current)
            current = self.UNITS[current][0]
        return out

    def units_of_kind(self, kind):
        return sorted(u for u, (_, k) in self.UNITS.items() if k == kind)

    def positions_responsible_for(self, kind, value, org_unit_id=None):
        return sorted(p for p, (unit, duties) in self.POSITIONS.items()
                      if kind == "approval" and value in duties and org_unit_id in (None, unit))

    def position(self, pos):
        if pos in self.POSITIONS:
            return {"id": pos, "org_unit_id": self.POSITIONS[pos][0]}
        return {"id": pos, "org_unit_id": "om-centre"} if pos.startswith("pos-") else None


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, scope=Scope(None), state: State | None = None, orgdir: FakeOrgDir | None = None):
        super().__init__()
        self.state = state or State()
        self.scope = scope
        self.published: list = []
        self.settings = lifecycle_settings()
        self.orgdir = orgdir or FakeOrgDir()

    def __enter__(self):
        super().__enter__()
        self._saved = copy.deepcopy(self.state.__dict__)
        s = self.state
        self.tickets = FakeTickets(s, self.scope)
        self.catalogue, self.sla, self.deadlines = FakeCatalogue(s), FakeSla(s), FakeDeadlines(s)
        self.change_routes = FakeChangeRoutes(s)
        self.comments, self.relations, self.articles = FakeComments(s), FakeRelations(s), FakeArticles(s)
        self.alerts, self.attachments = FakeAlerts(s), FakeAttachments(s)
        self.views = FakeViews(s)
        return self

    def commit(self):
        self._saved = copy.deepcopy(self.state.__dict__)
        self.published.extend(self.events)
        self.events = []

    def rollback(self):
        if getattr(self, "_saved", None) is not None:
            counters = self.state.numbers, self.state.audit_ids, self.state.comment_ids
            self.state.__dict__.update(copy.deepcopy(self._saved))
            self.state.numbers, self.state.audit_ids, self.state.comment_ids = counters
        self.events = []

    # tests read these
    @property
    def committed_store(self):
        return self.state.tickets

    def factory(self, scope=None):
        """A new unit on the same state (handlers that open one per ticket take a factory)."""
        def make():
            u = FakeUnitOfWork(scope or self.scope, self.state, self.orgdir)
            u.published = self.published
            return u
        return make


def caller(units=None, subject="u1", perms=("*",), staff_id=None):
    scope = Scope(None) if units is None else Scope(frozenset(units))
    claims = {"staff_id": staff_id} if staff_id else {}
    return Principal(subject, subject, (), frozenset(perms), scope, claims=claims)


def _conforms(uow: FakeUnitOfWork) -> TicketUow:
    """Never called: mypy checks here that the fake meets the Protocol the handlers declare."""
    return uow
