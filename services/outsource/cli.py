"""`govops outsource …`: vendors, outsourcing projects, contracts, acceptance, payments, vendor SLA."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import grpc
import typer
from google.protobuf.json_format import ParseDict

from govkit.cli_support import Listing, emit, emit_record, enum_number, enum_words, fail, grpc_channel, json_output
from govkit.client import all_pages
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

VendorStatus = Enum("VendorStatus", enum_words(pb.VendorStatus), type=str)  # type: ignore[misc]
Method = Enum("Method", enum_words(pb.ProcurementMethod), type=str)  # type: ignore[misc]
Kind = Enum("Kind", enum_words(pb.ProjectKind), type=str)  # type: ignore[misc]
STEPS = {"execution": "StartExecution", "acceptance": "StartAcceptance", "closure": "CloseProject"}
Step = Enum("Step", {k: k for k in STEPS}, type=str)  # type: ignore[misc]
VENDOR = typer.Argument(..., help="vendor id")
PROJECT = typer.Argument(..., help="project id")
CONTRACT = typer.Argument(..., help="contract id")


def _call(method: str, request):
    with grpc_channel("outsource") as ch:
        try:
            return getattr(pb_grpc.OutsourceServiceStub(ch), method)(request, timeout=30)
        except grpc.RpcError as err:
            fail(err)


def _all(method: str, request, field: str):
    """Every item of a paged list method, page after page."""
    with grpc_channel("outsource") as ch:
        try:
            return all_pages(getattr(pb_grpc.OutsourceServiceStub(ch), method), request, field, timeout=30)
        except grpc.RpcError as err:
            fail(err)


def _dump(message) -> None:
    emit_record(message)


@app.command("kinds")
def kinds():
    """The three kinds of outsourcing."""
    table = Listing("outsourcing kinds", "code", "name")
    for k in _call("ListOutsourcingKinds", pb.ListOutsourcingKindsRequest()).kinds:
        table.add_row(k.code, k.name)
    emit(table)


# ---- vendors
@vendor_app.command("register")
def vendor_register(
    id: str = typer.Argument(..., help="new vendor id, e.g. vendor-hx"),
    name: str = typer.Argument(..., help="registered company name"),
    credit_code: str = typer.Argument(..., help="unified social credit code (18 characters)"),
    org_unit_id: str = typer.Option("om-centre", "--org-unit", help="registering org unit"),
    contact: str = typer.Option("", help="contact name"),
    phone: str = typer.Option("", help="contact phone"),
):
    """Register a vendor (the credit code is checked per GB 32100-2015)."""
    contacts = [pb.Contact(name=contact, phone=phone)] if contact else []
    v = _call("RegisterVendor", pb.RegisterVendorRequest(id=id, name=name, credit_code=credit_code,
                                                         org_unit_id=org_unit_id, contacts=contacts)).vendor
    emit_record(v, f"registered {v.id} 「{v.name}」 {v.credit_code}")


@vendor_app.command("list")
def vendor_list(status: VendorStatus | None = typer.Option(None, help="only vendors in this status")):
    """Vendors, optionally by status."""
    table = Listing("vendors", "id", "name", "credit code", "status")
    table.add_column("unit", "org_unit_id")
    number = enum_number(pb.VendorStatus, status) if status else pb.VENDOR_STATUS_UNSPECIFIED
    for v in _all("ListVendors", pb.ListVendorsRequest(status=pb.VendorStatus.ValueType(number)), "vendors"):
        table.add_row(v.id, v.name, v.credit_code, pb.VendorStatus.Name(v.status)[14:].lower(), v.org_unit_id)
    emit(table)


@vendor_app.command("show")
def vendor_show(id: str = VENDOR):
    """A vendor with its contacts, qualifications and status."""
    _dump(_call("GetVendor", pb.GetVendorRequest(id=id)).vendor)


@vendor_app.command("history")
def vendor_history(id: str = VENDOR):
    """The changes to a vendor: when, who, what."""
    table = Listing(f"{id} history", "at", "actor", "action")
    for e in _all("GetVendorHistory", pb.GetVendorHistoryRequest(id=id), "entries"):
        table.add_row(e.at, e.actor, e.action)
    emit(table)


@vendor_app.command("status")
def vendor_status(id: str = VENDOR, status: VendorStatus = typer.Argument(..., help="the new status"),
                  reason: str = typer.Option("", help="why (required to suspend or blacklist)")):
    """Suspend, blacklist (with a reason) or reactivate a vendor."""
    v = _call("SetVendorStatus", pb.SetVendorStatusRequest(
        id=id, status=pb.VendorStatus.ValueType(enum_number(pb.VendorStatus, status)), reason=reason)).vendor
    emit_record(v, f"{v.id}: {status.value} {v.status_reason}")


@vendor_app.command("qualify")
def vendor_qualify(id: str = VENDOR, name: str = typer.Argument(..., help="qualification name"),
                   number: str = typer.Argument(..., help="certificate number"),
                   expires_on: str = typer.Argument(..., help="expiry date, YYYY-MM-DD"),
                   issuer: str = typer.Option("", help="issuing body")):
    """Add a qualification/certificate with its expiry date (YYYY-MM-DD)."""
    q = _call("AddQualification", pb.AddQualificationRequest(vendor_id=id, name=name, number=number, issuer=issuer,
                                                             expires_on=expires_on)).qualification
    emit_record(q, f"added {q.name} {q.number}, expires {q.expires_on}")


@vendor_app.command("scorecard")
def vendor_scorecard(id: str = VENDOR, period_start: str = typer.Argument(..., help="first day, YYYY-MM-DD"),
                     period_end: str = typer.Argument(..., help="last day, YYYY-MM-DD")):
    """SLA attainment, penalties, acceptance results and complaints over a period."""
    _dump(_call("GetVendorScorecard", pb.GetVendorScorecardRequest(
        vendor_id=id, period=to_date_range(period_start, period_end))).scorecard)


@vendor_app.command("complain")
def vendor_complain(id: str = VENDOR, description: str = typer.Argument(..., help="what went wrong"),
                    org_unit_id: str = typer.Option(..., "--org-unit", help="complaining org unit"),
                    contract: str = typer.Option("", help="the contract concerned")):
    """File a complaint about a vendor (counted in its scorecard)."""
    c = _call("FileComplaint", pb.FileComplaintRequest(vendor_id=id, org_unit_id=org_unit_id, description=description,
                                                       contract_id=contract))
    emit_record(c, f"complaint {c.complaint_id}")


# ---- projects
def _kind_out(kind) -> str:
    return pb.ProjectKind.Name(kind).removeprefix("PROJECT_KIND_").lower()


@project_app.command("create")
def project_create(name: str = typer.Argument(..., help="project name"),
                   kind: Kind = typer.Option("om", help="kind of project"),
                   org_unit_id: str = typer.Option(..., "--org-unit", help="owning org unit"),
                   item: list[str] = typer.Option([], help="catalogue item ids"),
                   asset: list[str] = typer.Option([], help="asset ids"),
                   budget_line: str = typer.Option("", help="the budget line it is paid from"),
                   year: int = typer.Option(0, help="budget year"),
                   fee_category: str = typer.Option("", help="O&M projects only: hardware_om, software_om, "
                                                     "consumables_tools, system_management, "
                                                     "information_resources")):
    """Create an outsourcing project (proposal)."""
    p = _call("CreateProject", pb.CreateProjectRequest(name=name, kind=pb.ProjectKind.ValueType(enum_number(
                                                           pb.ProjectKind, kind)), org_unit_id=org_unit_id,
                                                        catalogue_item_ids=item, asset_ids=asset,
                                                        budget_line_ref=budget_line, budget_year=year,
                                                        fee_category=fee_category)).project
    emit_record(p, f"created project {p.id} 「{p.name}」 ({_kind_out(p.kind)}, {p.org_unit_id})")


@project_app.command("list")
def project_list(org_unit_id: str = typer.Option("", "--org-unit", help="owning org unit; empty = all")):
    """Outsourcing projects with their state and awarded vendor."""
    table = Listing("projects", "id", "name", "kind")
    table.add_column("unit", "org_unit_id")
    table.add_column("state")
    table.add_column("vendor", "awarded_vendor_id")
    for p in _all("ListProjects", pb.ListProjectsRequest(org_unit_id=org_unit_id), "projects"):
        table.add_row(p.id, p.name, _kind_out(p.kind), p.org_unit_id, pb.ProjectState.Name(p.state)[14:].lower(),
                      p.awarded_vendor_id)
    emit(table)


@project_app.command("show")
def project_show(id: str = PROJECT):
    """A project with its bids, award and state."""
    _dump(_call("GetProject", pb.GetProjectRequest(id=id)).project)


@project_app.command("procure")
def project_procure(id: str = PROJECT, method: Method = typer.Argument(..., help="procurement method")):
    """proposal → procurement, with the procurement method."""
    p = _call("StartProcurement", pb.StartProcurementRequest(
        project_id=id, method=pb.ProcurementMethod.ValueType(enum_number(pb.ProcurementMethod, method)))).project
    emit_record(p, f"{p.id}: procurement ({method.value})")


@project_app.command("bid")
def project_bid(id: str = PROJECT, vendor: str = typer.Argument(..., help="bidding vendor id"),
                amount: str = typer.Argument(..., help="yuan, e.g. 480000.00")):
    """Record a vendor's bid."""
    b = _call("RecordBid", pb.RecordBidRequest(project_id=id, vendor_id=vendor, amount=as_money(amount))).bid
    emit_record(b, f"bid {b.vendor_id} {b.amount.amount}")


@project_app.command("award")
def project_award(id: str = PROJECT, vendor: str = typer.Argument(..., help="winning vendor id"),
                  reason: str = typer.Argument(..., help="why this vendor")):
    """Award the project to one of its bidders."""
    p = _call("AwardProject", pb.AwardProjectRequest(project_id=id, vendor_id=vendor, reason=reason)).project
    emit_record(p, f"{p.id}: awarded to {p.awarded_vendor_id} ({p.award_amount.amount})")


@project_app.command("advance")
def project_advance(id: str = PROJECT, to: Step = typer.Argument(..., help="the next step"),
                    note: str = typer.Option("", help="note for the record")):
    """Move a contracted project on: execution, acceptance, closure."""
    request = getattr(pb, f"{STEPS[to.value]}Request")(project_id=id, note=note)
    p = _call(STEPS[to.value], request).project
    emit_record(p, f"{p.id}: {pb.ProjectState.Name(p.state)[14:].lower()}")


# ---- contracts
@contract_app.command("sign")
def contract_sign(project_id: str = PROJECT,
                  terms: Path = typer.Argument(..., exists=True, dir_okay=False,
                                               help="JSON: SignContractRequest fields")):
    """Sign the contract of an awarded project from a JSON file (amount, period, milestones, sla, penalties)."""
    request = ParseDict(json.loads(terms.read_text(encoding="utf-8")), pb.SignContractRequest())
    request.project_id = project_id
    c = _call("SignContract", request).contract
    emit_record(c, f"signed contract {c.id}: {c.current.amount.amount} {c.current.starts_on}–{c.current.ends_on}")


@contract_app.command("show")
def contract_show(id: str = CONTRACT):
    """A contract with its versions, milestones, SLA and penalty clauses."""
    _dump(_call("GetContract", pb.GetContractRequest(id=id)).contract)


@contract_app.command("accept")
def contract_accept(contract_id: str = CONTRACT,
                    record: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                  help="JSON: RecordAcceptanceRequest fields")):
    """Record an acceptance (checklist, reviewers, result, rectification items) from a JSON file."""
    request = ParseDict(json.loads(record.read_text(encoding="utf-8")), pb.RecordAcceptanceRequest())
    request.contract_id = contract_id
    a = _call("RecordAcceptance", request).acceptance
    emit_record(a, f"acceptance {a.id} {a.name}: {pb.AcceptanceResult.Name(a.result)[18:].lower()}")


@contract_app.command("evidence")
def contract_evidence(acceptance_id: str = typer.Argument(..., help="acceptance id"),
                      file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the evidence file"),
                      content_type: str = typer.Option("application/pdf", help="the file's media type")):
    """Attach an evidence file to an acceptance."""
    e = _call("AddAcceptanceEvidence", pb.AddAcceptanceEvidenceRequest(
        acceptance_id=acceptance_id, filename=file.name, content_type=content_type, data=file.read_bytes())).evidence
    emit_record(e, f"evidence {e.id} {e.filename} {e.size} bytes sha256 {e.sha256}")


def local_name(uploaded: str, fallback: str) -> str:
    """A file name in the current directory for an uploaded name, which came from whoever uploaded
    it: only its last part, and `fallback` when that names no file."""
    name = Path(uploaded).name
    return fallback if name in ("", ".", "..") else name


@contract_app.command("evidence-get")
def contract_evidence_get(acceptance_id: str = typer.Argument(..., help="acceptance id"),
                          evidence_id: str = typer.Argument(..., help="evidence id"),
                          out: Path | None = typer.Option(None, dir_okay=False,
                                                          help="file to write (default: the uploaded file name)")):
    """Download an evidence file of an acceptance."""
    r = _call("GetAcceptanceEvidence", pb.GetAcceptanceEvidenceRequest(acceptance_id=acceptance_id,
                                                                       evidence_id=evidence_id))
    path = out or Path(local_name(r.evidence.filename, r.evidence.id))
    path.write_bytes(r.data)
    emit_record({"file": str(path), "bytes": len(r.data), "sha256": r.evidence.sha256},
                f"wrote {path} ({len(r.data)} bytes, sha256 {r.evidence.sha256})")


@contract_app.command("pay")
def contract_pay(contract_id: str = CONTRACT, milestone: str = typer.Argument(..., help="milestone id"),
                 amount: str = typer.Argument(..., help="yuan, e.g. 120000.00"),
                 paid_on: str = typer.Argument(..., help="payment date, YYYY-MM-DD"),
                 key: str = typer.Option("", help="idempotency key (retry-safe)")):
    """Record a payment (only after the milestone's acceptance; never above what remains)."""
    r = _call("RecordPayment", pb.RecordPaymentRequest(contract_id=contract_id, milestone_id=milestone,
                                                       amount=as_money(amount),
                                                       paid_on=paid_on, idempotency_key=key))
    emit_record(r.payment, f"payment {r.payment.id} {r.payment.amount.amount}{' (replayed)' if r.replayed else ''}")


@contract_app.command("sla-report")
def contract_sla_report(contract_id: str = CONTRACT,
                        period_start: str = typer.Argument(..., help="first day, YYYY-MM-DD"),
                        period_end: str = typer.Argument(..., help="last day, YYYY-MM-DD"),
                        availability: str = typer.Option("", help="measured availability %")):
    """The vendor SLA report for a period, with penalties and the tickets behind them."""
    r = _call("GenerateSlaReport", pb.GenerateSlaReportRequest(contract_id=contract_id,
                                                               period=to_date_range(period_start, period_end),
                                                               availability_percent=availability)).report
    emit_record(r, f"{r.vendor_id} {r.period.start}–{r.period.end}: {r.tickets} tickets, response "
                   f"{r.response_attainment_percent}%, resolution {r.resolution_attainment_percent}%, "
                   f"{r.breaches} breaches, penalty {r.penalty_total.amount}")
    if json_output():
        return
    table = Listing("penalties", "clause", "metric", "breaches", "points below", "amount")
    table.add_column("tickets", "ticket_ids")
    for p in r.penalties:
        table.add_row(f"{p.clause_id} {p.name}", p.metric, p.breaches, p.points_below, p.amount.amount,
                      list(p.ticket_ids))
    emit(table)
