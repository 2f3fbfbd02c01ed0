"""Any file of valid posts, written as CSV or JSON Lines, imports exactly: same texts, same times, nothing lost."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer.drafting.importing import import_inbound

# Printable text with quotes, commas, newlines and non-ASCII (no NULs, not blank).
texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00") | st.sampled_from(['"', ",", "\n", " "]),
    min_size=1,
    max_size=80,
).filter(lambda t: t.strip() and t.replace("\r", "") == t)
handles = st.from_regex(r"@[a-z0-9_]{1,20}", fullmatch=True)
offsets = st.integers(min_value=1, max_value=60 * 24 * 90)
rows = st.lists(st.tuples(handles, texts, offsets), min_size=1, max_size=8)


def to_csv(items: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["platform", "author_handle", "text", "url", "received_at", "external_id"])
    writer.writeheader()
    writer.writerows(items)
    return out.getvalue()


def to_jsonl(items: list[dict]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rows, fmt=st.sampled_from(["csv", "jsonl"]))
def test_valid_files_round_trip(db_session, make_account, data, fmt) -> None:
    account = make_account()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    items = [
        {
            "platform": "x",
            "author_handle": handle,
            "text": text,
            "url": "",
            "received_at": (now - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
            "external_id": f"id-{index}",
        }
        for index, (handle, text, minutes) in enumerate(data)
    ]
    payload = to_csv(items) if fmt == "csv" else to_jsonl(items)
    result = import_inbound(db_session, None, account, payload.encode("utf-8"), fmt)
    assert result.ok, result.errors
    assert result.created == len(items) and result.skipped_duplicates == 0
    assert [p.text for p in result.posts] == [i["text"] for i in items]
    assert [p.received_at for p in result.posts] == [now - timedelta(minutes=m) for _, _, m in data]
    again = import_inbound(db_session, None, account, payload, fmt)
    assert again.created == 0 and again.skipped_duplicates == len(items)
    db_session.rollback()
