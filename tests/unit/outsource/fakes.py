"""In-memory vendors and projects for the outsource handler tests: the `ProcurementUow` Protocol
(outsource.domain.ports) without a database. mypy checks the fit (`_conforms` below, run by
`make lint`); tests/integration/test_outsource_repository_contract.py runs the same repository
cases here and on PostgreSQL, so the fake cannot drift from the real thing unnoticed."""

from __future__ import annotations

import copy

from govkit.units import UnitChecks
from govkit.uow import UnitOfWork
from outsource.domain.ports import ProcurementUow


class FakeVendors:
    def __init__(self):
        self.rows, self.quals, self.log, self.warned = {}, {}, [], set()

    def add(self, v):
        self.rows[v.id] = copy.deepcopy(v)

    update = add

    def get(self, vid, lock=False):
        return copy.deepcopy(self.rows.get(vid))

    def by_credit_code(self, credit):
        return next((copy.deepcopy(v) for v in self.rows.values() if v.credit_code == credit), None)

    def list(self, *, status=None):
        return [copy.deepcopy(v) for _, v in sorted(self.rows.items()) if not status or v.status == status]

    def record(self, vid, action, before, after, actor):
        self.log.append((vid, action, before, after, actor))

    def history(self, vid):
        return [{"vendor_id": v, "action": action, "before": before, "after": after, "actor": actor}
                for v, action, before, after, actor in self.log if v == vid]

    def add_qualification(self, q):
        if self.find_qualification(q.vendor_id, q.name, q.number) is not None:
            return False
        self.quals[q.id] = q
        return True

    def find_qualification(self, vid, name, number):
        return next((q for q in self.quals.values() if (q.vendor_id, q.name, q.number) == (vid, name, number)), None)

    def qualifications(self, vid):
        return sorted((q for q in self.quals.values() if q.vendor_id == vid), key=lambda q: (q.expires_on, q.id))

    def qualifications_of(self, vids):
        return {v: self.qualifications(v) for v in vids}

    def expiring(self, until, since):
        return [(q, self.rows[q.vendor_id].org_unit_id) for q in sorted(self.quals.values(), key=lambda q: q.id)
                if since <= q.expires_on <= until]

    def mark_warned(self, qid, threshold, on):
        if (qid, threshold) in self.warned:
            return False
        self.warned.add((qid, threshold))
        return True


class FakeProjects:
    def __init__(self):
        self.rows, self.keys, self.bid_rows, self.log = {}, {}, [], []
        self.fingerprints = {}

    def add(self, p, idempotency_key=None, fingerprint=None):
        self.rows[p.id] = copy.deepcopy(p)
        if idempotency_key:
            self.keys[idempotency_key] = p.id
            self.fingerprints[idempotency_key] = fingerprint

    def key_fingerprint(self, key):
        return self.fingerprints.get(key)

    def update(self, p):
        self.rows[p.id] = copy.deepcopy(p)

    def get(self, pid, scope, lock=False):
        p = self.rows.get(pid)
        return copy.deepcopy(p) if p and scope.allows(p.org_unit_id) else None

    def by_key(self, key):
        pid = self.keys.get(key)
        return copy.deepcopy(self.rows[pid]) if pid else None

    def list(self, scope, *, state=None, org_unit_id=None):
        """In creation order, as the table's created_at orders them."""
        return [copy.deepcopy(p) for p in self.rows.values() if scope.allows(p.org_unit_id)
                and (not state or p.state == state) and (not org_unit_id or p.org_unit_id == org_unit_id)]

    def record(self, pid, from_state, to_state, note, actor):
        self.log.append((pid, from_state, to_state, note, actor))

    def history(self, pid):
        return [{"project_id": p, "from_state": f.value if f else None, "to_state": t.value, "note": note,
                 "actor": actor} for p, f, t, note, actor in self.log if p == pid]

    def add_bid(self, b):
        self.bid_rows = [x for x in self.bid_rows if not (x.project_id == b.project_id and x.vendor_id == b.vendor_id)]
        self.bid_rows.append(b)
        return True

    def bids(self, pid):
        return sorted((b for b in self.bid_rows if b.project_id == pid), key=lambda b: (b.amount, b.vendor_id))


class FakeUnits(UnitChecks):
    """The org units the unit tests name, all active."""

    UNITS = ("gov", "om-centre", "fgw", "czj", "gaj", "wjw")

    def unit_states(self, ids):
        return {u: True for u in ids if u in self.UNITS}


class FakeUow(UnitOfWork):
    def __init__(self):
        super().__init__()
        self.vendors, self.projects = FakeVendors(), FakeProjects()
        self.orgdir = FakeUnits()
        self.committed = []
        self._snapshot = (copy.deepcopy(self.vendors), copy.deepcopy(self.projects))

    def __enter__(self):
        self._snapshot = (copy.deepcopy(self.vendors), copy.deepcopy(self.projects))
        return super().__enter__()

    def commit(self):
        self.committed.extend(self.events)
        self.events = []
        self._snapshot = (copy.deepcopy(self.vendors), copy.deepcopy(self.projects))

    def rollback(self):
        self.vendors, self.projects = self._snapshot
        self.events = []


def _conforms(uow: FakeUow) -> ProcurementUow:
    """Never called: mypy checks here that the fake meets the Protocol the handlers declare."""
    return uow
