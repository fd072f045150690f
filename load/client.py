"""Bounded load client for ``make load`` (standard library only).

One thread per virtual user, started at ``--spawn-rate`` per second; each logs in
once (GET then POST /connexion/ with the CSRF token; a failed login stops that
user, never retried, so login throttling is never triggered). The measured window
of ``--run-time`` starts when every user has logged in (at most ``--ramp-limit``
after the start): the logins (PBKDF2, about half a CPU second each) are reported
apart, as the ramp-up. In the window each user follows the journey of its role,
with a think time between requests drawn uniformly in ``--think`` (5 to 15 seconds by default:
a person reads a dashboard, a fiche or a form before the next click; ``--think 1-3`` is a
stress test, not a user). Traffic goes to 127.0.0.1 only; every request has a
timeout, every user a request cap, and the whole run a deadline.

Journeys (accounts and targets come from the manifest written by setup_load.py):
- Caf staff: portfolio, a convention's dashboard, its fiche list, a fiche, the XLSX export;
- elected official: Mes conventions, the dashboard, the reports tab, the report PDF;
- coordinator: fiche list, a fiche, its edit form, an indicator page, a new measurement
  (POST; the redirected page must show the success message);
- committee member: "À examiner" inbox, the first fiche there, a favorable opinion
  (POST; the redirected page must show the success message); dashboard when empty.

Every write is appended to ``--writes`` (JSON lines) with whether the server
acknowledged it; ``check_writes.py`` then looks for each acknowledged one in the
database. Prints requests/s, count, p50/p95/p99 per page and the errors.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

HOST = "127.0.0.1"  # loopback only: never another address
TIMEOUT_S = 30
MAX_REQUESTS_PER_USER = 2000
P95_TARGET_MS = 500

PAGES = [  # (method, path pattern, page name), first match wins
    ("GET", r"^/connexion/$", "connexion (formulaire)"),
    ("POST", r"^/connexion/$", "connexion (envoi)"),
    ("GET", r"^/$", "accueil (redirection)"),
    ("GET", r"^/portefeuille/$", "portefeuille"),
    ("GET", r"^/conventions/$", "mes conventions"),
    ("GET", r"^/a-examiner/$", "à examiner"),
    ("GET", r"^/conventions/\d+/$", "synthèse (tableau de bord)"),
    ("GET", r"^/conventions/\d+/plan/$", "plan d'actions (liste des fiches)"),
    ("GET", r"^/conventions/\d+/plan/export\.xlsx$", "export XLSX du plan"),
    ("GET", r"^/conventions/\d+/fiches/\d+/$", "fiche"),
    ("GET", r"^/conventions/\d+/fiches/\d+/modifier/$", "fiche (formulaire de modification)"),
    ("POST", r"^/conventions/\d+/fiches/\d+/avis/$", "avis (envoi)"),
    ("GET", r"^/conventions/\d+/evaluation/indicateurs/\d+/$", "indicateur"),
    ("POST", r"^/conventions/\d+/evaluation/indicateurs/\d+/$", "mesure (envoi)"),
    ("GET", r"^/conventions/\d+/rapports/$", "rapports"),
    ("GET", r"^/conventions/\d+/rapports/\d+/rapport\.pdf$", "rapport PDF"),
]
PAGES = [(m, re.compile(p), n) for m, p, n in PAGES]
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SHEET_LINK_RE = re.compile(r'href="/conventions/(\d+)/fiches/(\d+)/"')
CONVENTION_LINK_RE = re.compile(r'href="/conventions/(\d+)/"')
SUCCESS_RE = re.compile(r'class="alert alert-success')


def page_name(method: str, path: str) -> str:
    path = urlsplit(path).path
    for m, pattern, name in PAGES:
        if m == method and pattern.match(path):
            return name
    return f"{method} {path}"


@dataclass
class Sample:
    name: str
    ms: float
    ok: bool
    detail: str = ""
    phase: str = "steady"


class Run:
    """The clock shared by the virtual users: a ramp-up (everyone logs in, at the spawn
    rate, within ``ramp_limit`` seconds), then the measured window of ``run_time`` seconds
    that starts when the last user has logged in (like locust's --reset-stats)."""

    def __init__(
        self, users: int, run_time: float, ramp_limit: float, think: tuple[float, float] = (5, 15)
    ):
        self.users = users
        self.think = think
        self.run_time = run_time
        self.phase = "ramp"
        self.deadline = time.monotonic() + ramp_limit
        self.go = threading.Event()
        self.lock = threading.Lock()
        self.arrived = 0
        self.all_arrived = threading.Event()
        self.window = (0.0, 0.0)

    def arrive(self) -> None:
        """A user is done with its login (logged in or given up)."""
        with self.lock:
            self.arrived += 1
            if self.arrived == self.users:
                self.all_arrived.set()

    def start_window(self) -> None:
        now = time.monotonic()
        self.phase = "steady"
        self.deadline = now + self.run_time
        self.window = (now, self.deadline)
        self.loadavg = [os.getloadavg()[0]]
        self.go.set()


@dataclass
class Stats:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class StopUser(Exception):
    """The virtual user stops (deadline, cap, or a failed login)."""


class Browser:
    """Cookies, CSRF token and redirects for one virtual user; one connection per request."""

    def __init__(self, port: int, stats: Stats, run: Run):
        self.port = port
        self.origin = f"http://{HOST}:{port}"
        self.stats = stats
        self.run = run
        self.cookies: dict[str, str] = {}
        self.requests = 0

    def _store_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.msg.get_all("Set-Cookie") or []:
            first, _, attrs = header.partition(";")
            name, _, value = first.strip().partition("=")
            attrs = attrs.lower()
            if "max-age=0" in attrs or "expires=thu, 01 jan 1970" in attrs:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method: str, path: str, form: dict | None = None, after_write=False):
        """One request (no redirect followed); returns (status, headers, body)."""
        if time.monotonic() >= self.run.deadline and not after_write:
            raise StopUser("deadline")
        self.requests += 1
        if self.requests > MAX_REQUESTS_PER_USER:
            raise StopUser("request cap")
        headers = {"Accept": "text/html,*/*", "User-Agent": "ctg-load/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        name = page_name(method, path)
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT_S)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            ms = (time.perf_counter() - started) * 1000
            self.stats.add(Sample(name, ms, False, repr(exc)[:120], self.run.phase))
            return 0, {}, b""
        ms = (time.perf_counter() - started) * 1000
        self._store_cookies(response)
        ok = response.status < 400
        detail = "" if ok else f"HTTP {response.status}"
        self.stats.add(Sample(name, ms, ok, detail, self.run.phase))
        return response.status, response.msg, data

    def get(self, path: str, follow: bool = True, *, after_write: bool = False):
        """GET, following redirects (each hop is a sample); returns (status, final path, body).

        ``after_write``: the page a write redirects to, fetched even past the deadline so
        that the write's acknowledgement is always read and recorded."""
        for _ in range(5):
            status, headers, body = self.request("GET", path, after_write=after_write)
            if follow and status in (301, 302, 303) and headers.get("Location"):
                path = urlsplit(headers["Location"]).path or "/"
                continue
            return status, path, body
        return status, path, body

    def post(self, path: str, form: dict) -> tuple[int, str, bytes]:
        """POST then GET the redirect target, as a browser does."""
        status, headers, body = self.request("POST", path, form)
        if status in (301, 302, 303) and headers.get("Location"):
            target = urlsplit(headers["Location"]).path or "/"
            get_status, final, get_body = self.get(target, after_write=True)
            return status, final, get_body
        return status, path, body

    def fail(self, name: str, detail: str) -> None:
        """A request that answered but did not do what it should (counted as an error)."""
        self.stats.add(Sample(name, 0.0, False, detail, self.run.phase))


def csrf_of(body: bytes) -> str | None:
    match = CSRF_RE.search(body.decode("utf-8", "replace"))
    return match.group(1) if match else None


class Writes:
    def __init__(self, path: str):
        self.file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self.lock = threading.Lock()

    def record(self, **entry) -> None:
        with self.lock:
            self.file.write(json.dumps(entry) + "\n")
            self.file.flush()

    def close(self) -> None:
        self.file.close()


class MeasurementSlots:
    """Unique (indicator, date) pairs: days 1 to 27 of each month (scale data measures
    on period ends), never twice in a run (one per indicator and date in the model), after
    the period of the load report (``open_from``: a built report locks its measurements)."""

    def __init__(self, conventions: list[dict]):
        self.lock = threading.Lock()
        self.iters = {}
        for c in conventions:
            start = date.fromisoformat(c.get("open_from") or c["start"])
            end = date.fromisoformat(c["end"])
            days = [
                start + timedelta(days=n)
                for n in range((end - start).days + 1)
                if (start + timedelta(days=n)).day <= 27
            ]
            random.Random(c["id"]).shuffle(days)
            self.iters[c["id"]] = self._pairs(days, list(c["indicators"]))

    @staticmethod
    def _pairs(days, indicators):
        for day in days:
            for indicator in indicators:
                yield indicator, day

    def take(self, convention_id: int):
        with self.lock:
            return next(self.iters[convention_id], None)


class VirtualUser:
    def __init__(self, n, account, manifest, port, stats, writes, slots, run, rng):
        self.n = n
        self.account = account
        self.password = manifest["password"]
        self.conv = next(c for c in manifest["conventions"] if c["id"] == account["convention"])
        self.browser = Browser(port, stats, run)
        self.writes = writes
        self.slots = slots
        self.run_clock = run
        self.rng = rng

    def think(self) -> None:
        pause = self.rng.uniform(*self.run_clock.think)
        if time.monotonic() + pause >= self.run_clock.deadline:
            raise StopUser("deadline")
        time.sleep(pause)

    def login(self) -> None:
        b = self.browser
        status, _, body = b.get("/connexion/")
        token = csrf_of(body)
        if status != 200 or not token:
            b.fail("connexion (envoi)", "no login form")
            raise StopUser("login form")
        self.think()
        status, final, _ = b.post(
            "/connexion/",
            {
                "username": self.account["email"],
                "password": self.password,
                "csrfmiddlewaretoken": token,
            },
        )
        if status != 302 or final.startswith("/connexion/"):
            b.fail("connexion (envoi)", f"login refused ({status})")
            raise StopUser("login refused")

    def run(self) -> None:
        try:
            try:
                self.login()
            finally:
                self.run_clock.arrive()
            self.run_clock.go.wait(timeout=self.run_clock.deadline - time.monotonic() + 1)
            if not self.run_clock.go.is_set():
                return
            journey = getattr(self, f"journey_{self.account['role']}")
            while True:
                self.think()
                journey()
        except StopUser:
            pass

    # ------------------------------------------------------------------ journeys
    def journey_caf_staff(self) -> None:
        b, c = self.browser, self.conv["id"]
        _, _, body = b.get("/portefeuille/")
        linked = [int(x) for x in CONVENTION_LINK_RE.findall(body.decode("utf-8", "replace"))]
        if linked and self.rng.random() < 0.5:
            c = self.rng.choice(linked)
        self.think()
        b.get(f"/conventions/{c}/")
        self.think()
        _, _, body = b.get(f"/conventions/{c}/plan/")
        sheets = SHEET_LINK_RE.findall(body.decode("utf-8", "replace"))
        if sheets:
            self.think()
            conv_id, sheet_id = self.rng.choice(sheets)
            b.get(f"/conventions/{conv_id}/fiches/{sheet_id}/")
        self.think()
        b.get(f"/conventions/{c}/plan/export.xlsx")

    def journey_elected(self) -> None:
        b, c = self.browser, self.conv["id"]
        b.get("/conventions/")
        self.think()
        b.get(f"/conventions/{c}/")
        self.think()
        b.get(f"/conventions/{c}/rapports/")
        self.think()
        b.get(f"/conventions/{c}/rapports/{self.conv['report']}/rapport.pdf")

    def journey_coordinator(self) -> None:
        b, c = self.browser, self.conv["id"]
        b.get(f"/conventions/{c}/plan/")
        if self.conv["editable_sheets"]:
            sheet = self.rng.choice(self.conv["editable_sheets"])
            self.think()
            b.get(f"/conventions/{c}/fiches/{sheet}/")
            self.think()
            b.get(f"/conventions/{c}/fiches/{sheet}/modifier/")
        slot = self.slots.take(c)
        if slot is None:
            return
        indicator, day = slot
        self.think()
        path = f"/conventions/{c}/evaluation/indicateurs/{indicator}/"
        status, _, body = b.get(path)
        token = csrf_of(body)
        if status != 200 or not token:
            b.fail("mesure (envoi)", "no measurement form")
            return
        self.think()
        cents = self.rng.randint(0, 99_999)
        value = f"{cents // 100},{cents % 100:02d}"
        form = {
            "date": day.isoformat(),
            "value": value,
            "comment": f"Essai de charge, utilisateur {self.n}",
            "csrfmiddlewaretoken": token,
        }
        status, final, body = b.post(path, form)
        acked = status == 302 and final == path and bool(SUCCESS_RE.search(body.decode()))
        self.writes.record(
            kind="measurement",
            user=self.account["email"],
            indicator=indicator,
            date=day.isoformat(),
            value=f"{cents // 100}.{cents % 100:02d}",
            status=status,
            acked=acked,
        )
        if not acked:
            b.fail("mesure (envoi)", f"measurement not acknowledged ({status})")

    def _member(self) -> None:
        b = self.browser
        _, _, body = b.get("/a-examiner/")
        sheets = SHEET_LINK_RE.findall(body.decode("utf-8", "replace"))
        if not sheets:
            self.think()
            b.get(f"/conventions/{self.conv['id']}/")
            return
        conv_id, sheet_id = sheets[0]
        self.think()
        path = f"/conventions/{conv_id}/fiches/{sheet_id}/"
        status, _, body = b.get(path)
        token = csrf_of(body)
        if status != 200 or not token:
            b.fail("avis (envoi)", "no opinion form")
            return
        self.think()
        status, final, body = b.post(
            f"{path}avis/", {"decision": "favorable", "comment": "", "csrfmiddlewaretoken": token}
        )
        acked = status == 302 and final == path and bool(SUCCESS_RE.search(body.decode()))
        self.writes.record(
            kind="approval",
            user=self.account["email"],
            sheet=int(sheet_id),
            decision="favorable",
            status=status,
            acked=acked,
        )
        if not acked:
            b.fail("avis (envoi)", f"opinion not acknowledged ({status})")

    journey_member_caf = _member
    journey_member_territory = _member


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_ms:
        return 0.0
    k = max(0, min(len(sorted_ms) - 1, int(-(-p * len(sorted_ms) // 100)) - 1))
    return sorted_ms[k]


def table(samples: list[Sample]) -> tuple[list[float], list[Sample]]:
    """Print count, errors, p50/p95/p99 and max per page; returns all times and errors."""
    by_name = defaultdict(list)
    for s in samples:
        by_name[s.name].append(s)
    header = f"{'page':<38} {'req':>6} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    print(f"{header} {'max ms':>8}")
    for name in sorted(by_name, key=lambda n: -len(by_name[n])):
        group = by_name[name]
        ms = sorted(s.ms for s in group if s.ms > 0)
        err = sum(1 for s in group if not s.ok)
        flag = f"  > {P95_TARGET_MS} ms" if percentile(ms, 95) > P95_TARGET_MS else ""
        print(
            f"{name[:38]:<38} {len(ms):>6} {err:>4} {percentile(ms, 50):>8.0f} "
            f"{percentile(ms, 95):>8.0f} {percentile(ms, 99):>8.0f} {max(ms or [0]):>8.0f}{flag}"
        )
    all_ms = sorted(s.ms for s in samples if s.ms > 0)
    errors = [s for s in samples if not s.ok]
    print(
        f"{'TOTAL':<38} {len(all_ms):>6} {len(errors):>4} {percentile(all_ms, 50):>8.0f} "
        f"{percentile(all_ms, 95):>8.0f} {percentile(all_ms, 99):>8.0f} {max(all_ms or [0]):>8.0f}"
    )
    return all_ms, errors


def report(stats: Stats, run: Run, ramp_seconds: float) -> dict:
    ramp = [s for s in stats.samples if s.phase == "ramp"]
    steady = [s for s in stats.samples if s.phase == "steady"]
    print(f"\nRamp-up: {run.users} logins in {ramp_seconds:.0f} s")
    _, ramp_errors = table(ramp)
    window = run.window[1] - run.window[0] if run.go.is_set() else 0.0
    load = ", ".join(f"{x:.1f}" for x in run.loadavg)
    print(
        f"\nMeasured window: {window:.0f} s with {run.users} users logged in "
        f"(machine load average at its start and end: {load}; 2 cores)"
    )
    all_ms, steady_errors = table(steady)
    errors = ramp_errors + steady_errors
    rps = len(all_ms) / window if window else 0.0
    p95 = percentile(all_ms, 95)
    print(
        f"\n{len(all_ms)} requests in the window, {rps:.1f} requests/s, "
        f"p95 {p95:.0f} ms; errors: {len(errors)} ({len(ramp_errors)} during the ramp-up)"
    )
    shown = defaultdict(int)
    for s in errors:
        shown[(s.name, s.detail)] += 1
    for (name, detail), n in sorted(shown.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  error x{n}: {name}: {detail}")
    return {
        "errors": len(errors),
        "p95_ms": p95,
        "requests": len(all_ms),
        "rps": rps,
        "think_s": list(run.think),
    }


def parse_duration(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|m|min)?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"bad duration {text!r} (e.g. 60s, 5m)")
    value, unit = float(match.group(1)), match.group(2) or "s"
    return value * (60 if unit in ("m", "min") else 1)


def parse_think(text: str) -> tuple[float, float]:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", text.strip())
    if not match or not 0 < float(match.group(1)) <= float(match.group(2)) <= 120:
        raise argparse.ArgumentTypeError(f"bad think time {text!r} (seconds, e.g. 5-15)")
    return float(match.group(1)), float(match.group(2))


def main() -> int:
    parser = argparse.ArgumentParser(description="Bounded CTG load client (127.0.0.1 only).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--writes", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--run-time", type=parse_duration, default=60.0)
    parser.add_argument("--ramp-limit", type=parse_duration, default=120.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--think", type=parse_think, default=(5.0, 15.0), help="seconds between requests, MIN-MAX"
    )
    parser.add_argument("--summary", help="write the figures as JSON here")
    args = parser.parse_args()
    if not 1 <= args.users <= 500 or not 1 <= args.run_time <= 3600 or args.ramp_limit > 600:
        parser.error("--users 1..500, --run-time 1 s..1 h, --ramp-limit up to 10 min")

    manifest = json.loads(open(args.manifest, encoding="utf-8").read())
    by_role = defaultdict(list)
    for account in manifest["accounts"]:
        by_role[account["role"]].append(account)
    roles = sorted(by_role)
    # Interleave the roles so that any number of users is spread evenly over them;
    # beyond the number of accounts, accounts are shared (each virtual user logs in once).
    order = [a for group in itertools.zip_longest(*(by_role[r] for r in roles)) for a in group if a]
    stats, writes = Stats(), Writes(args.writes)
    slots = MeasurementSlots(manifest["conventions"])
    run = Run(args.users, args.run_time, args.ramp_limit, args.think)
    print(
        f"Load: {args.users} users ({', '.join(roles)}), logging in at {args.spawn_rate:g}/s, "
        f"then {args.run_time:.0f} s measured, {args.think[0]:g} to {args.think[1]:g} s of "
        f"think time between requests, against http://{HOST}:{args.port}",
        flush=True,
    )
    started = time.monotonic()
    threads = []
    for n in range(args.users):
        account = order[n % len(order)]
        rng = random.Random(args.seed * 1000 + n)
        vu = VirtualUser(n, account, manifest, args.port, stats, writes, slots, run, rng)
        thread = threading.Thread(target=vu.run, name=f"vu-{n}", daemon=True)
        thread.start()
        threads.append(thread)
        time.sleep(1.0 / args.spawn_rate)
    run.all_arrived.wait(timeout=max(0.0, run.deadline - time.monotonic()))
    ramp_seconds = time.monotonic() - started
    run.start_window()
    for thread in threads:
        thread.join(timeout=max(0.0, run.deadline - time.monotonic()) + TIMEOUT_S + 5)
    run.loadavg.append(os.getloadavg()[0])
    writes.close()
    summary = report(stats, run, ramp_seconds)
    still = sum(t.is_alive() for t in threads)
    if still:
        print(f"  {still} virtual users still waiting on a request at the end (abandoned)")
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump(summary, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
