"""`reviewer check` and `reviewer policy validate|test`: output, exit codes, jsonl batches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewer.cli import main

FIXTURE = str(Path(__file__).resolve().parents[1] / "policy" / "fixtures" / "every_kind.yaml")
QUIET = ["--policy", FIXTURE, "--scorer", "none", "--date", "2026-03-01"]


def run(*args: str, input: str | None = None, env: dict | None = None):
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def test_check_pass() -> None:
    result = run("check", "Thanks, we'll look into it.", *QUIET)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == ["Draft:", "  Thanks, we'll look into it."]
    assert "No findings." in result.stdout
    assert result.stdout.rstrip().endswith("PASS")


def test_check_review_names_the_groups() -> None:
    result = run("check", "About the lawsuit: you people", *QUIET)
    assert result.exit_code == 1
    assert result.stdout.rstrip().endswith("NEEDS APPROVAL by comms, legal (2 approvals)")


def test_check_block_marks_the_spans_and_explains_each_finding() -> None:
    result = run("check", "Call 021 555 0199, idiot", *QUIET)
    assert result.exit_code == 2
    out = result.stdout
    assert "  Call [[021 555 0199]], [[idiot]]" in out
    assert "1. HIGH pii.public [pii]: block" in out
    assert "   matched: 021 555 0199" in out
    assert "   fix: Remove the personal data; ask the person to DM instead." in out
    assert "   source: Test guidance s.3" in out
    assert "2. HIGH abuse.insults [lexicon]: block" in out
    assert "Toxicity: not scored (no scorer)" in out
    assert out.rstrip().endswith("BLOCKED")


def test_check_context_and_period() -> None:
    result = run("check", "We guarantee it", "--policy", FIXTURE, "--scorer", "none", "--date", "2026-09-10",
                 "--in-reply-to", "I want to end it all")
    assert result.exit_code == 1
    assert "In reply to:\n  I want to [[end it all]]" in result.stdout
    assert "Periods: 2026 general election" in result.stdout
    assert "(in the post answered)" in result.stdout


def test_check_json_is_the_verdict() -> None:
    result = run("check", "idiot", *QUIET, "--format", "json", "--platform", "twitter")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["decision"] == "block" and data["findings"][0]["spans"] == [[0, 5]]
    assert data["scorer"] is None


def test_check_reads_stdin() -> None:
    result = run("check", *QUIET, "--format", "json", input="you idiot\n")
    assert json.loads(result.stdout)["findings"][0]["excerpt"] == "idiot"


@pytest.mark.parametrize(("args", "message"), [
    (["check", "hi", "--platform", "myspace"], "Invalid value for '--platform'"),
    (["check", "hi", "--date", "01/02/2026"], "error: --date: '01/02/2026' is not a date; use YYYY-MM-DD"),
    (["check", "hi", "--jsonl", "-"], "error: give either TEXT or --jsonl, not both"),
    (["check", "hi", "--nope"], "No such option '--nope'"),
    (["check", "--jsonl", "/no/such/file.jsonl"], "Invalid value for '--jsonl'"),
    (["policy", "validate"], "Missing argument 'FILE...'"),
    (["policy", "frobnicate"], "No such command 'frobnicate'"),
])
def test_usage_errors_exit_3(args: list[str], message: str) -> None:
    result = run(*args, "--policy", FIXTURE, "--scorer", "none") if args[0] == "check" else run(*args)
    assert result.exit_code == 3
    assert message in result.stderr


def test_policy_errors_exit_3_with_file_line_col(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: '1'\nrules:\n  - {id: a.b, kind: lexcon}\n", encoding="utf-8")
    result = run("check", "hi", "--policy", str(bad), "--scorer", "none")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"{bad}:4:21: [a.b] 'lexcon' is not a valid kind; did you mean 'lexicon'?")
    assert result.stdout == ""


def test_default_policy_and_env(tmp_path, monkeypatch) -> None:
    """From any folder the default is the shipped government.yaml; REVIEWER_POLICY_DIR and REVIEWER_POLICY override."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REVIEWER_POLICY", raising=False)
    monkeypatch.delenv("REVIEWER_POLICY_DIR", raising=False)
    result = run("check", "Thanks, we will look into it", "--scorer", "none")
    assert result.exit_code == 0, result.stderr
    result = run("check", "idiot", "--scorer", "none", env={"REVIEWER_POLICY": FIXTURE})
    assert result.exit_code == 2
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "government.yaml").write_text(Path(FIXTURE).read_text(encoding="utf-8"), encoding="utf-8")
    assert run("check", "idiot", "--scorer", "none", env={"REVIEWER_POLICY_DIR": str(tmp_path / "policies")}).exit_code == 2
    result = run("check", "hi", "--scorer", "none", env={"REVIEWER_POLICY_DIR": str(tmp_path / "missing")})
    assert result.exit_code == 3
    assert "error: no policy file at" in result.stderr and "pass --policy FILE or set REVIEWER_POLICY" in result.stderr

JSONL = "\n".join([
    json.dumps({"id": 1, "text": "Thanks!"}),
    "{not json",
    json.dumps({"id": "b", "text": "idiot", "platform": "x"}),
    json.dumps({"id": "c"}),
    "",
    json.dumps({"id": "d", "text": "hi", "date": "soon"}),
    json.dumps({"id": "e", "text": "hi", "platform": "myspace"}),
    json.dumps(["a list"]),
    json.dumps({"id": "f", "text": "We promise", "date": "2026-09-10", "in_reply_to": "suicide"}),
    json.dumps({"id": "g", "text": "hi", "colour": "red"}),
]) + "\n"


def test_jsonl_checks_every_good_line_and_reports_bad_ones() -> None:
    result = run("check", "--jsonl", "-", "--policy", FIXTURE, "--scorer", "none", input=JSONL)
    assert result.exit_code == 3
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r.get("id"), r.get("decision"), r.get("line")) for r in rows] == [
        (1, "pass", None), (None, None, 2), ("b", "block", None), ("c", None, 4), ("d", None, 6),
        ("e", None, 7), (None, None, 8), ("f", "review", None), ("g", None, 10)]
    errors = {r["line"]: r["error"] for r in rows if "error" in r}
    assert errors == {
        2: "bad JSON: Expecting property name enclosed in double quotes at column 2",
        4: 'missing "text" (a string)',
        6: "date: 'soon' is not a date; use YYYY-MM-DD",
        7: "platform 'myspace' is not one of: x, twitter, facebook, instagram, linkedin",
        8: 'each line must be a JSON object with at least "text"',
        10: "unknown field(s) colour; allowed: id, text, platform, in_reply_to, date",
    }
    assert rows[7]["routes"] == ["political", "safeguarding"]
    assert list(rows[0])[:3] == ["id", "decision", "routes"]


def test_jsonl_all_good_exits_0(tmp_path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": f"reply {i}"}) + "\n" for i in range(600)), encoding="utf-8")
    result = run("check", "--jsonl", str(path), "--policy", FIXTURE, "--scorer", "none")
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == list(range(600))


def test_policy_validate(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\n", encoding="utf-8")
    result = run("policy", "validate", FIXTURE)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"ok: {FIXTURE}: every-kind 1.0 ")
    result = run("policy", "validate", FIXTURE, str(bad))
    assert result.exit_code == 3
    assert f"{bad}:2:10: 'version' must be text; got 1 (int); put it in quotes" in result.stdout


def test_policy_test_passes_and_fails(tmp_path) -> None:
    result = run("policy", "test", FIXTURE, "--scorer", "none")
    assert result.exit_code == 0
    assert result.stdout.strip() == "4 examples, 4 passed, 0 failed (1 files, no scorer)"
    failing = tmp_path / "failing.yaml"
    failing.write_text(Path(FIXTURE).read_text(encoding="utf-8").replace(
        "expect: block\n    rules: [abuse.insults]", "expect: pass\n    rules: [abuse.insults]"), encoding="utf-8")
    result = run("policy", "test", str(failing), "--scorer", "none")
    assert result.exit_code == 1
    assert "  -decision: pass\n  +decision: block" in result.stdout
    assert result.stdout.rstrip().endswith("4 examples, 3 passed, 1 failed (1 files, no scorer)")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [\n", encoding="utf-8")
    result = run("policy", "test", str(broken), FIXTURE, "--scorer", "none")
    assert result.exit_code == 3
    assert "1 policy file(s) did not load" in result.stdout


@pytest.mark.slow
def test_check_with_the_embedded_scorer_warns_about_unknown_labels() -> None:
    result = run("check", "You are a disgusting idiot", "--policy", FIXTURE, "--scorer", "embedded",
                 "--date", "2026-03-01", "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["scorer"]["name"] == "embedded" and "toxicity" in data["scores"]
    assert "toxicity label 'insult' is not produced by the scorer" in result.stderr


def test_text_that_is_not_utf8() -> None:
    result = CliRunner().invoke(main, ["check", *QUIET], input=b"caf\xe9\n")
    assert result.exit_code == 3
    assert "error: the text on stdin is not UTF-8 (invalid continuation byte at byte 3)" in result.stderr
    lines = b'{"id": 1, "text": "caf\xe9"}\n{"id": 2, "text": "\\ud800"}\n{"id": [1], "text": "x"}\n{"id": 3, "text": "ok"}\n'
    result = CliRunner().invoke(main, ["check", "--jsonl", "-", "--policy", FIXTURE, "--scorer", "none"], input=lines)
    assert result.exit_code == 3
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[:3] == [
        {"id": None, "line": 1, "error": "not UTF-8 text (invalid continuation byte at byte 22)"},
        {"id": 2, "line": 2, "error": '"text" holds an unpaired surrogate; send UTF-8 text'},
        {"id": None, "line": 3, "error": '"id" must be a string (UTF-8 text) or a number'},
    ]
    assert rows[3]["id"] == 3 and rows[3]["decision"] == "pass"
