#!/usr/bin/env python3
"""Rewrite each catalogue entry's consumers line from the handlers that exist in the code."""
import re
import sys
from pathlib import Path

sys.path.insert(0, "services")
from govkit.migrate import event_subscriptions
from govkit.service import names

subs = {}
for svc in names():
    for source, event, queue in event_subscriptions(svc):
        subs.setdefault(f"govops.{source}.{event}.v1", set()).add(queue.split("--", 1)[1])
p = Path("docs/events.md")
s = p.read_text()


def fix(m):
    heading = m.group(1)
    handlers = sorted(subs.get(heading, ()))
    return f"### {heading}\n{m.group(2)}- consumers: {', '.join(handlers) if handlers else 'none yet'}\n"
s = re.sub(r"^### (\S+)\n((?:- producer:.*\n(?:  .*\n)*))- consumers:.*\n", fix, s, flags=re.M)
p.write_text(s)
missing = set(subs) - set(re.findall(r"^### (\S+)", s, re.M))
print("consumed but not catalogued:", sorted(missing))
