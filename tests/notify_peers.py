"""Real peers for notify's tests: an aiosmtpd SMTP server that keeps what it receives, and local
HTTP receivers implementing the WeCom robot, DingTalk robot (signed mode) and Alibaba Cloud SMS
request formats — they check method, path, body and signatures, and can be told to answer with
the providers' error codes."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from govkit.stack import free_port


class Mailbox:
    """aiosmtpd handler: every accepted message, parsed; `fail_next` answers 451 (transient)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.fail_next = 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 try again later"
        self.raw.append(envelope.original_content or envelope.content)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        return "250 OK"

    def wait(self, count: int, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


class SmtpServer:
    def __init__(self):
        from aiosmtpd.controller import Controller

        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class Receiver:
    """One HTTP server for all three providers, recording what each received.

    * WeCom:    POST /cgi-bin/webhook/send?key=<key>, JSON {"msgtype": "markdown", "markdown": {"content"}}
    * DingTalk: POST /robot/send?access_token=<t>&timestamp=<ms>&sign=<sign>, JSON markdown with title
    * Aliyun:   POST / form-encoded SendSms with Signature (HMAC-SHA1 over the sorted, encoded params)
    * WeCom application messages: GET /cgi-bin/gettoken?corpid=…&corpsecret=… (40001 for a wrong
      secret) issues an access_token; POST /cgi-bin/message/send?access_token=… with touser, agentid
      and markdown (42001 for a token `expire_tokens()` expired, 40014 for an unknown one,
      `invaliduser` for a user not in `WECOM_USERS`)
    `answers[provider]` is a list of replies to give before succeeding (each a (status, body) pair)."""

    WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET = "wecom-key-1", "ding-token-1", "SECdingsecret"
    ALIYUN_ID, ALIYUN_SECRET = "LTAItestid", "aliyun-test-secret"
    CORP_ID, CORP_SECRET, AGENT_ID = "wwcorp0001", "corp-secret-1", 1000002
    WECOM_USERS = {"E1001", "L2001"}

    def __init__(self):
        self.received: dict[str, list] = {"wecom": [], "dingtalk": [], "aliyun": [], "wecom_app": []}
        self.rejected: list[str] = []
        self.answers: dict[str, list] = {"wecom": [], "dingtalk": [], "aliyun": [], "wecom_app": []}
        self.tokens: dict[str, bool] = {}  # issued access_token → still valid
        self.token_requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, reply = receiver.handle(url.path, query, self.headers.get("Content-Type", ""), body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path != "/cgi-bin/gettoken":
                    receiver.rejected.append(f"GET {self.path}")
                    self.send_response(405)
                    self.end_headers()
                    return
                status, reply = receiver._gettoken(dict(urllib.parse.parse_qsl(url.query)))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def wecom_url(self) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={self.WECOM_KEY}"

    @property
    def dingtalk_url(self) -> str:
        return f"{self.base}/robot/send?access_token={self.DINGTALK_TOKEN}"

    @property
    def aliyun_endpoint(self) -> str:
        return f"{self.base}/"

    def _canned(self, provider: str):
        return self.answers[provider].pop(0) if self.answers[provider] else None

    def handle(self, path: str, query: dict, content_type: str, body: bytes):
        if path == "/cgi-bin/webhook/send":
            return self._wecom(query, content_type, body)
        if path == "/robot/send":
            return self._dingtalk(query, content_type, body)
        if path == "/":
            return self._aliyun(content_type, body)
        if path == "/cgi-bin/message/send":
            return self._wecom_app(query, content_type, body)
        self.rejected.append(f"POST {path}")
        return 404, {"error": "no such path"}

    def _wecom(self, query, content_type, body):
        if query.get("key") != self.WECOM_KEY:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        msg = json.loads(body)
        if not content_type.startswith("application/json") or msg.get("msgtype") != "markdown" \
                or not msg.get("markdown", {}).get("content"):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        canned = self._canned("wecom")
        if canned:
            return canned
        self.received["wecom"].append(msg)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def expire_tokens(self) -> None:
        """Every issued token expires now (WeCom's 42001 on the next send)."""
        self.tokens = dict.fromkeys(self.tokens, False)

    def _gettoken(self, query):
        self.token_requests += 1
        if query.get("corpid") != self.CORP_ID:
            return 200, {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != self.CORP_SECRET:
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        token = f"token-{len(self.tokens) + 1}"
        self.tokens[token] = True
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _wecom_app(self, query, content_type, body):
        token = query.get("access_token", "")
        if token not in self.tokens:
            return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
        if not self.tokens[token]:
            return 200, {"errcode": 42001, "errmsg": "access_token expired"}
        msg = json.loads(body)
        if not content_type.startswith("application/json") or msg.get("msgtype") != "markdown" \
                or not msg.get("markdown", {}).get("content") or not msg.get("touser"):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        if msg.get("agentid") != self.AGENT_ID:
            return 200, {"errcode": 40056, "errmsg": "invalid agentid"}
        canned = self._canned("wecom_app")
        if canned:
            return canned
        unknown = [u for u in msg["touser"].split("|") if u not in self.WECOM_USERS]
        if unknown:
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(unknown), "msgid": ""}
        self.received["wecom_app"].append(msg)
        return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "",
                     "msgid": f"wxmsg-{len(self.received['wecom_app'])}"}

    def _dingtalk(self, query, content_type, body):
        if query.get("access_token") != self.DINGTALK_TOKEN:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        ts = query.get("timestamp", "")
        expected = base64.b64encode(hmac.new(self.DINGTALK_SECRET.encode(), f"{ts}\n{self.DINGTALK_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
        # parse_qsl already URL-decoded `sign` once
        if not ts.isdigit() or abs(int(ts) - time.time() * 1000) > 3600_000 or query.get("sign") != expected:
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        msg = json.loads(body)
        md = msg.get("markdown", {})
        if msg.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
        canned = self._canned("dingtalk")
        if canned:
            return canned
        self.received["dingtalk"].append(msg)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _aliyun(self, content_type, body):
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return 400, {"Code": "InvalidParameter", "Message": "content type"}
        params = dict(urllib.parse.parse_qsl(body.decode("ascii"), keep_blank_values=True))
        signature = params.pop("Signature", "")

        def enc(s: str) -> str:
            return urllib.parse.quote(s, safe="-_.~")

        query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
        to_sign = f"POST&{enc('/')}&{enc(query)}"
        expected = base64.b64encode(hmac.new(f"{self.ALIYUN_SECRET}&".encode(), to_sign.encode(),
                                             hashlib.sha1).digest()).decode()
        required = {"AccessKeyId", "Action", "Format", "PhoneNumbers", "SignName", "SignatureMethod",
                    "SignatureNonce", "SignatureVersion", "TemplateCode", "TemplateParam", "Timestamp", "Version"}
        if required - params.keys() or params["Action"] != "SendSms" or params["Version"] != "2017-05-25" \
                or params["SignatureMethod"] != "HMAC-SHA1":
            return 400, {"Code": "MissingParameter", "Message": f"missing {sorted(required - params.keys())}"}
        if params["AccessKeyId"] != self.ALIYUN_ID or signature != expected:
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
        json.loads(params["TemplateParam"])
        canned = self._canned("aliyun")
        if canned:
            return canned
        self.received["aliyun"].append(params)
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.received['aliyun'])}",
                     "RequestId": "req"}


def self_signed(directory) -> tuple[str, str]:
    """A CA-less self-signed certificate for 127.0.0.1 / localhost: (cert PEM path, key PEM path);
    the certificate doubles as the CA file the client trusts."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = f"{directory}/smtp-cert.pem", f"{directory}/smtp-key.pem"
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class TlsAuthSmtpServer(SmtpServer):
    """STARTTLS required, AUTH (PLAIN/LOGIN) required and only over TLS, one known user."""

    USER, PASSWORD = "govops", "mail-pass-1"

    def __init__(self, directory):
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.mailbox = Mailbox()
        self.port = free_port()
        self.cert, key = self_signed(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.logins: list[str] = []

        def authenticator(server, session, envelope, mechanism, auth_data):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append(login)
            return AuthResult(success=(login, password) == (self.USER, self.PASSWORD), handled=False)

        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=True, authenticator=authenticator, auth_required=True,
                                     auth_require_tls=True, auth_exclude_mechanism=["LOGIN"])
