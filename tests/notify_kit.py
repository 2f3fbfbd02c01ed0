"""Real receivers for notification tests: an SMTP server with STARTTLS (aiosmtpd) and an HTTP receiver.

Both listen on 127.0.0.1, an ephemeral port chosen by the OS, and can be
stopped ("killed") and started again on the same port, keeping what they
received, so a test can take a receiver away mid-run and bring it back.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

JSON_SECRET = "hook-secret-for-tests"
BASE_URL = "https://reviewer.example.govt.nz"


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost and its key, made here with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Any  # email.message.EmailMessage
    tls: bool
    user: str | None
    peer: tuple = ()  # the client's address and port: one per SMTP connection

    @property
    def subject(self) -> str:
        """The Subject as a mail client shows it: Python folds a long one onto the next line
        ("Subject:\\n Draft ..."), and its parser keeps the fold's leading space; clients drop it."""
        return str(self.message["Subject"]).strip()


class _NoLoginDataWarning(logging.Filter):
    """aiosmtpd 1.4 logs a deprecation warning of its own (Session.login_data) at every successful AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_NoLoginDataWarning())


class SmtpServer:
    """aiosmtpd on an ephemeral port, STARTTLS required before AUTH and mail; records each message."""

    def __init__(self, folder: Path, user: str = "reviewer", password: str = "s3cret-smtp") -> None:
        import ssl

        self.cert, key = self_signed_cert(folder)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(self.cert, key)
        self.user, self.password = user, password
        self.mails: list[Mail] = []
        self.port = 0
        self._controller: Any = None

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                user = session.auth_data.login.decode() if session.auth_data else None
                server.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message, bool(session.ssl), user,
                                         tuple(session.peer)))
                return "250 Message accepted"

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == server.user and auth_data.password.decode() == server.password
            return AuthResult(success=ok, auth_data=auth_data if ok else None)

        class EphemeralController(Controller):
            def _trigger_server(self) -> None:
                self.port = self.server.sockets[0].getsockname()[1]  # port 0: learn the one the OS gave
                super()._trigger_server()

        controller = EphemeralController(
            Handler(), hostname="127.0.0.1", port=self.port, tls_context=self.context, require_starttls=True,
            authenticator=authenticate, auth_require_tls=True,
        )
        controller.start()
        self.port, self._controller = controller.port, controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A stdlib HTTP server in a thread that records every POST; `kill_after=N` takes it down after the N-th.

    Once killed, a request that still reaches it gets no answer (the connection is dropped), and new
    connections are refused, until `start()` brings it back on the same port.
    """

    kill_after: int | None = None
    received: list[Delivery] = field(default_factory=list)
    port: int = 0
    killed: threading.Event = field(default_factory=threading.Event)

    def start(self) -> HttpReceiver:
        receiver = self
        killer = getattr(self, "_killer", None)
        if killer is not None:
            killer.join(10)  # the old socket is closed before the port is bound again
            self._killer = None
        self.killed.clear()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.killed.is_set():
                    self.close_connection = True
                    return  # no answer: the client sees the connection drop
                receiver.received.append(Delivery(self.path, dict(self.headers.items()), body))
                if receiver.kill_after is not None and len(receiver.received) == receiver.kill_after:
                    receiver.kill_after = None
                    receiver.kill()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def kill(self) -> None:
        """Refuse everything from now on (new connections included) until `start()`."""
        self.killed.set()
        server = self._server
        self._killer = threading.Thread(target=lambda: (server.shutdown(), server.server_close()), daemon=True)
        self._killer.start()

    def stop(self) -> None:
        self.killed.set()
        if getattr(self, "_killer", None) is not None:
            self._killer.join(10)
            return
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"
