"""Request bodies have a size limit (issue 15, item 1): a big body is refused with 413 before it is read.

Each body is a stream that counts the bytes the app takes from it: a
64 MiB body must not be read past the limit (with a Content-Length, not at
all). Pages get an HTML 413 page in the layout; JSON callers a JSON error.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from reviewer.drafting.forms import MAX_UPLOAD_BYTES

BIG = 64 * 1024 * 1024


class CountingBody(io.RawIOBase):
    """`size` bytes of "a", made as they are read; `taken` counts what the server read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"a" * n
        self.left -= n
        self.taken += n
        return n


def send(client: Any, path: str, content_type: str, *, with_length: bool, headers: dict | None = None) -> tuple[Any, int]:
    body = CountingBody(BIG)
    environ = {"wsgi.input": body}
    if with_length:
        environ["CONTENT_LENGTH"] = str(BIG)
    else:
        environ["wsgi.input_terminated"] = True  # a chunked body: the server says where it ends
    response = client.post(path, content_type=content_type, environ_overrides=environ, headers=headers or {})
    return response, body.taken


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "chunked"])
def test_a_huge_sign_in_form_is_refused_unread(secure_app, with_length: bool) -> None:
    limit = secure_app.config["MAX_CONTENT_LENGTH"]
    response, taken = send(secure_app.test_client(), "/login", "multipart/form-data; boundary=xyz", with_length=with_length)
    assert response.status_code == 413
    assert taken == 0 if with_length else taken <= limit + 64 * 1024, taken
    page = response.get_data(as_text=True)
    assert "Too large" in page and 'class="skip-link"' in page and "MB" in page


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "chunked"])
def test_a_huge_upload_is_refused_at_the_upload_limit(two_orgs, web_as, with_length: bool) -> None:
    web = web_as(two_orgs.staff_a)
    path = f"/inbox/{two_orgs.account_a.id}/upload"
    response, taken = send(web.client, path, "multipart/form-data; boundary=xyz", with_length=with_length,
                           headers={"X-CSRFToken": web.token})
    assert response.status_code == 413
    assert taken == 0 if with_length else taken <= MAX_UPLOAD_BYTES + 128 * 1024, taken
    assert "5 MB" in response.get_data(as_text=True)


def test_an_upload_over_the_app_wide_limit_but_within_its_own_is_accepted(two_orgs, web_as) -> None:
    """The upload route's own limit is larger than the app-wide one: a 3 MB file reaches the importer."""
    web = web_as(two_orgs.staff_a)
    assert web.app.config["MAX_CONTENT_LENGTH"] < 3 * 1024 * 1024 < MAX_UPLOAD_BYTES
    line = b'{"author_handle": "@r", "received_at": "2026-11-01T09:00:00Z", "text": "' + b"word " * 3900 + b'"}\n'
    data = line * (3 * 1024 * 1024 // len(line) + 1)
    # Encoded here, in memory: the test client spools a multipart body over 500 KB to a temporary
    # file that it never closes (a ResourceWarning, an error under filterwarnings=error).
    boundary, body = encode_multipart(
        {"csrf_token": web.token, "format": "jsonl", "file": FileStorage(io.BytesIO(data), "posts.jsonl")}
    )
    response = web.client.post(f"/inbox/{two_orgs.account_a.id}/upload", data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]  # imported


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "chunked"])
def test_a_huge_live_check_is_a_json_413(two_orgs, web_as, with_length: bool) -> None:
    web = web_as(two_orgs.staff_a)
    limit = web.app.config["MAX_CONTENT_LENGTH"]
    response, taken = send(web.client, "/drafting/check", "application/json", with_length=with_length,
                           headers={"X-CSRFToken": web.token})
    assert response.status_code == 413
    assert taken == 0 if with_length else taken <= limit + 64 * 1024, taken
    assert response.is_json and "too large" in response.json["error"]


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "chunked"])
def test_a_huge_api_body_is_a_json_problem(two_orgs, api_as, with_length: bool) -> None:
    """A chunked body was cut at the limit and parsed as if whole: a 400 "not valid JSON" before."""
    from reviewer.api.views import MAX_BODY_BYTES

    api = api_as(two_orgs.staff_a)
    response, taken = send(api.client, "/api/v1/check", "application/json", with_length=with_length, headers=api.headers)
    assert response.status_code == 413
    assert taken == 0 if with_length else taken <= MAX_BODY_BYTES + 64 * 1024, taken
    assert response.json["error"]["code"] == "payload_too_large"


def test_a_chunked_body_within_the_limit_is_read_whole(two_orgs, web_as) -> None:
    web = web_as(two_orgs.staff_a)
    body = json.dumps({"account_id": two_orgs.account_a.id, "text": "Thanks, we will look into it."}).encode()
    response = web.client.post("/drafting/check", content_type="application/json", headers={"X-CSRFToken": web.token},
                               environ_overrides={"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["verdict"]["decision"] == "pass"
