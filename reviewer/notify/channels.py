"""Sending one notification: email over SMTP (STARTTLS), or a webhook (Teams, Slack, signed JSON).

Each sender raises `DeliveryError` with a message an operator can act on;
the caller records it and retries later. Every message carries the
notification's idempotency key (the email's Message-ID and
`X-Reviewer-Idempotency-Key`; the webhooks' `Idempotency-Key` header and the
JSON body's `id`), so a receiver that sees it twice can drop the second.

Signed JSON: `X-Reviewer-Timestamp` is the Unix time of sending and
`X-Reviewer-Signature` is `sha256=` + hex HMAC-SHA256 over
`"{timestamp}.{raw body}"` with the webhook's secret. A receiver recomputes
it, compares in constant time, and refuses a timestamp older than five
minutes (replay). See docs/deployment.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from reviewer.notify.events import html_text, link_of, plain_text

SIGNATURE_HEADER = "X-Reviewer-Signature"
TIMESTAMP_HEADER = "X-Reviewer-Timestamp"
KEY_HEADER = "Idempotency-Key"


class DeliveryError(Exception):
    """A notification could not be delivered this time (it will be retried)."""


@dataclass(frozen=True)
class Outgoing:
    """The parts of a notification row a sender reads (plain data: the worker sends outside any transaction)."""

    key: str
    event: str
    channel: str
    address: str
    payload: dict[str, Any]
    created_at: str


class Senders:
    """The senders of one delivery run: one SMTP connection (opened at the first email, reused for the
    next ones, closed at the end or after an error), webhooks posted one by one. Use as a context manager."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Senders:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._close()

    def send(self, outgoing: Outgoing) -> None:
        """Deliver `outgoing` through its channel, or raise DeliveryError."""
        config = self.config
        link = link_of(config.get("EXTERNAL_BASE_URL"), outgoing.payload.get("path", "/"))
        if outgoing.channel == "email":
            self._send_email(email_message(outgoing, link, config))
            return
        group, _, index = outgoing.address.partition("/")
        hooks = (config.get("NOTIFY_WEBHOOKS") or {}).get(group) or []
        if not index.isdigit() or int(index) >= len(hooks):
            raise DeliveryError(f"NOTIFY_WEBHOOKS has no entry {outgoing.address!r} any more (was it removed?)")
        post_webhook(outgoing, link, hooks[int(index)], timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 10))

    def _send_email(self, message: EmailMessage) -> None:
        host, port = self.config.get("SMTP_HOST"), int(self.config.get("SMTP_PORT") or 587)
        try:
            if self._smtp is not None:
                try:
                    self._smtp.send_message(message)
                    return
                except smtplib.SMTPServerDisconnected:  # the server closed the reused connection: once more, afresh
                    self._close()
            self._smtp = _smtp_connection(self.config, host, port)
            self._smtp.send_message(message)
        except DeliveryError:
            self._close()
            raise
        except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
            self._close()
            raise DeliveryError(f"SMTP {host}:{port}: {type(error).__name__}: {error}") from None

    def _close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException, ssl.SSLError):
                smtp.close()


def send(outgoing: Outgoing, config: Any) -> None:
    """Deliver one notification on its own connection, or raise DeliveryError."""
    with Senders(config) as senders:
        senders.send(outgoing)


def email_message(outgoing: Outgoing, link: str, config: Any) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = outgoing.payload["title"]
    message["From"] = config.get("SMTP_FROM") or "reviewer@localhost"
    message["To"] = outgoing.address
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{outgoing.key}@reviewer>"
    message["X-Reviewer-Idempotency-Key"] = outgoing.key
    message["X-Reviewer-Event"] = outgoing.event
    message.set_content(plain_text(outgoing.payload, link))
    message.add_alternative(html_text(outgoing.payload, link), subtype="html")
    return message


def _smtp_connection(config: Any, host: str, port: int) -> smtplib.SMTP:
    """Connected, STARTTLS done (unless SMTP_STARTTLS is false) and signed in; raises DeliveryError or OSError."""
    smtp = smtplib.SMTP(host, port, timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 10))
    try:
        smtp.ehlo()
        if config.get("SMTP_STARTTLS", True):
            if not smtp.has_extn("starttls"):
                raise DeliveryError(f"the SMTP server {host}:{port} does not offer STARTTLS (SMTP_STARTTLS is required)")
            smtp.starttls(context=ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None))
            smtp.ehlo()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def webhook_body(outgoing: Outgoing, link: str, kind: str) -> dict[str, Any]:
    """The JSON a webhook of `kind` receives."""
    payload = outgoing.payload
    lines = [line for line in payload.get("lines", [])]
    if kind == "slack":
        return {"text": "\n".join([f"*{payload['title']}*", *lines, f"<{link}|Open in reviewer>"])}
    if kind == "teams":  # a Workflows ("When a Teams webhook request is received") payload with an adaptive card
        body = [{"type": "TextBlock", "text": payload["title"], "weight": "Bolder", "size": "Medium", "wrap": True}]
        body += [{"type": "TextBlock", "text": line, "wrap": True} for line in lines]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": body, "actions": [{"type": "Action.OpenUrl", "title": "Open in reviewer", "url": link}],
        }
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
    return {"id": outgoing.key, "event": outgoing.event, "title": payload["title"], "lines": lines, "url": link,
            "excerpt": payload.get("excerpt"), "facts": payload.get("facts") or {}, "created_at": outgoing.created_at}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Reviewer-Signature value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post_webhook(outgoing: Outgoing, link: str, hook: dict[str, Any], *, timeout: float = 10) -> None:
    kind = str(hook.get("kind"))
    body = json.dumps(webhook_body(outgoing, link, kind), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", KEY_HEADER: outgoing.key, "User-Agent": "reviewer-notify"}
    if kind == "json":
        timestamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = sign(str(hook.get("secret") or ""), timestamp, body)
    request = urllib.request.Request(str(hook.get("url")), data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # the operator's configured URL
            answer.read(1024)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"{kind} webhook for {outgoing.address}: HTTP {error.code} {error.reason}") from None
    except (OSError, ValueError) as error:
        raise DeliveryError(f"{kind} webhook for {outgoing.address}: {type(error).__name__}: {error}") from None
