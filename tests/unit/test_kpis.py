from evaluation.domain import kpis
from govkit.events import Envelope


def _env(name, data):
    return Envelope(id="e1", source="ticket", type=f"govops.ticket.{name}.v1", time="2026-11-25T00:00:00+00:00",
                    subject="t1", org_unit_id=data.get("org_unit_id"), correlationid=None, data=data)


def test_ticket_created_moves_created_and_open_for_its_department():
    plan = kpis.plan_for(_env("ticket_created", {"org_unit_id": "czj"}))
    assert {(d.key.level, d.key.subject, d.name, d.delta) for d in plan.flows
            if d.key.window == "all" and d.key.level == kpis.Level.ORGANIZATION} == {
        (kpis.Level.ORGANIZATION, "czj", "tickets_created", 1),
    }
    assert kpis.KpiKey(kpis.Level.ORGANIZATION, "czj") in plan.ticket.open_keys


def test_unknown_events_move_nothing():
    assert kpis.deltas_for(_env("ticket_frobbed", {"org_unit_id": "czj"})) == []


def test_filter_matches_level_subject_and_name():
    v = kpis.KpiValue(kpis.KpiKey(kpis.Level.ORGANIZATION, "czj"), "tickets_open", 3, None)
    assert kpis.KpiFilter().matches(v)
    assert kpis.KpiFilter(subjects=frozenset({"czj"}), names=frozenset({"tickets_open"})).matches(v)
    assert not kpis.KpiFilter(subjects=frozenset({"fgw"})).matches(v)
    assert not kpis.KpiFilter(level=kpis.Level.PROCESS).matches(v)
