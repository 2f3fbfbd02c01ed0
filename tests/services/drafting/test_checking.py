"""The Checker: policy per account (cached, reloaded when the file changes), scorer wiring in create_app."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from reviewer.checking import EXTENSION_KEY, Checker, CheckerStartError, build_checker
from reviewer.policy import PolicyError

POLICY = ("schema: 1\nid: t\nversion: '{v}'\nrules:\n"
          "  - {{id: words.bad, kind: lexicon, severity: high, action: block, message: No., source: test, terms: [{term}]}}\n")


def account(policy_file: str = "t.yaml", platform: str = "x") -> SimpleNamespace:
    return SimpleNamespace(policy_file=policy_file, platform=platform)


def test_check_uses_the_account_policy_and_platform(tmp_path) -> None:
    (tmp_path / "t.yaml").write_text(POLICY.format(v=1, term="rubbish"), encoding="utf-8")
    checker = Checker(tmp_path, None)
    verdict = checker.check(account(), "What rubbish")
    assert verdict.decision == "block" and verdict.policy.id == "t"
    assert checker.check(account(), "All good", at=datetime(2026, 1, 1, tzinfo=timezone.utc)).decision == "pass"
    assert checker.scorer_info is None
    assert "no scorer" in repr(checker)


def test_a_policy_is_loaded_once_and_reloaded_when_it_changes(tmp_path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(POLICY.format(v=1, term="rubbish"), encoding="utf-8")
    checker = Checker(tmp_path, None)
    first = checker.policy_for(account())
    assert checker.policy_for(account()) is first
    path.write_text(POLICY.format(v=2, term="nonsense"), encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))
    assert checker.policy_for(account()).version == "2"
    assert checker.check(account(), "What nonsense").decision == "block"
    checker.reload()
    assert checker.policy_for(account()).version == "2"


PARENT = ("schema: 1\nid: base\nversion: '{v}'\nrules:\n"
          "  - {{id: words.bad, kind: lexicon, severity: high, action: block, message: No., source: test, terms: [{term}]}}\n")
CHILD = "schema: 1\nid: child\nversion: '1'\nextends: base.yaml\n"


def _touch_later(path) -> None:
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def test_a_policy_reloads_when_the_parent_it_extends_changes(tmp_path) -> None:
    parent = tmp_path / "base.yaml"
    parent.write_text(PARENT.format(v=1, term="rubbish"), encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    checker = Checker(tmp_path, None)
    first = checker.policy_for(account("child.yaml"))
    assert first.sources == (str(tmp_path / "child.yaml"), str(parent))
    assert checker.check(account("child.yaml"), "What nonsense").decision == "pass"
    parent.write_text(PARENT.format(v=2, term="nonsense"), encoding="utf-8")
    _touch_later(parent)
    assert checker.check(account("child.yaml"), "What nonsense").decision == "block"
    assert checker.policy_for(account("child.yaml")) is checker.policy_for(account("child.yaml"))  # cached again


def test_a_same_size_rewrite_within_the_clock_tick_still_reloads(tmp_path) -> None:
    """Some file systems keep whole-second mtimes: a rewrite in the same second is seen by its inode (editors
    and deploy tools replace the file) or its size."""
    path = tmp_path / "t.yaml"
    path.write_text(POLICY.format(v=1, term="rubbish"), encoding="utf-8")
    checker = Checker(tmp_path, None)
    assert checker.policy_for(account()).version == "1"
    stamp = path.stat().st_mtime_ns
    replacement = tmp_path / "t.yaml.new"
    replacement.write_text(POLICY.format(v=2, term="rubbish"), encoding="utf-8")
    os.utime(replacement, ns=(stamp, stamp))
    os.replace(replacement, path)
    assert checker.policy_for(account()).version == "2"


def test_a_parent_that_disappears_is_a_policy_error_naming_it(tmp_path) -> None:
    parent = tmp_path / "base.yaml"
    parent.write_text(PARENT.format(v=1, term="rubbish"), encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    checker = Checker(tmp_path, None)
    checker.policy_for(account("child.yaml"))
    parent.unlink()
    with pytest.raises(PolicyError, match="extends 'base.yaml': file not found"):
        checker.policy_for(account("child.yaml"))


@pytest.mark.parametrize("name", ["missing.yaml", "../t.yaml", "sub/t.yaml", "t.txt", ""])
def test_a_bad_policy_file_name_is_a_policy_error_naming_it(tmp_path, name) -> None:
    with pytest.raises(PolicyError) as error:
        Checker(tmp_path, None).check(account(name), "hi")
    assert str(tmp_path) in str(error.value)


def test_the_real_scorer_is_recorded_in_every_verdict(checker) -> None:
    verdict = checker.check(account("city-council.yaml"), "Thanks, we'll look into it.")
    assert verdict.scorer is not None and verdict.scorer.name == checker.scorer_info["name"]
    assert "toxicity" in verdict.scores


def test_build_checker_reads_the_config(tmp_path) -> None:
    assert build_checker({"POLICY_DIR": str(tmp_path), "TOXICITY": "none"}).scorer is None
    assert build_checker({"POLICY_DIR": str(tmp_path), "TOXICITY": " Embedded "}).scorer is not None
    with pytest.raises(CheckerStartError, match="TOXICITY=nonsense: .*embedded, detoxify or none"):
        build_checker({"POLICY_DIR": str(tmp_path), "TOXICITY": "nonsense"})


def test_create_app_builds_one_checker(app) -> None:
    from reviewer.web import checker

    built = app.extensions[EXTENSION_KEY]
    assert built.policy_dir == __import__("pathlib").Path(app.config["POLICY_DIR"])
    assert built.scorer is not None  # TOXICITY defaults to embedded
    with app.app_context():
        assert checker() is built
