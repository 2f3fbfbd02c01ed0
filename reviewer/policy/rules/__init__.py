"""Rule kinds: each compiles its config once and evaluates a scanned text.

Which evaluator belongs to which kind is declared in reviewer/policy/kinds.py.
The shared types (`Scan`, `Span`, `Hit`, `CompiledRule`) are in `base.py`.
"""
