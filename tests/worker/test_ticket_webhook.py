"""The Alertmanager webhook of a real ticket-worker (nameko container, real PostgreSQL and
RabbitMQ), driven over HTTP as Alertmanager's `http_config` drives it: bearer token or basic
auth, a body limit, the v4 payload shape, and alerts mapped to org units of the org directory."""

from __future__ import annotations

import base64
import http.client
import json
import socket

import pytest
import sqlalchemy as sa

from govkit.auth import SYSTEM
from govkit.config import ConfigError
from govkit.orgdir import OrgDirectory
from ticket.adapters.uow import TicketUnitOfWork
from ticket.domain.commands import EnsureDefaults
from ticket.handlers import catalogue
from ticket.worker import Service as TicketWorker

PATH = "/api/v1/alerts/alertmanager"
TOKEN = "tok-3f9c1e7a0b5d"
USER, PASSWORD = "alertmanager", "pw-8d2e6b41"
UNITS = [("gov", "某市人民政府", None, "government"), ("om-centre", "市电子政务运维中心", "gov", "om_centre"),
         ("czj", "市财政局", "gov", "department"), ("wjw", "市卫生健康委员会", "gov", "department")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Webhook:
    def __init__(self, port: int, engine):
        self.port, self.engine = port, engine

    def post(self, body: bytes | dict, auth: str | None = "bearer", content_type: str = "application/json",
             headers: dict | None = None):
        """(status, headers, JSON body) of one POST; `auth`: bearer, basic or None."""
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        h = {"Content-Type": content_type, **(headers or {})}
        if auth == "bearer":
            h["Authorization"] = f"Bearer {TOKEN}"
        elif auth == "basic":
            h["Authorization"] = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", PATH, body=data, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            reply = json.loads(raw)
        except ValueError:
            reply = {"not_json": raw.decode(errors="replace")}
        return resp.status, resp.headers, reply

    def tickets(self) -> list[dict]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(sa.text(
                "SELECT number, org_unit_id, details FROM tickets ORDER BY number")).mappings()]


@pytest.fixture
def webhook(container_factory, config, engine_for, monkeypatch, tmp_path):
    """ticket-worker with a bearer token (from a secret file) and basic auth configured, the
    catalogue and a small org directory (O&M centre, 市财政局 czj, 市卫生健康委员会 wjw)."""
    engine = engine_for("ticket")
    catalogue.ensure_defaults(EnsureDefaults(), TicketUnitOfWork(engine), SYSTEM)
    with engine.begin() as conn:
        directory = OrgDirectory(conn)
        for code, name, parent, kind in UNITS:
            directory.apply("org_unit_created", {"org_unit_id": code, "name": name, "parent_id": parent,
                                                 "kind": kind})
    token_file = tmp_path / "alert_webhook_token"
    token_file.write_text(TOKEN + "\n")
    monkeypatch.setenv("GOVOPS_TICKET_ALERT_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("GOVOPS_TICKET_ALERT_USERNAME", USER)
    monkeypatch.setenv("GOVOPS_TICKET_ALERT_PASSWORD", PASSWORD)
    monkeypatch.setenv("GOVOPS_TICKET_ALERT_UNIT_LABELS", "org_unit_id,department,team")
    port = _free_port()
    container = container_factory(TicketWorker, dict(config, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"))
    container.start()
    return Webhook(port, engine)


def _alert(fingerprint="fp1", **labels):
    return {"status": "firing", "fingerprint": fingerprint, "startsAt": "2026-03-02T08:00:00.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph",
            "labels": {"alertname": "DiskFull", "severity": "critical", "instance": "db01", **labels},
            "annotations": {"summary": "数据库服务器磁盘将满"}}


def _payload(*alerts):
    return {"version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "truncatedAlerts": 0,
            "status": "firing", "receiver": "govops", "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            "alerts": list(alerts or [_alert()])}


# -- 401 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("authorization", [
    None,
    f"Bearer {TOKEN}x",
    "Bearer ",
    "Basic " + base64.b64encode(f"{USER}:wrong".encode()).decode(),
    "Basic " + base64.b64encode(f"intruder:{PASSWORD}".encode()).decode(),
    "Basic not-base64!!",
    TOKEN,
], ids=["none", "wrong-bearer", "empty-bearer", "wrong-basic-password", "wrong-basic-user", "garbled-basic",
        "no-scheme"])
def test_webhook_refuses_missing_or_wrong_credentials(webhook, authorization):
    status, headers, body = webhook.post(_payload(), auth=None,
                                         headers={"Authorization": authorization} if authorization else None)
    assert status == 401, body
    challenges = headers.get_all("WWW-Authenticate")
    assert any(c.startswith("Bearer") for c in challenges) and any(c.startswith("Basic") for c in challenges)
    assert body["error"] and TOKEN not in json.dumps(body) and PASSWORD not in json.dumps(body)
    assert webhook.tickets() == []


# -- 200 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_webhook_accepts_bearer_token_or_basic_auth(webhook, auth):
    status, _, body = webhook.post(_payload(), auth=auth)
    assert status == 200, body
    (result,) = body["results"]
    assert result["fingerprint"] == "fp1" and result["number"].startswith("INC-") and not result["deduplicated"]
    assert len(webhook.tickets()) == 1


# -- 413 ------------------------------------------------------------------------------------
def test_webhook_refuses_a_20_mb_body_before_parsing(webhook):
    payload = _payload(_alert(description="x" * (20 * 1024 * 1024)))
    status, _, body = webhook.post(payload)
    assert status == 413, body
    assert "1048576" in body["error"]
    assert webhook.tickets() == []


# -- 400 / 415 ------------------------------------------------------------------------------
def _with(alert_changes=None, **payload_changes):
    payload = _payload(dict(_alert(), **(alert_changes or {})))
    payload.update(payload_changes)
    return payload


DEEP = b'{"version":"4","status":"firing","alerts":[' + b"[" * 200_000 + b"]" * 200_000 + b"]}"
BAD = {
    "labels-a-string": (_with({"labels": "x"}), "alerts[0].labels"),
    "label-value-a-number": (_with({"labels": {"alertname": "A", "severity": 5}}), "alerts[0].labels.severity"),
    "annotations-a-list": (_with({"annotations": ["x"]}), "alerts[0].annotations"),
    "alerts-not-a-list": (_with(alerts={"fingerprint": "f"}), "alerts"),
    "alerts-missing": ({"version": "4", "status": "firing"}, "alerts"),
    "alert-not-an-object": (_with(alerts=["x"]), "alerts[0]"),
    "body-a-list": ([_alert()], "body"),
    "deep-nesting": (DEEP, "body"),
    "bad-startsAt": (_with({"startsAt": "yesterday"}), "alerts[0].startsAt"),
    "bad-endsAt-month": (_with({"endsAt": "2026-13-01T00:00:00Z"}), "alerts[0].endsAt"),
    "startsAt-a-number": (_with({"startsAt": 1700000000}), "alerts[0].startsAt"),
    "no-fingerprint": (_with({"fingerprint": ""}), "alerts[0].fingerprint"),
    "bad-alert-status": (_with({"status": "burning"}), "alerts[0].status"),
    "bad-status": (_with(status="burning"), "status"),
    "bad-version": (_with(version="3"), "version"),
    "commonLabels-nested": (_with(commonLabels={"a": {"b": "c"}}), "commonLabels.a"),
    "truncatedAlerts-a-string": (_with(truncatedAlerts="many"), "truncatedAlerts"),
    "not-json": (b"{this is not json", "body"),
    "not-utf8": (b'{"version": "4", "alerts": ["\xff\xfe"]}', "body"),
    "empty": (b"", "body"),
}


@pytest.mark.parametrize("body,field", list(BAD.values()), ids=list(BAD))
def test_webhook_answers_400_naming_the_field(webhook, body, field):
    status, headers, reply = webhook.post(body)
    assert status == 400, reply
    assert headers["Content-Type"].startswith("application/json")
    assert reply["field"] == field and reply["reason"] and field in reply["error"]
    assert "Traceback" not in reply["error"] and "Error" not in reply["error"]
    assert webhook.tickets() == []


def test_webhook_refuses_a_body_that_is_not_json_by_content_type(webhook):
    status, _, reply = webhook.post(_payload(), content_type="application/x-www-form-urlencoded")
    assert status == 415, reply
    assert "application/json" in reply["error"]
    assert webhook.tickets() == []


# -- org unit mapping (GOVOPS_TICKET_ALERT_UNIT_LABELS) --------------------------------------
@pytest.mark.parametrize("labels,unit", [
    ({"department": "czj"}, "czj"),                # unit code
    ({"department": "市财政局"}, "czj"),            # unit name (Chinese)
    ({"team": "市卫生健康委员会"}, "wjw"),          # a label the operator named
    ({"org_unit_id": "wjw", "department": "市财政局"}, "wjw"),  # the first configured label wins
    ({"department": "不存在的单位", "team": "czj"}, "czj"),    # an unknown value falls through
], ids=["code", "chinese-name", "custom-label", "label-order", "fall-through"])
def test_alert_maps_to_the_org_unit_its_labels_name(webhook, labels, unit):
    status, _, body = webhook.post(_payload(_alert(**labels)))
    assert status == 200, body
    (ticket,) = webhook.tickets()
    assert ticket["org_unit_id"] == unit and body["results"][0]["org_unit_id"] == unit
    assert ticket["details"]["alert"]["labels"] == _alert(**labels)["labels"]


def test_unmapped_alert_goes_to_the_om_centre_keeping_its_label(webhook):
    status, _, body = webhook.post(_payload(_alert(department="市财务处", region="north")))
    assert status == 200, body
    (ticket,) = webhook.tickets()
    assert ticket["org_unit_id"] == "om-centre"
    # the original label stays on the incident, for whoever triages it at the O&M centre
    assert ticket["details"]["alert"]["labels"]["department"] == "市财务处"


# -- no secret configured ---------------------------------------------------------------------
def _listening_address(container) -> str:
    (server,) = {ext.server for ext in container.extensions if hasattr(ext, "server")}
    return server._sock.getsockname()[0]


def test_without_a_secret_the_webhook_listens_on_loopback_only(container_factory, config, engine_for, monkeypatch):
    engine_for("ticket")
    for name in ("GOVOPS_TICKET_ALERT_TOKEN", "GOVOPS_TICKET_ALERT_TOKEN_FILE", "GOVOPS_TICKET_ALERT_USERNAME",
                 "GOVOPS_TICKET_ALERT_PASSWORD", "GOVOPS_TICKET_ALERT_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    container = container_factory(TicketWorker, dict(config, WEB_SERVER_ADDRESS=f"0.0.0.0:{_free_port()}"))
    container.start()
    assert _listening_address(container) == "127.0.0.1"


def test_with_a_secret_the_webhook_listens_where_configured(container_factory, config, engine_for, monkeypatch):
    engine_for("ticket")
    monkeypatch.setenv("GOVOPS_TICKET_ALERT_TOKEN", TOKEN)
    container = container_factory(TicketWorker, dict(config, WEB_SERVER_ADDRESS=f"0.0.0.0:{_free_port()}"))
    container.start()
    assert _listening_address(container) == "0.0.0.0"


def test_a_configured_secret_file_that_is_missing_stops_the_worker(container_factory, config, engine_for,
                                                                   monkeypatch, tmp_path):
    engine_for("ticket")
    monkeypatch.setenv("GOVOPS_TICKET_ALERT_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="GOVOPS_TICKET_ALERT_TOKEN_FILE"):
        container_factory(TicketWorker, dict(config, WEB_SERVER_ADDRESS=f"127.0.0.1:{_free_port()}")).start()


def test_the_readme_sample_alert_maps_to_a_unit_of_the_demo_government(webhook):
    """The README's curl sample (make run's demo): its unit label names a unit the demo seeds."""
    import re

    from govkit.config import REPO_ROOT
    from govkit.demo import UNITS as DEMO_UNITS

    readme = (REPO_ROOT / "README.md").read_text()
    sample = re.search(r"curl -XPOST localhost:8002/api/v1/alerts/alertmanager .*?-d '(.*?)'", readme, re.DOTALL)
    assert sample and "alert_webhook_token" in sample.group(0)
    payload = json.loads(sample.group(1))
    with webhook.engine.begin() as conn:  # the demo government, as the demo seed gives ticket's copy
        directory = OrgDirectory(conn)
        for code, name, parent, kind in DEMO_UNITS:
            directory.apply("org_unit_created", {"org_unit_id": code, "name": name, "parent_id": parent, "kind": kind})
    status, _, body = webhook.post(payload)
    assert status == 200, body
    (ticket,) = webhook.tickets()
    assert ticket["org_unit_id"] in {code for code, _, _, kind in DEMO_UNITS if kind == "department"}


# -- the database away ------------------------------------------------------------------------
def test_webhook_answers_503_while_the_database_is_unreachable():
    """Alertmanager retries a 5xx: a database outage answers 503 (retry), not a 500 with a Python
    exception. The worker's own entrypoint, its unit of work failing as psycopg2 does."""
    import sqlalchemy.exc
    from nameko.testing.services import worker_factory
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from ticket import webhook as edge

    def unreachable():
        raise sqlalchemy.exc.OperationalError("connect", {}, Exception("connection refused"))

    settings = edge.load({"GOVOPS_TICKET_ALERT_TOKEN": TOKEN})
    service = worker_factory(TicketWorker, uow=unreachable, alert_settings=settings)
    request = Request(EnvironBuilder(method="POST", path=PATH, json=_payload(),
                                     headers={"Authorization": f"Bearer {TOKEN}"}).get_environ())
    response = service.alertmanager(request)
    assert response.status_code == 503 and response.headers["Retry-After"]
    reply = json.loads(response.get_data())
    assert "OperationalError" not in reply["error"] and "connection refused" not in reply["error"]


def test_a_chunked_body_is_read_up_to_the_limit_only(webhook):
    """No Content-Length (chunked transfer): the body is read one byte past the limit, then 413;
    a small chunked body is accepted like any other."""

    def post_chunked(data: bytes):
        conn = http.client.HTTPConnection("127.0.0.1", webhook.port, timeout=60)
        try:
            conn.request("POST", PATH, body=(data[i:i + 65536] for i in range(0, len(data), 65536)),
                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
                         encode_chunked=True)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()

    status, reply = post_chunked(json.dumps(_payload(_alert(description="x" * (3 * 1024 * 1024)))).encode())
    assert status == 413 and reply["field"] == "body"
    assert webhook.tickets() == []
    status, reply = post_chunked(json.dumps(_payload()).encode())
    assert status == 200, reply
    assert len(webhook.tickets()) == 1
