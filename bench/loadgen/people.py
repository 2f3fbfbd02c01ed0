"""The simulated people: staff drafting (web form or API), approvers deciding (web or API), auditors
browsing, exporting CSV and making small PDF reports. Each person is one thread with one connection.

Every person loops until the run's stop event: one action, then a short
random pause ("think time"). An action in progress always finishes, so
when `run_load` returns no request is left in flight and every outcome is
known to the ledger.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from loadgen.http import EXPECTED_VERSION, Answer, Client, TransportError
from loadgen.ledger import DecisionSeen, DraftSeen, Ledger
from loadgen.site import STREETS, Site, SiteUser

QUEUE_LINK = re.compile(r'href="/review/drafts/(\d+)"')
DRAFT_LOCATION = re.compile(r"/drafts/(\d+)$")
INBOUND_TEXTS = ["The bins on {s} were not collected today.", "There is a big pothole on {s}.",
                 "The streetlight outside my house on {s} has been out for a week.",
                 "Who do I talk to about the graffiti on {s}?"]
#: Drafts the quiet account gets at most, so an auditor's report on it stays small (rendered at once).
QUIET_ACCOUNT_DRAFTS = 40


class Stop(Exception):
    """The run is over; the person leaves after the action in hand."""


@dataclass
class Settings:
    think: tuple[float, float] = (0.2, 1.0)  # seconds between one person's actions (uniform)
    auditor_think: tuple[float, float] = (1.0, 3.0)
    risky_share: float = 0.25  # drafts that need an approver
    decisions: tuple[tuple[str, float], ...] = (("approve", 0.7), ("return", 0.15), ("reject", 0.15))
    timeout: float = 30.0  # per request
    quiet_share: float = 0.03


class Person(threading.Thread):
    """One simulated person: a thread with a keep-alive client."""

    kind = "person"

    def __init__(self, user: SiteUser, base_url: str, site: Site, ledger: Ledger, stop: threading.Event,
                 settings: Settings, seed: int) -> None:
        super().__init__(name=f"{self.kind}:{user.username}", daemon=True)
        self.user, self.site, self.ledger, self.stop_event, self.settings = user, site, ledger, stop, settings
        self.client = Client(base_url, timeout=settings.timeout, token=user.token)
        self.random = random.Random(seed)
        self.actions = 0

    # --- the loop ----------------------------------------------------------------

    def run(self) -> None:
        try:
            self.begin()
            while not self.stop_event.is_set():
                self.act()
                self.actions += 1
                self.pause()
        except Stop:
            pass
        except Exception as error:  # noqa: BLE001 -- a bug in the driver must show up as an error, not vanish
            self.ledger.error(self.kind, "driver", None, f"{type(error).__name__}: {error}")
        finally:
            self.client.close()

    def begin(self) -> None:
        """Before the first action (sign in)."""

    def act(self) -> None:
        raise NotImplementedError

    def pause(self, span: tuple[float, float] | None = None) -> None:
        low, high = span or self.settings.think
        self.stop_event.wait(self.random.uniform(low, high))

    # --- requests ----------------------------------------------------------------

    def call(self, kind: str, method: str, path: str, *, ok: tuple[int, ...], conflict: tuple[int, ...] = (),
             **kwargs) -> Answer | None:
        """One timed request: the answer when its status is in `ok`; None (a conflict or an error, recorded)."""
        try:
            answer = self.client.request(method, path, **kwargs)
        except TransportError as error:
            self.ledger.error(kind, f"{method} {path}", None, str(error))
            return None
        self.ledger.timed(kind, answer.seconds, self.client.base_url)
        if answer.status in ok:
            return answer
        if answer.status in conflict:
            self.ledger.conflict(kind)
            return None
        self.ledger.error(kind, f"{method} {path}", answer.status, answer.excerpt())
        return None

    def signed_in(self) -> None:
        """Sign in through the login form (the answer must be the redirect home)."""
        if self.page("web.login_page", "/login") is None:
            raise Stop
        answer = self.call("web.login", "POST", "/login", ok=(302,), form={
            "csrf_token": self.client.csrf or "", "username": self.user.username, "password": self.user.password,
            "next": ""})
        if answer is None:
            raise Stop  # recorded as an error; this person cannot go on
        self.ledger.audited_action("auth.login")

    def page(self, kind: str, path: str) -> Answer | None:
        """A page this person reads; a redirect to /login means the session was lost (an error)."""
        return self.call(kind, "GET", path, ok=(200,))

    # --- drafting helpers ---------------------------------------------------------------

    def choose_text(self) -> tuple[str, str]:
        """(text, group or 'pass')."""
        if self.random.random() < self.settings.risky_share:
            group = self.random.choice(sorted(self.site.risky_texts))
            return self.random.choice(self.site.risky_texts[group]), group
        return self.random.choice(self.site.clean_texts), "pass"

    def choose_account(self) -> int:
        quiet = self.site.quiet_account_id
        if self.random.random() < self.settings.quiet_share:
            if self.ledger.drafts_for(quiet) < QUIET_ACCOUNT_DRAFTS:
                return quiet
        return self.site.account_id

    def expect_outcome(self, kind: str, draft_id: int, expected: str, state: str, routes: list[str]) -> None:
        """An error when the server's verdict differs from the one the text was chosen for."""
        wanted = ("approved", []) if expected == "pass" else ("pending", [expected])
        if (state, list(routes)) != wanted:
            self.ledger.error(kind, f"draft {draft_id}", None,
                              f"submitted expecting {wanted}, the server said {(state, list(routes))}")


class WebStaff(Person):
    """Writes replies on the compose page and submits them; reads the draft page it is sent to."""

    kind = "staff-web"

    def begin(self) -> None:
        self.signed_in()

    def act(self) -> None:
        account = self.choose_account()
        text, expected = self.choose_text()
        if self.page("web.compose_page", f"/inbox/{account}/compose") is None:
            return
        answer = self.call("web.submit_draft", "POST", f"/inbox/{account}/compose", ok=(302,),
                           form={"csrf_token": self.client.csrf or "", "text": text, "submit_reply": "Submit"})
        if answer is None:
            return
        found = DRAFT_LOCATION.search(answer.location)
        if not found:
            self.ledger.error("web.submit_draft", "compose", 302, f"redirected to {answer.location!r}, not a draft")
            return
        draft_id = int(found.group(1))
        shown = self.page("web.draft_page", f"/drafts/{draft_id}")
        # the draft is stored once the redirect came back; its page's message says what the server decided
        state, routes = ("approved", []) if expected == "pass" else ("pending", [expected])
        if shown is not None:
            if "passes policy and is approved" in shown.text:
                state, routes = "approved", []
            elif (said := re.search(r"Submitted for approval by ([a-z, ]+)\.", shown.text)):
                state, routes = "pending", [g.strip() for g in said.group(1).split(",")]
            self.expect_outcome("web.submit_draft", draft_id, expected, state, routes)
        self.ledger.draft(DraftSeen(draft_id, self.user.username, "web", account, state, tuple(routes)))


class ApiStaff(Person):
    """Submits drafts through POST /api/v1/drafts, sometimes as a reply to an inbound post it adds first."""

    kind = "staff-api"

    def act(self) -> None:
        account = self.choose_account()
        text, expected = self.choose_text()
        body: dict = {"account_id": account, "text": text}
        if self.random.random() < 0.2:
            street = self.random.choice(STREETS)
            inbound = self.call("api.create_inbound", "POST", "/api/v1/inbound", ok=(201,), api=True, body={
                "account_id": account, "author_handle": f"@resident{self.random.randrange(1000)}",
                "text": self.random.choice(INBOUND_TEXTS).format(s=street)})
            if inbound is None:
                return
            body["inbound_id"] = inbound.json()["id"]
            self.ledger.inbound_post(body["inbound_id"])
        answer = self.call("api.submit_draft", "POST", "/api/v1/drafts", ok=(201,), api=True, body=body)
        if answer is None:
            return
        made = answer.json()
        self.expect_outcome("api.submit_draft", made["id"], expected, made["state"], made["routes"])
        self.ledger.draft(DraftSeen(made["id"], self.user.username, "api", account, made["state"],
                                    tuple(made["routes"]), body.get("inbound_id")))
        if self.random.random() < 0.2:
            self.call("api.get_draft", "GET", f"/api/v1/drafts/{made['id']}", ok=(200,), api=True)


class Approver(Person):
    """Picks a draft from one of its groups' queues and decides it (approve, return or reject)."""

    def choose_action(self) -> str:
        roll, total = self.random.random(), 0.0
        for action, share in self.settings.decisions:
            total += share
            if roll < total:
                return action
        return self.settings.decisions[-1][0]

    def comment(self, action: str) -> str:
        return {"approve": "", "reject": "Not something we say in public; please call them instead.",
                "return": "Please soften the wording and try again."}[action]


class WebApprover(Approver):
    kind = "approver-web"

    def begin(self) -> None:
        self.signed_in()

    def act(self) -> None:
        group = self.random.choice(self.user.groups)
        queue = self.page("web.queue_page", f"/review/?group={group}")
        if queue is None:
            return
        waiting = [int(i) for i in QUEUE_LINK.findall(queue.text)]
        if not waiting:
            return
        draft_id = self.random.choice(waiting[:10])
        shown = self.page("web.review_page", f"/review/drafts/{draft_id}")
        if shown is None:
            return
        version = EXPECTED_VERSION.search(shown.text)
        if version is None:  # decided by someone else since the queue was drawn: no forms left
            self.ledger.conflict("web.decide")
            return
        action = self.choose_action()
        fields = {"csrf_token": self.client.csrf or "", "expected_version": version.group(1)}
        if action == "approve":
            fields["group"] = group
        else:
            fields["reason" if action == "reject" else "comment"] = self.comment(action)
        answer = self.call(f"web.{action}", "POST", f"/review/drafts/{draft_id}/{action}", ok=(302,),
                           conflict=(409,), form=fields)
        if answer is not None:
            self.ledger.decision(DecisionSeen(draft_id, self.user.username, action, "web"))


class ApiApprover(Approver):
    kind = "approver-api"

    def act(self) -> None:
        group = self.random.choice(self.user.groups)
        queue = self.call("api.queue", "GET", f"/api/v1/queue?group={group}", ok=(200,), api=True)
        if queue is None:
            return
        items = queue.json()["items"]
        if not items:
            return
        item = self.random.choice(items[:10])["draft"]
        action = self.choose_action()
        body = {"action": action, "expected_version": item["version"]}
        if action == "approve":
            body["group"] = group
        else:
            body["comment"] = self.comment(action)
        answer = self.call(f"api.{action}", "POST", f"/api/v1/drafts/{item['id']}/decision", ok=(200,),
                           conflict=(409,), api=True, body=body)
        if answer is not None:
            decided = answer.json()
            self.ledger.decision(DecisionSeen(item["id"], self.user.username, action, "api"))
            wanted = {"approve": "approved", "reject": "rejected", "return": "returned"}[action]
            if decided["state"] != wanted:
                self.ledger.error(f"api.{action}", f"draft {item['id']}", 200,
                                  f"answered state {decided['state']!r}, expected {wanted!r}")


class Auditor(Person):
    """Browses the trail, reads drafts' stories, exports the last minutes as CSV, makes small PDF reports."""

    kind = "auditor-web"

    def begin(self) -> None:
        self.signed_in()

    def pause(self, span: tuple[float, float] | None = None) -> None:
        super().pause(span or self.settings.auditor_think)

    def act(self) -> None:
        roll = self.random.random()
        if roll < 0.35:
            self.page("web.audit_browse", "/audit/")
        elif roll < 0.5:
            self.page("web.audit_filter", "/audit/?action=draft.approved")
        elif roll < 0.65:
            known = self.ledger.some_draft_ids()
            if known:
                self.page("web.audit_story", f"/audit/drafts/{self.random.choice(known)}")
        elif roll < 0.75:
            self.page("web.response_times", "/review/response-times")
        elif roll < 0.92:
            self.export_csv()
        else:
            self.report()

    def export_csv(self) -> None:
        if self.page("web.audit_browse", "/audit/") is None:  # the form's page (and a fresh CSRF token)
            return
        since = (datetime.now(timezone.utc) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = self.call("web.audit_export_csv", "POST", "/audit/export", ok=(200,), form={
            "csrf_token": self.client.csrf or "", "format": "csv", "from": since, "to": ""})
        if answer is None:
            return
        if not answer.headers.get("content-type", "").startswith("text/csv") or answer.body.count(b"\n") < 2:
            self.ledger.error("web.audit_export_csv", "export", 200,
                              f"not a CSV with rows: {answer.headers.get('content-type')} {answer.excerpt(120)}")
            return
        self.ledger.audited_action("audit.exported")

    def report(self) -> None:
        if self.page("web.reports_page", "/reports/") is None:
            return
        today = datetime.now(timezone.utc).date().isoformat()
        answer = self.call("web.report_pdf", "POST", "/reports/generate", ok=(200,), form={
            "csrf_token": self.client.csrf or "", "since": today, "until": today,
            "account": str(self.site.quiet_account_id)})
        if answer is None:
            return
        if not answer.body.startswith(b"%PDF"):
            self.ledger.error("web.report_pdf", "report", 200, f"not a PDF: {answer.excerpt(120)}")
            return
        self.ledger.audited_action("report.generated", "report.downloaded")


def crowd(site: Site) -> list[tuple[SiteUser, type[Person]]]:
    """Each site user with the behaviour their role and channel give them."""
    kinds: dict[tuple[str, str], type[Person]] = {
        ("staff", "web"): WebStaff, ("staff", "api"): ApiStaff, ("approver", "web"): WebApprover,
        ("approver", "api"): ApiApprover, ("auditor", "web"): Auditor}
    return [(user, kinds[(user.role, user.via)]) for user in site.users]


def run_load(site: Site, base_urls: list[str], duration: float, *, settings: Settings | None = None, seed: int = 1,
             ledger: Ledger | None = None, during: Callable[[Ledger], None] | None = None,
             include: Callable[[SiteUser], bool] | None = None) -> Ledger:
    """Everyone works for `duration` seconds against the instances (people spread round-robin), then stops.

    `during(ledger)`, if given, runs in this thread while the load runs (a fault to inject, progress to
    print); the load stops when both it has returned and `duration` has passed. `include` picks who takes
    part (default: every site user). Returns the ledger once
    every person has finished the action in hand (bounded: a person stuck past the request timeout is an error).
    """
    settings = settings or Settings()
    ledger = ledger or Ledger()
    stop = threading.Event()
    people = [kind(user, base_urls[i % len(base_urls)], site, ledger, stop, settings, seed * 1000 + i)
              for i, (user, kind) in enumerate(crowd(site)) if include is None or include(user)]
    ledger.started = time.monotonic()
    for person in people:
        person.start()
    deadline = ledger.started + duration
    try:
        if during is not None:
            during(ledger)
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))
    finally:
        stop.set()
        give_up = time.monotonic() + settings.timeout * 2 + 5
        for person in people:
            person.join(max(0.1, give_up - time.monotonic()))
        ledger.finished = time.monotonic()
    for person in people:
        if person.is_alive():
            ledger.error(person.kind, person.user.username, None, "still busy after the request timeout (hung)")
    return ledger
