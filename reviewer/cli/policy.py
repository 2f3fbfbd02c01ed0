"""`reviewer check` and `reviewer policy validate|test`: the policy engine on the command line.

Exit status of `check`: 0 pass, 1 review, 2 block, 3 usage or policy error.
The policy package is imported inside the commands, so that other commands
of the `reviewer` CLI do not pay for it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

import click

from reviewer.cli.jsonl import LineError
from reviewer.vocabulary import PLATFORM_NAMES

SCORERS = ("embedded", "detoxify", "none")
BATCH = 256
EXIT_BY_DECISION = {"pass": 0, "review": 1, "block": 2}
EXIT_ERROR = 3


class Failure(click.ClickException):
    """A usage, policy or scorer problem: message on stderr, exit status 3."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


class Command(click.Command):
    """A click command whose usage errors exit with 3 (2 means "blocked" here)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = EXIT_ERROR
            raise


class Group(click.Group):
    command_class = Command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = EXIT_ERROR
            raise

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = EXIT_ERROR
            raise


def _parse_date(value: str | None, where: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a date; use YYYY-MM-DD") from None


def load_encoder_or_fail():
    """The sentence encoder REVIEWER_ENCODER names (None for `none`); Failure when it cannot load."""
    from reviewer.encoder import EncoderError, encoder_from_env

    try:
        return encoder_from_env(os.environ)
    except EncoderError as exc:
        raise Failure(f"error: cannot load the sentence encoder: {exc}") from None


def encoder_is_none() -> bool:
    """REVIEWER_ENCODER=none: semantic rules are switched off on purpose."""
    return (os.environ.get("REVIEWER_ENCODER") or "").strip().lower() == "none"


def load_policy_or_fail(path: str | None):
    """The policy named by --policy, REVIEWER_POLICY or the default; Failure on any problem."""
    from reviewer import resources

    chosen = path or os.environ.get("REVIEWER_POLICY") or str(resources.default_policy_file())
    if not Path(chosen).is_file():
        how = "--policy" if path else ("REVIEWER_POLICY" if os.environ.get("REVIEWER_POLICY") else "the default")
        raise Failure(f"error: no policy file at {chosen} (from {how}, relative to {os.getcwd()}); "
                      "pass --policy FILE or set REVIEWER_POLICY")
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder-load") as loading:
        encoder = loading.submit(load_encoder_or_fail)  # the model loads while the policy imports, parses and validates
        from reviewer.policy import PolicyError, load_policy

        try:
            return load_policy(chosen, encoder=encoder, skip_semantic=encoder_is_none())
        except PolicyError as exc:
            raise Failure(str(exc)) from None


def load_scorer_or_fail(name: str):
    """The toxicity scorer named (None for `none`), built by reviewer.toxicity.

    The REVIEWER_DETOXIFY_* settings (checkpoint, config folder, device) are
    honoured, as everywhere else in the product.
    """
    if name == "none":
        return None
    try:
        from reviewer.toxicity import ScorerError, scorer_from_env
    except ImportError as exc:
        raise Failure(f"error: the toxicity scorer '{name}' is not available ({exc}); "
                      "use --scorer none to check without one") from None
    try:
        return scorer_from_env({**os.environ, "REVIEWER_TOXICITY": name})
    except ScorerError as exc:
        raise Failure(f"error: cannot load the toxicity scorer '{name}': {exc}") from None


def _warn_labels(policy: Any, scorer: Any) -> None:
    if scorer is not None:
        for message in policy.unknown_labels(scorer.labels):
            click.echo(f"warning: {message}", err=True)


def _scorer_option(func: Any) -> Any:
    return click.option(
        "--scorer", type=click.Choice(SCORERS), envvar="REVIEWER_TOXICITY", default="embedded", show_default=True,
        help="Toxicity scorer (env REVIEWER_TOXICITY); `none` skips toxicity rules.",
    )(func)


@click.command("check", cls=Command)
@click.argument("text", required=False)
@click.option("--policy", "policy_path", metavar="FILE", help="Policy file (default: REVIEWER_POLICY, else government.yaml in REVIEWER_POLICY_DIR or the shipped policies).")
@click.option("--platform", type=click.Choice(PLATFORM_NAMES), help="Platform the reply is for (enables length limits).")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="Date of publication (default: today in the policy's timezone).")
@click.option("--in-reply-to", "in_reply_to", metavar="TEXT", help="The inbound post being answered.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--jsonl", "jsonl", type=click.File("rb"), metavar="FILE|-",
              help='Check many drafts: one JSON object per line {"id", "text", "platform"?, "in_reply_to"?, "date"?}.')
@_scorer_option
def check(text: str | None, policy_path: str | None, platform: str | None, date_text: str | None,
          in_reply_to: str | None, output_format: str, jsonl: BinaryIO | None, scorer: str) -> None:
    """Check a draft reply (TEXT, or stdin) against the policy and explain the verdict.

    Exit status: 0 pass, 1 needs approval, 2 blocked, 3 usage or policy error.
    """
    if jsonl is not None and text is not None:
        raise Failure("error: give either TEXT or --jsonl, not both")
    try:
        date = _parse_date(date_text, "--date")
    except ValueError as exc:
        raise Failure(f"error: {exc}") from None
    for name, value in (("TEXT", text), ("--in-reply-to", in_reply_to)):
        if value is not None and not _is_utf8(value):
            raise Failure(f"error: {name} is not valid UTF-8 text")
    policy = load_policy_or_fail(policy_path)
    scorer_obj = load_scorer_or_fail(scorer)
    _warn_labels(policy, scorer_obj)
    if jsonl is not None:
        sys.exit(_check_jsonl(policy, scorer_obj, jsonl))
    if text is None:
        try:
            text = sys.stdin.buffer.read().decode("utf-8") if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        except UnicodeDecodeError as exc:
            raise Failure(f"error: the text on stdin is not UTF-8 ({exc.reason} at byte {exc.start})") from None
        if text.endswith("\n"):
            text = text[:-1]
    try:
        verdict = policy.check(text, platform=platform, date=date, in_reply_to=in_reply_to, scorer=scorer_obj)
    except ValueError as exc:
        raise Failure(f"error: {exc}") from None
    if output_format == "json":
        click.echo(verdict.to_json())
    else:
        tty = sys.stdout.isatty()
        click.echo(render_text(text, in_reply_to, verdict, underline=tty))
    sys.exit(EXIT_BY_DECISION[verdict.decision])


def mark_spans(text: str, spans: list[tuple[int, int]], underline: bool) -> str:
    """The text with each span marked: ANSI underline on a terminal, else [[...]]."""
    start_mark, end_mark = ("\x1b[4m", "\x1b[0m") if underline else ("[[", "]]")
    joined: list[list[int]] = []
    for start, end in sorted(spans):
        if joined and start < joined[-1][1]:  # overlapping: one mark; touching ones stay apart
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    out, last = [], 0
    for start, end in joined:
        out += [text[last:start], start_mark, text[start:end], end_mark]
        last = end
    out.append(text[last:])
    return "".join(out)


def decision_line(verdict: Any) -> str:
    if verdict.decision == "block":
        return "BLOCKED"
    if verdict.decision == "review":
        line = "NEEDS APPROVAL" + (f" by {', '.join(verdict.routes)}" if verdict.routes else "")
        return line + (f" ({verdict.approvals} approvals)" if verdict.approvals > 1 else "")
    return "PASS"


def render_text(text: str, in_reply_to: str | None, verdict: Any, underline: bool = False) -> str:
    """The human form of a verdict: the marked draft, each finding with its fix, the decision."""
    lines = ["Draft:"]
    spans = {"draft": [], "in_reply_to": []}
    for finding in verdict.findings:
        spans[finding.target].extend(finding.spans)
    lines += ["  " + line for line in mark_spans(text, spans["draft"], underline).splitlines() or [""]]
    if in_reply_to:
        lines.append("In reply to:")
        lines += ["  " + line for line in mark_spans(in_reply_to, spans["in_reply_to"], underline).splitlines()]
    if verdict.periods:
        lines.append(f"Periods: {', '.join(verdict.periods)}")
    lines.append("")
    if not verdict.findings:
        lines.append("No findings.")
    for number, finding in enumerate(verdict.findings, start=1):
        route = f" -> {finding.route}" if finding.route else ""
        on = " (in the post answered)" if finding.target == "in_reply_to" else ""
        lines.append(f"{number}. {finding.severity.upper()} {finding.rule} [{finding.kind}]: {finding.action}{route}{on}")
        if finding.excerpt:
            lines.append(f"   matched: {finding.excerpt}")
        lines.append(f"   fix: {finding.message}")
        lines.append(f"   source: {finding.source}")
    lines.append("")
    if verdict.scorer is None:
        lines.append("Toxicity: not scored (no scorer)")
    else:
        scores = ", ".join(f"{label} {score:.2f}" for label, score in sorted(verdict.scores.items()))
        lines.append(f"Toxicity ({verdict.scorer.name} {verdict.scorer.version}): {scores}")
    lines.append(f"Policy: {verdict.policy.id} {verdict.policy.version} ({verdict.policy.sha256[:12]})")
    lines.append(decision_line(verdict))
    return "\n".join(lines)


def _is_utf8(value: str) -> bool:
    """False for text with unpaired surrogates (bytes that were not UTF-8, or a JSON "\\ud800")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_line(raw: str) -> tuple[Any, Any]:
    """(id, Draft) for a good input line; raises LineError (with the id when known) for a bad one."""
    from reviewer.policy import Draft

    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LineError(f"bad JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise LineError("each line must be a JSON object with at least \"text\"")
    ident = data.get("id")
    if isinstance(ident, (dict, list)) or (isinstance(ident, str) and not _is_utf8(ident)):
        raise LineError("\"id\" must be a string (UTF-8 text) or a number")
    unknown = sorted(set(data) - {"id", "text", "platform", "in_reply_to", "date"})
    if unknown:
        raise LineError(f"unknown field(s) {', '.join(unknown)}; allowed: id, text, platform, in_reply_to, date", ident)
    text = data.get("text")
    if not isinstance(text, str):
        raise LineError("missing \"text\" (a string)" if text is None else "\"text\" must be a string", ident)
    if not _is_utf8(text):
        raise LineError("\"text\" holds an unpaired surrogate; send UTF-8 text", ident)
    platform = data.get("platform")
    if platform is not None and platform not in PLATFORM_NAMES:
        raise LineError(f"platform {platform!r} is not one of: {', '.join(PLATFORM_NAMES)}", ident)
    in_reply_to = data.get("in_reply_to")
    if in_reply_to is not None and (not isinstance(in_reply_to, str) or not _is_utf8(in_reply_to)):
        raise LineError("\"in_reply_to\" must be a string of UTF-8 text", ident)
    try:
        date = _parse_date(data.get("date"), "date") if data.get("date") is not None else None
    except ValueError as exc:
        raise LineError(str(exc), ident) from None
    return ident, Draft(text, platform, date, in_reply_to)


def _check_jsonl(policy: Any, scorer: Any, stream: BinaryIO) -> int:
    """Check every line, in batches; bad lines get an error object. Returns the exit status."""
    bad = 0
    pending: list[tuple[int, Any, Any]] = []
    out = sys.stdout

    def flush() -> None:
        verdicts = policy.check_batch([draft for _, _, draft in pending], scorer=scorer)
        for (_, ident, _), verdict in zip(pending, verdicts):
            out.write(json.dumps({"id": ident, **verdict.to_dict()}, ensure_ascii=False) + "\n")
        pending.clear()

    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise LineError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
            ident, draft = _parse_line(line)
        except LineError as exc:
            flush()
            bad += 1
            out.write(json.dumps({"id": exc.ident, "line": number, "error": str(exc)}, ensure_ascii=False) + "\n")
            continue
        pending.append((number, ident, draft))
        if len(pending) >= BATCH:
            flush()
    flush()
    out.flush()
    return EXIT_ERROR if bad else 0


@click.group("policy", cls=Group)
def policy() -> None:
    """Validate policy files and run their examples."""


@policy.command("validate")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
def validate(files: tuple[str, ...]) -> None:
    """Check policy files; print "ok: id version sha256" or every error (file:line:col)."""
    from reviewer.policy import PolicyError, load_policy

    failed = False
    encoder = load_encoder_or_fail()
    for path in files:
        try:
            loaded = load_policy(path, encoder=encoder, skip_semantic=encoder_is_none())
        except PolicyError as exc:
            failed = True
            click.echo(str(exc))
            continue
        click.echo(f"ok: {path}: {loaded.id} {loaded.version} {loaded.sha256}")
    sys.exit(EXIT_ERROR if failed else 0)


@policy.command("test")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@_scorer_option
def test(files: tuple[str, ...], scorer: str) -> None:
    """Run each policy's examples; print each failure as a diff of expected and got.

    Exit status: 0 all pass, 1 some example failed, 3 a policy did not load.
    """
    from reviewer.policy import PolicyError, load_policy
    from reviewer.policy.examples import run_examples

    scorer_obj = load_scorer_or_fail(scorer)
    total = failed = broken = 0
    encoder = load_encoder_or_fail()
    for path in files:
        try:
            loaded = load_policy(path, encoder=encoder, skip_semantic=encoder_is_none())
        except PolicyError as exc:
            broken += 1
            click.echo(str(exc))
            continue
        _warn_labels(loaded, scorer_obj)
        results = run_examples(loaded, scorer=scorer_obj)
        total += len(results)
        for result in results:
            if not result.ok:
                failed += 1
                click.echo(result.diff())
                click.echo("")
    scorer_note = "no scorer" if scorer_obj is None else f"scorer {scorer_obj.name}"
    summary = f"{total} examples, {total - failed} passed, {failed} failed ({len(files)} files, {scorer_note})"
    if broken:
        summary += f"; {broken} policy file(s) did not load"
    click.echo(summary)
    sys.exit(EXIT_ERROR if broken else (1 if failed else 0))


commands = [check, policy]

