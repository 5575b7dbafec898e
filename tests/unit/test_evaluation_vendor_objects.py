"""A vendor is an evaluation object: tickets its engineers handled count for it."""

from evaluation.domain import kpis
from evaluation.domain import plan as p
from evaluation.domain.kpis import Level
from govkit.events import Envelope


def test_vendor_tickets_feed_a_vendor_subject_that_a_plan_object_reads():
    env = Envelope(id="e1", source="ticket", type="govops.ticket.ticket_created.v1",
                   time="2026-11-25T00:00:00+00:00", subject="t1", org_unit_id="om-centre", correlationid=None,
                   data={"ticket_id": "t1", "ticket_type": "incident", "org_unit_id": "om-centre",
                         "assignee": "V001", "group_id": "grp-application", "vendor_id": "vendor-hx",
                         "status": "assigned", "occurred_at": "2026-11-25T00:00:00+00:00"})
    subjects = set(kpis.plan_for(env).subjects)
    assert (Level.INDIVIDUAL, "om-centre/vendor/vendor-hx") in subjects
    obj = p.EvalObject("vendor", "vendor-hx", "om-centre")
    assert obj.key == "om-centre/vendor/vendor-hx"
    assert kpis.subject_parts(obj.key) == {"org_unit_id": "om-centre", "vendor": "vendor-hx"}
    assert p.LEVELS_OF_KIND["vendor"] == ("individual",)  # scored by the model's individual-level indicators
