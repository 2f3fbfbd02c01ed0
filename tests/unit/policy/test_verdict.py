"""The verdict JSON: exact shape, stable bytes, spans that point at the typed text."""

from __future__ import annotations

import functools
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from policy_helpers import ELECTION_DAY, FIXTURES, QUIET_DAY, Scorer

from reviewer.encoder import load_encoder
from reviewer.policy import load_policy
from reviewer.policy.verdict import excerpt_of, merge_spans


def test_the_verdict_has_exactly_the_documented_shape(every_kind) -> None:
    verdict = every_kind.check("Call 021 555 0199", date=QUIET_DAY, scorer=Scorer(default=0.0123456))
    data = verdict.to_dict()
    assert list(data) == ["decision", "routes", "approvals", "findings", "scores", "periods", "policy", "scorer"]
    assert data["findings"] == [{
        "rule": "pii.public", "title": "Personal information: public", "kind": "pii", "severity": "high", "action": "block", "route": None,
        "target": "draft",
        "message": "Remove the personal data; ask the person to DM instead. 021 555 0199 is a mobile number (NZ).",
        "source": "Test guidance s.3", "spans": [[5, 17]], "excerpt": "021 555 0199"}]
    assert data["decision"] == "block" and data["routes"] == [] and data["approvals"] == 1
    assert data["scores"] == {"insult": 0.0123, "toxicity": 0.0123}
    assert data["periods"] == []
    assert data["policy"] == {"id": "every-kind", "version": "1.0", "sha256": every_kind.sha256}
    assert data["scorer"] == {"name": "fixed", "version": "1"}
    assert json.loads(verdict.to_json()) == data


def test_without_a_scorer(every_kind) -> None:
    data = every_kind.check("hi", date=ELECTION_DAY).to_dict()
    assert (data["scores"], data["scorer"], data["periods"]) == ({}, None, ["2026 general election"])


def test_json_is_byte_stable(every_kind) -> None:
    text = "WE PROMISE!!! idiot 021 555 0199 bit.ly/x"
    dumps = {every_kind.check(text, platform="x", date=ELECTION_DAY, in_reply_to="suicide").to_json() for _ in range(5)}
    assert len(dumps) == 1


def test_merge_and_excerpt() -> None:
    assert merge_spans([(5, 8), (0, 2), (1, 3), (8, 9)]) == ((0, 3), (5, 9))
    assert excerpt_of("abcdefghij", ((0, 3), (5, 9))) == "abc … fghi"
    assert excerpt_of("abc", ()) == ""


ALPHABET = st.sampled_from(list("abcdeiostupdIDOT 01345!?#.@/:-_'\n") + [
    "\u200b", "\u00ad", "\u0456", "\u0430", "\uff49", "🎉", "👍", "🏽", "\u200d", "🇳", "🇿", "ß", "İ", "ﬁ", "\u0301",
    "idiot", "stupid", " you people ", "021 555 0199", "https://bit.ly/x", "www.gov.uk/a", "#mentalhealthweek",
    "a@b.com", "INT-1234", "lawsuit", "suicide", "WE PROMISE",
])


@settings(max_examples=150, deadline=None)
@given(text=st.lists(ALPHABET, max_size=40).map("".join), reply=st.lists(ALPHABET, max_size=12).map("".join))
def test_spans_stay_inside_the_text_and_excerpts_are_the_typed_text(every_kind, text: str, reply: str) -> None:
    verdict = every_kind.check(text, platform="x", date=ELECTION_DAY, in_reply_to=reply or None)
    for finding in verdict.findings:
        source = text if finding.target == "draft" else reply
        for start, end in finding.spans:
            assert 0 <= start < end <= len(source)
        assert list(finding.spans) == sorted(finding.spans)
        assert finding.excerpt == " … ".join(source[s:e] for s, e in finding.spans)
    assert verdict.decision in ("pass", "review", "block")
    assert list(verdict.routes) == sorted(set(verdict.routes))


GOVERNMENT = FIXTURES.parents[3] / "policies" / "government.yaml"


@settings(max_examples=100, deadline=None)
@given(text=st.lists(ALPHABET, max_size=40).map("".join), reply=st.lists(ALPHABET, max_size=12).map("".join))
def test_spans_of_the_shipped_policy_point_at_the_typed_text(text: str, reply: str) -> None:
    verdict = _government().check(text, platform="x", date=ELECTION_DAY, in_reply_to=reply or None)
    for finding in verdict.findings:
        source = text if finding.target == "draft" else reply
        assert all(0 <= s < e <= len(source) for s, e in finding.spans)
        assert finding.excerpt == " … ".join(source[s:e] for s, e in finding.spans)


@functools.cache
def _government():
    return load_policy(GOVERNMENT, encoder=load_encoder("embedded"))
