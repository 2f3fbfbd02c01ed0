"""`reviewer toxicity info|score`, run through click's CliRunner with the real embedded model."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from reviewer.cli.toxicity import score_jsonl, toxicity
from reviewer.toxicity import clear_cache, load_scorer


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("REVIEWER_TOXICITY", "REVIEWER_DETOXIFY_MODEL", "REVIEWER_DETOXIFY_CHECKPOINT",
                 "REVIEWER_DETOXIFY_CONFIG_DIR", "REVIEWER_DETOXIFY_DEVICE"):
        monkeypatch.delenv(name, raising=False)
    clear_cache()


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(toxicity, list(args), input=input)


def test_info_text_names_backend_version_labels_and_weights():
    result = run("info")
    assert result.exit_code == 0, result.output
    assert "backend:" in result.output and "embedded" in result.output
    assert "alt-profanity-check 1.9.1+identity-1" in result.output
    assert "labels:" in result.output and "toxicity" in result.output
    assert "weights:" in result.output and "device:" in result.output


def test_info_json():
    result = run("info", "--backend", "embedded", "--format", "json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["backend"] == "embedded" and info["labels"] == ["toxicity"] and info["device"] == "cpu"


def test_score_one_text():
    result = run("score", "you are a stupid idiot")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)["scores"]
    assert list(scores) == ["toxicity"] and scores["toxicity"] > 0.9


def test_score_jsonl_from_stdin_keeps_order_and_reports_bad_lines():
    lines = [
        json.dumps({"id": "a", "text": "Thanks, we will call you back today."}),
        "{not json",
        json.dumps({"id": 7, "text": 5}),
        "",
        json.dumps({"id": "b", "text": "you are a stupid idiot"}),
        json.dumps(["no", "object"]),
        json.dumps({"id": "c"}),
    ]
    result = run("score", "--jsonl", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 1, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in out] == ["a", None, 7, "b", None, "c"]
    assert out[0]["scores"]["toxicity"] < 0.5 and out[3]["scores"]["toxicity"] > 0.9
    assert out[1] == {"id": None, "line": 2, "error": out[1]["error"]} and "not valid JSON" in out[1]["error"]
    assert out[2]["line"] == 3 and "must be a string" in out[2]["error"]
    assert out[4]["line"] == 6 and "JSON object" in out[4]["error"]
    assert out[5]["line"] == 7 and 'missing "text"' in out[5]["error"]


def test_score_jsonl_file_all_good_exits_zero(tmp_path):
    path = tmp_path / "drafts.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": f"Reply number {i}"}) + "\n" for i in range(5)), encoding="utf-8")
    result = run("score", "--jsonl", str(path))
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == list(range(5))


def test_batches_in_chunks_match_one_big_batch():
    scorer = load_scorer("embedded")
    text = "".join(json.dumps({"id": i, "text": f"you idiot number {i}" if i % 3 else "hello"}) + "\n" for i in range(10))
    small, large = io.StringIO(), io.StringIO()
    assert score_jsonl(scorer, io.StringIO(text + "oops\n"), small, batch=3) == 1
    assert score_jsonl(scorer, io.StringIO(text + "oops\n"), large, batch=1000) == 1
    assert small.getvalue() == large.getvalue()
    assert len(small.getvalue().splitlines()) == 11


def test_text_and_jsonl_together_is_a_usage_error():
    result = run("score", "hello", "--jsonl", "-", input="")
    assert result.exit_code == 2 and "either TEXT or --jsonl" in result.output
    assert run("score").exit_code == 2


def test_scorer_error_goes_to_stderr_with_exit_3(tmp_path, monkeypatch):
    monkeypatch.setenv("REVIEWER_DETOXIFY_CHECKPOINT", str(tmp_path / "missing.ckpt"))
    monkeypatch.setenv("REVIEWER_DETOXIFY_CONFIG_DIR", str(tmp_path))
    result = run("info", "--backend", "detoxify")
    assert result.exit_code == 3
    assert "missing.ckpt" in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""


def test_unknown_backend_in_the_environment_exits_3(monkeypatch):
    monkeypatch.setenv("REVIEWER_TOXICITY", "perspective")
    result = run("score", "hello")
    assert result.exit_code == 3 and "choose one of: embedded, detoxify" in result.stderr


def test_the_root_command_has_the_toxicity_group():
    from reviewer.cli import main

    result = CliRunner().invoke(main, ["toxicity", "--help"])
    assert result.exit_code == 0 and "info" in result.output and "score" in result.output
