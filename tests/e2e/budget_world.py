"""What the budget browser tests set up through gRPC, once for both of them: a government with one
department on the shared stack, its budget officer (who also holds the finance reviewer's role, so
only the separation of duties stops them approving their own work) and a finance reviewer; an asset
register imported in one call; an approved quota standard of the sample body."""

from __future__ import annotations

import csv
import io

from budget.domain.assets import COLUMNS
from budget.domain.sample import SAMPLE_NAME, SAMPLE_REGION, sample_body
from budget.grpc_api import body_to_pb
from govkit.client import channel
from govops.budget.v1 import budget_pb2 as pb
from govops.budget.v1 import budget_pb2_grpc as pb_grpc
from govops.org.v1 import org_pb2 as opb
from govops.org.v1 import org_pb2_grpc
from tests.e2e.browser import create_users

REGISTER = ("code", "name", "kind", "org_unit_id", "original_value", "quantity", "protection_level", "support_mode",
            "status")


def district(stack, gov: tuple[str, str], dept: tuple[str, str], officer: tuple[str, str],
             finance: tuple[str, str]) -> None:
    """gov and dept as (id, name); officer and finance as (login, display name)."""
    (gov_id, gov_name), (dept_id, dept_name) = gov, dept
    stack.create_org_units([(gov_id, gov_name, "", "government"), (dept_id, dept_name, gov_id, "department")])
    create_users(stack, {officer[0]: (officer[1], "om_centre_director", gov_id),
                         finance[0]: (finance[1], "finance_reviewer", gov_id)})
    org = org_pb2_grpc.OrgServiceStub(channel(stack.target("org"), stack.token()))
    org.GrantRole(opb.GrantRoleRequest(subject=officer[0], role="finance_reviewer", org_unit_id=gov_id, subtree=True),
                  timeout=10)


def import_register(stack, rows: list[tuple]) -> None:
    """Assets as rows of REGISTER's columns (status 在用, support 现场), one ImportAssets call."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([COLUMNS[c] for c in REGISTER])
    for row in rows:
        w.writerow(row)
    admin = pb_grpc.BudgetServiceStub(channel(stack.target("budget"), stack.token()))
    admin.ImportAssets(pb.ImportAssetsRequest(format=pb.FILE_FORMAT_CSV, content=out.getvalue().encode()), timeout=60)


def approved_standard(stack, code: str, name_suffix: str, approver: str):
    """The sample standard under `code`, created by the administrator and approved by `approver`
    (another person: separation of duties)."""
    admin = pb_grpc.BudgetServiceStub(channel(stack.target("budget"), stack.token()))
    standard = admin.CreateStandard(pb.CreateStandardRequest(
        code=code, name=f"{SAMPLE_NAME}{name_suffix}", effective_from="2026-01-01", default_region=SAMPLE_REGION,
        body=body_to_pb(sample_body())), timeout=30).standard
    other = pb_grpc.BudgetServiceStub(channel(stack.target("budget"), stack.token(subject=approver)))
    other.ApproveStandard(pb.ApproveStandardRequest(id=standard.id), timeout=30)
    return standard
