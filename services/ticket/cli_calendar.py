"""`govops ticket calendar …`: business calendars by year (list, show, import a year from CSV,
load a statutory year)."""

from __future__ import annotations

from pathlib import Path

import grpc
import typer
from rich.table import Table

from govkit.cli_support import console, fail, grpc_channel

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
    table = Table("id", "name", "years loaded", "missing")
    for c in calendars:
        years = "7×24" if c.always else (f"{c.years[0]}–{c.years[-1]}" if c.years else "none")
        table.add_row(c.id, c.name, years, ", ".join(map(str, c.missing_years)) or "-")
    console.print(table)


@app.command("show")
def calendar_show(calendar_id: str = typer.Argument(..., help="calendar id, e.g. cn"),
                  year: int = typer.Option(0, help="only this year's days (0: every year)")):
    """A calendar's holidays and make-up workdays."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        cal = _stub().GetCalendar(pb.GetCalendarRequest(calendar_id=calendar_id), timeout=10)
    except grpc.RpcError as err:
        fail(err)
    console.print(f"[bold]{cal.id}[/bold] {cal.name}  years: {', '.join(map(str, cal.years)) or 'none'}")
    if cal.missing_years:
        console.print(f"[red]missing: {', '.join(map(str, cal.missing_years))}[/red]")
    table = Table("date", "kind")
    for d in cal.days:
        if not year or d.date.startswith(f"{year}-"):
            table.add_row(d.date, "holiday 休" if d.kind == pb.CALENDAR_DAY_KIND_HOLIDAY else "workday 班")
    console.print(table)


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
    console.print(f"{calendar_id} {year}: {done.holidays} holidays, {done.workdays} make-up workdays")


@app.command("load-statutory")
def calendar_load_statutory(calendar_id: str = typer.Argument(..., help="calendar id, e.g. cn"),
                            year: int = typer.Argument(..., help="the year to load from chinesecalendar")):
    """Replace one year of a calendar with China's statutory holidays (chinesecalendar package)."""
    from govops.ticket.v1 import ticket_pb2 as pb

    try:
        done = _stub().LoadStatutoryYear(pb.LoadStatutoryYearRequest(calendar_id=calendar_id, year=year), timeout=30)
    except grpc.RpcError as err:
        fail(err)
    console.print(f"{calendar_id} {year}: {done.holidays} holidays, {done.workdays} make-up workdays")
