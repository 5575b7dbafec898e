"""`govops outsource …`: vendors, outsourcing projects, contracts, acceptance, payments, vendor SLA."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import typer
from google.protobuf.json_format import MessageToDict, ParseDict
from rich.table import Table

from govkit.cli_support import console, fail, grpc_channel
from govkit.protoconv import as_money, to_date_range
from govops.outsource.v1 import outsource_pb2 as pb
from govops.outsource.v1 import outsource_pb2_grpc as pb_grpc

app = typer.Typer(help="Outsourcing: vendors, projects, contracts, acceptance, payments, vendor SLA",
                  no_args_is_help=True)
vendor_app = typer.Typer(help="Vendors (服务商)", no_args_is_help=True)
project_app = typer.Typer(help="Outsourcing projects and their lifecycle", no_args_is_help=True)
contract_app = typer.Typer(help="Contracts, acceptance (验收) and payments", no_args_is_help=True)
for _name, _sub in (("vendor", vendor_app), ("project", project_app), ("contract", contract_app)):
    app.add_typer(_sub, name=_name)

STATUS = {"active": pb.VENDOR_STATUS_ACTIVE, "suspended": pb.VENDOR_STATUS_SUSPENDED,
          "blacklisted": pb.VENDOR_STATUS_BLACKLISTED}
METHODS = {m.lower().removeprefix("procurement_method_"): v for m, v in pb.ProcurementMethod.items() if v}
STEPS = {"execution": "StartExecution", "acceptance": "StartAcceptance", "closure": "CloseProject"}


def _call(method: str, request):
    with grpc_channel("outsource") as ch:
        try:
            return getattr(pb_grpc.OutsourceServiceStub(ch), method)(request, timeout=30)
        except grpc.RpcError as err:
            fail(err)


def _dump(message) -> None:
    console.print_json(json.dumps(MessageToDict(message, preserving_proto_field_name=True), ensure_ascii=False))


@app.command("kinds")
def kinds():
    """The three kinds of outsourcing."""
    for k in _call("ListOutsourcingKinds", pb.ListOutsourcingKindsRequest()).kinds:
        console.print(f"{k.code}\t{k.name}")


# ---- vendors
@vendor_app.command("register")
def vendor_register(
    id: str,
    name: str,
    credit_code: str,
    org_unit_id: str = typer.Option("om-centre", "--org-unit", help="registering org unit"),
    contact: str = typer.Option("", help="contact name"),
    phone: str = typer.Option(""),
):
    """Register a vendor (the credit code is checked per GB 32100-2015)."""
    contacts = [pb.Contact(name=contact, phone=phone)] if contact else []
    v = _call("RegisterVendor", pb.RegisterVendorRequest(id=id, name=name, credit_code=credit_code,
                                                         org_unit_id=org_unit_id, contacts=contacts)).vendor
    console.print(f"registered {v.id} 「{v.name}」 {v.credit_code}")


@vendor_app.command("list")
def vendor_list(status: str = typer.Option("", help="|".join(STATUS))):
    table = Table("id", "name", "credit code", "status", "unit")
    for v in _call(
        "ListVendors", pb.ListVendorsRequest(status=STATUS.get(status, pb.VENDOR_STATUS_UNSPECIFIED))
    ).vendors:
        table.add_row(v.id, v.name, v.credit_code, pb.VendorStatus.Name(v.status)[14:].lower(), v.org_unit_id)
    console.print(table)


@vendor_app.command("show")
def vendor_show(id: str):
    _dump(_call("GetVendor", pb.GetVendorRequest(id=id)).vendor)


@vendor_app.command("history")
def vendor_history(id: str):
    for e in _call("GetVendorHistory", pb.GetVendorHistoryRequest(id=id)).entries:
        console.print(f"{e.at}  {e.actor}  {e.action}")


@vendor_app.command("status")
def vendor_status(id: str, status: str = typer.Argument(..., help="|".join(STATUS)), reason: str = typer.Option("")):
    """Suspend, blacklist (with a reason) or reactivate a vendor."""
    v = _call(
        "SetVendorStatus",
        pb.SetVendorStatusRequest(id=id, status=STATUS.get(status, pb.VendorStatus.ValueType(99)), reason=reason),
    ).vendor
    console.print(f"{v.id}: {status} {v.status_reason}")


@vendor_app.command("qualify")
def vendor_qualify(id: str, name: str, number: str, expires_on: str, issuer: str = typer.Option("")):
    """Add a qualification/certificate with its expiry date (YYYY-MM-DD)."""
    q = _call("AddQualification", pb.AddQualificationRequest(vendor_id=id, name=name, number=number, issuer=issuer,
                                                             expires_on=expires_on)).qualification
    console.print(f"added {q.name} {q.number}, expires {q.expires_on}")


@vendor_app.command("scorecard")
def vendor_scorecard(id: str, period_start: str, period_end: str):
    """SLA attainment, penalties, acceptance results and complaints over a period."""
    _dump(_call("GetVendorScorecard", pb.GetVendorScorecardRequest(
        vendor_id=id, period=to_date_range(period_start, period_end))).scorecard)


@vendor_app.command("complain")
def vendor_complain(id: str, description: str,
                    org_unit_id: str = typer.Option(..., "--org-unit", help="complaining org unit"),
                    contract: str = typer.Option("")):
    c = _call("FileComplaint", pb.FileComplaintRequest(vendor_id=id, org_unit_id=org_unit_id, description=description,
                                                       contract_id=contract))
    console.print(f"complaint {c.complaint_id}")


# ---- projects
def _kind_in(kind: str):
    name = f"PROJECT_KIND_{kind.upper()}"
    if kind.lower() == "unspecified" or name not in pb.ProjectKind.DESCRIPTOR.values_by_name:
        raise typer.BadParameter("must be planning, construction or om", param_hint="--kind")
    return pb.ProjectKind.Value(name)


def _kind_out(kind) -> str:
    return pb.ProjectKind.Name(kind).removeprefix("PROJECT_KIND_").lower()


@project_app.command("create")
def project_create(name: str, kind: str = typer.Option("om", help="planning|construction|om"),
                   org_unit_id: str = typer.Option(..., "--org-unit", help="owning org unit"),
                   item: list[str] = typer.Option([], help="catalogue item ids"),
                   asset: list[str] = typer.Option([], help="asset ids"),
                   budget_line: str = typer.Option(""), year: int = typer.Option(0),
                   fee_category: str = typer.Option("", help="O&M projects only: hardware_om, software_om, "
                                                     "consumables_tools, system_management, "
                                                     "information_resources")):
    p = _call("CreateProject", pb.CreateProjectRequest(name=name, kind=_kind_in(kind), org_unit_id=org_unit_id,
                                                        catalogue_item_ids=item, asset_ids=asset,
                                                        budget_line_ref=budget_line, budget_year=year,
                                                        fee_category=fee_category)).project
    console.print(f"created project {p.id} 「{p.name}」 ({_kind_out(p.kind)}, {p.org_unit_id})")


@project_app.command("list")
def project_list(org_unit_id: str = typer.Option("", "--org-unit", help="owning org unit; empty = all")):
    table = Table("id", "name", "kind", "unit", "state", "vendor")
    for p in _call("ListProjects", pb.ListProjectsRequest(org_unit_id=org_unit_id)).projects:
        table.add_row(p.id, p.name, _kind_out(p.kind), p.org_unit_id, pb.ProjectState.Name(p.state)[14:].lower(),
                      p.awarded_vendor_id)
    console.print(table)


@project_app.command("show")
def project_show(id: str):
    _dump(_call("GetProject", pb.GetProjectRequest(id=id)).project)


@project_app.command("procure")
def project_procure(id: str, method: str = typer.Argument(..., help="|".join(METHODS))):
    """proposal → procurement, with the procurement method."""
    p = _call(
        "StartProcurement",
        pb.StartProcurementRequest(project_id=id, method=METHODS.get(method, pb.ProcurementMethod.ValueType(99))),
    ).project
    console.print(f"{p.id}: procurement ({method})")


@project_app.command("bid")
def project_bid(id: str, vendor: str, amount: str):
    b = _call("RecordBid", pb.RecordBidRequest(project_id=id, vendor_id=vendor, amount=as_money(amount))).bid
    console.print(f"bid {b.vendor_id} {b.amount.amount}")


@project_app.command("award")
def project_award(id: str, vendor: str, reason: str):
    p = _call("AwardProject", pb.AwardProjectRequest(project_id=id, vendor_id=vendor, reason=reason)).project
    console.print(f"{p.id}: awarded to {p.awarded_vendor_id} ({p.award_amount.amount})")


@project_app.command("advance")
def project_advance(id: str, to: str = typer.Argument(..., help="|".join(STEPS)), note: str = typer.Option("")):
    if to not in STEPS:
        console.print(f"[red]to must be one of {', '.join(STEPS)}")
        raise typer.Exit(2)
    request = getattr(pb, f"{STEPS[to]}Request")(project_id=id, note=note)
    p = _call(STEPS[to], request).project
    console.print(f"{p.id}: {pb.ProjectState.Name(p.state)[14:].lower()}")


# ---- contracts
@contract_app.command("sign")
def contract_sign(project_id: str, terms: Path = typer.Argument(..., help="JSON: SignContractRequest fields")):
    """Sign the contract of an awarded project from a JSON file (amount, period, milestones, sla, penalties)."""
    request = ParseDict(json.loads(terms.read_text(encoding="utf-8")), pb.SignContractRequest())
    request.project_id = project_id
    c = _call("SignContract", request).contract
    console.print(f"signed contract {c.id}: {c.current.amount.amount} {c.current.starts_on}–{c.current.ends_on}")


@contract_app.command("show")
def contract_show(id: str):
    _dump(_call("GetContract", pb.GetContractRequest(id=id)).contract)


@contract_app.command("accept")
def contract_accept(contract_id: str, record: Path = typer.Argument(..., help="JSON: RecordAcceptanceRequest fields")):
    """Record an acceptance (checklist, reviewers, result, rectification items) from a JSON file."""
    request = ParseDict(json.loads(record.read_text(encoding="utf-8")), pb.RecordAcceptanceRequest())
    request.contract_id = contract_id
    a = _call("RecordAcceptance", request).acceptance
    console.print(f"acceptance {a.id} {a.name}: {pb.AcceptanceResult.Name(a.result)[18:].lower()}")


@contract_app.command("evidence")
def contract_evidence(acceptance_id: str, file: Path, content_type: str = typer.Option("application/pdf")):
    e = _call("AddAcceptanceEvidence", pb.AddAcceptanceEvidenceRequest(
        acceptance_id=acceptance_id, filename=file.name, content_type=content_type, data=file.read_bytes())).evidence
    console.print(f"evidence {e.id} {e.filename} {e.size} bytes sha256 {e.sha256[:12]}…")


@contract_app.command("pay")
def contract_pay(contract_id: str, milestone: str, amount: str, paid_on: str, key: str = typer.Option("")):
    """Record a payment (only after the milestone's acceptance; never above what remains)."""
    r = _call("RecordPayment", pb.RecordPaymentRequest(contract_id=contract_id, milestone_id=milestone,
                                                       amount=as_money(amount),
                                                       paid_on=paid_on, idempotency_key=key))
    console.print(f"payment {r.payment.id} {r.payment.amount.amount}{' (replayed)' if r.replayed else ''}")


@contract_app.command("sla-report")
def contract_sla_report(contract_id: str, period_start: str, period_end: str,
                        availability: str = typer.Option("", help="measured availability %")):
    """The vendor SLA report for a period, with penalties and the tickets behind them."""
    r = _call("GenerateSlaReport", pb.GenerateSlaReportRequest(contract_id=contract_id,
                                                               period=to_date_range(period_start, period_end),
                                                               availability_percent=availability)).report
    console.print(f"{r.vendor_id} {r.period.start}–{r.period.end}: {r.tickets} tickets, response "
                  f"{r.response_attainment_percent}%, resolution {r.resolution_attainment_percent}%, "
                  f"{r.breaches} breaches, penalty {r.penalty_total.amount}")
    table = Table("clause", "metric", "breaches", "points below", "amount", "tickets")
    for p in r.penalties:
        table.add_row(f"{p.clause_id} {p.name}", p.metric, str(p.breaches), p.points_below, p.amount.amount,
                      ", ".join(p.ticket_ids[:10]) + (" …" if len(p.ticket_ids) > 10 else ""))
    console.print(table)
