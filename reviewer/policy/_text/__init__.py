"""Private helpers for the text-matching primitives (character folding, check digits)."""
