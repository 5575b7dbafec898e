"""Budget domain rules, no servers: fee composition, the quota standard, compilation
arithmetic and its trace, thresholds, and the import file readers."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from budget.adapters.files import export_assets, read_rows
from budget.domain import budget as bd
from budget.domain.assets import parse_asset
from budget.domain.compilation import AssetGroup, compile_lines, totals_of
from budget.domain.fees import check_category, check_item
from budget.domain.money import round_money
from budget.domain.sample import SAMPLE_REGION, sample_body
from budget.domain.standard import new_standard, parse_body
from govkit.errors import FailedPrecondition, InvalidArgument, Validator

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def _standard(body=None, effective_from="2026-01-01", **kw):
    return new_standard(Validator(), code="T", name="测试标准", effective_from=effective_from, effective_to="",
                        body=body or sample_body(), default_region=SAMPLE_REGION, version=1,
                        created_by="t", now=NOW, **kw)


def _group(no=1, kind="server", value="100000", qty=2, **kw):
    base = dict(org_unit_id="fgw", support_mode="on_site", protection_level=2, response_time="5x8",
                user_scale="medium", asset_count=1)
    base.update(kw)
    return AssetGroup(no, base["org_unit_id"], kind, base["support_mode"], base["protection_level"],
                      base["response_time"], base["user_scale"], base["asset_count"], qty, Decimal(value))


# ---- fees ---------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["utilities", "transport", "training", "meetings", "office"])
def test_excluded_cost_kinds_are_refused_with_the_seed_reason(code):
    v = Validator()
    assert check_category(v, "fee_category", code) is None
    [violation] = v.violations
    assert violation.field == "fee_category" and "excluded" in violation.reason and "utilities" in violation.reason


def test_fee_item_must_belong_to_its_category():
    v = Validator()
    assert check_item(v, "fee_item", "hw_upkeep", "software_om") is None
    assert "belongs to hardware_om" in v.violations[0].reason


# ---- standard -----------------------------------------------------------------------------
def test_sample_standard_is_valid_and_carries_the_provincial_rates():
    s = _standard()
    rates = {r.asset_kind: r.rate for r in s.body.rate_rules}
    assert rates["server"] == Decimal("0.055") and rates["application_complex"] == Decimal("0.10")
    assert rates["fire_suppression"] == Decimal("0.075") and rates["security_software"] == Decimal("0.10")
    assert s.state == "draft" and s.default_region == SAMPLE_REGION


def test_overlapping_rules_for_one_asset_kind_and_fee_item_are_refused():
    body = sample_body()
    body["rate_rules"].append({"asset_kind": "server", "fee_item": "hw_upkeep", "rate": "0.05"})
    body["spare_parts"].append({"asset_kind": "server", "fee_item": "hw_upkeep", "yuan_per_unit": "10"})
    with pytest.raises(InvalidArgument) as err:
        _standard(body)
    fields = {x.field: x.reason for x in err.value.violations}
    assert set(fields) == {f"rate_rules[{len(body['rate_rules']) - 1}]", "spare_parts[4]"}
    assert "overlaps rate_rules[0]" in fields["spare_parts[4]"]


def test_bad_standard_values_name_their_fields():
    body = sample_body()
    body["rate_rules"][0]["rate"] = "-0.1"
    body["rate_rules"][1]["rate"] = "abc"
    body["rate_rules"][2]["asset_kind"] = "mainframe"
    body["workload_standards"][0]["staff_grade"] = "首席科学家"
    body["coefficients"][0]["dimension"] = "weather"
    v = Validator()
    parse_body(v, body)
    fields = {x.field: x.reason for x in v.violations}
    assert "negative" in fields["rate_rules[0].rate"]
    assert "decimal" in fields["rate_rules[1].rate"]
    assert "unknown asset kind" in fields["rate_rules[2].asset_kind"]
    assert "labour-cost" in fields["workload_standards[0].staff_grade"]
    assert "coefficients[0].dimension" in fields


def test_an_approved_standard_is_immutable_and_effective_dates_are_checked():
    from dataclasses import replace

    s = replace(_standard(effective_from="2027-07-01"), state="approved")
    with pytest.raises(FailedPrecondition):
        s.require_editable()
    assert not s.effective_for_year(2027) and s.effective_for_year(2028)


# ---- compilation --------------------------------------------------------------------------
def test_rate_line_is_original_value_times_rate_times_coefficients_rounded_half_up():
    s = _standard()
    g = _group(value="100000.10", support_mode="remote", protection_level=3)
    lines = [ln for ln in compile_lines([g], s, SAMPLE_REGION) if ln.rule_type == "rate"]
    [line] = lines
    # 100000.10 × 0.055 × 0.80 × 1.10 = 4840.00484 → 4840.00
    assert line.amount == Decimal("4840.00") and line.fee_category == "hardware_om"
    assert line.coefficient == Decimal("0.880")
    assert "原值合计 100,000.10 元 × 费率 5.5%" in line.formula and "T v1 rate_rules[0]" in line.formula
    assert {c["dimension"] for c in line.coefficients} == {"support_mode", "protection_level"}


def test_workload_spares_and_consumables_lines_and_totals_sum_rounded_lines():
    s = _standard()
    groups = [_group(1, "server", "300000", 3), _group(2, "application_complex", "1000000", 1)]
    lines = compile_lines(groups, s, SAMPLE_REGION)
    kinds = {(ln.asset_kind, ln.rule_type) for ln in lines}
    assert kinds == {("server", "rate"), ("server", "workload"), ("server", "spare_parts"),
                     ("server", "consumables"), ("application_complex", "rate"),
                     ("application_complex", "workload")}
    workload = next(ln for ln in lines if ln.asset_kind == "application_complex" and ln.rule_type == "workload")
    # 1 × 20 person-days ÷ 21.75 × 30000 = 27586.2068… → 27586.21
    assert workload.amount == Decimal("27586.21") and workload.fee_category == "software_om"
    totals = totals_of(lines, groups)
    assert totals.total == sum(ln.amount for ln in lines)
    assert sum(totals.by_category.values()) == totals.total == sum(totals.by_kind.values())
    assert [ln.line_no for ln in lines] == list(range(1, len(lines) + 1))
    assert all(isinstance(ln.amount, Decimal) and ln.amount == round_money(ln.amount) for ln in lines)


def test_round_half_up_not_bankers():
    assert round_money(Decimal("0.125")) == Decimal("0.13")
    assert round_money(Decimal("0.135")) == Decimal("0.14")


# ---- execution ----------------------------------------------------------------------------
def test_threshold_crossings_fire_once_each_and_exceeding_is_separate():
    b = Decimal("1000")
    assert [c.threshold for c in bd.crossings("total", b, Decimal(0), Decimal(700), (80, 100))] == []
    got = bd.crossings("total", b, Decimal(700), Decimal(1000), (80, 100))
    assert [(c.kind, c.threshold) for c in got] == [("threshold", 80), ("threshold", 100)]
    got = bd.crossings("total", b, Decimal(1000), Decimal("1000.01"), (80, 100))
    assert [(c.kind, c.threshold) for c in got] == [("exceeded", 100)]
    assert bd.execution_rate(Decimal("825"), b) == Decimal("82.50")


def test_budget_steps_follow_the_state_machine():
    b = bd.Budget("b", "fgw", False, 2027, "s", "S v1", "r", bd.DRAFT, Decimal(0), {}, {}, 0, 0)
    with pytest.raises(FailedPrecondition):
        b.transition("approve")
    b = b.transition("submit").transition("review").transition("approve")
    assert b.state == bd.APPROVED
    with pytest.raises(FailedPrecondition, match="approved"):
        b.require_editable()


# ---- assets and files ---------------------------------------------------------------------
def test_parse_asset_reports_every_bad_field_with_its_prefix():
    v = Validator()
    a = parse_asset(v, {"code": "X", "name": "", "kind": "toaster", "org_unit_id": "fgw",
                        "original_value": "-5", "quantity": "2.5", "protection_level": "5",
                        "purchase_date": "2030-01-01"}, prefix="rows[3].", today=date(2026, 11, 25))
    assert a is None
    assert {x.field for x in v.violations} == {"rows[3].name", "rows[3].kind", "rows[3].original_value",
                                                "rows[3].quantity", "rows[3].protection_level",
                                                "rows[3].purchase_date"}


HEADER = "资产编号,名称,类别,所属部门,原值,数量,等保级别,支持方式,状态\n"


def test_csv_accepts_chinese_headers_and_names_and_numbers_rows_like_a_spreadsheet():
    data = (HEADER + "S-1,数据库服务器,PC服务器/主机,fgw,\"120,000.50\",2,3,远程,在用\n").encode("utf-8-sig")
    [(row_no, row)] = read_rows(data, "csv")
    assert row_no == 2 and row["kind"] == "PC服务器/主机" and row["support_mode"] == "远程"


def test_gbk_bytes_inside_a_utf8_csv_are_refused_naming_the_row():
    good = (HEADER + "S-1,服务器,server,fgw,100,1,2,现场,在用\n").encode("utf-8")
    bad = "S-2,交换机,network_core,fgw,100,1,2,现场,在用\n".encode("gbk")
    with pytest.raises(InvalidArgument) as err:
        read_rows(good + bad, "csv")
    assert [x.field for x in err.value.violations] == ["rows[3]"]
    assert "GBK" in err.value.violations[0].reason


def test_a_csv_in_gbk_throughout_is_accepted():
    data = (HEADER + "S-1,服务器,server,fgw,100,1,2,现场,在用\n").encode("gbk")
    assert read_rows(data, "csv")[0][1]["name"] == "服务器"


def test_xlsx_merged_cells_are_refused_naming_row_and_column():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(["S-1", "服务器", "server", "fgw", 100, 1, 2, "现场", "在用"])
    ws.append(["S-2", "服务器", "server", "fgw", 100, 1, 2, "现场", "在用"])
    ws.merge_cells("B2:B3")
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InvalidArgument) as err:
        read_rows(buf.getvalue(), "xlsx")
    assert err.value.violations[0].field == "rows[2].name" and "B2:B3" in err.value.violations[0].reason


def test_unknown_header_and_missing_required_column_are_reported():
    with pytest.raises(InvalidArgument) as err:
        read_rows("编号,名称\nA,B\n".encode(), "csv")
    fields = {x.field for x in err.value.violations}
    assert "rows[1].编号" in fields and "rows[1].original_value" in fields


def test_export_round_trips_through_the_importer():
    v = Validator()
    a = parse_asset(v, {"code": "E-1", "name": "存储", "kind": "storage", "org_unit_id": "czj",
                        "original_value": "99999.99"})
    for fmt in ("csv", "xlsx"):
        [(_, row)] = read_rows(export_assets([a], fmt), fmt)
        back = parse_asset(v, row)
        assert back.original_value == Decimal("99999.99") and back.kind == "storage", fmt
    assert not v.violations


def test_xlsx_date_and_number_cells_become_exact_values():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["资产编号", "名称", "类别", "所属部门", "原值", "购置日期"])
    ws.append(["D-1", "存储", "storage", "fgw", 123456.78, datetime(2024, 6, 30)])
    buf = io.BytesIO()
    wb.save(buf)
    [(_, row)] = read_rows(buf.getvalue(), "xlsx")
    v = Validator()
    a = parse_asset(v, row)
    assert a.original_value == Decimal("123456.78") and a.purchase_date == date(2024, 6, 30)
