"""The evaluation demo seed on the real servers: one plan for fgw/czj/gaj/wjw run to
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
        plans = c.execute(sa.text("SELECT state, jsonb_array_length(objects) FROM eval_plans")).all()
        again = (c.execute(sa.text("SELECT count(*) FROM facts")).scalar(),
                 c.execute(sa.text("SELECT count(*) FROM rectifications")).scalar())
    assert plans == [("published", 4)]
    assert again == first and first[0] > 400 and first[1] > 0
