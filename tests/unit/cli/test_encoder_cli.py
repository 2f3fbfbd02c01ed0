"""`reviewer encoder info`: what REVIEWER_ENCODER names, or a clear error (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from encoder_kit import build_tiny_encoder

from reviewer.cli import main


def test_info_names_the_model_its_digest_and_speed(tmp_path: Path) -> None:
    folder = build_tiny_encoder(tmp_path / "tiny")
    result = CliRunner().invoke(main, ["encoder", "info", "--format", "json"], env={"REVIEWER_ENCODER": str(folder)})
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["backend"] == "static" and data["weights"] == str(folder) and len(data["digest"]) == 64
    assert data["one_sentence_ms"] >= 0
    text = CliRunner().invoke(main, ["encoder", "info"], env={"REVIEWER_ENCODER": str(folder)})
    assert text.exit_code == 0 and f"weights: {folder}" in text.output


def test_none_and_a_missing_model(tmp_path: Path) -> None:
    none = CliRunner().invoke(main, ["encoder", "info"], env={"REVIEWER_ENCODER": "none"})
    assert none.exit_code == 0 and "encoder: none" in none.output
    missing = CliRunner().invoke(main, ["encoder", "info"], env={"REVIEWER_ENCODER": str(tmp_path / "absent")})
    assert missing.exit_code == 3 and "not embedded, static, minilm or none, and no folder at" in missing.output


def test_policy_validate_with_the_encoder_off_on_purpose_and_without_one(tmp_path: Path) -> None:
    policy = Path(__file__).resolve().parents[3] / "policies" / "government.yaml"
    off = CliRunner().invoke(main, ["policy", "validate", str(policy)], env={"REVIEWER_ENCODER": "none"})
    assert off.exit_code == 0 and off.output.startswith("ok: ")
    broken = CliRunner().invoke(main, ["policy", "validate", str(policy)],
                                env={"REVIEWER_ENCODER": "embedded", "REVIEWER_ENCODER_DIR": str(tmp_path / "none-built")})
    assert broken.exit_code == 3 and "cannot load the sentence encoder" in broken.output and "reviewer encoder build" in broken.output
