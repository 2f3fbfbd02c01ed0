"""`reviewer encoder info|build`: the sentence encoder of semantic rules.

Exit status: 0 ok, 3 the encoder could not be loaded or built.
"""

from __future__ import annotations

import json
import os
import sys

import click


@click.group("encoder")
def encoder() -> None:
    """Inspect or build the sentence encoder (REVIEWER_ENCODER)."""


@encoder.command("info")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def info(output_format: str) -> None:
    """Show which encoder REVIEWER_ENCODER names, its weights, digest and speed on one sentence."""
    import time

    from reviewer.encoder import EncoderError, encoder_from_env

    spec = os.environ.get("REVIEWER_ENCODER") or "embedded"
    try:
        loaded = encoder_from_env(os.environ)
    except EncoderError as exc:
        click.echo(f"error: REVIEWER_ENCODER={spec}: {exc}", err=True)
        sys.exit(3)
    if loaded is None:
        click.echo(json.dumps({"encoder": "none"}) if output_format == "json" else
                   "encoder: none (policies with semantic rules will not load)")
        return
    started = time.perf_counter()
    loaded.encode(["Thanks for getting in touch, we'll look into it."], cache=False)
    details = {**loaded.info(), "one_sentence_ms": round((time.perf_counter() - started) * 1000, 2)}
    if output_format == "json":
        click.echo(json.dumps(details, indent=2))
        return
    for key in ("backend", "version", "digest", "dim", "weights", "device", "one_sentence_ms"):
        click.echo(f"{key}: {details[key]}")
    source = details.get("details", {}).get("source")
    if source:
        click.echo(f"source: {source.get('package')} {source.get('version')} {source.get('file')} sha256 {source.get('sha256')}")


@encoder.command("build")
@click.option("--out", type=click.Path(file_okay=False), help="Folder to build into (default: instance/encoder/minilm-l6-v2-static).")
@click.option("--if-missing", is_flag=True, help="Do nothing when the model is already built.")
def build(out: str | None, if_missing: bool) -> None:
    """Distil the pinned all-MiniLM-L6-v2 into the embedded static model (needs torch and model2vec[distill])."""
    from reviewer.encoder.build import main

    args = (["--out", out] if out else []) + (["--if-missing"] if if_missing else [])
    sys.exit(main(args))


commands = [encoder]
