"""Budget controls over the real server and PostgreSQL: separation of duties on a quota standard
and a budget, and no two budgets of one year counting the same unit's assets (the gov and wjw
2028 budgets once both held the same 2,318,682.50)."""

from __future__ import annotations

import grpc

from govops.budget.v1 import budget_pb2 as pb
from tests.integration.test_budget_api import _rpc_error, asset, budget_env, sample_standard, stub  # noqa: F401


def test_whoever_drafted_or_edited_a_standard_cannot_approve_it(budget_env, admin_token, signer):  # noqa: F811
    target, _ = budget_env
    author = stub(target, signer.mint("author", perms=["budget.standard.write", "budget.standard.approve",
                                                         "budget.read"], scopes=[{"unit": "*"}]))
    editor = stub(target, signer.mint("editor", perms=["budget.standard.write", "budget.standard.approve",
                                                         "budget.read"], scopes=[{"unit": "*"}]))
    draft = sample_standard(author, approve=False)
    edited = editor.UpdateStandard(pb.UpdateStandardRequest(id=draft.id, name="修订", effective_from="2026-01-01",
                                                            default_region=draft.default_region, body=draft.body),
                                   timeout=30).standard
    for who in (author, editor):
        err = _rpc_error(who.ApproveStandard, pb.ApproveStandardRequest(id=edited.id))
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "separation of duties" in err.details()
    approved = stub(target, admin_token).ApproveStandard(pb.ApproveStandardRequest(id=edited.id), timeout=30)
    assert approved.standard.state == pb.STANDARD_STATE_APPROVED


def test_overlapping_budgets_of_one_year_are_refused(budget_env, admin_token, signer):  # noqa: F811
    target, _ = budget_env
    s = stub(target, admin_token)
    s.RegisterAsset(pb.RegisterAssetRequest(fields=asset("F-1", dept="fgw-xxzx")), timeout=30)
    s.RegisterAsset(pb.RegisterAssetRequest(fields=asset("G-1", dept="gov")), timeout=30)
    standard = sample_standard(s, approver=stub(target, signer.mint("finance", perms=["*"], scopes=[{"unit": "*"}])))
    child = s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="fgw-xxzx", year=2028, standard_id=standard.id),
                            timeout=30).budget
    err = _rpc_error(s.CompileBudget, pb.CompileBudgetRequest(org_unit_id="gov", year=2028, standard_id=standard.id,
                                                              include_subtree=True))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "fgw-xxzx" in err.details() and child.id in err.details()
    # gov's own assets alone do not overlap; a parent budget over the subtree refuses a child's own.
    s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="gov", year=2028, standard_id=standard.id), timeout=30)
    s.CompileBudget(pb.CompileBudgetRequest(org_unit_id="fgw", year=2029, standard_id=standard.id,
                                            include_subtree=True), timeout=30)
    err = _rpc_error(s.CompileBudget, pb.CompileBudgetRequest(org_unit_id="fgw-xxzx", year=2029,
                                                              standard_id=standard.id))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "fgw" in err.details()
