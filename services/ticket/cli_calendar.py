"""`govops ticket calendar …`: business calendars by year (list, show, import a year from CSV,
load a statutory year)."""

from __future__ import annotations

from pathlib import Path

import grpc
import typer

from govkit.cli_support import Listing, emit, emit_record, fail, grpc_channel, json_output, render

app = typer.Typer(help="Business calendars: the years loaded, holidays and make-up workdays", no_args_is_help=True)


def _stub():
    from govops.ticket.v1 import ticket_pb2_grpc

    return ticket_pb2_grpc.TicketServiceStub(grpc_channel("ticket"))


@app.command("list")
def calendar_list():
    """Every calendar with the years it has loaded and the years it lacks."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        calendars = _stub().ListCalendars(pb.ListCalendarsRequest(), timeout=10).calendars
    except grpc.RpcError as err:
        fail(err)
    listing = Listing(None, "id", "name")
    listing.add_column("years loaded", "years")
    listing.add_column("missing", "missing_years")
    for c in calendars:
        years = list(c.years) if json_output() else (
            "7×24" if c.always else (f"{c.years[0]}–{c.years[-1]}" if c.years else "none"))
        missing = list(c.missing_years) if json_output() else (", ".join(map(str, c.missing_years)) or "-")
        listing.add_row(c.id, c.name, years, missing)
    emit(listing)


@app.command("show")
def calendar_show(calendar_id: str = typer.Argument(..., help="calendar id, e.g. cn"),
                  year: int = typer.Option(0, help="only this year's days (0: every year)")):
    """A calendar's holidays and make-up workdays."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        cal = _stub().GetCalendar(pb.GetCalendarRequest(calendar_id=calendar_id), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    if json_output():
        emit_record(cal)
        return
    render(f"[bold]{cal.id}[/bold] {cal.name}  years: {', '.join(map(str, cal.years)) or 'none'}")
    if cal.missing_years:
        render(f"[red]missing: {', '.join(map(str, cal.missing_years))}[/red]")
    listing = Listing(None, "date", "kind")
    for d in cal.days:
        if not year or d.date.startswith(f"{year}-"):
            listing.add_row(d.date, "holiday 休" if d.kind == pb.CALENDAR_DAY_KIND_HOLIDAY else "workday 班")
    emit(listing)


@app.command("import")
def calendar_import(calendar_id: str = typer.Argument(..., help="calendar id, e.g. cn"),
                    year: int = typer.Argument(..., help="the year the file describes"),
                    path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                help="UTF-8 CSV: date,kind[,name]; kind holiday/workday or 休/班")):
    """Replace one year of a calendar from a CSV file (all rows or none; bad rows listed)."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        done = _stub().ImportCalendarYear(pb.ImportCalendarYearRequest(
            calendar_id=calendar_id, year=year, csv_content=path.read_bytes()), timeout=30)
    except grpc.RpcError as err:
        fail(err)
    emit_record(done, f"{calendar_id} {year}: {done.holidays} holidays, {done.workdays} make-up workdays")


@app.command("load-statutory")
def calendar_load_statutory(calendar_id: str = typer.Argument(..., help="calendar id, e.g. cn"),
                            year: int = typer.Argument(..., help="the year to load from chinesecalendar")):
    """Replace one year of a calendar with China's statutory holidays (chinesecalendar package)."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        done = _stub().LoadStatutoryYear(pb.LoadStatutoryYearRequest(calendar_id=calendar_id, year=year), timeout=30)
    except grpc.RpcError as err:
        fail(err)
    emit_record(done, f"{calendar_id} {year}: {done.holidays} holidays, {done.workdays} make-up workdays")
