"""Highlight segments from a verdict's findings, and word diffs: pure, no app."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reviewer.web.highlight import DiffPiece, Segment, numbered_findings, segments, word_diff


def finding(rule: str, spans, action: str = "block", severity: str = "high", target: str | None = "draft", **extra):
    data = {
        "rule": rule,
        "kind": "lexicon",
        "severity": severity,
        "action": action,
        "message": f"Fix {rule}.",
        "source": f"Clause {rule}",
        "spans": [list(s) for s in spans],
        "excerpt": "",
        **extra,
    }
    if target is not None:
        data["target"] = target
    return data


def shape(result: list[Segment]) -> list[tuple[str, list[str]]]:
    return [(s.text, s.rules) for s in result]


def test_no_findings_is_one_plain_segment() -> None:
    assert shape(segments("All fine here.", [])) == [("All fine here.", [])]


def test_empty_text_gives_one_empty_segment() -> None:
    assert shape(segments("", [])) == [("", [])]


def test_a_finding_highlights_exactly_its_words_with_message_and_source() -> None:
    text = "Call me on 021 555 0199 today"
    result = segments(text, [finding("pii.phone", [(11, 23)])])
    assert shape(result) == [("Call me on ", []), ("021 555 0199", ["pii.phone"]), (" today", [])]
    mark = result[1].marks[0]
    assert (mark.number, mark.message, mark.source, mark.severity, mark.action) == (
        1, "Fix pii.phone.", "Clause pii.phone", "high", "block"
    )
    assert result[1].title == "pii.phone: Fix pii.phone."
    assert [(s.start, s.end) for s in result] == [(0, 11), (11, 23), (23, 29)]


def test_overlapping_spans_of_two_rules_merge_into_one_segment_carrying_both() -> None:
    text = "you stupid idiots"
    findings = [
        finding("abuse.insult", [(4, 10)], action="block", severity="high"),
        finding("tone.phrase", [(0, 10)], action="review", severity="medium"),
        finding("abuse.plural", [(8, 17)], action="note", severity="critical"),
    ]
    result = segments(text, findings)
    assert shape(result) == [("you stupid idiots", ["abuse.insult", "tone.phrase", "abuse.plural"])]
    only = result[0]
    assert only.action == "block"  # the strongest action among them
    assert only.severity == "critical"  # the highest severity among them
    assert [m.number for m in only.marks] == [1, 2, 3]


def test_touching_spans_stay_separate_segments() -> None:
    text = "abcdef"
    result = segments(text, [finding("one", [(0, 3)]), finding("two", [(3, 6)], action="review")])
    assert shape(result) == [("abc", ["one"]), ("def", ["two"])]
    assert [s.action for s in result] == ["block", "review"]


def test_a_finding_with_several_spans_marks_each_and_counts_once_where_they_overlap() -> None:
    text = "bad and bad and bad"
    result = segments(text, [finding("r", [(0, 3), (8, 11), (9, 14), (16, 19)])])
    assert shape(result) == [("bad", ["r"]), (" and ", []), ("bad an", ["r"]), ("d ", []), ("bad", ["r"])]
    assert len(result[2].marks) == 1


def test_spans_out_of_range_are_clipped_and_empty_ones_ignored() -> None:
    result = segments("short", [finding("a", [(3, 99)]), finding("b", [(2, 2)]), finding("c", [(-5, 1)])])
    assert shape(result) == [("s", ["c"]), ("ho", []), ("rt", ["a"])]


def test_findings_about_the_inbound_post_highlight_only_that_text() -> None:
    findings = [finding("pii.phone", [(0, 4)]), finding("context.selfharm", [(2, 6)], target="in_reply_to")]
    assert shape(segments("abcdefgh", findings)) == [("abcd", ["pii.phone"]), ("efgh", [])]
    inbound = segments("abcdefgh", findings, target="in_reply_to")
    assert shape(inbound) == [("ab", []), ("cdef", ["context.selfharm"]), ("gh", [])]
    assert inbound[1].marks[0].number == 1  # numbered within its own list


def test_a_finding_without_a_target_is_about_the_draft() -> None:
    assert [n for n, _ in numbered_findings([finding("x", [(0, 1)], target=None)])] == [1]


def test_whole_text_findings_have_no_highlight() -> None:
    result = segments("fine words", [finding("toxicity.model", [], action="review")])
    assert shape(result) == [("fine words", [])]


def test_unicode_offsets_are_code_points_emoji_and_combining_marks_stay_whole() -> None:
    text = "Kia ora 👋🏽 Māori café 😡😡 now"
    angry = text.index("😡😡")
    cafe = text.index("café")
    result = segments(text, [finding("emoji.run", [(angry, angry + 2)]), finding("word", [(cafe, cafe + 4)])])
    assert [s.text for s in result if s.highlighted] == ["café", "😡😡"]
    assert "".join(s.text for s in result) == text


def test_segment_to_dict_is_plain_json() -> None:
    data = segments("ab", [finding("r", [(0, 1)])])[0].to_dict()
    assert data == {
        "text": "a",
        "start": 0,
        "end": 1,
        "action": "block",
        "severity": "high",
        "marks": [{"number": 1, "rule": "r", "severity": "high", "action": "block", "message": "Fix r.", "source": "Clause r"}],
    }


span_strategy = st.tuples(st.integers(-3, 40), st.integers(-3, 40))


@given(
    text=st.text(max_size=30),
    spans=st.lists(st.lists(span_strategy, max_size=3), max_size=4),
)
def test_segments_always_rebuild_the_text_and_cover_every_span(text: str, spans) -> None:
    findings = [finding(f"r{i}", s) for i, s in enumerate(spans)]
    result = segments(text, findings)
    assert "".join(s.text for s in result) == text
    assert all(s.text == text[s.start : s.end] for s in result)
    assert all(a.end == b.start for a, b in zip(result, result[1:]))
    for i, finding_spans in enumerate(spans):
        for start, end in finding_spans:
            start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
            for offset in range(start, end):
                covering = [s for s in result if s.start <= offset < s.end]
                assert f"r{i}" in covering[0].rules


def test_word_diff_marks_inserted_and_deleted_words() -> None:
    pieces = word_diff("We promise the pool will reopen by Friday.", "We hope the pool will reopen soon.")
    assert pieces == [
        DiffPiece("equal", "We "),
        DiffPiece("delete", "promise"),
        DiffPiece("insert", "hope"),
        DiffPiece("equal", " the pool will reopen "),
        DiffPiece("delete", "by Friday"),
        DiffPiece("insert", "soon"),
        DiffPiece("equal", "."),
    ]


def test_word_diff_of_equal_texts_is_one_equal_piece_and_of_empty_is_nothing() -> None:
    assert word_diff("same <b>text</b>", "same <b>text</b>") == [DiffPiece("equal", "same <b>text</b>")]
    assert word_diff("", "") == []


@given(old=st.text(max_size=40), new=st.text(max_size=40))
def test_word_diff_rebuilds_both_texts(old: str, new: str) -> None:
    pieces = word_diff(old, new)
    assert "".join(p.text for p in pieces if p.op != "insert") == old
    assert "".join(p.text for p in pieces if p.op != "delete") == new


def test_decision_labels() -> None:
    from reviewer.web.highlight import decision_label

    assert decision_label("pass") == "Passes policy"
    assert decision_label("review", ["comms", "legal"]) == "Needs approval by comms, legal"
    assert decision_label("review", ["political"], 2) == "Needs approval by political (2 approvals)"
    assert decision_label("block", ["comms"]) == "Blocked: change the highlighted words"
    assert decision_label(None) == "Not checked yet"


def test_check_payload_numbers_findings_per_text_and_segments_both_texts() -> None:
    from reviewer.web.highlight import check_payload

    verdict = {
        "decision": "review",
        "routes": ["safeguarding"],
        "approvals": 1,
        "findings": [finding("pii.phone", [(0, 3)], action="note"), finding("context.crisis", [(4, 8)], action="review", target="in_reply_to")],
    }
    payload = check_payload("abc def", verdict, "I am in crisis")
    assert payload["label"] == "Needs approval by safeguarding"
    assert [(f["number"], f["rule"]) for f in payload["findings"]] == [(1, "pii.phone")]
    assert [(f["number"], f["rule"]) for f in payload["context_findings"]] == [(1, "context.crisis")]
    assert [s["text"] for s in payload["segments"]] == ["abc", " def"]
    assert [s["text"] for s in payload["inbound_segments"]] == ["I am", " in ", "crisis"]
    assert "inbound_segments" not in check_payload("abc", verdict)
