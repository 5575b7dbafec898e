"""Demo seed for outsourcing (runs after org's demo, which creates the vendor unit vendor-hx
华信科技服务有限公司 and its engineer V001 林涛 in support group `grp-application`): two vendors, an O&M
outsourcing project of om-centre taken through procurement to a signed contract with SLA terms
and penalty clauses (which commits 468,000.00 of software_om against gov's approved 2026 budget:
budget's demo helper takes the contract_signed as its worker would), a month of synthetic ticket
events of 应用组 — the vendor's engineer's and an internal engineer's — and the vendor's SLA report,
which counts only the vendor's tickets, with a penalty. Safe to repeat: fixed ids, idempotency keys
and event ids."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from govkit import config as govconfig
from govkit.auth import SYSTEM
from govkit.db import make_engine
from govkit.demo import UNITS
from govkit.errors import AlreadyExists
from govkit.events import Envelope
from govkit.orgdir import OrgDirectory

CST = timezone(timedelta(hours=8))
VENDORS = [("vendor-hx", "华信科技服务有限公司", "91110108551385082Q", "林涛", "13800000001"),
           ("vendor-sz", "福建数智信息技术有限公司", "91350100M000100Y43", "陈静", "13900000002")]
QUALIFICATIONS = [("vendor-hx", "信息技术服务运维标准符合性证书（ITSS）三级", "ITSS-YW-3-2024-0178", date(2027, 8, 31)),
                  ("vendor-hx", "信息安全服务资质（安全运维）", "CCRC-2024-ISV-O-1123", date(2026, 12, 20)),
                  ("vendor-sz", "信息技术服务运维标准符合性证书（ITSS）二级", "ITSS-YW-2-2023-0042", date(2027, 3, 31))]
SLA: dict[str, Any] = {"targets": [{"priority": "critical", "response_minutes": 15, "resolution_minutes": 240},
                   {"priority": "high", "response_minutes": 30, "resolution_minutes": 480},
                   {"priority": "medium", "response_minutes": 60, "resolution_minutes": 1440},
                   {"priority": "low", "response_minutes": 240, "resolution_minutes": 4320}],
       "attainment_target_percent": "95", "availability_percent": "99.90", "onsite_minutes": 60}
PENALTIES = [{"id": "p1", "name": "响应超时违约金", "metric": "response", "per_breach_amount": "200.00",
              "per_point_amount": "1000.00", "cap": "20000.00"},
             {"id": "p2", "name": "解决超时违约金", "metric": "resolution", "per_breach_amount": "500.00",
              "per_point_amount": "2000.00", "cap": "30000.00"}]
MONTH = (date(2026, 10, 1), date(2026, 10, 31))


def _month_of_tickets() -> list[dict]:
    """October 2026 in 应用组 (grp-application): 60 tickets of V001 林涛 (vendor-hx), a handful late,
    #18 waiting 'for the vendor' (no pause for the contract: late) and #50 waiting for the requester
    (an allowed pause: on time); and 15 of E008 孙丽, an internal engineer of the same group, which
    the vendor's report does not count. Times are 24x7 readings (`business_seconds_since_created`)."""
    rng, events = random.Random(2026), []
    for i in range(1, 76):
        internal = i > 60
        tid = f"demo-inc-2026-10-{i:03}"
        at = datetime(2026, 10, 1, 8, tzinfo=CST) + timedelta(hours=rng.randrange(0, 30 * 24))
        prio = rng.choice(["critical", "high", "high", "medium", "medium", "medium", "low"])
        target = {t["priority"]: t for t in SLA["targets"]}[prio]
        late_response, late_resolution = i in (7, 23, 41, 66), i in (12, 33, 70)
        resp = (
            target["response_minutes"] * 60 + 300
            if late_response
            else rng.randrange(60, target["response_minutes"] * 60)
        )
        reso = target["resolution_minutes"] * 60 + 1800 if late_resolution else \
            rng.randrange(resp + 60, target["resolution_minutes"] * 60)
        # a pause as long as the resolution target: the vendor's own wait is late, the requester's is not
        reason, paused = {18: ("vendor", target["resolution_minutes"] * 60),
                          50: ("requester", target["resolution_minutes"] * 60)}.get(i, (None, 0))
        assignee, vendor = ("E008", None) if internal else ("V001", "vendor-hx")
        common: dict[str, Any] = {"ticket_id": tid, "number": f"INC-2026-{9000 + i:06}", "ticket_type": "incident",
                  "org_unit_id": rng.choice(["fgw", "czj", "gaj", "wjw"]), "catalogue_item_id": None,
                  "category": "application", "priority": prio, "group_id": "grp-application", "assignee": assignee,
                  "vendor_id": vendor, "requester": "demo"}
        steps: list[tuple[str, int, dict[str, Any]]] = [
            ("ticket_created", 0, {"status": "new", "assignee": None, "vendor_id": None, "created_at": at.isoformat(),
                                   "title": "演示工单", "channel": "request_window"}),
            ("ticket_assigned", resp, {"status": "assigned", "first_response": True, "response_business_seconds": resp,
                                       "method": "auto"}),
        ]
        if paused:
            steps += [("ticket_status_changed", resp + 60, {"status": "pending", "from_status": "assigned",
                                                            "to_status": "pending", "pending_reason": reason}),
                      ("ticket_status_changed", resp + 60 + paused, {
                          "status": "in_progress", "from_status": "pending", "to_status": "in_progress",
                          "pending_reason": None})]
        steps.append(("ticket_resolved", reso + paused, {"status": "resolved", "response_business_seconds": resp,
                                                         "resolution_business_seconds": reso}))
        if late_resolution:
            steps.append(("sla_breached", target["resolution_minutes"] * 60, {"status": "in_progress",
                                                                               "target": "resolution"}))
        for name, seconds, extra in steps:
            when = at + timedelta(seconds=seconds)
            data = {**common, "occurred_at": when.isoformat(), **extra}
            if name != "ticket_created" and name != "sla_breached":
                data["business_seconds_since_created"] = seconds
            eid = f"demo-{name}-{tid}" if name != "ticket_status_changed" else f"demo-{name}-{tid}-{seconds}"
            events.append(Envelope(id=eid, source="ticket", type=f"govops.ticket.{name}.v1",
                                   time=when.isoformat(), subject=tid, org_unit_id=common["org_unit_id"],
                                   correlationid=None, data=data).to_dict())
    return events


def _reserve_budget(engine, uow, contract_id: str) -> str:
    """The contract's contract_signed goes to budget as its worker would take it (budget's demo
    helper: same consumer, same inbox), and budget's answer comes back to outsource's consumer —
    so the seed shows the contract reserving budget (gov's approved 2026 budget, software_om)."""
    import sqlalchemy as sa

    from govkit.demo import export

    from . import handlers

    with engine.connect() as conn:
        signed = conn.execute(sa.text("SELECT envelope FROM outbox WHERE type = 'govops.outsource.contract_signed.v1' "
                                      "AND envelope->>'subject' = :c"), {"c": contract_id}).scalar()
    if signed is None:
        return "no contract_signed event"
    try:
        answers = export("budget_deliver")(signed)
    except LookupError:  # budget is not part of this deployment
        return "budget not deployed"
    for answer in answers:
        env = Envelope.from_dict(answer)
        getattr(handlers, f"on_{env.type.split('.')[2]}")(env, uow())
    contract, _, _ = handlers.get_contract(contract_id, uow(), SYSTEM)
    return f"contract {contract.budget_status} (commitment {contract.commitment_id or '-'})"


def seed(console) -> None:
    from . import handlers
    from .adapters.uow import OutsourceUnitOfWork
    from .domain import commands as c
    from .domain.model import Contact, ProjectState

    engine = make_engine(govconfig.load("outsource").database_url, pool_size=1)
    uow = lambda: OutsourceUnitOfWork(engine)  # noqa: E731
    with engine.begin() as conn:
        # The org directory normally follows org's events; the seed runs before the workers do.
        directory = OrgDirectory(conn)
        for code, name, parent, kind in UNITS:
            directory.apply("org_unit_created", {"org_unit_id": code, "name": name, "parent_id": parent,
                                                 "kind": kind})
    try:
        for vid, name, credit, contact, phone in VENDORS:
            handlers.ensure_vendor(
                c.RegisterVendor(vid, name, credit, "om-centre", [Contact(contact, "项目经理", phone)]), uow(), SYSTEM
            )
        for vid, name, number, expires in QUALIFICATIONS:
            try:
                handlers.add_qualification(c.AddQualification(vid, name, number, "", expires), uow(), SYSTEM)
            except AlreadyExists:
                pass
        project, _ = handlers.create_project(c.CreateProject(
            "2026年度市级政务应用系统运维外包", "om", "om-centre", ["app-om", "app-helpdesk"], [],
            "OM-2026-APP-01", 2026, "software_om", False, "demo-om-2026"), uow(), SYSTEM)
        if project.state is ProjectState.PROPOSAL:
            handlers.start_procurement(c.StartProcurement(project.id, "public_tender"), uow(), SYSTEM)
            project.state = ProjectState.PROCUREMENT
        if project.state is ProjectState.PROCUREMENT:
            project, _, _ = handlers.get_project(project.id, uow(), SYSTEM)
            if not project.awarded_vendor_id:
                handlers.record_bid(c.RecordBid(project.id, "vendor-hx", "468000.00", date(2025, 12, 5)), uow(), SYSTEM)
                handlers.record_bid(c.RecordBid(project.id, "vendor-sz", "492000.00", date(2025, 12, 5)), uow(), SYSTEM)
                handlers.award_project(c.AwardProject(project.id, "vendor-hx", "综合评分第一（技术 58.5，价格 29.2）",
                                                      date(2025, 12, 12)), uow(), SYSTEM)
            handlers.sign_contract(c.SignContract(
                project.id, "468000.00", date(2026, 1, 1), date(2026, 12, 31), date(2025, 12, 20), "grp-application",
                ["运维服务方案", "月度运维报告", "年度运维总结"],
                [{"id": "m1", "name": "首期款（30%）", "amount": "140400.00", "acceptance": "初验",
                  "deliverables": ["运维服务方案"], "due_on": date(2026, 3, 31)},
                 {"id": "m2", "name": "尾款（70%）", "amount": "327600.00", "acceptance": "终验",
                  "due_on": date(2026, 12, 31)}],
                SLA, PENALTIES), uow(), SYSTEM)
            handlers.advance_project(c.AdvanceProject(project.id, "execution", "合同签订，进场服务"), uow(), SYSTEM)
            project, _, _ = handlers.get_project(project.id, uow(), SYSTEM)
        budget_status = _reserve_budget(engine, uow, project.contract_id)
        fresh = sum(handlers.record_ticket_event(uow(), "outsource.demo", e) for e in _month_of_tickets())
        report = handlers.generate_sla_report(c.GenerateSlaReport(project.contract_id, *MONTH, "99.95"), uow(), SYSTEM)
        console.print(f"outsource demo: 2 vendors, project {project.id} ({project.state.value}), contract "
                      f"{project.contract_id}; {fresh} new ticket events; SLA report {MONTH[0]:%Y-%m}: "
                      f"{report['tickets']} tickets, response {report['response_attainment_percent']}%, "
                      f"resolution {report['resolution_attainment_percent']}%, penalty {report['penalty_total']}; "
                      f"budget: {budget_status}")
    finally:
        engine.dispose()
