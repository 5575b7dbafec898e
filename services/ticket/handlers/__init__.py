"""Ticket use cases, one function each: `use_case(command, uow, caller) -> result`.

The commands are in domain/commands.py. By area:

- tickets.py     create (submit, API, RPC), get, detail, list (my tickets, queues), audit
- queue.py       the operations window: claim, assign, transfer, status, resolve, close, bulk, link
- requests.py    the service-request window: comment, supply info, confirm, rate, reopen,
                 attachments, watchers
- escalation.py  manual escalation, and the escalation step the SLA scheduler shares
- changes.py     change approval, implementation and review
- problems.py    incident links, root cause and workaround, known error → knowledge article
- knowledge.py   the knowledge base
- catalogue.py   the service catalogue and the defaults
- sla.py         SLA policies, calendars, department overrides, reapply, the deadline scheduler
- alerts.py      Alertmanager intake (dedupe by fingerprint)
- _common.py     what the use cases share: loading in scope, routing, saving with deadlines

gRPC (grpc_api.py), nameko and the webhook (worker.py) and the demo seed only build commands
and call these.
"""
