"""Org migration 0005 gives the users that exist before it the pinyin keys of their display names
(ListUsers searches and sorts by them), the same keys CreateUser and UpdateUser store."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from govkit import config
from govkit.db import create_database_if_missing, drop_database
from govkit.migrate import alembic_config


def test_existing_users_get_their_name_keys_and_the_downgrade_drops_them():
    settings = config.load("org")
    url = f"{settings.pg_url.rstrip('/')}/{settings.db_prefix}userkeys_org"
    drop_database(url)
    create_database_if_missing(url)
    cfg = alembic_config("org", url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        command.upgrade(cfg, "0004")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (username, display_name, password_hash) VALUES "
                                 "('zhangsan', '张三', 'x'), ('lily', '王Lily', 'x'), ('blank', '', 'x')"))
        command.upgrade(cfg, "0005")
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT username, pinyin, initials FROM users ORDER BY username")).all()
        assert [tuple(r) for r in rows] == [("blank", "", ""), ("lily", "wanglily", "wl"),
                                            ("zhangsan", "zhangsan", "zs")]
        command.downgrade(cfg, "0004")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("users")}
        assert not {"pinyin", "initials"} & columns
    finally:
        engine.dispose()
        drop_database(url)
