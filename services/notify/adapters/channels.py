"""The channels, each a small adapter behind one interface: `send(message) -> DeliveryResult`.

Configured per deployment from the environment (secrets through `govkit.config.secret`, so each
may come from a mounted `<VAR>_FILE`); `load_channels()` builds the configured ones and raises
ConfigError naming the variable for any invalid setting. A channel never raises for a failed
send: it answers `DeliveryResult.retry` (transient: timeouts, rate limits, 5xx) or
`DeliveryResult.refused` (permanent: bad signature, bad address)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from govkit.config import ConfigError, secret

from ..domain.model import DINGTALK, EMAIL, SMS, WECOM, WECOM_APP, DeliveryResult, Message

TIMEOUT = 10.0


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> DeliveryResult: ...


def _env(environ: Mapping[str, str], name: str, default: str = "") -> str:
    value = environ.get(name)
    return value if value not in (None, "") else default


def _number(environ: Mapping[str, str], name: str, default: str, kind=int):
    raw = _env(environ, name, default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be positive")
    return value


def _url(environ: Mapping[str, str], name: str, value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} is not an http(s) URL")  # never echo it: the URL holds the robot's key
    return value


# ---- e-mail ------------------------------------------------------------------------------------
class SmtpChannel:
    """E-mail over SMTP: plain, STARTTLS or implicit TLS (SSL), optional AUTH; a multipart/
    alternative message with a Chinese plain-text and HTML body, UTF-8, the subject RFC 2047-encoded."""

    name = EMAIL

    def __init__(self, host: str, port: int, sender: str, *, security: str = "none", user: str = "",
                 password: str = "", timeout: float = TIMEOUT, sender_name: str = "GovOps 运维管理平台",
                 ca_file: str | None = None):
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.user, self.password, self.timeout, self.sender_name = user, password, timeout, sender_name
        self.ca_file = ca_file  # a private CA (an intranet mail server); None: the system's

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        local, _, domain = self.sender.partition("@")
        mail["From"] = Address(self.sender_name, local, domain)
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(domain=domain or None)
        mail["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        mail.set_content(message.text, charset="utf-8")
        if message.html:
            mail.add_alternative(message.html, subtype="html", charset="utf-8")
        return mail

    def send(self, message: Message) -> DeliveryResult:
        if not message.address or "@" not in message.address:
            return DeliveryResult.refused(f"no e-mail address ({message.address!r})")
        mail = self.build(message)
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                      context=self._tls())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=self._tls())
                if self.user:
                    smtp.login(self.user, self.password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            return DeliveryResult.refused(f"recipient refused: {exc.recipients}")
        except smtplib.SMTPAuthenticationError as exc:
            return DeliveryResult.refused(f"SMTP authentication failed: {exc.smtp_code}")
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            return DeliveryResult.retry(error) if 400 <= exc.smtp_code < 500 else DeliveryResult.refused(error)
        except (OSError, smtplib.SMTPException) as exc:  # connection refused, timeout, TLS failure
            return DeliveryResult.retry(f"{type(exc).__name__}: {exc}")
        if refused:
            return DeliveryResult.refused(f"recipient refused: {refused}")
        return DeliveryResult.sent(mail["Message-ID"])


# ---- robots over HTTP ----------------------------------------------------------------------------
def post_json(url: str, body: dict, timeout: float = TIMEOUT) -> tuple[int, dict | None, str]:
    """(HTTP status, JSON reply or None, error text) — never raises for network trouble."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    return _call(req, timeout)


def _call(req: urllib.request.Request, timeout: float) -> tuple[int, dict | None, str]:
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw, status = err.read(), err.code
    except (TimeoutError, OSError) as err:
        return 0, None, f"{type(err).__name__}: {err}"
    try:
        return status, json.loads(raw.decode("utf-8")), ""
    except (UnicodeDecodeError, json.JSONDecodeError):
        return status, None, f"HTTP {status}: not a JSON reply"


def _robot_result(status: int, reply: dict | None, error: str, rate_limited: set[int]) -> DeliveryResult:
    if error and reply is None:
        return DeliveryResult.retry(error) if status == 0 or status >= 500 or status == 429 \
            else DeliveryResult.refused(error)
    assert reply is not None
    code = reply.get("errcode")
    if status == 200 and code == 0:
        return DeliveryResult.sent(str(reply.get("msgid") or ""))
    text = f"HTTP {status} errcode {code}: {reply.get('errmsg')}"
    if status >= 500 or status == 429 or code in rate_limited or code == -1:  # -1: system busy
        return DeliveryResult.retry(text)
    return DeliveryResult.refused(text)


def _markdown(message: Message) -> str:
    body = message.text.replace("\n", "\n\n")
    if message.link:
        body = body.replace(message.link, f"[{message.link}]({message.link})")
    return f"### {message.subject}\n\n{body}"


class WeComRobot:
    """企业微信 group robot: POST <webhook>?key=… {"msgtype": "markdown", …}; errcode 0 is success,
    45009 is the robot's rate limit (20 messages a minute)."""

    name = WECOM
    RATE_LIMITED = {45009, 45033}

    def __init__(self, webhook_url: str, timeout: float = TIMEOUT):
        self.webhook_url, self.timeout = webhook_url, timeout

    def body(self, message: Message) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": _markdown(message)}}

    def send(self, message: Message) -> DeliveryResult:
        return _robot_result(*post_json(self.webhook_url, self.body(message), self.timeout), self.RATE_LIMITED)


class WeComApp:
    """企业微信 application messages to people (应用消息): an access_token from
    `GET /cgi-bin/gettoken?corpid=…&corpsecret=…` (valid `expires_in` seconds, cached and shared by
    the worker's senders), then `POST /cgi-bin/message/send?access_token=…` with
    {"touser": <userid>, "msgtype": "markdown", "agentid": <id>, "markdown": {"content"}}.
    errcode 0 with an empty `invaliduser` is success; 42001 (token expired) and 40014 (token
    invalid) fetch a new token and try once more; 45009/45033 and -1 are transient; a recipient
    WeCom does not know (`invaliduser`, 81013) or a bad secret (40001) is refused."""

    name = WECOM_APP
    RATE_LIMITED = {45009, 45033, 45047}
    TOKEN_STALE = {40014, 42001}
    MARGIN = 300  # seconds before expiry a token is renewed

    def __init__(self, corp_id: str, secret_key: str, agent_id: int, api_base: str = "https://qyapi.weixin.qq.com",
                 timeout: float = TIMEOUT, clock=time.monotonic):
        self.corp_id, self.secret_key, self.agent_id = corp_id, secret_key, agent_id
        self.api_base, self.timeout, self.clock = api_base.rstrip("/"), timeout, clock
        self._token: str = ""
        self._expires = 0.0
        self._lock = threading.Lock()
        self.tokens_fetched = 0

    def token(self, refresh: bool = False) -> tuple[str, DeliveryResult | None]:
        """(access_token, None), or ("", the failure) when WeCom would not give one."""
        with self._lock:
            if self._token and not refresh and self.clock() < self._expires:
                return self._token, None
            query = urllib.parse.urlencode({"corpid": self.corp_id, "corpsecret": self.secret_key})
            req = urllib.request.Request(f"{self.api_base}/cgi-bin/gettoken?{query}", method="GET")
            status, reply, error = _call(req, self.timeout)
            if reply is None or reply.get("errcode") != 0 or not reply.get("access_token"):
                failed = _robot_result(status, reply, error, self.RATE_LIMITED)
                return "", DeliveryResult(False, error=f"gettoken: {failed.error}", transient=failed.transient)
            self._token = str(reply["access_token"])
            self._expires = self.clock() + max(0, int(reply.get("expires_in") or 7200) - self.MARGIN)
            self.tokens_fetched += 1
            return self._token, None

    def body(self, message: Message) -> dict:
        return {"touser": message.address, "msgtype": "markdown", "agentid": self.agent_id,
                "markdown": {"content": _markdown(message)}}

    def send(self, message: Message) -> DeliveryResult:
        if not message.address:
            return DeliveryResult.refused("no WeCom user id")
        refreshed = False
        while True:
            token, failed = self.token(refresh=refreshed)
            if failed:
                return failed
            url = f"{self.api_base}/cgi-bin/message/send?access_token={urllib.parse.quote(token)}"
            status, reply, error = post_json(url, self.body(message), self.timeout)
            if reply is not None and reply.get("errcode") in self.TOKEN_STALE and not refreshed:
                refreshed = True  # expired or revoked before our clock said so: a new token, once
                continue
            if reply is not None and reply.get("errcode") == 0 and reply.get("invaliduser"):
                return DeliveryResult.refused(f"WeCom does not know user {reply['invaliduser']}")
            return _robot_result(status, reply, error, self.RATE_LIMITED)


def dingtalk_sign(secret_key: str, timestamp_ms: int) -> str:
    """DingTalk's signed mode: Base64(HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>")),
    then URL-encoded, sent as `sign` beside `timestamp` (milliseconds; valid for one hour)."""
    to_sign = f"{timestamp_ms}\n{secret_key}".encode()
    digest = hmac.new(secret_key.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


class DingTalkRobot:
    """钉钉 group robot: POST <webhook>?access_token=…[&timestamp=…&sign=…] {"msgtype": "markdown"};
    errcode 0 is success, 130101 is the rate limit (20 a minute), 310000 a failed security check
    (signature, keyword or IP). With a keyword configured it leads the message, so the robot's
    keyword security setting lets it through."""

    name = DINGTALK
    RATE_LIMITED = {130101, 130102}

    def __init__(self, webhook_url: str, secret_key: str = "", keyword: str = "", timeout: float = TIMEOUT,
                 clock=time.time):
        self.webhook_url, self.secret_key, self.keyword, self.timeout = webhook_url, secret_key, keyword, timeout
        self.clock = clock

    def url(self) -> str:
        if not self.secret_key:
            return self.webhook_url
        ts = int(self.clock() * 1000)
        sep = "&" if "?" in self.webhook_url else "?"
        return f"{self.webhook_url}{sep}timestamp={ts}&sign={dingtalk_sign(self.secret_key, ts)}"

    def body(self, message: Message) -> dict:
        text = _markdown(message)
        if self.keyword and self.keyword not in text:
            text = f"{self.keyword} {text}"
        return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}

    def send(self, message: Message) -> DeliveryResult:
        return _robot_result(*post_json(self.url(), self.body(message), self.timeout), self.RATE_LIMITED)


# ---- SMS -------------------------------------------------------------------------------------------
class SmsProvider(Protocol):
    """One SMS provider's API: a site adds theirs by implementing this."""

    def send_sms(self, phone: str, params: dict) -> DeliveryResult: ...


def aliyun_percent_encode(value: str) -> str:
    """Alibaba Cloud's POP encoding: RFC 3986 (only A–Z a–z 0–9 - _ . ~ unescaped), UTF-8, space as %20."""
    return urllib.parse.quote(str(value), safe="-_.~")


def aliyun_signature(params: Mapping[str, str], access_key_secret: str, method: str = "POST") -> str:
    """The RPC-style signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0): the sorted,
    percent-encoded query string, as `<METHOD>&%2F&<encoded query>`, HMAC-SHA1 keyed with
    `<secret>&`, Base64."""
    query = "&".join(f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(query)}"
    digest = hmac.new(f"{access_key_secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class AliyunSms:
    """Alibaba Cloud SMS (dysmsapi, Action=SendSms, Version 2017-05-25): a signed form POST with the
    sign name, the approved template's code and its parameters as JSON. Code "OK" is success
    (BizId is the provider's message id); isv.BUSINESS_LIMIT_CONTROL and Throttling.* are rate limits."""

    RETRY_CODES = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable", "InternalError")

    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str, template_code: str,
                 endpoint: str = "https://dysmsapi.aliyuncs.com/", region: str = "cn-hangzhou",
                 timeout: float = TIMEOUT, clock=lambda: datetime.now(UTC)):
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.sign_name, self.template_code, self.endpoint, self.region = sign_name, template_code, endpoint, region
        self.timeout, self.clock = timeout, clock

    def params(self, phone: str, template_params: dict) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON", "PhoneNumbers": phone,
            "RegionId": self.region, "SignName": self.sign_name, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0", "TemplateCode": self.template_code,
            "TemplateParam": json.dumps(template_params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.access_key_secret, "POST")
        return params

    def send_sms(self, phone: str, params: dict) -> DeliveryResult:
        form = "&".join(f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}"
                        for k, v in self.params(phone, params).items())
        req = urllib.request.Request(self.endpoint, data=form.encode("ascii"), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        status, reply, error = _call(req, self.timeout)
        if reply is None:
            return DeliveryResult.retry(error) if status == 0 or status >= 500 else DeliveryResult.refused(error)
        code = str(reply.get("Code", ""))
        if code == "OK":
            return DeliveryResult.sent(str(reply.get("BizId", "")))
        text = f"HTTP {status} {code}: {reply.get('Message')}"
        if status >= 500 or any(code.startswith(c) for c in self.RETRY_CODES):
            return DeliveryResult.retry(text)
        return DeliveryResult.refused(text)


class SmsChannel:
    name = SMS

    def __init__(self, provider: SmsProvider):
        self.provider = provider

    def send(self, message: Message) -> DeliveryResult:
        if not message.address:
            return DeliveryResult.refused("no mobile number")
        return self.provider.send_sms(message.address, message.params)


# ---- configuration -------------------------------------------------------------------------------
def load_channels(environ: Mapping[str, str] | None = None) -> dict[str, Channel]:
    """The configured channels (a channel without its variables is simply not configured);
    ConfigError naming the variable for anything invalid."""
    env = os.environ if environ is None else environ
    timeout = _number(env, "GOVOPS_NOTIFY_TIMEOUT_SECONDS", "10", float)
    out: dict[str, Channel] = {}
    host = _env(env, "GOVOPS_NOTIFY_SMTP_HOST")
    if host:
        security = _env(env, "GOVOPS_NOTIFY_SMTP_SECURITY", "none")
        if security not in ("none", "starttls", "ssl"):
            raise ConfigError(f"GOVOPS_NOTIFY_SMTP_SECURITY={security!r}: expected none, starttls or ssl")
        port = _number(env, "GOVOPS_NOTIFY_SMTP_PORT", "465" if security == "ssl" else "25")
        sender = _env(env, "GOVOPS_NOTIFY_SMTP_FROM")
        if not sender or "@" not in sender:
            raise ConfigError("GOVOPS_NOTIFY_SMTP_FROM must be the sender's e-mail address when "
                              "GOVOPS_NOTIFY_SMTP_HOST is set")
        user = _env(env, "GOVOPS_NOTIFY_SMTP_USER")
        password = secret("GOVOPS_NOTIFY_SMTP_PASSWORD", env) or ""
        if bool(user) != bool(password):
            raise ConfigError("GOVOPS_NOTIFY_SMTP_USER and GOVOPS_NOTIFY_SMTP_PASSWORD(_FILE) go together")
        ca_file = _env(env, "GOVOPS_NOTIFY_SMTP_CA_FILE") or None
        if ca_file and not os.path.isfile(ca_file):
            raise ConfigError(f"GOVOPS_NOTIFY_SMTP_CA_FILE={ca_file}: no such file")
        out[EMAIL] = SmtpChannel(host, port, sender, security=security, user=user, password=password, timeout=timeout,
                                 ca_file=ca_file)
    wecom = secret("GOVOPS_NOTIFY_WECOM_WEBHOOK_URL", env)
    if wecom:
        out[WECOM] = WeComRobot(_url(env, "GOVOPS_NOTIFY_WECOM_WEBHOOK_URL", wecom), timeout)
    dingtalk = secret("GOVOPS_NOTIFY_DINGTALK_WEBHOOK_URL", env)
    if dingtalk:
        out[DINGTALK] = DingTalkRobot(_url(env, "GOVOPS_NOTIFY_DINGTALK_WEBHOOK_URL", dingtalk),
                                      secret("GOVOPS_NOTIFY_DINGTALK_SECRET", env) or "",
                                      _env(env, "GOVOPS_NOTIFY_DINGTALK_KEYWORD"), timeout)
    elif secret("GOVOPS_NOTIFY_DINGTALK_SECRET", env):
        raise ConfigError("GOVOPS_NOTIFY_DINGTALK_SECRET is set without GOVOPS_NOTIFY_DINGTALK_WEBHOOK_URL")
    app_vars = {"GOVOPS_NOTIFY_WECOM_APP_CORP_ID": _env(env, "GOVOPS_NOTIFY_WECOM_APP_CORP_ID"),
                "GOVOPS_NOTIFY_WECOM_APP_SECRET": secret("GOVOPS_NOTIFY_WECOM_APP_SECRET", env) or "",
                "GOVOPS_NOTIFY_WECOM_APP_AGENT_ID": _env(env, "GOVOPS_NOTIFY_WECOM_APP_AGENT_ID")}
    if any(app_vars.values()):
        for var, value in app_vars.items():
            if not value:
                raise ConfigError(f"{var} is required for WeCom application messages (the corp id, "
                                  "the application's secret and AgentId go together)")
        agent = app_vars["GOVOPS_NOTIFY_WECOM_APP_AGENT_ID"]
        if not agent.isdigit():
            raise ConfigError(f"GOVOPS_NOTIFY_WECOM_APP_AGENT_ID={agent!r} is not the application's numeric AgentId")
        base = _url(env, "GOVOPS_NOTIFY_WECOM_APP_API_BASE",
                    _env(env, "GOVOPS_NOTIFY_WECOM_APP_API_BASE", "https://qyapi.weixin.qq.com"))
        out[WECOM_APP] = WeComApp(app_vars["GOVOPS_NOTIFY_WECOM_APP_CORP_ID"],
                                  app_vars["GOVOPS_NOTIFY_WECOM_APP_SECRET"], int(agent), base, timeout)
    provider = _env(env, "GOVOPS_NOTIFY_SMS_PROVIDER")
    if provider:
        if provider != "aliyun":
            raise ConfigError(f"GOVOPS_NOTIFY_SMS_PROVIDER={provider!r}: the known provider is aliyun")
        values = {}
        for var in ("GOVOPS_NOTIFY_ALIYUN_ACCESS_KEY_ID", "GOVOPS_NOTIFY_ALIYUN_SIGN_NAME",
                    "GOVOPS_NOTIFY_ALIYUN_TEMPLATE_CODE"):
            values[var] = _env(env, var)
        values["GOVOPS_NOTIFY_ALIYUN_ACCESS_KEY_SECRET"] = secret("GOVOPS_NOTIFY_ALIYUN_ACCESS_KEY_SECRET", env) or ""
        for var, value in values.items():
            if not value:
                raise ConfigError(f"{var} is required when GOVOPS_NOTIFY_SMS_PROVIDER=aliyun")
        endpoint = _url(env, "GOVOPS_NOTIFY_ALIYUN_ENDPOINT",
                        _env(env, "GOVOPS_NOTIFY_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"))
        out[SMS] = SmsChannel(AliyunSms(values["GOVOPS_NOTIFY_ALIYUN_ACCESS_KEY_ID"],
                                        values["GOVOPS_NOTIFY_ALIYUN_ACCESS_KEY_SECRET"],
                                        values["GOVOPS_NOTIFY_ALIYUN_SIGN_NAME"],
                                        values["GOVOPS_NOTIFY_ALIYUN_TEMPLATE_CODE"], endpoint,
                                        _env(env, "GOVOPS_NOTIFY_ALIYUN_REGION", "cn-hangzhou"), timeout))
    return out


def rate_limits(environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """Messages a minute per channel (0: no cap). Robots default to their documented 20 a minute."""
    env = os.environ if environ is None else environ
    defaults = {EMAIL: "0", SMS: "0", WECOM_APP: "0", WECOM: "20", DINGTALK: "20"}
    out = {}
    for channel, default in defaults.items():
        name = f"GOVOPS_NOTIFY_{channel.upper()}_PER_MINUTE"
        raw = _env(env, name, default)
        if not raw.isdigit():
            raise ConfigError(f"{name}={raw!r} is not a whole number (0: no cap)")
        out[channel] = int(raw)
    return out
