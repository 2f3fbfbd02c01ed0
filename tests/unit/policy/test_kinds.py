"""Every rule kind is declared once, completely: schema model, evaluator, docs row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewer.policy import kinds, schema
from reviewer.policy.rules.base import CompiledRule

DOCS = Path(__file__).resolve().parents[3] / "docs" / "policy-format.md"


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.name)
def test_every_kind_has_models_evaluators_and_a_docs_row(kind: kinds.Kind) -> None:
    assert kind.checks, kind.name
    for check, (model, evaluator) in kind.checks.items():
        assert issubclass(model, schema.RuleCommon)
        assert (kind.name, check) in kinds.RULE_MODELS
        if kind.name != "context":
            assert evaluator is not None and issubclass(evaluator, CompiledRule)
    if kind.match_body is not None:
        assert kind.name in kinds.CONTEXT_KINDS and issubclass(kind.match_body, schema.Model)
        assert kind.checks[None][1] is not None, "a kind usable under context.match needs its own evaluator"
    assert kind.doc
    assert re.search(rf"^\| `{kind.name}` \|", DOCS.read_text(encoding="utf-8"), re.M), f"docs/policy-format.md has no row for {kind.name}"


def test_names_are_unique_and_every_model_has_one_kind() -> None:
    assert len(kinds.KIND_NAMES) == len(set(kinds.KIND_NAMES))
    models = [model for kind in kinds.KINDS for model, _ in kind.checks.values()]
    assert len(models) == len(set(models))
    rule_models = {cls for cls in vars(schema).values()
                   if isinstance(cls, type) and issubclass(cls, schema.RuleCommon) and cls is not schema.RuleCommon}
    assert rule_models == set(models), "a schema rule model that no kind declares (or the reverse)"


def test_only_semantic_rules_need_the_encoder() -> None:
    needing = {kind.name for kind in kinds.KINDS for _, evaluator in kind.checks.values()
               if evaluator is not None and evaluator.needs_encoder}
    assert needing == {"semantic"}
