"""An in-memory unit of work for the ticket handlers: every repository the handlers use, with
the same scope filtering and transaction semantics (rollback restores, commit publishes)."""

from __future__ import annotations

import copy
import itertools

from govkit.auth import Principal, Scope
from govkit.uow import UnitOfWork
from ticket.adapters.details import audit_snapshot
from ticket.adapters.uow import lifecycle_settings
from ticket.domain.calendar import DEFAULT_CALENDARS
from ticket.domain.defaults import DEFAULT_CATALOGUE
from ticket.domain.knowledge import search_tokens
from ticket.domain.lifecycle import NUMBER_PREFIX
from ticket.domain.sla import DEFAULT_POLICIES


class State:
    def __init__(self):
        self.tickets: dict = {}
        self.audit: list = []
        self.catalogue = {i.id: i for i in copy.deepcopy(DEFAULT_CATALOGUE)}
        self.deadlines: dict = {}
        self.comments: list = []
        self.articles: dict = {}
        self.alerts: dict = {}
        self.links: set = set()
        self.watchers: set = set()
        self.attachments: dict = {}
        self.dept_policy: dict = {}
        self.numbers = itertools.count(1)


class FakeTickets:
    def __init__(self, s: State, scope: Scope):
        self.s, self.scope = s, scope

    def next_number(self, ticket_type, year):
        return f"{NUMBER_PREFIX[ticket_type]}-{year}-{next(self.s.numbers):06d}"

    def add(self, t, actor):
        if t.idempotency_key and self.by_idempotency_key(t.requester, t.idempotency_key, scoped=False):
            return False
        self.s.tickets[t.id] = copy.deepcopy(t)
        self.s.audit.append(
            {"ticket_id": t.id, "actor": actor, "action": "created", "before": {}, "after": audit_snapshot(t)}
        )
        t._loaded = audit_snapshot(t)
        return True

    def get(self, ticket_id, for_update=False, skip_locked=False):
        t = self.s.tickets.get(ticket_id)
        if t is None or not self.scope.allows(t.org_unit_id):
            return None
        t = copy.deepcopy(t)
        t._loaded = audit_snapshot(t)
        return t

    def lock_many(self, ids):
        return [t for t in (self.get(i) for i in ids) if t is not None]

    def exists(self, ticket_id):
        return ticket_id in self.s.tickets

    def by_idempotency_key(self, requester, key, scoped=True):
        return next((copy.deepcopy(t) for t in self.s.tickets.values()
                     if (t.requester, t.idempotency_key) == (requester, key)
                     and (not scoped or self.scope.allows(t.org_unit_id))), None)

    def save(self, t, actor, action):
        before, after = getattr(t, "_loaded", {}), audit_snapshot(t)
        changed = [k for k in after if before.get(k) != after[k]]
        self.s.audit.append({"ticket_id": t.id, "actor": actor, "action": action,
                             "before": {k: before.get(k) for k in changed}, "after": {k: after[k] for k in changed}})
        self.s.tickets[t.id] = copy.deepcopy(t)
        t._loaded = after

    def open_load(self, staff_ids):
        load = dict.fromkeys(staff_ids, 0)
        for t in self.s.tickets.values():
            if t.is_open and t.assignee in load:
                load[t.assignee] += 1
        return load

    def list(self, f, page_size, page_token="", sort="created_desc"):
        items = [t for t in self.s.tickets.values() if self.scope.allows(t.org_unit_id)]
        if f.get("requester"):
            items = [t for t in items if t.requester == f["requester"]]
        if f.get("assignee"):
            items = [t for t in items if t.assignee in f["assignee"]]
        if f.get("open_only"):
            items = [t for t in items if t.is_open]
        return [copy.deepcopy(t) for t in items][:page_size], ""

    def audit_entries(self, ticket_id=None, actor=None, after_id=0, limit=50):
        return [a for a in self.s.audit if (ticket_id is None or a["ticket_id"] == ticket_id)
                and (actor is None or a["actor"] == actor)][:limit]


class FakeCatalogue:
    def __init__(self, s):
        self.s = s

    def get(self, item_id):
        return copy.deepcopy(self.s.catalogue.get(item_id))

    def list(self, include_inactive=False):
        return list(self.s.catalogue.values())

    def upsert(self, item):
        self.s.catalogue[item.id] = copy.deepcopy(item)


class FakeSla:
    def __init__(self, s):
        self.s = s

    def calendar(self, cid):
        return next((c for c in DEFAULT_CALENDARS if c.id == cid), None)

    def policy(self, pid):
        return next((p for p in DEFAULT_POLICIES if p.id == pid), None)

    def department_policy(self, dept):
        return self.s.dept_policy.get(dept)


class FakeDeadlines:
    def __init__(self, s):
        self.s = s

    def replace(self, ticket_id, items, now, new=False):
        self.s.deadlines[ticket_id] = list(items)

    def due_tickets(self, now, limit=100):
        return [tid for tid, ds in self.s.deadlines.items() if any(d.due_at <= now for d in ds)][:limit]

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
        self.s.comments.append({"ticket_id": ticket_id, "author": author, "body": body, "visibility": visibility})
        return len(self.s.comments)

    def list(self, ticket_id, include_internal):
        return [c for c in self.s.comments if c["ticket_id"] == ticket_id
                and (include_internal or c["visibility"] == "public")]


class FakeRelations:
    def __init__(self, s):
        self.s = s

    def link(self, a, b, kind, by, at):
        if (a, b, kind) in self.s.links:
            return False
        self.s.links.add((a, b, kind))
        return True

    def count(self, a, kind):
        return sum(1 for x, _, k in self.s.links if x == a and k == kind)

    def links(self, ticket_id):
        return [x for x in self.s.links if ticket_id in x[:2]]

    def watch(self, ticket_id, subject, on):
        (self.s.watchers.add if on else self.s.watchers.discard)((ticket_id, subject))

    def watchers(self, ticket_id):
        return sorted(s for t, s in self.s.watchers if t == ticket_id)


class FakeArticles:
    def __init__(self, s):
        self.s = s

    def add(self, a):
        self.s.articles[a.id] = copy.deepcopy(a)

    def save(self, a, new_version):
        self.s.articles[a.id] = copy.deepcopy(a)

    def get(self, article_id, for_update=False):
        return copy.deepcopy(self.s.articles.get(article_id))

    def search(self, query, catalogue_item_id=None, statuses=("published",), limit=10):
        q = set(search_tokens(query))
        scored = [(len(q & set(search_tokens(a.title + a.body))), a) for a in self.s.articles.values()
                  if a.status in statuses]
        return [a for n, a in sorted(scored, key=lambda x: -x[0]) if n][:limit]


class FakeAlerts:
    def __init__(self, s):
        self.s = s

    def get(self, fp):
        return copy.deepcopy(self.s.alerts.get(fp))

    def upsert(self, record):
        self.s.alerts[record.fingerprint] = copy.deepcopy(record)


class FakeOrgDir:
    """Staff s1, s2 in group grp-network (s1 on duty); positions engineer → lead → director."""

    def __init__(self):
        self.staff = {"s1": {"id": "s1", "active": True, "vendor_id": None},
                      "s2": {"id": "s2", "active": True, "vendor_id": None},
                      "lead": {"id": "lead", "active": True, "vendor_id": None},
                      "boss": {"id": "boss", "active": True, "vendor_id": None},
                      "v1": {"id": "v1", "active": True, "vendor_id": "vendor-a"}}
        self.duty = {"grp-network": ["s1", "s2"]}
        self.parents = {"pos-net-engineer": "pos-net-lead", "pos-net-lead": "pos-om-director"}
        self.holders_of = {"pos-net-lead": ["lead"], "pos-om-director": ["boss"]}
        self.approvals = ["pos-change-manager", "pos-om-director"]
        self.positions = {"lead": ["pos-net-lead", "pos-change-manager"], "boss": ["pos-om-director"]}

    def on_duty(self, group, at):
        return list(self.duty.get(group, []))

    def staff_member(self, sid):
        return self.staff.get(sid)

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

    def positions_responsible_for(self, kind, value):
        return list(self.approvals)


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
        self.comments, self.relations, self.articles = FakeComments(s), FakeRelations(s), FakeArticles(s)
        self.alerts = FakeAlerts(s)
        return self

    def commit(self):
        self._saved = copy.deepcopy(self.state.__dict__)
        self.published.extend(self.events)
        self.events = []

    def rollback(self):
        if getattr(self, "_saved", None) is not None:
            numbers = self.state.numbers
            self.state.__dict__.update(copy.deepcopy(self._saved))
            self.state.numbers = numbers
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
