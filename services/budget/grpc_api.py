"""budget-grpc: govops.budget.v1.BudgetService. Thin: request → command → handler → response."""

from __future__ import annotations

import json
from decimal import Decimal

from govkit.db import make_engine
from govkit.errors import InvalidArgument
from govkit.events import jsonable
from govkit.grpc_server import GrpcApp, permissions_for, principal
from govkit.protoconv import (
    CURRENCY,
    decode_page_token,
    money,
    money_text,
    offset_window,
    page,
    page_offset,
    page_response,
    timestamp,
)
from govops.budget.v1 import budget_pb2 as pb
from govops.budget.v1 import budget_pb2_grpc as pb_grpc
from govops.common.v1 import common_pb2

from . import handlers
from .adapters import files, reports
from .adapters.uow import BudgetUnitOfWork
from .domain import budget as bd
from .domain import commitments as cm
from .domain.assets import ASSET_KINDS, EDITABLE, GROUPS, Asset, AssetFilter
from .domain.commands import (
    ApproveOverBudget,
    ApproveStandard,
    ChangeBudgetState,
    CompileBudget,
    CreateStandard,
    ImportAssets,
    ListAssets,
    RecordExpense,
    RegisterAsset,
    RelateAssets,
    RetireAsset,
    UpdateAsset,
    UpdateStandard,
)
from .domain.compilation import Line, describe_group
from .domain.fees import EXCLUDED, FEE_CATEGORIES, items_of
from .domain.standard import APPROVED, Standard, body_to_dict

PERMISSIONS = {
    "ListFeeCategories": "budget.read",
    "ListAssetKinds": "budget.read",
    "RegisterAsset": "budget.asset.write",
    "UpdateAsset": "budget.asset.write",
    "RetireAsset": "budget.asset.write",
    "RelateAssets": "budget.asset.write",
    "GetAsset": "budget.read",
    "ListAssets": "budget.read",
    "ImportAssets": "budget.asset.write",
    "ExportAssets": "budget.read",
    "CreateStandard": "budget.standard.write",
    "UpdateStandard": "budget.standard.write",
    "ApproveStandard": "budget.standard.approve",
    "GetStandard": "budget.read",
    "ListStandards": "budget.read",
    "CompileBudget": "budget.compile",
    "GetBudget": "budget.read",
    "ListBudgets": "budget.read",
    "ListBudgetLines": "budget.read",
    "TraceBudgetLine": "budget.read",
    "CompareBudget": "budget.read",
    "SubmitBudget": "budget.compile",
    "ReviewBudget": "budget.review",
    "ApproveBudget": "budget.approve",
    "RecordExpense": "budget.expense.record",
    "GetExecution": "budget.read",
    "ApproveOverBudget": "budget.approve",
    "ExportBudget": "budget.read",
}

_SUPPORT = {pb.SUPPORT_MODE_ON_SITE: "on_site", pb.SUPPORT_MODE_REMOTE: "remote"}
_STATUS = {pb.ASSET_STATUS_IN_USE: "in_use", pb.ASSET_STATUS_SPARE: "spare", pb.ASSET_STATUS_RETIRED: "retired"}
_RELATION = {pb.RELATION_KIND_RUNS_ON: "runs_on", pb.RELATION_KIND_DEPENDS_ON: "depends_on",
             pb.RELATION_KIND_CONNECTED_TO: "connected_to"}
_BUDGET_STATE = {bd.DRAFT: pb.BUDGET_STATE_DRAFT, bd.SUBMITTED: pb.BUDGET_STATE_SUBMITTED,
                 bd.REVIEWED: pb.BUDGET_STATE_REVIEWED, bd.APPROVED: pb.BUDGET_STATE_APPROVED}
_BUDGET_STATE_IN = {v: k for k, v in _BUDGET_STATE.items()}
_FORMAT = {pb.FILE_FORMAT_CSV: "csv", pb.FILE_FORMAT_XLSX: "xlsx", pb.FILE_FORMAT_PDF: "pdf"}
_rev = lambda table: {v: k for k, v in table.items()}  # noqa: E731
_SUPPORT_PB, _STATUS_PB, _RELATION_PB = _rev(_SUPPORT), _rev(_STATUS), _rev(_RELATION)


def _enum_in(table: dict, value: int) -> str:
    """Unspecified → "" (the domain's default or "is required"); an unknown number → itself."""
    return table.get(value) or (str(value) if value else "")


_STEP_PB = {s: getattr(pb, f"BUDGET_STEP_{s.upper()}") for s in (
    "compile", "submit", "review", "approve", "return_from_review", "return_from_approval")}
_ASSET_ACTION_PB = {a: getattr(pb, f"ASSET_ACTION_{a.upper()}")
                    for a in ("registered", "changed", "retired", "related")}

# Money in the standard's body, as (list key, field): the body travels to and from the domain as a
# dict (MessageToDict / ParseDict), whose amounts are plain decimal text.
_BODY_MONEY = (("labour_costs", "yuan_per_person_month"), ("spare_parts", "yuan_per_unit"),
               ("consumables", "yuan_per_unit"))


def _fields_in(f: pb.AssetFields) -> dict:
    return {"code": f.code, "name": f.name, "kind": f.kind, "org_unit_id": f.org_unit_id, "location": f.location,
            "brand": f.brand, "model": f.model, "purchase_date": f.purchase_date,
            "original_value": money_text(f.original_value, "original_value"),
            "quantity": f.quantity or "",
            "protection_level": f.protection_level or "", "support_mode": _enum_in(_SUPPORT, f.support_mode),
            "status": _enum_in(_STATUS, f.status), "response_time": f.response_time, "user_scale": f.user_scale}


def asset_to_pb(a: Asset) -> pb.Asset:
    return pb.Asset(id=a.id, version=a.version, created_at=timestamp(a.created_at), updated_at=timestamp(a.updated_at),
                    fields=pb.AssetFields(
                        code=a.code, name=a.name, kind=a.kind, org_unit_id=a.org_unit_id, location=a.location,
                        brand=a.brand, model=a.model,
                        purchase_date=a.purchase_date.isoformat() if a.purchase_date else "",
                        original_value=money(a.original_value), quantity=a.quantity,
                        protection_level=a.protection_level, support_mode=_SUPPORT_PB[a.support_mode],
                        status=_STATUS_PB[a.status], response_time=a.response_time, user_scale=a.user_scale))


def _filter_in(f: pb.AssetFilter) -> AssetFilter:
    return AssetFilter(org_unit_id=f.org_unit_id, kinds=tuple(f.kinds), status=_STATUS.get(f.status, ""),
                       text=f.text.strip(), protection_level=f.protection_level,
                       support_mode=_SUPPORT.get(f.support_mode, ""))


def _format(value: pb.FileFormat.ValueType, allowed: tuple[str, ...]) -> str:
    fmt = _FORMAT.get(value, "")
    if fmt not in allowed:
        raise InvalidArgument(field="format", reason=f"must be one of {', '.join(a.upper() for a in allowed)}")
    return fmt


def _body_in(b: pb.StandardBody) -> dict:
    from google.protobuf.json_format import MessageToDict

    raw = MessageToDict(b, preserving_proto_field_name=True)
    for key, name in _BODY_MONEY:
        for i, item in enumerate(raw.get(key, [])):
            item[name] = money_text(getattr(getattr(b, key)[i], name), f"{key}[{i}].{name}")
    return raw


def standard_to_pb(s: Standard, *, with_body: bool = True) -> pb.Standard:
    msg = pb.Standard(id=s.id, code=s.code, version=s.version, name=s.name,
                      effective_from=s.effective_from.isoformat(),
                      effective_to=s.effective_to.isoformat() if s.effective_to else "",
                      state=pb.STANDARD_STATE_APPROVED if s.state == APPROVED else pb.STANDARD_STATE_DRAFT,
                      default_region=s.default_region, note=s.note, created_by=s.created_by,
                      approved_by=s.approved_by, approved_at=timestamp(s.approved_at))
    if with_body:
        body_to_pb(body_to_dict(s.body), msg.body)
    return msg


def body_to_pb(raw: dict, msg: pb.StandardBody | None = None) -> pb.StandardBody:
    """A standard's body as the domain writes it (amounts as decimal text) into a StandardBody."""
    from google.protobuf.json_format import ParseDict

    raw = {key: [dict(item) for item in items] if isinstance(items, list) else items for key, items in raw.items()}
    for key, name in _BODY_MONEY:
        for item in raw.get(key, []):
            item[name] = {"amount": money(item[name]).amount, "currency": CURRENCY}
    msg = msg if msg is not None else pb.StandardBody()
    ParseDict(raw, msg)
    return msg


def _amounts(values: dict, names: dict) -> list[pb.Amount]:
    return [pb.Amount(code=k, name=names.get(k, k), amount=money(v)) for k, v in values.items()]


def budget_to_pb(b: bd.Budget, actions=()) -> pb.Budget:
    cat_names = {c.code: c.name for c in FEE_CATEGORIES}
    ordered = {c.code: b.by_category.get(c.code, Decimal(0)) for c in FEE_CATEGORIES}
    return pb.Budget(
        id=b.id,
        org_unit_id=b.org_unit_id,
        include_subtree=b.include_subtree,
        org_unit_ids=list(b.org_unit_ids),
        year=b.year,
        standard_id=b.standard_id,
        standard=b.standard_label,
        region=b.region,
        state=_BUDGET_STATE[b.state],
        total=money(b.total),
        by_category=_amounts(ordered, cat_names),
        by_kind=_amounts(dict(sorted(b.by_kind.items())), {k.code: k.name for k in ASSET_KINDS}),
        asset_count=b.asset_count,
        line_count=b.line_count,
        thresholds=list(b.thresholds),
        compiled_at=timestamp(b.compiled_at),
        approved_by=b.approved_by,
        actions=[
            pb.BudgetAction(
                action=_STEP_PB.get(a.action, pb.BUDGET_STEP_UNSPECIFIED),
                from_state=_BUDGET_STATE.get(a.from_state, pb.BUDGET_STATE_UNSPECIFIED),
                to_state=_BUDGET_STATE.get(a.to_state, pb.BUDGET_STATE_UNSPECIFIED),
                actor=a.actor,
                comment=a.comment,
                at=timestamp(a.at),
            )
            for a in actions
        ],
    )


def line_to_pb(ln: Line, spent: Decimal | None = None) -> pb.BudgetLine:
    msg = pb.BudgetLine(
        line_no=ln.line_no, org_unit_id=ln.org_unit_id, asset_kind=ln.asset_kind, fee_category=ln.fee_category,
        fee_item=ln.fee_item, rule_type=ln.rule_type, rule_ref=ln.rule_ref,
        rule_json=json.dumps(ln.rule, ensure_ascii=False),
        coefficients=[pb.Coefficient(dimension=c["dimension"], value=c["value"], factor=c["factor"],
                                     name=c.get("name", "")) for c in ln.coefficients],
        coefficient=str(Decimal(ln.coefficient).normalize()), asset_count=ln.asset_count, quantity=ln.quantity,
        base=str(Decimal(ln.base).quantize(Decimal("0.01"))), amount=money(ln.amount), formula=ln.formula)
    if spent is not None:
        msg.spent.CopyFrom(money(spent))
        msg.execution_rate = str(bd.execution_rate(spent, ln.amount))
    return msg


def expense_to_pb(e: bd.Expense) -> pb.Expense:
    return pb.Expense(id=e.id, budget_id=e.budget_id or "", fee_category=e.fee_category, fee_item=e.fee_item,
                      line_no=e.line_no or 0, amount=money(e.amount), spent_on=e.spent_on.isoformat(),
                      description=e.description, source=e.source, external_id=e.external_id or "",
                      recorded_by=e.recorded_by, status=e.status, commitment_id=e.commitment_id or "")


_COMMITMENT_STATE_PB = {cm.OPEN: pb.COMMITMENT_STATE_OPEN, cm.OVER_BUDGET: pb.COMMITMENT_STATE_OVER_BUDGET,
                        cm.APPROVED: pb.COMMITMENT_STATE_APPROVED}


def commitment_to_pb(c: cm.Commitment) -> pb.Commitment:
    return pb.Commitment(id=c.id, contract_id=c.contract_id, project_id=c.project_id, budget_id=c.budget_id or "",
                         org_unit_id=c.org_unit_id, year=c.year, fee_category=c.fee_category, amount=money(c.amount),
                         paid=money(c.paid), remaining=money(c.remaining),
                         state=_COMMITMENT_STATE_PB.get(c.state, pb.COMMITMENT_STATE_UNSPECIFIED), reason=c.reason,
                         signed_by=c.signed_by, approved_by=c.approved_by, approval_reason=c.approval_reason)


def _offset_page(items: list, request: common_pb2.PageRequest) -> tuple[list, common_pb2.PageResponse]:
    """One page of a list the handler returned whole, so its total is known."""
    page_size, page_token = page(request)
    size = handlers._page_size(page_size)
    start = decode_page_token(page_token, page_offset) or 0
    chunk = items[start:start + size]
    token = handlers._encode_token(start + size) if start + size < len(items) else ""
    return chunk, page_response(token, total_size=len(items))


class BudgetServicer(pb_grpc.BudgetServiceServicer):
    def __init__(self, engine):
        self.engine = engine

    def _uow(self):
        return BudgetUnitOfWork(self.engine, principal().scope)

    # -- vocabulary --
    def ListFeeCategories(self, request, context):
        return pb.ListFeeCategoriesResponse(
            categories=[pb.FeeCategory(code=c.code, name=c.name,
                                       items=[pb.FeeItem(code=i.code, name=i.name) for i in items_of(c.code)])
                        for c in FEE_CATEGORIES],
            excluded=[pb.FeeCategory(code=c.code, name=c.name) for c in EXCLUDED])

    def ListAssetKinds(self, request, context):
        return pb.ListAssetKindsResponse(kinds=[
            pb.AssetKind(code=k.code, name=k.name, group=k.group, group_name=GROUPS[k.group],
                         fee_category=k.fee_category) for k in ASSET_KINDS])

    # -- assets --
    def RegisterAsset(self, request, context):
        cmd = RegisterAsset(_fields_in(request.fields),
                            tuple((_enum_in(_RELATION, r.kind), r.asset_id) for r in request.relations))
        return pb.RegisterAssetResponse(asset=asset_to_pb(handlers.register_asset(cmd, self._uow(), principal())))

    def UpdateAsset(self, request, context):
        given = _fields_in(request.fields)
        unknown = [m for m in request.update_mask if m not in EDITABLE]
        if unknown:
            raise InvalidArgument(field="update_mask", reason=f"not editable: {', '.join(unknown)}; "
                                                              f"editable: {', '.join(EDITABLE)}")
        if not request.update_mask:
            raise InvalidArgument(field="update_mask", reason="name the fields to change")
        changes = {m: given[m] for m in request.update_mask}
        for m in ("quantity", "protection_level"):  # on update, 0 is a (bad) value, not "the default"
            if m in changes:
                changes[m] = getattr(request.fields, m)
        asset = handlers.update_asset(UpdateAsset(request.id, changes, request.expected_version), self._uow(),
                                      principal())
        return pb.UpdateAssetResponse(asset=asset_to_pb(asset))

    def RetireAsset(self, request, context):
        asset = handlers.retire_asset(RetireAsset(request.id, request.reason), self._uow(), principal())
        return pb.RetireAssetResponse(asset=asset_to_pb(asset))

    def RelateAssets(self, request, context):
        created = handlers.relate_assets(RelateAssets(request.from_id, request.to_id,
                                                      _enum_in(_RELATION, request.kind)), self._uow(), principal())
        return pb.RelateAssetsResponse(created=created)

    def GetAsset(self, request, context):
        offset_window(request.page, max_size=handlers.MAX_PAGE)  # a bad page is refused before the id is looked up
        d = handlers.get_asset(request.id, self._uow(), principal())
        history, paging = _offset_page(d.history, request.page)
        return pb.GetAssetResponse(
            page=paging,
            asset=asset_to_pb(d.asset),
            relations=[pb.AssetRelation(kind=_RELATION_PB[k], direction=direction, asset_id=other)
                       for k, direction, other in d.relations],
            history=[pb.AssetChange(at=timestamp(h["at"]), actor=h["actor"],
                                    action=_ASSET_ACTION_PB.get(h["action"], pb.ASSET_ACTION_UNSPECIFIED),
                                    changes_json=json.dumps(jsonable(h["changes"]), ensure_ascii=False))
                     for h in history])

    def ListAssets(self, request, context):
        assets, token = handlers.list_assets(ListAssets(_filter_in(request.filter), *page(request.page)),
                                             self._uow(), principal())
        return pb.ListAssetsResponse(assets=[asset_to_pb(a) for a in assets], page=page_response(token))

    def ImportAssets(self, request, context):
        fmt = _format(request.format, ("csv", "xlsx"))
        n = handlers.import_assets(ImportAssets(request.content, fmt, request.validate_only), self._uow(),
                                   principal())
        return pb.ImportAssetsResponse(imported=0 if request.validate_only else n, checked=n)

    def ExportAssets(self, request, context):
        fmt = _format(request.format, ("csv", "xlsx"))
        flt, out, token = _filter_in(request.filter), [], ""
        while True:
            chunk, token = handlers.list_assets(ListAssets(flt, handlers.MAX_PAGE, token), self._uow(), principal())
            out.extend(chunk)
            if not token:
                break
        return pb.ExportAssetsResponse(content=files.export_assets(out, fmt), filename=f"assets.{fmt}",
                                       count=len(out))

    # -- standards --
    def CreateStandard(self, request, context):
        s = handlers.create_standard(CreateStandard(request.code, request.name, request.effective_from,
                                                    request.effective_to, _body_in(request.body),
                                                    request.default_region, request.note), self._uow(), principal())
        return pb.CreateStandardResponse(standard=standard_to_pb(s))

    def UpdateStandard(self, request, context):
        s = handlers.update_standard(UpdateStandard(request.id, request.name, request.effective_from,
                                                    request.effective_to, _body_in(request.body),
                                                    request.default_region, request.note), self._uow(), principal())
        return pb.UpdateStandardResponse(standard=standard_to_pb(s))

    def ApproveStandard(self, request, context):
        s = handlers.approve_standard(ApproveStandard(request.id, request.comment), self._uow(), principal())
        return pb.ApproveStandardResponse(standard=standard_to_pb(s))

    def GetStandard(self, request, context):
        return pb.GetStandardResponse(standard=standard_to_pb(
            handlers.get_standard(request.id, self._uow(), principal())))

    def ListStandards(self, request, context):
        items, paging = _offset_page(handlers.list_standards(self._uow(), principal()), request.page)
        return pb.ListStandardsResponse(standards=[standard_to_pb(s, with_body=False) for s in items], page=paging)

    # -- budgets --
    def CompileBudget(self, request, context):
        cmd = CompileBudget(request.org_unit_id.strip(), request.year, request.standard_id, request.include_subtree,
                            request.region, tuple(request.thresholds), request.comment)
        result = handlers.compile_budget(cmd, self._uow(), principal())
        return pb.CompileBudgetResponse(budget=budget_to_pb(result.budget))

    def GetBudget(self, request, context):
        b, actions = handlers.get_budget(request.id, self._uow(), principal())
        return pb.GetBudgetResponse(budget=budget_to_pb(b, actions))

    def ListBudgets(self, request, context):
        budgets = handlers.list_budgets(self._uow(), principal(), org_unit_id=request.org_unit_id, year=request.year,
                                        state=_BUDGET_STATE_IN.get(request.state, ""))
        items, paging = _offset_page(budgets, request.page)
        return pb.ListBudgetsResponse(budgets=[budget_to_pb(b) for b in items], page=paging)

    def ListBudgetLines(self, request, context):
        page_size, page_token = page(request.page)
        lines, token = handlers.budget_lines(request.budget_id, self._uow(), principal(),
                                             category=request.fee_category, page_size=page_size,
                                             page_token=page_token)
        return pb.ListBudgetLinesResponse(lines=[line_to_pb(ln) for ln in lines], page=page_response(token))

    def TraceBudgetLine(self, request, context):
        page_size, page_token = page(request.page)
        t = handlers.trace_line(request.budget_id, request.line_no, self._uow(), principal(),
                                page_size=page_size, page_token=page_token)
        from .domain.compilation import AssetGroup

        g = t.group
        group = AssetGroup(g["group_no"], g["org_unit_id"], g["kind"], g["support_mode"], g["protection_level"],
                           g["response_time"], g["user_scale"], g["asset_count"], g["quantity"], g["original_value"])
        return pb.TraceBudgetLineResponse(line=line_to_pb(t.line), standard_id=t.budget.standard_id,
                                          standard=t.budget.standard_label, group=describe_group(group),
                                          group_original_value=money(group.original_value),
                                          assets=[asset_to_pb(a) for a in t.assets],
                                          page=page_response(t.next_page_token, total_size=group.asset_count))

    def CompareBudget(self, request, context):
        c = handlers.compare_budget(request.budget_id, request.against_standard_id, self._uow(), principal())
        rows = []
        for code, name in [(x.code, x.name) for x in FEE_CATEGORIES] + [("total", "合计")]:
            this = c.budget.total if code == "total" else c.budget.by_category.get(code, Decimal(0))
            row = pb.Comparison(code=code, name=name, this_year=money(this))
            if c.last_year is not None:
                last = c.last_year.total if code == "total" else c.last_year.by_category.get(code, Decimal(0))
                row.last_year.CopyFrom(money(last))
                row.change.CopyFrom(money(this - last))
            if c.what_if is not None:
                other = c.what_if.total if code == "total" else c.what_if.by_category.get(code, Decimal(0))
                row.what_if.CopyFrom(money(other))
                row.what_if_change.CopyFrom(money(other - this))
            rows.append(row)
        return pb.CompareBudgetResponse(
            last_year_budget_id=c.last_year.id if c.last_year else "", rows=rows,
            what_if_standard=f"{c.what_if_standard.code} v{c.what_if_standard.version}" if c.what_if_standard else "")

    def _step(self, budget_id, action, comment):
        return budget_to_pb(handlers.change_budget_state(ChangeBudgetState(budget_id, action, comment),
                                                         self._uow(), principal()))

    def SubmitBudget(self, request, context):
        return pb.SubmitBudgetResponse(budget=self._step(request.id, "submit", request.comment))

    @staticmethod
    def _decision(value: int, forward: str, back: str) -> str:
        if value == pb.DECISION_PASS:
            return forward
        if value == pb.DECISION_RETURN:
            return back
        raise InvalidArgument(field="decision", reason="must be DECISION_PASS or DECISION_RETURN")

    def ReviewBudget(self, request, context):
        action = self._decision(request.decision, "review", "return_from_review")
        return pb.ReviewBudgetResponse(budget=self._step(request.id, action, request.comment))

    def ApproveBudget(self, request, context):
        action = self._decision(request.decision, "approve", "return_from_approval")
        return pb.ApproveBudgetResponse(budget=self._step(request.id, action, request.comment))

    # -- execution --
    def RecordExpense(self, request, context):
        r = handlers.record_expense(RecordExpense(
            request.budget_id, request.fee_category,
            money_text(request.amount, "amount"), request.spent_on, request.fee_item,
            request.line_no, request.description, request.idempotency_key), self._uow(), principal())
        return pb.RecordExpenseResponse(expense=expense_to_pb(r.expense), replayed=r.replayed)

    def GetExecution(self, request, context):
        offset_window(request.page, max_size=handlers.MAX_PAGE)  # a bad page is refused before the id is looked up
        x = handlers.execution(request.budget_id, self._uow(), principal())
        expenses, paging = _offset_page(x.expenses, request.page)
        b = x.budget
        available = x.available_by_category
        cats = [pb.CategoryExecution(code=c.code, name=c.name, budgeted=money(b.by_category.get(c.code, 0)),
                                     spent=money(x.by_category.get(c.code, 0)),
                                     execution_rate=str(bd.execution_rate(x.by_category.get(c.code, Decimal(0)),
                                                                          b.by_category.get(c.code, Decimal(0)))),
                                     committed=money(x.committed_by_category.get(c.code, 0)),
                                     available=money(available.get(c.code, 0)))
                for c in FEE_CATEGORIES]
        return pb.GetExecutionResponse(
            budget=budget_to_pb(b), categories=cats, total_spent=money(x.total_spent),
            execution_rate=str(bd.execution_rate(x.total_spent, b.total)),
            lines=[line_to_pb(ln, x.by_line[ln.line_no]) for ln in x.lines if ln.line_no in x.by_line],
            expenses=[expense_to_pb(e) for e in expenses], total_committed=money(x.total_committed),
            total_available=money(x.total_available), commitments=[commitment_to_pb(c) for c in x.commitments],
            page=paging)

    def ApproveOverBudget(self, request, context):
        c = handlers.approve_over_budget(ApproveOverBudget(request.commitment_id, request.reason), self._uow(),
                                         principal())
        return pb.ApproveOverBudgetResponse(commitment=commitment_to_pb(c))

    def ExportBudget(self, request, context):
        fmt = _format(request.format, ("xlsx", "pdf"))
        content, name = export_budget(request.budget_id, fmt, self._uow, principal())
        return pb.ExportBudgetResponse(content=content, filename=name)


def export_budget(budget_id: str, fmt: str, uow_factory, caller) -> tuple[bytes, str]:
    x = handlers.execution(budget_id, uow_factory(), caller)
    unit_name = handlers.unit_name(x.budget.org_unit_id, uow_factory())
    b = x.budget
    if fmt == "xlsx":
        content = reports.budget_xlsx(b, x.lines, x.by_line, x.by_category, unit_name)
    else:
        content = reports.budget_pdf(b, x.lines, x.by_category, unit_name)
    return content, f"budget-{b.org_unit_id}-{b.year}.{fmt}"


def build(settings) -> GrpcApp:
    engine = make_engine(settings.database_url, pool_size=settings.grpc_max_workers)
    service = pb.DESCRIPTOR.services_by_name["BudgetService"]
    return GrpcApp(
        service="budget",
        registrations=[(pb_grpc.add_BudgetServiceServicer_to_server, BudgetServicer(engine))],
        service_names=[service.full_name],
        permissions=permissions_for(service, PERMISSIONS),
        on_stop=[engine.dispose],
    )


