"""Overlapping findings read as one (#14 item 6): the strongest says what to do, the others are named under it."""

from __future__ import annotations

from reviewer.web.highlight import numbered_findings, segments


def finding(rule: str, action: str, spans: list, severity: str = "medium", route: str | None = "comms", target: str = "draft") -> dict:
    return {"rule": rule, "title": rule.title(), "kind": "x", "severity": severity, "action": action, "route": route,
            "target": target, "message": f"{rule} says so.", "source": "s", "spans": spans, "excerpt": ""}


def test_two_tone_findings_on_the_same_words_become_one_that_blocks() -> None:
    findings = [
        finding("abuse.toxicity", "review", []),
        finding("abuse.toxicity_severe", "block", [], severity="high"),
        finding("tone.dismissive", "review", [[0, 47]]),
        finding("abuse.contempt", "block", [[0, 47]], severity="high"),
        finding("abuse.insults", "block", [[17, 24]], severity="high"),
    ]
    numbered = numbered_findings(findings)
    assert [(n, f["rule"], f["action"]) for n, f in numbered] == [
        (1, "abuse.toxicity_severe", "block"),
        (2, "abuse.contempt", "block"),
        (3, "abuse.insults", "block"),
    ]
    assert numbered[0][1]["also"] == [{"rule": "abuse.toxicity", "title": "Abuse.Toxicity", "action": "review"}]
    assert numbered[1][1]["rules"] == ["abuse.contempt", "tone.dismissive"]
    marks = {m.number for s in segments("Honestly, what a useless complaint. Get a life.", findings) for m in s.marks}
    assert marks == {2, 3}  # the highlight numbers are the list's numbers
    assert set(segments("Honestly, what a useless complaint. Get a life.", findings)[0].rules) >= {"abuse.contempt", "tone.dismissive"}


def test_findings_that_ask_different_groups_stay_apart() -> None:
    findings = [finding("legal.liability", "review", [[0, 10]], route="legal"), finding("commitments.promises", "review", [[0, 10]])]
    assert [f["rule"] for _, f in numbered_findings(findings)] == ["legal.liability", "commitments.promises"]


def test_findings_about_different_words_or_texts_stay_apart() -> None:
    findings = [
        finding("abuse.insults", "block", [[0, 5]]),
        finding("abuse.profanity", "block", [[10, 15]]),
        finding("abuse.insults", "block", [[0, 5]], target="in_reply_to"),
    ]
    assert len(numbered_findings(findings)) == 2 and len(numbered_findings(findings, "in_reply_to")) == 1
