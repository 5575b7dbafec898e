"""notify's plain-Python parts: quiet hours, retries, recipients, templates, signatures, config."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from govkit.config import ConfigError
from notify.adapters import templates
from notify.adapters.channels import aliyun_percent_encode, aliyun_signature, dingtalk_sign, load_channels, rate_limits
from notify.domain.model import DeliveryResult, Preferences, RetryPolicy, Status, is_critical, validate_channels
from notify.domain.recipients import kind_of, recipients, subject_key
from notify.handlers import NotifySettings

CST = timezone(timedelta(hours=8))


def test_quiet_hours_over_midnight_end_the_next_morning():
    p = Preferences("E1", quiet_start=time(22, 0), quiet_end=time(7, 0))
    assert p.quiet_until(datetime(2026, 12, 2, 23, 30, tzinfo=CST)) == datetime(2026, 12, 3, 7, 0, tzinfo=CST)
    assert p.quiet_until(datetime(2026, 12, 3, 6, 59, tzinfo=CST)) == datetime(2026, 12, 3, 7, 0, tzinfo=CST)
    assert p.quiet_until(datetime(2026, 12, 3, 7, 0, tzinfo=CST)) is None
    assert p.quiet_until(datetime(2026, 12, 3, 12, 0, tzinfo=CST)) is None


def test_quiet_hours_within_a_day_and_none():
    p = Preferences("E1", quiet_start=time(12, 0), quiet_end=time(13, 30))
    assert p.quiet_until(datetime(2026, 12, 2, 12, 10, tzinfo=CST)) == datetime(2026, 12, 2, 13, 30, tzinfo=CST)
    assert p.quiet_until(datetime(2026, 12, 2, 14, 0, tzinfo=CST)) is None
    assert Preferences("E1").quiet_until(datetime(2026, 12, 2, 3, 0, tzinfo=CST)) is None


def test_only_critical_breaches_and_escalations_are_exempt_from_quiet_hours():
    assert is_critical("sla_breached", {"priority": "critical"})
    assert is_critical("ticket_escalated", {"priority": "critical"})
    assert not is_critical("sla_breached", {"priority": "high"})
    assert not is_critical("ticket_assigned", {"priority": "critical"})


def test_transient_failures_back_off_exponentially_then_die():
    policy, now = RetryPolicy(max_attempts=3, base_seconds=10, cap_seconds=25), datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.after_failure(1, DeliveryResult.retry("busy"), now) == (Status.PENDING, now + timedelta(seconds=10))
    assert policy.after_failure(2, DeliveryResult.retry("busy"), now) == (Status.PENDING, now + timedelta(seconds=20))
    assert policy.after_failure(3, DeliveryResult.retry("busy"), now) == (Status.DEAD, None)
    assert policy.after_failure(1, DeliveryResult.refused("bad signature"), now) == (Status.DEAD, None)
    assert RetryPolicy(max_attempts=9, base_seconds=10, cap_seconds=25).backoff(5) == timedelta(seconds=25)


def test_preferences_accept_only_known_kinds_and_personal_channels():
    assert validate_channels({"ticket_assigned": ["email", "sms"]}) == []
    problems = dict(validate_channels({"nonsense": ["email"], "sla_breached": ["wecom"]}))
    assert "unknown event kind" in problems["channels[nonsense]"]
    assert "not a personal channel" in problems["channels[sla_breached]"]


class Directory:
    """The org directory queries recipients() uses, over dicts."""

    def __init__(self):
        self.groups = {"grp-net": {"id": "grp-net", "lead_position_id": "pos-lead"}}
        self.holding = {"pos-lead": ["L1"], "pos-director": ["D1"], "pos-finance": ["F1"]}
        self.duty = {"grp-net": ["E7", "E8"]}

    def holders(self, position_id: str, on: date) -> list[str]:
        return self.holding.get(position_id, [])

    def group(self, group_id):
        return self.groups.get(group_id)

    def on_duty(self, group_id, at):
        return self.duty.get(group_id, [])

    def escalation_chain(self, position_id):
        return []

    def positions_responsible_for(self, kind, value, org_unit_id=None):
        return ["pos-finance"] if (kind, value) == ("approval", "budget") and org_unit_id in (None, "czj") else []

    def staff_member(self, staff_id):
        return None


NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_who_hears_of_what():
    d = Directory()
    assert recipients("ticket_assigned", {"assignee": "E1", "method": "manual"}, d, NOW) == ["E1"]
    assert recipients("ticket_assigned", {"assignee": "E1", "method": "claim"}, d, NOW) == []
    assert recipients("ticket_resolved", {"requester": "R1", "assignee": "E1"}, d, NOW) == ["R1"]
    # a breach: the engineer holding it and the group lead; unassigned: who is on duty
    assert recipients("sla_breached", {"assignee": "E1", "group_id": "grp-net"}, d, NOW) == ["E1", "L1"]
    assert recipients("sla_breached", {"assignee": None, "group_id": "grp-net"}, d, NOW) == ["E7", "E8", "L1"]
    assert recipients("sla_warning", {"assignee": None, "group_id": "grp-net"}, d, NOW) == ["E7", "E8"]
    assert recipients("sla_warning", {"assignee": "E1", "group_id": "grp-net"}, d, NOW) == ["E1"]
    assert recipients("ticket_escalated", {"to_position_id": "pos-director", "group_id": "grp-net"}, d, NOW) == \
        ["D1", "L1"]
    assert recipients("ticket_escalated", {"to_staff_id": "L1", "group_id": "grp-net"}, d, NOW) == ["L1"]
    assert recipients("budget_exceeded", {"org_unit_id": "fgw"}, d, NOW) == ["F1"]


def test_which_events_are_notified():
    assert kind_of("ticket", "ticket_assigned", {}) == "ticket_assigned"
    assert kind_of("ticket", "ticket_status_changed", {"to_status": "pending", "pending_reason": "requester"}) == \
        "info_requested"
    assert kind_of("ticket", "ticket_status_changed", {"to_status": "pending", "pending_reason": "vendor"}) is None
    assert kind_of("ticket", "ticket_created", {}) is None
    assert kind_of("ticket", "sla_warning", {}) == "sla_warning"
    assert kind_of("budget", "budget_exceeded", {}) == "budget_exceeded"
    assert subject_key("sla_breached", {"ticket_id": "t1"}) == "ticket:t1"


def test_templates_render_chinese_with_the_portal_link():
    data = {"ticket_id": "t1", "number": "INC-2026-000001", "title": "打印机<无法>连接", "priority": "high"}
    r = templates.render("ticket_assigned", data, "http://portal/tickets/t1", "email")
    assert r.subject == "【运维工单】INC-2026-000001 已分派给您" and not r.error
    assert "优先级：高" in r.text and "http://portal/tickets/t1" in r.text
    assert "打印机&lt;无法&gt;连接" in r.html and 'href="http://portal/tickets/t1"' in r.html


def test_every_kind_renders_without_falling_back():
    from notify.domain.model import KINDS

    data = {"ticket_id": "t1", "number": "INC-2026-000001", "title": "网络中断", "priority": "critical",
            "target": "resolution", "due_at": "2026-12-02T10:00:00+08:00", "level": 2, "reason": "sla_breach",
            "org_unit_id": "czj", "year": 2026, "scope": "total", "budgeted": "100.00", "spent": "120.00",
            "execution_rate": "120.00", "channel": "email"}
    for kind in KINDS:
        r = templates.render(kind, data, "http://portal/x", "email")
        assert not r.error and r.subject and r.html, kind


def test_a_broken_template_falls_back_to_the_plain_default_and_says_why():
    data = {"ticket_id": "t1", "number": "INC-2026-000001", "title": "网络中断"}
    broken = {"ticket_assigned": ("{{ number", "x")}
    r = templates.render("ticket_assigned", data, "http://portal/tickets/t1", "email", broken)
    assert r.error.startswith("TemplateSyntaxError")
    assert "INC-2026-000001" in r.subject and "网络中断" in r.text and "http://portal/tickets/t1" in r.text
    # the sandbox refuses to reach Python internals
    escape = {"ticket_assigned": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "x")}
    assert "SecurityError" in templates.render("ticket_assigned", data, "l", "email", escape).error


def test_dingtalk_sign_is_the_documented_hmac_sha256():
    secret, ts = "SEC0123456789abcdef", 1733130000000
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
    assert urllib.parse.unquote_plus(dingtalk_sign(secret, ts)) == expected.decode()


def test_aliyun_signature_matches_the_documented_example():
    # Alibaba Cloud's published SendSms signing example (GET, secret testSecret)
    params = dict(AccessKeyId="testId", Action="SendSms", Format="XML", OutId="123", PhoneNumbers="15300000001",
                  RegionId="cn-hangzhou", SignName="阿里云短信测试专用", SignatureMethod="HMAC-SHA1",
                  SignatureNonce="45e25e9b-0a6f-4070-8c85-2956eda1b466", SignatureVersion="1.0",
                  TemplateCode="SMS_71390007", TemplateParam='{"customer":"test"}', Timestamp="2017-07-12T02:42:19Z",
                  Version="2017-05-25")
    assert aliyun_signature(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun_percent_encode("a b*c~") == "a%20b%2Ac~"


@pytest.mark.parametrize("env, variable", [
    ({"GOVOPS_NOTIFY_SMTP_HOST": "mail", "GOVOPS_NOTIFY_SMTP_FROM": "ops@x.cn", "GOVOPS_NOTIFY_SMTP_PORT": "x"},
     "GOVOPS_NOTIFY_SMTP_PORT"),
    ({"GOVOPS_NOTIFY_SMTP_HOST": "mail"}, "GOVOPS_NOTIFY_SMTP_FROM"),
    ({"GOVOPS_NOTIFY_SMTP_HOST": "mail", "GOVOPS_NOTIFY_SMTP_FROM": "ops@x.cn", "GOVOPS_NOTIFY_SMTP_SECURITY": "tls"},
     "GOVOPS_NOTIFY_SMTP_SECURITY"),
    ({"GOVOPS_NOTIFY_SMTP_HOST": "mail", "GOVOPS_NOTIFY_SMTP_FROM": "ops@x.cn", "GOVOPS_NOTIFY_SMTP_USER": "u"},
     "GOVOPS_NOTIFY_SMTP_PASSWORD"),
    ({"GOVOPS_NOTIFY_SMTP_HOST": "mail", "GOVOPS_NOTIFY_SMTP_FROM": "ops@x.cn",
      "GOVOPS_NOTIFY_SMTP_CA_FILE": "/nonexistent/ca.pem"}, "GOVOPS_NOTIFY_SMTP_CA_FILE"),
    ({"GOVOPS_NOTIFY_WECOM_WEBHOOK_URL": "ftp://x"}, "GOVOPS_NOTIFY_WECOM_WEBHOOK_URL"),
    ({"GOVOPS_NOTIFY_DINGTALK_SECRET": "s"}, "GOVOPS_NOTIFY_DINGTALK_WEBHOOK_URL"),
    ({"GOVOPS_NOTIFY_SMS_PROVIDER": "aliyun"}, "GOVOPS_NOTIFY_ALIYUN_ACCESS_KEY_ID"),
    ({"GOVOPS_NOTIFY_SMS_PROVIDER": "tencent"}, "GOVOPS_NOTIFY_SMS_PROVIDER"),
    ({"GOVOPS_NOTIFY_WECOM_PER_MINUTE": "many"}, "GOVOPS_NOTIFY_WECOM_PER_MINUTE"),
    ({"GOVOPS_NOTIFY_WECOM_APP_CORP_ID": "ww1", "GOVOPS_NOTIFY_WECOM_APP_AGENT_ID": "1000002"},
     "^GOVOPS_NOTIFY_WECOM_APP_SECRET"),
    ({"GOVOPS_NOTIFY_WECOM_APP_CORP_ID": "ww1", "GOVOPS_NOTIFY_WECOM_APP_SECRET": "s"},
     "^GOVOPS_NOTIFY_WECOM_APP_AGENT_ID"),
    ({"GOVOPS_NOTIFY_WECOM_APP_CORP_ID": "ww1", "GOVOPS_NOTIFY_WECOM_APP_SECRET": "s",
      "GOVOPS_NOTIFY_WECOM_APP_AGENT_ID": "app"}, "^GOVOPS_NOTIFY_WECOM_APP_AGENT_ID"),
    ({"GOVOPS_NOTIFY_WECOM_APP_SECRET": "s", "GOVOPS_NOTIFY_WECOM_APP_AGENT_ID": "1"},
     "^GOVOPS_NOTIFY_WECOM_APP_CORP_ID"),
    ({"GOVOPS_NOTIFY_WECOM_APP_CORP_ID": "ww1", "GOVOPS_NOTIFY_WECOM_APP_SECRET": "s",
      "GOVOPS_NOTIFY_WECOM_APP_AGENT_ID": "1", "GOVOPS_NOTIFY_WECOM_APP_API_BASE": "qyapi"},
     "GOVOPS_NOTIFY_WECOM_APP_API_BASE"),
    ({"GOVOPS_NOTIFY_WECOM_APP_PER_MINUTE": "-1"}, "GOVOPS_NOTIFY_WECOM_APP_PER_MINUTE"),
])
def test_invalid_configuration_names_the_variable(env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_channels(env)
        rate_limits(env)


def test_settings_name_their_variables_and_secrets_come_from_files(tmp_path):
    with pytest.raises(ConfigError, match="GOVOPS_NOTIFY_ROBOT_KINDS"):
        NotifySettings.from_env({"GOVOPS_NOTIFY_ROBOT_KINDS": "sla_breached,nope"})
    with pytest.raises(ConfigError, match="GOVOPS_PORTAL_URL"):
        NotifySettings.from_env({"GOVOPS_PORTAL_URL": "portal"})
    (tmp_path / "hook").write_text("https://qyapi.example/cgi-bin/webhook/send?key=k\n")
    channels = load_channels({"GOVOPS_NOTIFY_WECOM_WEBHOOK_URL_FILE": str(tmp_path / "hook")})
    assert set(channels) == {"wecom"} and channels["wecom"].webhook_url.endswith("key=k")
    assert load_channels({}) == {}


class WiderDirectory(Directory):
    def __init__(self):
        super().__init__()
        self.holding.update({"pos-fgw-officer": ["F1"], "pos-czj-officer": ["C1"], "pos-app-lead": ["A1", "A2"],
                             "pos-director": ["D1"]})

    def positions_responsible_for(self, kind, value, org_unit_id=None):
        table = {("approval", "change", "fgw"): ["pos-fgw-officer"], ("approval", "change", "czj"): ["pos-czj-officer"],
                 ("process", "vendor", None): ["pos-director"]}
        return table.get((kind, value, org_unit_id), [])


def test_who_hears_of_comments_rectifications_evaluations_and_qualifications():
    d = WiderDirectory()
    base = {"requester": "zhulin", "assignee": "E3"}
    # a public comment by the requester: the assignee; by the engineer: the requester
    assert recipients("comment_added", {**base, "visibility": "public", "author": "zhulin"}, d, NOW) == ["E3"]
    assert recipients("comment_added", {**base, "visibility": "public", "author": "zhangwei",
                                        "author_staff_id": "E3"}, d, NOW) == ["zhulin"]
    # an internal one never reaches the requester
    assert recipients("comment_added", {**base, "visibility": "internal", "author": "liming",
                                        "author_staff_id": "E2"}, d, NOW) == ["E3"]
    assert recipients("rectification_assigned", {"owner_position": "pos-app-lead"}, d, NOW) == ["A1", "A2"]
    steps = [{"step": "cab", "org_unit_id": "om-centre", "positions": ["pos-app-lead", "pos-director"]}]
    assert recipients("change_awaiting_approval", {"steps": steps}, d, NOW) == ["A1", "A2", "D1"]
    assert kind_of("ticket", "change_awaiting_approval", {}) == "change_awaiting_approval"
    published = {"subject_org_unit_id": "om-centre", "results": [{"org_unit_id": "fgw"}, {"org_unit_id": "czj"},
                                                                 {"org_unit_id": "fgw"}]}
    assert recipients("evaluation_published", published, d, NOW) == ["F1", "C1"]
    # the vendor's registering unit has nobody answering for vendors: anyone who does
    assert recipients("qualification_expiring", {"org_unit_id": "om-centre"}, d, NOW) == ["D1"]
    assert kind_of("ticket", "comment_added", {}) == "comment_added"
    assert kind_of("evaluation", "rectification_opened", {}) == "rectification_assigned"
    assert kind_of("evaluation", "evaluation_published", {}) == "evaluation_published"
    assert kind_of("outsource", "qualification_expiring", {}) == "qualification_expiring"
    assert kind_of("evaluation", "rectification_closed", {}) is None
    assert kind_of("evaluation", "accountability_recorded", {"days_overdue": 3}) == "rectification_overdue"
    assert kind_of("evaluation", "accountability_recorded", {"days_overdue": None}) is None  # a shortfall
    assert recipients("rectification_overdue", {"owner_position": "pos-app-lead"}, d, NOW) == ["A1", "A2"]
    assert subject_key("qualification_expiring", {"qualification_id": "q1", "days_left": 7}) == "qualification:q1:7"


def test_the_new_kinds_render_their_fields():
    r = templates.render("rectification_assigned", {"indicator_name": "一次解决率", "object_id": "om-centre",
                                                    "actual": 0.6, "baseline": 0.8, "due_date": "2026-12-31",
                                                    "actions": ["分析原因", "制定措施"]},
                         "http://p/tickets/t9", "email")
    assert not r.error and "一次解决率" in r.subject and "1. 分析原因" in r.text and "2. 制定措施" in r.text
    r = templates.render("evaluation_published", {"name": "2026年11月运维绩效评价", "period_start": "2026-11-01",
                                                  "period_end": "2026-11-30", "results": [{}, {}]},
                         "http://p/evaluation/plans/p1", "email")
    assert not r.error and "共 2 个评价对象" in r.text
    r = templates.render("change_awaiting_approval", {"number": "CHG-1", "change_type": "normal", "risk": "high",
                                                      "steps": [{"step": "department"}, {"step": "cab"}]},
                         "http://p/tickets/t2", "email")
    assert not r.error and r.subject == "【变更审批】CHG-1 等待您审批" and "普通变更，风险：高" in r.text
    assert "部门审批、变更咨询委员会（CAB）审批" in r.text
    r = templates.render("comment_added", {"number": "INC-1", "title": "断网", "body": "请重启", "author": "zhulin",
                                           "visibility": "public"}, "http://p/tickets/t1", "wecom")
    assert not r.error and "请重启" in r.text and "内部" not in r.text


def test_a_ticket_event_without_a_title_leaves_no_empty_quotes():
    r = templates.render("comment_added", {"number": "INC-1", "body": "好的", "visibility": "public"}, "l", "inapp")
    assert r.text.startswith("工单 INC-1 有新的留言") and "「」" not in r.text
