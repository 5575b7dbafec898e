"""Business calendars as data, over the real gRPC server and PostgreSQL: an administrator loads a
year from CSV (bad rows shown, nothing written), a policy keeps naming the same calendar, and
a missing next year raises one ticket to the administrator from 1 November."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import grpc
import pytest
import sqlalchemy as sa

from govkit.auth import SYSTEM
from govkit.grpc_server import iter_bad_request
from govops.ticket.v1 import ticket_pb2 as pb
from tests.integration.test_ticket_platform import platform, stub  # noqa: F401  (fixture)
from ticket.adapters import tables
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import CheckCalendarCoverage
from ticket.handlers import sla

CST = timezone(timedelta(hours=8))
GOOD_2027 = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节调休上班\n"
BAD_2027 = "date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,坏\n2027-02-07,加班,坏\n"


def test_a_year_is_imported_from_csv_and_bad_rows_write_nothing(platform, admin_token, signer):  # noqa: F811
    target, engine = platform
    s = stub(target, admin_token)
    before = s.GetCalendar(pb.GetCalendarRequest(calendar_id="cn"), timeout=5)
    assert 2026 in before.years and 2027 not in before.years

    with pytest.raises(grpc.RpcError) as err:
        s.ImportCalendarYear(pb.ImportCalendarYearRequest(calendar_id="cn", year=2027,
                                                          csv_content=BAD_2027.encode()), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(iter_bad_request(err.value))) == {"rows[3].date", "rows[4].kind"}
    assert 2027 not in s.GetCalendar(pb.GetCalendarRequest(calendar_id="cn"), timeout=5).years

    done = s.ImportCalendarYear(pb.ImportCalendarYearRequest(calendar_id="cn", year=2027,
                                                             csv_content=GOOD_2027.encode()), timeout=5)
    assert (done.holidays, done.workdays) == (1, 1)
    after = s.GetCalendar(pb.GetCalendarRequest(calendar_id="cn"), timeout=5)
    assert 2027 in after.years
    assert [(d.date, d.kind) for d in after.days if d.date.startswith("2027")] == [
        ("2027-01-01", pb.CALENDAR_DAY_KIND_HOLIDAY), ("2027-02-06", pb.CALENDAR_DAY_KIND_WORKDAY)]
    listed = {c.id: c for c in s.ListCalendars(pb.ListCalendarsRequest(), timeout=5).calendars}
    assert 2027 in listed["cn"].years and listed["24x7"].always

    requester = signer.mint("plain", perms=["ticket.read"], scopes=[{"unit": "*"}])
    with pytest.raises(grpc.RpcError) as err:
        stub(target, requester).ImportCalendarYear(pb.ImportCalendarYearRequest(
            calendar_id="cn", year=2027, csv_content=GOOD_2027.encode()), timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        s.ImportCalendarYear(pb.ImportCalendarYearRequest(calendar_id="nosuch", year=2027,
                                                          csv_content=GOOD_2027.encode()), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_statutory_years_load_from_the_package_and_unknown_years_are_refused(platform, admin_token):  # noqa: F811
    target, _ = platform
    s = stub(target, admin_token)
    loaded = s.LoadStatutoryYear(pb.LoadStatutoryYearRequest(calendar_id="cn", year=2025), timeout=5)
    assert loaded.holidays > 10
    with pytest.raises(grpc.RpcError) as err:
        s.LoadStatutoryYear(pb.LoadStatutoryYearRequest(calendar_id="cn", year=2099), timeout=5)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "2099" in err.value.details()


def test_a_missing_next_year_opens_one_ticket_for_the_administrator(platform):  # noqa: F811
    _, engine = platform
    uow = lambda: TicketUnitOfWork(engine)  # noqa: E731

    assert sla.check_calendar_coverage(CheckCalendarCoverage(), uow, SYSTEM,
                                       now=datetime(2026, 10, 31, 12, tzinfo=CST)) == []
    first = sla.check_calendar_coverage(CheckCalendarCoverage(), uow, SYSTEM,
                                        now=datetime(2026, 11, 1, 8, tzinfo=CST))
    again = sla.check_calendar_coverage(CheckCalendarCoverage(), uow, SYSTEM,
                                        now=datetime(2026, 11, 2, 8, tzinfo=CST))
    assert [(a.calendar_id, a.year) for a in first] == [("cn", 2027)] == [(a.calendar_id, a.year) for a in again]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tables.tickets.c.title, tables.tickets.c.org_unit_id)
                            .where(tables.tickets.c.title.contains("2027"))).all()
    assert len(rows) == 1 and "业务日历" in rows[0].title and rows[0].org_unit_id == "om-centre"


def test_the_cli_imports_a_year_and_lists_the_bad_rows(platform, admin_token, monkeypatch, tmp_path):  # noqa: F811
    from typer.testing import CliRunner

    from govkit.cli import app

    target, _ = platform
    monkeypatch.setenv("GOVOPS_TICKET_GRPC_TARGET", target)
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    runner = CliRunner()
    bad, good = tmp_path / "bad.csv", tmp_path / "2027.csv"
    bad.write_text(BAD_2027, encoding="utf-8")
    good.write_text(GOOD_2027, encoding="utf-8")
    refused = runner.invoke(app, ["ticket", "calendar", "import", "cn", "2027", str(bad)])
    assert refused.exit_code == 1 and "rows[3].date" in refused.output and "rows[4].kind" in refused.output
    loaded = runner.invoke(app, ["ticket", "calendar", "import", "cn", "2027", str(good)])
    assert loaded.exit_code == 0 and "1 holidays, 1 make-up workdays" in loaded.output, loaded.output
    shown = runner.invoke(app, ["ticket", "calendar", "show", "cn", "--year", "2027"])
    assert "2027-01-01" in shown.output and "2027-02-06" in shown.output
    listed = runner.invoke(app, ["ticket", "calendar", "list"])
    assert "cn" in listed.output and "24x7" in listed.output


def test_the_calendar_list_speaks_json(platform, admin_token, monkeypatch):  # noqa: F811
    import json

    from typer.testing import CliRunner

    from govkit.cli import app

    target, _ = platform
    monkeypatch.setenv("GOVOPS_TICKET_GRPC_TARGET", target)
    monkeypatch.setenv("GOVOPS_TOKEN", admin_token)
    out = CliRunner().invoke(app, ["--output", "json", "ticket", "calendar", "list"])
    assert out.exit_code == 0, out.output
    rows = {r["id"]: r for r in (json.loads(line) for line in out.output.splitlines() if line.startswith("{"))}
    assert 2026 in rows["cn"]["years"] and rows["24x7"]["missing_years"] == []
