"""`reviewer toxicity info|score`: inspect the configured scorer and score texts.

The backend is --backend, else REVIEWER_TOXICITY, else `embedded`; the
detoxify backend reads REVIEWER_DETOXIFY_* (see docs/toxicity.md).
Exit status: 0 done, 1 some --jsonl lines were bad (each gets an error
object), 2 usage error, 3 the scorer could not be loaded.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

import click

from reviewer.cli.jsonl import LineError

from reviewer.toxicity import BACKENDS, ScorerError, scorer_from_env

EXIT_BAD_LINES = 1
EXIT_SCORER = 3
BATCH = 256


def load_or_exit(backend: str | None):
    """The scorer for `backend` (or the environment's); on ScorerError, the message and exit 3."""
    env = dict(os.environ)
    if backend:
        env["REVIEWER_TOXICITY"] = backend
    try:
        return scorer_from_env(env)
    except ScorerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_SCORER)


def _backend_option(func: Any) -> Any:
    return click.option(
        "--backend", type=click.Choice(BACKENDS), default=None,
        help="Scorer backend (default: REVIEWER_TOXICITY, else embedded).",
    )(func)


@click.group("toxicity")
def toxicity() -> None:
    """Inspect the toxicity scorer and score texts with it."""


@toxicity.command("info")
@_backend_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def info(backend: str | None, output_format: str) -> None:
    """Backend, version, labels, where the weights came from, device."""
    details = load_or_exit(backend).info()
    if output_format == "json":
        click.echo(json.dumps(details, indent=2, ensure_ascii=False))
        return
    for key in ("backend", "version", "labels", "weights", "device", "measures"):
        value = ", ".join(details[key]) if key == "labels" else details[key]
        click.echo(f"{key + ':':20} {value}")
    for key, value in details.get("details", {}).items():
        click.echo(f"{key + ':':20} {value}")


@toxicity.command("score")
@click.argument("text", required=False)
@click.option("--jsonl", "jsonl", type=click.File("r", encoding="utf-8"), metavar="FILE|-",
              help='Score many texts: one JSON object per line {"id", "text"}; prints {"id", "scores"} per line.')
@_backend_option
def score(text: str | None, jsonl: TextIO | None, backend: str | None) -> None:
    """Score TEXT (or every line of --jsonl) and print the scores as JSON."""
    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE (use - for stdin), not both or neither")
    scorer = load_or_exit(backend)
    if text is not None:
        click.echo(json.dumps({"scores": scorer.score([text])[0]}, ensure_ascii=False))
        return
    sys.exit(EXIT_BAD_LINES if score_jsonl(scorer, jsonl, sys.stdout) else 0)


def parse_line(raw: str) -> tuple[Any, str]:
    """(id, text) from one --jsonl line, or LineError saying what is wrong with it."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LineError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(record, dict):
        raise LineError(f"expected a JSON object with \"text\", got {type(record).__name__}")
    ident = record.get("id")
    if "text" not in record:
        raise LineError("missing \"text\"", ident)
    if not isinstance(record["text"], str):
        raise LineError(f"\"text\" must be a string, got {type(record['text']).__name__}", ident)
    return ident, record["text"]


def score_jsonl(scorer: Any, stream: TextIO, out: TextIO, batch: int = BATCH) -> int:
    """Score every line in batches, keeping input order; return the number of bad lines."""
    bad = 0
    pending: list[tuple[Any, str | None, dict | None]] = []  # (id, text, error record)

    def flush() -> None:
        scores = iter(scorer.score([text for _, text, error in pending if error is None]))
        for ident, _, error in pending:
            record = error if error is not None else {"id": ident, "scores": next(scores)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        pending.clear()

    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            ident, text = parse_line(raw)
        except LineError as exc:
            bad += 1
            pending.append((exc.ident, None, {"id": exc.ident, "line": number, "error": str(exc)}))
            continue
        pending.append((ident, text, None))
        if len(pending) >= batch:
            flush()
    flush()
    out.flush()
    return bad


commands = [toxicity]
