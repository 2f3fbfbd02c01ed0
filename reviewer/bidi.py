"""Keep user text from reordering the page around it.

A display name, a post's author handle, a comment or a draft may carry
Unicode's explicit direction controls: the embeddings and overrides
U+202A-U+202E and the isolates U+2066-U+2069. Left open, a RIGHT-TO-LEFT
OVERRIDE at the end of a name reverses the rest of its line: "approved by
Mallory<RLO> for comms" shows the words after the name backwards, and a
crafted name can pass for another person's.

`isolate` wraps such a value in FIRST STRONG ISOLATE ... POP DIRECTIONAL
ISOLATE. By the Unicode bidirectional algorithm (UAX #9, rule X6a) the
closing isolate ends every embedding and override opened inside it, so the
value keeps its own direction and nothing outside it moves. Isolates the
value leaves open get their closing marks first, and a closing isolate with
no opener in the value (which would end the wrapper early) is dropped. The
added marks are invisible and valid in text and attribute values alike.
Values without direction controls, markup the app built itself and
non-strings pass through unchanged, so ordinary text costs one regex search.

Both Jinja environments (the pages and the PDF report) use it as their
`finalize`, so every `{{ ... }}` gets it without a template naming it.

`as_written` is the one way out, for a draft's or post's own text shown in a
block of its own (the highlighted text, the report's draft column): there the
block's edge already ends every control, and splitting the text at each
highlight would show the approver something other than what will be posted.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
_ISOLATE_OPENERS = "\u2066\u2067\u2068"
_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def isolate(value: object) -> object:
    """`value` wrapped so its direction controls cannot leak out (see the module's docstring)."""
    if not isinstance(value, str) or isinstance(value, Markup) or not _CONTROLS.search(value):
        return value
    kept: list[str] = []
    still_open = 0
    for char in value:
        if char in _ISOLATE_OPENERS:
            still_open += 1
        elif char == POP_DIRECTIONAL_ISOLATE:
            if not still_open:
                continue  # it would close the wrapper and free what follows
            still_open -= 1
        kept.append(char)
    return FIRST_STRONG_ISOLATE + "".join(kept) + POP_DIRECTIONAL_ISOLATE * (still_open + 1)


def as_written(value: object) -> Markup:
    """`value` escaped but not isolated: only for text in a block of its own (see the module's docstring)."""
    return escape(value)
