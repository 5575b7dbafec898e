"""Contract: the in-memory unit of work the ticket handler tests use (tests/unit/fake_ticket_uow.py)
behaves like the PostgreSQL one. Every case runs twice, once per implementation, through the
`TicketUow` Protocol only. The PostgreSQL run uses this test run's own migrated database, emptied
before each case; cases that need a second scope commit their writes, then read through a unit
opened with that scope (the fake shares its state between units the same way)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from govkit.auth import Scope
from tests.unit.fake_ticket_uow import FakeUnitOfWork, State
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import CreateTicket
from ticket.domain.model import Status, Ticket
from ticket.domain.ports import TicketUow
from ticket.domain.sla import Deadline

ALL, FGW = Scope(None), Scope(frozenset({"fgw"}))
T0 = datetime(2026, 10, 12, 1, 30, tzinfo=UTC)  # a Monday, 09:30 in Beijing

Units = Callable[[Scope], TicketUow]


@pytest.fixture(params=["fake", "postgres"])
def units(request) -> Units:
    """units(scope) → a new unit of work on this case's store, seen through `scope`."""
    if request.param == "fake":
        state = State()
        return lambda scope: FakeUnitOfWork(scope, state)
    engine = request.getfixturevalue("engine_for")("ticket")
    return lambda scope: TicketUnitOfWork(engine, scope)


@pytest.fixture
def uow(units) -> TicketUow:
    """An entered global unit; the cases using it never commit, so the PostgreSQL one rolls back."""
    with units(ALL) as unit:
        yield unit


def _ticket(uow: TicketUow, title: str = "打印机无法连接", *, org_unit_id: str = "fgw", requester: str = "u1",
            key: str | None = None, at: datetime = T0, assignee: str | None = None,
            due: datetime | None = None, status: Status | None = None) -> Ticket:
    t = Ticket.open(CreateTicket(title, "三楼", org_unit_id, "infrastructure", "medium", idempotency_key=key),
                    requester=requester, now=at)
    t.number = uow.tickets.next_number(t.ticket_type, 2026)
    t.assignee, t.resolution_due_at = assignee, due
    if status is not None:
        t.status = status
    return t


def _added(uow: TicketUow, title: str = "打印机无法连接", **kw) -> Ticket:
    t = _ticket(uow, title, **kw)
    assert uow.tickets.add(t, "u1")
    return t


def test_numbers_carry_the_type_prefix_and_year_and_increase(uow):
    first, second = uow.tickets.next_number("incident", 2026), uow.tickets.next_number("incident", 2026)
    assert first.startswith("INC-2026-") and len(first) == len("INC-2026-000001") and second > first
    assert uow.tickets.next_number("change", 2027).startswith("CHG-2027-")


def test_a_ticket_reads_back_as_written(uow):
    t = _added(uow, assignee="s1", due=T0 + timedelta(hours=8))
    got = uow.tickets.get(t.id)
    assert (got.id, got.title, got.org_unit_id, got.number, got.status, got.assignee, got.created_at,
            got.resolution_due_at, got.requester) == (t.id, "打印机无法连接", "fgw", t.number, Status.NEW, "s1", T0,
                                                       T0 + timedelta(hours=8), "u1")
    assert uow.tickets.get(str(uuid.uuid4())) is None
    assert uow.tickets.get("not-a-uuid") is None
    assert uow.tickets.exists(t.id) and not uow.tickets.exists(str(uuid.uuid4()))
    got.title = "打印机仍无法连接"
    uow.tickets.save(got, "s1", "edit")
    assert uow.tickets.get(t.id).title == "打印机仍无法连接"


def test_reads_are_filtered_by_the_units_scope(units):
    with units(ALL) as w:
        mine = _added(w, org_unit_id="fgw", key="k-fgw")
        theirs = _added(w, org_unit_id="czj", key="k-czj")
        w.commit()
    with units(FGW) as r:
        assert r.tickets.get(mine.id).id == mine.id
        assert r.tickets.get(theirs.id) is None  # another unit's ticket reads as missing …
        assert r.tickets.exists(theirs.id)  # … but exists (PERMISSION_DENIED, not NOT_FOUND, on writes)
        assert [t.id for t in r.tickets.lock_many([mine.id, theirs.id])] == [mine.id]
        assert r.tickets.by_idempotency_key("u1", "k-czj") is None
        assert r.tickets.by_idempotency_key("u1", "k-fgw").id == mine.id
        assert [t.id for t in r.tickets.list({}, page_size=10)[0]] == [mine.id]
        assert {e["ticket_id"] for e in r.tickets.audit_entries()} == {uuid.UUID(mine.id)}
    with units(ALL) as r:
        assert {t.id for t in r.tickets.list({}, page_size=10)[0]} == {mine.id, theirs.id}


def test_an_idempotency_key_is_taken_once_per_requester_in_any_scope(units):
    with units(ALL) as w:
        first = _added(w, key="k1", org_unit_id="czj")
        w.commit()
    with units(FGW) as w:
        # the key is taken, even though the first ticket is outside this unit's scope
        assert not w.tickets.add(_ticket(w, key="k1"), "u1")
        assert w.tickets.add(_ticket(w, key="k1", requester="u2"), "u2")  # another requester's key
        assert w.tickets.add(_ticket(w), "u1") and w.tickets.add(_ticket(w), "u1")  # no key: no limit
    with units(ALL) as r:
        assert r.tickets.by_idempotency_key("u1", "k1").id == first.id
        assert r.tickets.by_idempotency_key("u1", "k2") is None


def test_list_pages_newest_first_through_tokens(uow):
    made = [_added(uow, f"工单{i}", at=T0 + timedelta(minutes=i)) for i in range(5)]
    pages, token = [], ""
    while True:
        items, token = uow.tickets.list({}, page_size=2, page_token=token)
        pages.append([t.title for t in items])
        if not token:
            break
    assert pages == [["工单4", "工单3"], ["工单2", "工单1"], ["工单0"]]
    same = [_added(uow, f"同时{i}", at=T0 + timedelta(hours=1)) for i in range(3)]  # ties: by id, descending
    first, token = uow.tickets.list({}, page_size=2)
    rest, _ = uow.tickets.list({}, page_size=10, page_token=token)
    assert [t.id for t in first + rest][:3] == sorted((t.id for t in same), reverse=True)
    assert len(first + rest) == len(made) + len(same)


def test_list_by_sla_due_puts_the_soonest_first_and_tickets_without_a_due_time_last(uow):
    due = {"甲": T0 + timedelta(hours=3), "乙": T0 + timedelta(hours=1), "丙": None, "丁": T0 + timedelta(hours=2),
           "戊": None}
    made = {title: _added(uow, title, due=d) for title, d in due.items()}
    pages, token = [], ""
    while True:
        items, token = uow.tickets.list({}, page_size=2, page_token=token, sort="sla_due")
        pages += [t.title for t in items]
        if not token:
            break
    without = sorted(["丙", "戊"], key=lambda title: made[title].id)
    assert pages == ["乙", "丁", "甲", *without]


def test_list_filters(uow):
    a = _added(uow, "甲", assignee="s1", at=T0)
    b = _added(uow, "乙", requester="u2", at=T0 + timedelta(hours=1), org_unit_id="czj")
    c = _added(uow, "丙", assignee="s2", status=Status.CLOSED, at=T0 + timedelta(hours=2))

    def titles(**f):
        return sorted(t.title for t in uow.tickets.list(f, page_size=10)[0])

    assert titles(status=["closed"]) == ["丙"] and titles(status=["new", "closed"]) == ["丙", "乙", "甲"]
    assert titles(open_only=True) == ["乙", "甲"]
    assert titles(unassigned=True) == ["乙"]
    assert titles(assignee=["s1", "s2"]) == ["丙", "甲"]
    assert titles(requester="u2") == ["乙"]
    assert titles(org_unit_id=["czj"]) == ["乙"]
    assert titles(created_from=T0 + timedelta(hours=1)) == ["丙", "乙"]
    assert titles(created_to=T0 + timedelta(hours=1)) == ["甲"]  # exclusive
    assert {a.id, b.id, c.id} == {t.id for t in uow.tickets.list({}, page_size=10)[0]}


def test_open_load_counts_open_tickets_per_staff_member(uow):
    for status in (Status.ASSIGNED, Status.IN_PROGRESS, Status.CLOSED):
        _added(uow, assignee="s1", status=status)
    _added(uow, assignee="s9", org_unit_id="czj")
    assert uow.tickets.open_load(["s1", "s2"]) == {"s1": 2, "s2": 0}
    assert uow.tickets.open_load([]) == {}


def test_the_audit_trail_records_what_changed(uow):
    t = _added(uow)
    t = uow.tickets.get(t.id)
    t.assignee, t.updated_at = "s1", T0 + timedelta(minutes=5)
    uow.tickets.save(t, "lead", "assign")
    uow.tickets.save(t, "system", "sla_tick")  # an SLA step that changed nothing leaves no entry
    uow.tickets.save(t, "u1", "comment_public")  # any other action does, even with nothing changed
    other = _added(uow, requester="u2")
    entries = uow.tickets.audit_entries(ticket_id=t.id)
    assert [(e["actor"], e["action"]) for e in entries] == [("u1", "created"), ("lead", "assign"),
                                                            ("u1", "comment_public")]
    created, assigned, commented = entries
    assert created["before"] == {} and created["after"]["title"] == "打印机无法连接"
    assert (assigned["before"], assigned["after"]) == ({"assignee": None}, {"assignee": "s1"})
    assert assigned["at"] == T0 + timedelta(minutes=5) and assigned["org_unit_id"] == "fgw"
    assert (commented["before"], commented["after"]) == ({}, {})
    assert [e["action"] for e in uow.tickets.audit_entries(after_id=created["id"], limit=1)] == ["assign"]
    assert [e["ticket_id"] for e in uow.tickets.audit_entries(actor="u1")] == [
        uuid.UUID(t.id), uuid.UUID(t.id), uuid.UUID(other.id)]
    assert uow.tickets.audit_entries(ticket_id="not-a-uuid") == []


def test_deadlines_are_replaced_per_ticket_and_fire_soonest_first(uow):
    a, b = _added(uow, "甲"), _added(uow, "乙")
    uow.deadlines.replace(a.id, [Deadline("resolution", "breach", T0 + timedelta(hours=4)),
                                 Deadline("response", "warning", T0 + timedelta(hours=1))], T0, new=True)
    uow.deadlines.replace(b.id, [Deadline("response", "breach", T0 + timedelta(minutes=30))], T0, new=True)
    assert uow.deadlines.next_due() == T0 + timedelta(minutes=30)
    assert uow.deadlines.due_tickets(T0 + timedelta(hours=2)) == [b.id, a.id]
    assert uow.deadlines.due_tickets(T0 + timedelta(hours=2), limit=1) == [b.id]
    assert [d.kind for d in uow.deadlines.for_ticket(a.id, T0 + timedelta(hours=5))] == ["warning", "breach"]
    assert uow.deadlines.for_tickets([a.id, b.id], T0 + timedelta(hours=2)) == {
        a.id: [Deadline("response", "warning", T0 + timedelta(hours=1))],
        b.id: [Deadline("response", "breach", T0 + timedelta(minutes=30))]}
    uow.deadlines.replace(b.id, [], T0)
    assert uow.deadlines.due_tickets(T0 + timedelta(hours=2)) == [a.id]
    assert uow.deadlines.next_due() == T0 + timedelta(hours=1)


def test_comments_links_and_watchers(uow):
    a, b = _added(uow, "甲"), _added(uow, "乙")
    first = uow.comments.add(a.id, "u1", "还是连不上", "public", T0)
    second = uow.comments.add(a.id, "s1", "驱动版本旧", "internal", T0 + timedelta(minutes=1))
    assert second > first
    assert [c["body"] for c in uow.comments.list(a.id, include_internal=False)] == ["还是连不上"]
    assert [(c["id"], c["author"], c["created_at"]) for c in uow.comments.list(a.id, include_internal=True)] == [
        (first, "u1", T0), (second, "s1", T0 + timedelta(minutes=1))]
    assert uow.relations.link(a.id, b.id, "relates", "s1", T0)
    assert not uow.relations.link(a.id, b.id, "relates", "s2", T0)  # once per pair and kind
    assert uow.relations.link(a.id, b.id, "duplicates", "s1", T0)
    assert uow.relations.count(a.id, "relates") == 1 and uow.relations.count(b.id, "relates") == 0
    assert sorted((x["kind"], x["from_id"], x["to_id"], x["created_by"]) for x in uow.relations.links(b.id)) == [
        ("duplicates", uuid.UUID(a.id), uuid.UUID(b.id), "s1"), ("relates", uuid.UUID(a.id), uuid.UUID(b.id), "s1")]
    uow.relations.watch(a.id, "u2", True)
    uow.relations.watch(a.id, "u1", True)
    uow.relations.watch(a.id, "u1", True)
    assert uow.relations.watchers(a.id) == ["u1", "u2"]
    uow.relations.watch(a.id, "u2", False)
    assert uow.relations.watchers(a.id) == ["u1"] and uow.relations.watchers(b.id) == []


def test_attachments_list_without_their_content(uow):
    t = _added(uow)
    aid = uuid.uuid4()
    uow.attachments.add(id=aid, ticket_id=uuid.UUID(t.id), filename="截图.png", content_type="image/png", size=3,
                        sha256="x", data=b"png", uploaded_by="u1", created_at=T0)
    assert uow.attachments.get(str(aid))["data"] == b"png"
    assert uow.attachments.get("not-a-uuid") is None and uow.attachments.get(str(uuid.uuid4())) is None
    [listed] = uow.attachments.list(t.id)
    assert listed["filename"] == "截图.png" and "data" not in listed


def test_the_catalogue_lists_active_items_in_their_order(uow):
    items = uow.catalogue.list(include_inactive=True)
    if not items:  # the PostgreSQL store starts empty; the fake with the default catalogue
        from ticket.domain.defaults import DEFAULT_CATALOGUE

        for item in DEFAULT_CATALOGUE:
            uow.catalogue.upsert(item)
        items = uow.catalogue.list(include_inactive=True)
    assert [i.id for i in items] == [i.id for i in sorted(items, key=lambda i: (i.sort, i.id))]
    first = items[0]
    first.active = False
    uow.catalogue.upsert(first)
    assert first.id not in [i.id for i in uow.catalogue.list()]
    assert first.id in [i.id for i in uow.catalogue.list(include_inactive=True)]
    assert uow.catalogue.get(first.id).active is False and uow.catalogue.get("nope") is None


def test_a_ticket_is_found_by_its_number_within_the_scope(units):
    with units(ALL) as uow:
        t = _added(uow, org_unit_id="czj")
        uow.commit()
    with units(ALL) as uow:
        assert uow.tickets.get(t.number).id == t.id
        assert uow.tickets.get(t.number.lower()).id == t.id
        assert uow.tickets.exists(t.number)
        assert uow.tickets.get("INC-2026-999999") is None and not uow.tickets.exists("INC-2026-999999")
        assert uow.tickets.get("not a number") is None
    with units(FGW) as uow:
        assert uow.tickets.get(t.number) is None  # another department's reads as missing
        assert uow.tickets.exists(t.number)        # …yet exists (PERMISSION_DENIED on writes)


def test_a_catalogue_item_counts_its_saves(uow):
    from ticket.domain.catalogue import CatalogueItem

    item = CatalogueItem(id="contract.item", name="契约测试", category="application")
    assert uow.catalogue.upsert(item) == 1
    item.description = "改"
    assert uow.catalogue.upsert(item) == 2
    stored = uow.catalogue.get_for_update("contract.item")
    assert (stored.version, stored.description) == (2, "改")
    assert uow.catalogue.get_for_update("nope") is None


def test_articles_list_newest_first_by_status_and_link_with_the_total(uow):
    from ticket.domain.knowledge import Article

    ids = []
    for i, (status, items) in enumerate([("draft", ["a"]), ("published", ["a", "b"]), ("archived", [])]):
        at = T0 + timedelta(minutes=i)
        a = Article(id=str(uuid.uuid4()), title=f"文章{i}", body="正文", status=status, catalogue_item_ids=items,
                    author="u1", created_at=at, updated_at=at)
        uow.articles.add(a)
        ids.append(a.id)
    everything, total = uow.articles.list(statuses=("draft", "published", "archived"))
    assert [a.id for a in everything] == ids[::-1] and total == 3
    page, total = uow.articles.list(statuses=("draft", "published", "archived"), offset=1, limit=1)
    assert [a.id for a in page] == [ids[1]] and total == 3
    linked, total = uow.articles.list(statuses=("draft", "published"), catalogue_item_id="a")
    assert [a.id for a in linked] == [ids[1], ids[0]] and total == 2
    assert uow.articles.list(statuses=("published",), catalogue_item_id="x") == ([], 0)


def test_saved_views_are_per_owner_replaced_by_name_and_deleted(uow):
    from ticket.domain.views import SavedView

    uow.views.upsert(SavedView("s-wang", "紧急", "all", {"priority": ["high"]}, T0))
    uow.views.upsert(SavedView("s-wang", "本组", "group_queue", {"group_id": "g1"}, T0))
    uow.views.upsert(SavedView("s-li", "紧急", "my_queue", {}, T0))
    uow.views.upsert(SavedView("s-wang", "紧急", "my_queue", {"priority": ["critical"]}, T0 + timedelta(hours=1)))
    mine = {v.name: v for v in uow.views.list("s-wang")}
    assert set(mine) == {"紧急", "本组"}
    assert (mine["紧急"].view, mine["紧急"].filter, mine["紧急"].updated_at) == (
        "my_queue", {"priority": ["critical"]}, T0 + timedelta(hours=1))
    assert [v.view for v in uow.views.list("s-li")] == ["my_queue"]
    assert uow.views.delete("s-wang", "紧急") and not uow.views.delete("s-wang", "紧急")
    assert [v.name for v in uow.views.list("s-wang")] == ["本组"] and len(uow.views.list("s-li")) == 1
