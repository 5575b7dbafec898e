"""The schema is written twice — once in Alembic revisions (frozen history), once in each service's
SQLAlchemy metadata (`<svc>/adapters/tables.py`, what the code queries) — and must say the same.

For every service in `govkit.service.names()` a fresh database (`govops_<ns>_drift_<svc>`) is
migrated to head and compared with the service's metadata:

* alembic's autogenerate comparison (`compare_metadata`): tables, columns, column types,
  nullability, server defaults including identity columns (`GENERATED ALWAYS` vs `BY DEFAULT`;
  PostgreSQL evaluates both default expressions, so `'0'` and `0` agree), indexes (name, columns,
  unique), unique constraints and foreign keys. Server defaults are compared because inserts
  rely on them (`created_at`, counters, JSONB `{}`), so a missing one is a real bug;
* what autogenerate does not look at, checked here from the inspector: primary keys, and each
  index's access method (`postgresql_using`) and partial-index predicate (`postgresql_where`).

Not compared: column order, CHECK constraints, sequences and extensions created by raw SQL
(`ticket_number_*`, `pg_trgm`), and comments — the metadata does not declare them.

Real PostgreSQL, nothing faked; no broker or Redis is needed.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import postgresql

from govkit import config
from govkit.db import create_database_if_missing, drop_database
from govkit.migrate import alembic_config
from govkit.service import names as service_names

SERVICES_DIR = Path(config.REPO_ROOT) / "services"


@pytest.fixture
def fresh_database():
    """fresh_database("ticket") → URL of a new database migrated to the service's head; dropped after."""
    urls = []

    def make(service: str) -> str:
        settings = config.load(service)
        url = f"{settings.pg_url.rstrip('/')}/{settings.db_prefix}drift_{service}"
        drop_database(url)
        create_database_if_missing(url)
        urls.append(url)
        command.upgrade(alembic_config(service, url), "head")
        return url

    yield make
    for url in urls:
        drop_database(url)


def _normalise_sql(text: str | None) -> str | None:
    """`(idempotency_key IS NOT NULL)` and `tickets.idempotency_key IS NOT NULL` compare equal."""
    if text is None:
        return None
    text = re.sub(r"[()\s]", "", str(text)).lower()
    return re.sub(r"\b[a-z_][a-z0-9_]*\.", "", text)


def _index_options(index: sa.Index) -> tuple[str, str | None]:
    opts = index.dialect_options["postgresql"]
    where = opts.get("where")
    if where is not None and not isinstance(where, str):
        where = str(where.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return (opts.get("using") or "btree").lower(), _normalise_sql(where)


def _differences_autogenerate_misses(conn, metadata: sa.MetaData) -> list[str]:
    inspector = sa.inspect(conn)
    found = []
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue  # compare_metadata reports the missing table
        db_pk = inspector.get_pk_constraint(table.name)["constrained_columns"]
        meta_pk = [c.name for c in table.primary_key.columns]
        if db_pk != meta_pk:
            found.append(f"{table.name}: primary key {db_pk} in the database, {meta_pk} in the metadata")
        db_indexes = {i["name"]: i for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            db_index = db_indexes.get(index.name)
            if db_index is None:
                continue  # compare_metadata reports it
            opts = db_index.get("dialect_options", {})
            db_opts = ((opts.get("postgresql_using") or "btree").lower(), _normalise_sql(opts.get("postgresql_where")))
            if db_opts != _index_options(index):
                found.append(f"{table.name}.{index.name}: (method, predicate) {db_opts} in the database, "
                             f"{_index_options(index)} in the metadata")
    return found


@pytest.mark.parametrize("service", service_names())
def test_migrated_schema_matches_the_metadata(service, fresh_database):
    metadata = importlib.import_module(f"{service}.adapters.tables").metadata
    engine = sa.create_engine(fresh_database(service), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True})
            diff = [repr(d) for d in compare_metadata(context, metadata)]
            diff += _differences_autogenerate_misses(conn, metadata)
    finally:
        engine.dispose()
    assert not diff, (
        f"{service}: the migrations at head and {service}/adapters/tables.py disagree "
        "(a new revision or a metadata fix is missing):\n" + "\n".join(diff))


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


# The live metadata: a revision that builds tables from it changes whenever the metadata does.
LIVE_SCHEMA = re.compile(r"^(\w+\.adapters(\.|$)|govkit\.db\.kit_tables$|govkit\.orgdir(\.|$))")


@pytest.mark.parametrize("service", service_names())
def test_revisions_do_not_import_the_live_tables(service):
    versions = sorted((SERVICES_DIR / service / "migrations" / "versions").glob("*.py"))
    assert versions, f"{service} has no migrations"
    offenders = [f"{path.relative_to(SERVICES_DIR)} imports {module}"
                 for path in versions for module in sorted(_imported_modules(path)) if LIVE_SCHEMA.match(module)]
    assert not offenders, "revisions must write their tables out:\n" + "\n".join(offenders)
