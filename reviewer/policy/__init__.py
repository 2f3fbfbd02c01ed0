"""Policy engine: YAML policies, evasion-resistant matching, verdicts (pure Python)."""
