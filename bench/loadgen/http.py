"""One simulated person's HTTP connection: keep-alive, cookies, CSRF tokens, bearer tokens, timeouts.

Standard library only (http.client), one connection per person, so fifty
people cost fifty sockets and threads, not processes: cheap on two cores.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
EXPECTED_VERSION = re.compile(r'<input[^>]*name="expected_version"[^>]*value="(\d+)"')


class TransportError(Exception):
    """No HTTP answer at all: connection refused or reset, or the timeout passed."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def excerpt(self, limit: int = 300) -> str:
        """What went wrong, briefly: the API's error message, a flash message, or the start of the body."""
        try:
            error = self.json().get("error")
            if isinstance(error, dict):
                return f"{error.get('code')}: {error.get('message')}"
        except (ValueError, AttributeError):
            pass
        flashed = re.findall(r'class="flash[^"]*error[^"]*"[^>]*>\s*(.*?)\s*<', self.text, re.S)
        return (flashed[0] if flashed else re.sub(r"\s+", " ", self.text))[:limit]


class Client:
    """A keep-alive connection to one app instance, with a cookie jar and the last CSRF token seen."""

    #: A POST never goes out on a connection idle longer than this (the server may have closed it
    #: already, and a POST that meets a closed socket cannot be safely sent again).
    FRESH_FOR_POST_SECONDS = 1.0

    def __init__(self, base_url: str, timeout: float = 30.0, token: str | None = None) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.token = token
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self._connection: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None, body: Any = None,
                api: bool = False, headers: dict[str, str] | None = None) -> Answer:
        """One request (one retry on a dropped keep-alive connection before anything was sent back)."""
        headers = {"Connection": "keep-alive", "User-Agent": "reviewer-loadgen", **(headers or {})}
        payload: bytes | None = None
        if form is not None:
            payload = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if api:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET" and time.monotonic() - self._last_used > self.FRESH_FOR_POST_SECONDS:
            self.close()
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                if self._connection is None:
                    self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self._connection.request(method, path, body=payload, headers=headers)
                response = self._connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                self.close()
                # a keep-alive socket the server had already closed: nothing reached the app, send once more
                if attempt == 1 and isinstance(error, http.client.RemoteDisconnected) and method == "GET":
                    continue
                raise TransportError(f"{method} {path}: {type(error).__name__}: {error}") from None
            except OSError as error:
                self.close()
                raise TransportError(f"{method} {path}: {type(error).__name__}: {error}") from None
            seconds = time.perf_counter() - started
            self._last_used = time.monotonic()
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data, seconds)
            if answer.headers.get("content-type", "").startswith("text/html"):
                found = CSRF.search(answer.text)
                if found:
                    self.csrf = found.group(1)
            return answer
        raise AssertionError("unreachable")

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        """A form POST with the CSRF token from the last page this person saw."""
        return self.request("POST", path, form={"csrf_token": self.csrf or "", **fields})

    def login(self, username: str, password: str) -> Answer:
        """Sign in through the login form; the answer is the 302 to the home page, or the refusal."""
        self.get("/login")
        return self.post_form("/login", {"username": username, "password": password, "next": ""})
