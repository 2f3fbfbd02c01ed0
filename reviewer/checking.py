"""The checker: an organisation account's policy plus the app's toxicity scorer -> a verdict.

One `Checker` per app (`app.extensions["reviewer.checker"]`), built at
start-up so a missing model fails then, not on the first draft. Policies are
loaded once per file and kept until the file, or a parent it `extends`,
changes on disk (its modification time, size or inode: a replaced file counts
even within one clock tick), so a check never re-reads YAML or reloads the
scorer; it only looks at those files' stat.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import click

from reviewer.policy import Draft, Policy, PolicyError, PolicyIssue, Verdict, load_policy
from reviewer.toxicity import Scorer, ScorerError

EXTENSION_KEY = "reviewer.checker"
# Checked once per policy at start-up (`Checker.warm`): sentences, a number, a link and a reply, so
# every kind of rule runs once. Not stored; the encoder's sentence cache keeps their vectors.
WARM_UP_TEXTS = (
    "Thanks for getting in touch with us today. Call 0800 555 0199 or see https://www.example.govt.nz/help!",
    "We are sorry about the delay; our team will look into it and reply within 5 working days.",
)
WARM_UP_REPLY_TO = "When will someone fix the streetlight on my road?"
#: How often warm_encoder() runs the sentence encoder on WARM_UP_TEXTS (about 4 ms each on the embedded model): a new
#: text's encoding took 8.7 ms after one run and 7.0 ms after twenty, as after a dozen real checks.
ENCODER_WARM_UP_RUNS = 20


class CheckerStartError(click.ClickException):
    """The app cannot start because its toxicity model cannot be loaded."""


class CheckAccount(Protocol):
    """What the checker needs of an organisation account."""

    platform: str
    policy_file: str


class Checker:
    """Checks texts against the policy each account names, with one shared scorer."""

    def __init__(self, policy_dir: Path | str, scorer: Scorer | None, encoder: Any = None,
                 skip_semantic: bool = False) -> None:
        self.policy_dir = Path(policy_dir)
        self.scorer = scorer
        self.encoder = encoder  # the sentence encoder of semantic rules (reviewer.encoder); None: none
        self.skip_semantic = skip_semantic  # ENCODER=none: semantic rules do not apply
        self._policies: dict[str, tuple[Stamp, Policy]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        scorer = f"{self.scorer.name} {self.scorer.version}" if self.scorer else "no scorer"
        return f"<Checker {self.policy_dir} with {scorer}>"

    @property
    def scorer_info(self) -> dict[str, Any] | None:
        """The scorer's name and version (as in every verdict), or None without one."""
        if self.scorer is None:
            return None
        return {"name": str(self.scorer.name), "version": str(self.scorer.version)}

    def policy_for(self, account: CheckAccount) -> Policy:
        """The account's compiled policy; raises PolicyError naming the file when it cannot load."""
        return self.policy(account.policy_file)

    def policy(self, policy_file: str) -> Policy:
        """The compiled policy `policy_file` (a name inside the policy folder), reloaded when it or a parent changes."""
        path = self._path(policy_file)
        cached = self._policies.get(policy_file)
        if cached is not None and cached[0] == file_stamp(cached[1].sources):
            return cached[1]
        with self._lock:
            cached = self._policies.get(policy_file)
            if cached is None or cached[0] != file_stamp(cached[1].sources):
                cached = _load_stamped(path, cached[1].sources if cached else (str(path),), self.encoder,
                                       self.skip_semantic)
                self._policies[policy_file] = cached
        return cached[1]

    def warm(self) -> None:
        """Load every policy of the folder now (start-up) and run one real check through each, so the
        first live check costs what the rest do: what a policy builds on first use (its semantic
        classifiers, read from the encoder's cache), the scorer's and the encoder's first call.
        A policy that does not load is left for its first check (or `reviewer config check`) to report."""
        for path in sorted(self.policy_dir.glob("*.y*ml")):
            try:
                policy = self.policy(path.name)
            except (PolicyError, OSError):
                continue
            policy.check_batch([Draft(text, None, None, WARM_UP_REPLY_TO) for text in WARM_UP_TEXTS], scorer=self.scorer)
            policy.check(WARM_UP_TEXTS[0], scorer=self.scorer)  # one draft alone takes the single-text paths

    def warm_encoder(self, runs: int = ENCODER_WARM_UP_RUNS) -> None:
        """Run the sentence encoder itself `runs` times on the warm-up sentences, past its cache: in a server
        worker forked from a process that warmed the checker, warm()'s checks find every sentence in the
        cache that came with the fork, and ONNX Runtime's first runs in a process are the slow ones."""
        if self.encoder is not None:
            for _ in range(runs):
                self.encoder.encode(WARM_UP_TEXTS, cache=False)

    def reload(self) -> None:
        """Forget every loaded policy (the next check loads each again)."""
        with self._lock:
            self._policies.clear()

    def check(
        self,
        account: CheckAccount,
        text: str,
        *,
        in_reply_to: str | None = None,
        at: datetime | None = None,
    ) -> Verdict:
        """Check `text` as a reply from `account`, on its platform, dated `at` (default now)."""
        policy = self.policy_for(account)
        when = at or datetime.now(timezone.utc)
        return policy.check(text, platform=account.platform, date=when, in_reply_to=in_reply_to, scorer=self.scorer)

    def _path(self, policy_file: str) -> Path:
        name = Path(policy_file)
        if not policy_file or name.name != policy_file or name.suffix not in (".yaml", ".yml"):
            message = "a policy file is a .yaml file name directly inside the policy folder"
            raise PolicyError([PolicyIssue(str(self.policy_dir / policy_file), 1, 1, None, message)])
        return self.policy_dir / name


#: Per file: (modification time in ns, size, inode), or None when it cannot be read.
Stamp = tuple[tuple[int, int, int] | None, ...]


def file_stamp(paths: tuple[str, ...]) -> Stamp:
    """What a change to any of `paths` changes."""
    stamps = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            stamps.append(None)
        else:
            stamps.append((info.st_mtime_ns, info.st_size, info.st_ino))
    return tuple(stamps)


def _load_stamped(path: Path, sources: tuple[str, ...], encoder: Any = None,
                  skip_semantic: bool = False) -> tuple[Stamp, Policy]:
    """Load `path` with the stamp its files had before they were read, so an edit made while loading
    is seen on the next check. `sources` is the guess at which files it reads (the last load's);
    when the policy turns out to read others (its `extends` changed), it is loaded again with those."""
    for _ in range(3):
        before = file_stamp(sources)
        policy = load_policy(path, encoder=encoder, skip_semantic=skip_semantic)  # raises PolicyError naming the file and what is wrong with it
        if policy.sources == sources:
            break
        sources = policy.sources
    return before, policy


def build_checker(config: Any) -> Checker:
    """The checker the app config describes: POLICY_DIR, TOXICITY (a backend name or `none`)
    and ENCODER (embedded, static, minilm, a model folder or `none`; built models in ENCODER_DIR).

    Raises CheckerStartError (a click error saying what to do) when a model cannot load. The
    encoder is warmed with one sentence, so the first live check costs what the rest do.
    """
    from reviewer.encoder import EncoderError, load_encoder
    from reviewer.toxicity import load_scorer

    backend = str(config.get("TOXICITY") or "embedded").strip().lower()
    try:
        scorer = None if backend == "none" else load_scorer(backend)  # detoxify reads REVIEWER_DETOXIFY_*
    except ScorerError as error:
        raise CheckerStartError(
            f"TOXICITY={backend}: {error} Set REVIEWER_TOXICITY to embedded, detoxify or none."
        ) from None
    spec = str(config.get("ENCODER") or "embedded").strip()
    try:
        encoder = load_encoder(spec, config.get("ENCODER_DIR") or None)
        if encoder is not None:
            encoder.encode(["Thanks for getting in touch."], cache=False)
    except EncoderError as error:
        raise CheckerStartError(
            f"ENCODER={spec}: {error} Set REVIEWER_ENCODER to embedded, static, minilm, a model folder or none."
        ) from None
    checker = Checker(Path(config["POLICY_DIR"]), scorer, encoder, skip_semantic=spec.lower() == "none")
    checker.warm()
    return checker
