"""The evaluation demo seed on the real servers: one plan evaluating the O&M centre, its support
groups, staff and vendor (customer departments only on the indicators they own) run to
publication over a month of demo ticket events; running it again changes nothing."""

from __future__ import annotations

import io

import sqlalchemy as sa
from rich.console import Console

from evaluation import demo


def test_demo_seed_publishes_one_plan_and_is_safe_to_repeat(engine_for, redis_client):
    engine = engine_for("evaluation")
    out = io.StringIO()
    demo.seed(Console(file=out, width=300))
    with engine.connect() as c:
        first = (c.execute(sa.text("SELECT count(*) FROM facts")).scalar(),
                 c.execute(sa.text("SELECT count(*) FROM rectifications")).scalar())
    demo.seed(Console(file=out, width=300))
    text = out.getvalue()
    assert text.count("published") == 2 and "(0 new)" in text, text
    with engine.connect() as c:
        plans = c.execute(sa.text("SELECT state, objects FROM eval_plans")).all()
        owners = set(c.execute(sa.text("SELECT owner_position FROM rectifications")).scalars())
        positions = set(c.execute(sa.text("SELECT id FROM orgdir_positions")).scalars())
        again = (c.execute(sa.text("SELECT count(*) FROM facts")).scalar(),
                 c.execute(sa.text("SELECT count(*) FROM rectifications")).scalar())
    [(state, objects)] = plans
    assert state == "published"
    kinds = {(o["kind"], o["id"]) for o in objects}
    assert ("org_unit", "om-centre") in kinds and {"group", "person", "vendor"} <= {k for k, _ in kinds}
    assert sum(k == "group" for k, _ in kinds) >= 3
    # customer departments are evaluated only as departments (on the indicators they own)
    assert not {("org_unit", d) for d in demo.DEPARTMENTS} & kinds
    assert owners and owners <= positions, owners - positions
    assert again == first and first[0] > 400 and first[1] > 0
