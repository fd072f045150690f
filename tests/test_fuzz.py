"""Fuzzing every URL as every role (issue 19): the test that finds the next hostile-input bug.

For each role and each URL pattern of the permission matrix (tests/test_url_matrix.py: its
objects on the ``world``, their twins on the other convention giving the foreign ids):

- GET with hostile query strings. The parameters: those the page really reads (requests get a
  query dict that notes what the project's code asks it), those its GET forms and links
  expose, those the API's OpenAPI schema declares, and the usual ones (``q``, ``page``,
  ``tri``, ``statut``…). The values: NUL, 10,000 characters, huge, negative and NaN numbers,
  impossible dates, foreign ids, injections, RTL and emoji.
- POST to every form the pages show, read from their HTML as a browser would submit it
  (inputs, selects, checkboxes, textareas, hidden inputs, formset rows and management forms,
  named submit buttons; not the inert ``<template>`` rows), to the forms of the pages the role
  may not see (read as the superuser, the opinion form as a committee member), and to the
  actions no page of the world shows (the signature of a signed convention, the workbook
  confirmation). The data starts from what the form accepts (its page's values; on a create
  form, plausible values corrected until it saves), then one field at a time gets a hostile
  value; hypothesis then changes several fields at once.

How deep: the role that owns a level of access (``PRIMARY``: the Caf's staff for the
convention's forms, the coordinator for the fiches, the committee member for opinions, the
superuser for Caf-level pages, an elected official for reading) walks each field's catalogue
(the values most likely to break first, then a different one from field to field; a field
name seen again, on the edit form of a create form, continues the walk) and each query
parameter's. The other allowed roles send the foreign ids (what their own querysets must
refuse) and the hypothesis examples; a refused role sends every field hostile at once (a
failure is then narrowed down to the field).

Every request runs in a savepoint rolled back at its end: each starts from the same database.
Checked for every request: never a 5xx (nor an answer slower than ``CTG_FUZZ_SLOW`` seconds,
a 502 behind gunicorn). A POST answered with an error (400, 401, 403, 404, 405, its form again
with an invalid field or an alert, a redirect to the login page or with an error message)
leaves every table it wrote to as it was; a 302, or a 200 page without any error (the API
token page shows the new secret in place), is a success and may write. A formset posted with
``TOTAL_FORMS`` = 201 must not build 201 forms (2,000 took a worker a minute). All failures
are reported at the end, grouped by root cause (exception type and the project's deepest
frame), with the URL, field, value and status of each.

Bounded for CI (about 3 minutes for the file on PostgreSQL, 2 on SQLite, on 2 cores).
``CTG_FUZZ_VALUES`` (catalogue values per field for the owning role, default 2; query
parameters get 4 × as many; ``all``: the whole catalogue) and ``CTG_FUZZ_EXAMPLES``
(hypothesis examples per form and per page, default 3) make a longer run;
``CTG_FUZZ_REPORT=dir`` writes each role's failures, answers and timings as JSON there.
Deterministic: a fixed catalogue order, hypothesis derandomized.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz_support import (
    ALL_VALUES,
    HOSTILE_DATES,
    HOSTILE_NUMBERS,
    LONG,
    MANAGEMENT,
    NUL,
    RTL_EMOJI,
    SKIPPED_NAMES,
    Control,
    Form,
    Probe,
    ReadingQueryDict,
    browser_data,
    candidates,
    catching_exceptions,
    failure_report,
    form_of,
    hostile_file,
    invalid_names,
    is_empty,
    links_params,
    parse_forms,
    pattern_of,
    slot_kind,
    values_for,
)
from tests.test_url_matrix import (
    ACT,
    APPROVE,
    CAF,
    CAF_OWN,
    EDIT,
    EXPECTED,
    LOGGED_IN,
    PUBLIC,
    ROLES,
    VIEW,
    build_objects,
    project_patterns,
    url_of,
)


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "all":
        return 10_000
    return int(raw) if raw else default


VALUES = _setting("CTG_FUZZ_VALUES", 2)
EXAMPLES = _setting("CTG_FUZZ_EXAMPLES", 3)
SLOW = float(os.environ.get("CTG_FUZZ_SLOW", "15"))  # seconds: gunicorn's timeout is 30
TOO_MANY_FORMS = 201

HYPOTHESIS = settings(
    max_examples=max(EXAMPLES, 1),
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],  # nothing raises inside: failures are recorded, not shrunk
    suppress_health_check=list(HealthCheck),
)

# Who walks the whole catalogue on the pages of each level of access.
PRIMARY = {
    PUBLIC: "anonymous",
    LOGGED_IN: "elected",
    VIEW: "elected",
    EDIT: "caf_staff",
    ACT: "coordinator",
    APPROVE: "member_caf",
    CAF: "superuser",
    CAF_OWN: "superuser",
    "own": "caf_staff",  # a personal object (an API token) of world.caf_staff
}

# The parameters the views read (grep request.GET) and a few that none does.
COMMON_PARAMS = [
    "q", "page", "tri", "statut", "pilote", "phase", "kind", "thematique", "college",
    "statistique", "renouvellement", "annee", "date", "as_of", "next",
]  # fmt: skip
# Most likely to break something first: the owning role sends the first 4 × CTG_FUZZ_VALUES
# to each parameter a page reads, and one of the others (a different one for each parameter).
GET_VALUES = [
    NUL, "-99999999999999999999", "9" * 5000, "1e309", "NaN", "inf", "9999-12-31",
    "0001-01-01", "31/02/2024", "abc", "", "-1", LONG, "0", RTL_EMOJI, "' OR 1=1 --",
    "<script>alert(1)</script>", "-number", "--", "%", "_",
]  # fmt: skip
# The authentication pages and the admin are Django's own.
SKIPPED_PATTERNS = {"login", "logout", "?"}
# Pages read for their forms besides the matrix's, and as whom when not as the superuser:
# the submitted fiche (the opinion form of a committee member).
EXTRA_PAGES = [("actions:sheet", {"sheet_id": "submitted_sheet"}, "member_caf")]


def _synthetic_forms(url: str) -> dict[str, Form]:
    """The forms no page of the world shows (the convention is signed, no workbook was
    uploaded), as their page would render them."""
    from conventions.forms import SignForm

    token = Form("post", url, "", controls=[Control("token", "input", "hidden")])
    return {
        "conventions:sign": form_of(SignForm, url),
        "evaluation:workbook_confirm": token,
        "diagnostics:cafdata_confirm": token,
    }


def _value_strategy(foreign: list[str]):
    return st.one_of(
        st.sampled_from(ALL_VALUES + foreign + HOSTILE_NUMBERS + HOSTILE_DATES),
        st.text(max_size=60),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats().map(str),
        st.dates().map(lambda d: d.isoformat()),
        st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
    )


def _primary(pattern: str, method: str) -> str | None:
    rule = EXPECTED.get(pattern)
    if rule is None:
        return None
    level = rule.get if method == "GET" else rule.post
    return PRIMARY.get(level) if level else None


# --------------------------------------------------------------------------- the objects


@dataclasses.dataclass
class Foreign:
    """Ids of the other convention's objects: all of them, and the twin of each object of
    this convention (the same kind of object, built in the same order)."""

    ids: list[str]
    twins: dict[str, set[str]]

    def for_field(self, own: set[str], index: int, count: int) -> list[str]:
        """Foreign ids for a field whose own values are ``own``: the twins of those values
        first, then another id (a different one for each field); none for a choice of codes
        (a kind, a frequency). ``count`` 1: one id only, a twin when there is one."""
        values = {v for v in own if v}
        if values and not any(v.isdigit() for v in values):
            return []
        matched = sorted({t for v in own for t in self.twins.get(v, ())} - own, key=int)
        others = [i for i in self.ids if i not in own and i not in matched]
        picked = matched[:count]
        if others and (count > 1 or not picked):
            picked.append(others[index % len(others)])
        return picked


class Walk:
    """The catalogue values each field name (or query parameter) got so far in this test:
    the first time a name comes, its ``first`` values and one of the others; each time it
    comes again (the edit form of a create form, the next list of the API), its ``keep``
    first values and the next ``later`` ones of the others."""

    def __init__(self):
        self.visits: dict[str, int] = {}

    def pick(self, name, values: list, index: int, first: int, keep: int, later: int) -> list:
        visits = self.visits.get(name, 0)
        self.visits[name] = visits + 1
        top, rest = values[: max(first - 1, 0)], values[max(first - 1, 0) :]
        if visits == 0:
            return top + ([rest[index % len(rest)]] if rest else [])
        if not rest:
            return top
        start = index + visits * later
        again = [rest[(start + k) % len(rest)] for k in range(later)]
        return list(dict.fromkeys(top[:keep] + again))


@pytest.fixture
def fuzz_world(world):
    mine = build_objects(world.convention, world.committee, world.epci)
    theirs = build_objects(world.other_convention, world.other_committee, world.other_commune)
    others = [
        world.other_caf, world.other_commune, world.other_convention, world.other_committee,
        world.other_caf_staff, world.other_elected, world.outsider,
    ]  # fmt: skip
    ids = {v for v in theirs.values() if isinstance(v, int)} | {o.pk for o in others}
    twins: dict[str, set[str]] = {}
    for key, value in mine.items():
        if isinstance(value, int):
            twins.setdefault(str(value), set()).add(str(theirs[key]))
    pairs = [
        (world.caf, world.other_caf),
        (world.epci, world.other_commune),
        (world.commune, world.other_commune),
        (world.caf_staff, world.other_caf_staff),
        (world.elected, world.other_elected),
        (world.coordinator, world.other_elected),
    ]
    for ours, their in pairs:
        twins.setdefault(str(ours.pk), set()).add(str(their.pk))
    foreign = Foreign([str(i) for i in sorted(ids)] + ["999999"], twins)
    return world, mine, foreign


# --------------------------------------------------------------------------- the pages


@dataclasses.dataclass
class Target:
    """A form to fuzz: where it posts, and its controls."""

    url: str
    pattern: str
    form: Form
    source: str  # the page and the role it was read as


def _html(response) -> str | None:
    if response is None or response.status_code != 200:
        return None
    if not response.get("Content-Type", "").startswith("text/html"):
        return None
    return response.content.decode(errors="replace")


def _post_targets(html: str, page_url: str, source: str) -> list[Target]:
    targets = []
    for form in parse_forms(html):
        if form.method != "post":
            continue
        action = urljoin(page_url, form.action) if form.action else page_url
        pattern = pattern_of(urlsplit(action).path)
        if pattern in SKIPPED_PATTERNS or pattern.startswith("admin:"):
            continue
        targets.append(Target(action, pattern, form, source))
    return targets


def _get_params(html: str, path: str) -> set[str]:
    names = links_params(html, path)
    for form in parse_forms(html):
        if form.method == "get":
            names.update(n for n in form.names() if n not in SKIPPED_NAMES)
    return names


def _openapi_params(client) -> list[tuple[re.Pattern, set[str]]]:
    """The query parameters the API's OpenAPI schema declares, by path (the API's lists read
    them all at once, which the reading query dict cannot tell apart)."""
    try:
        url = reverse("api:schema")
    except NoReverseMatch:
        return []
    with transaction.atomic(), catching_exceptions():
        try:
            response = client.get(url, {"format": "json"})
            schema = json.loads(response.content) if response.status_code == 200 else {}
        except Exception:  # noqa: BLE001 (no schema: the parameters found by reading)
            schema = {}
        finally:
            transaction.set_rollback(True)
    found = []
    for path, operations in (schema.get("paths") or {}).items():
        names = {
            p["name"]
            for op in operations.values()
            if isinstance(op, dict)
            for p in op.get("parameters", [])
            if p.get("in") == "query"
        }
        if names:
            found.append((re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", path) + "$"), names))
    return found


def _read_as(client, url) -> str | None:
    """A page as another role sees it, read in a savepoint rolled back (its own role's test
    reports its failures)."""
    with transaction.atomic(), catching_exceptions():
        try:
            return _html(client.get(url))
        except Exception:  # noqa: BLE001
            return None
        finally:
            transaction.set_rollback(True)


# --------------------------------------------------------------------------- GET


def _at_once(probe: Probe, method: str, url: str, base: dict, changes: dict, label: str):
    """Every change in one request; when it fails, each change alone, to name the culprit
    (the request with all of them stays reported when none fails alone)."""
    before = len(probe.failures)
    probe.request(method, url, {**base, **changes}, field=label, value=f"{len(changes)} values")
    if len(probe.failures) == before:
        return
    together = probe.failures[before:]
    del probe.failures[before:]
    for name, value in changes.items():
        probe.request(method, url, {**base, name: value}, field=name, value=value)
    if len(probe.failures) == before:
        probe.failures.extend(together)


def fuzz_get(probe: Probe, url: str, read: set[str], depth: str, foreign: list[str], walk: Walk):
    """Hostile query strings on one page. Every parameter at once (the common ones and those
    the page reads), each variant shifting the catalogue; "deep" then walks the catalogue
    for each parameter the page reads, alone, and ends with hypothesis examples."""
    read = read - {"*"}
    names = sorted(set(COMMON_PARAMS) | read)
    catalogue = GET_VALUES + foreign[:3]
    for j in range(1 if depth == "refused" or not read else 2):
        changes = {n: catalogue[(i + j * 7) % len(catalogue)] for i, n in enumerate(names)}
        _at_once(probe, "GET", url, {}, changes, "(every parameter)")
    if depth != "deep" or not read:
        return
    for i, name in enumerate(sorted(read)):
        for value in walk.pick(name, catalogue, i, first=4 * VALUES + 1, keep=4, later=2):
            probe.request("GET", url, {name: value}, field=name, value=value)
        repeated = [catalogue[i % 5], "1"]
        probe.request("GET", url, {name: repeated}, field=name, value=repeated)

    @HYPOTHESIS
    @given(
        data=st.dictionaries(
            st.one_of(st.sampled_from(sorted(read)), st.text(min_size=1, max_size=12)),
            _value_strategy(foreign),
            min_size=1,
            max_size=4,
        )
    )
    def run(data):
        probe.request("GET", url, data, field="+".join(data), value=list(data.values()))

    run()


# --------------------------------------------------------------------------- POST


def _refused(response) -> bool:
    if response is None:
        return False
    if response.status_code in (401, 403, 404, 405):
        return True
    return response.status_code == 302 and "/connexion/" in response.get("Location", "")


@dataclasses.dataclass
class Fields:
    """The fields of one form, the catalogue of each, and the data they start from."""

    base: dict
    slots: list[str]
    kinds: dict[str, str]
    own: dict[str, set[str]]

    def value(self, name, value):
        kind = self.kinds[name]
        if kind == "file":
            return hostile_file(value)
        if kind == "multiple":  # one of its own values, and the hostile one
            return self.base.get(name, [])[:1] + [value]
        return value

    def with_(self, name, value) -> dict:
        data = dict(self.base)
        data[name] = self.value(name, value)
        return data


REPAIRS = 6  # rounds of corrections for the plausible data of a form
REFERENCES = ("choice", "hidden", "multiple")  # fields that name objects: foreign ids
IGNORED_BY_DJANGO = ("-MIN_NUM_FORMS", "-MAX_NUM_FORMS")  # read from the formset, not the POST
LATER_ROW = re.compile(r"^.+-[1-9][0-9]*-[^-]+$")  # a formset's second row and after


def _plausible(probe: Probe, target: Target, start: dict, every: bool) -> tuple[dict, object]:
    """Data the form accepts, as far as can be found: its empty required fields (``every``:
    all its empty fields) filled, then each field the answer shows as invalid given its next
    candidate value, for a few rounds."""
    form = target.form
    data = {k: list(v) for k, v in start.items()}
    used: dict[str, int] = {}

    def next_value(name) -> bool:
        options = candidates(form, name)
        k = used.get(name, -1) + 1
        if k >= len(options):
            return False
        used[name] = k
        data[name] = options[k]
        return True

    for c in form.controls:
        if c.name not in used and is_empty(data.get(c.name)) and (c.required or every):
            next_value(c.name)
    response = None
    for _ in range(REPAIRS):
        response = probe.request("POST", target.url, data, field="(plausible values)")
        html = _html(response)
        if html is None:
            break
        changed = [next_value(n) for n in sorted(invalid_names(html, form))]
        if not any(changed):
            # An error of the whole form: another value for one of the fields filled here.
            if not any(next_value(n) for n in list(used)):
                break
    return data, response


def _accepted(response) -> bool:
    return response is not None and response.status_code in (302, 303)


def _fields(probe: Probe, target: Target) -> tuple[Fields, object]:
    """Post the page's values: the answer says whether this role may post. Then find the
    data the form accepts (empty fields filled, invalid ones corrected), the base that every
    hostile variant changes one field of."""
    form = target.form
    plain = browser_data(form)
    first = probe.request("POST", target.url, plain, field="(page values)")
    base = plain
    if not _refused(first) and form.controls:
        accepted = _accepted(first)
        if not accepted:
            base, response = _plausible(probe, target, plain, every=False)
            accepted = _accepted(response)
        if accepted and any(is_empty(base.get(n)) and candidates(form, n) for n in form.names()):
            fuller, response = _plausible(probe, target, base, every=True)
            if _accepted(response):
                base = fuller
    slots = [
        n for n in form.names() if n not in SKIPPED_NAMES and not n.endswith(IGNORED_BY_DJANGO)
    ]
    own = {
        n: {c.value for c in form.controls if c.name == n}
        | {v for c in form.controls if c.name == n for v, _ in c.options}
        for n in slots
    }
    kinds = {n: slot_kind(form, n) for n in slots}
    return Fields(base, slots, kinds, own), first


def fuzz_post(
    probe: Probe, target: Target, foreign: Foreign, depth: str, big_forms: set, walk: Walk
):
    """One form: "deep" walks each field's catalogue, "light" sends the foreign ids, both
    end with hypothesis; a refused role sends every field hostile at once."""
    fields, first = _fields(probe, target)
    slots, kinds = fields.slots, fields.kinds

    def catalogue(i, name, count):
        ids = foreign.for_field(fields.own[name], i, count)
        return ids, values_for(kinds[name], ids, fields.own[name])

    if _refused(first):
        for j in range(2):
            changes = {}
            for i, name in enumerate(slots):
                values = catalogue(i, name, 1)[1]
                if values:
                    changes[name] = fields.value(name, values[(i + j * 3) % len(values)])
            _at_once(probe, "POST", target.url, fields.base, changes, "(every field)")
        return

    for i, name in enumerate(slots):
        ids, values = catalogue(i, name, VALUES if depth == "deep" else 1)
        if depth == "deep" and not LATER_ROW.match(name):
            # Its foreign ids, then the walk through its catalogue.
            junk = values[len(ids) :] if kinds[name] in REFERENCES else values
            chosen = ids + walk.pick(f"{kinds[name]} {name}", junk, i, VALUES, keep=1, later=1)
        elif kinds[name] in REFERENCES:
            chosen = ids
        else:
            continue
        for value in chosen:
            probe.request("POST", target.url, fields.with_(name, value), field=name, value=value)

    if depth == "deep":
        _too_many_forms(probe, target, fields, big_forms)

    if not slots:
        return
    strategy = _value_strategy(foreign.ids)

    @HYPOTHESIS
    @given(changes=st.dictionaries(st.sampled_from(slots), strategy, min_size=1, max_size=3))
    def run(changes):
        data = dict(fields.base)
        for name, value in changes.items():
            data[name] = fields.value(name, "binary" if kinds[name] == "file" else value)
        probe.request(
            "POST", target.url, data, field="+".join(changes), value=list(changes.values())
        )

    run()


def _too_many_forms(probe: Probe, target: Target, fields: Fields, done: set):
    """A formset posted with TOTAL_FORMS = 201 must not build (nor render) 201 forms: Django
    builds up to 2,000 unless the formset says otherwise, a minute of CPU for one request."""
    for name in fields.slots:
        if not name.endswith("-TOTAL_FORMS"):
            continue
        prefix = name.removesuffix("-TOTAL_FORMS")
        if prefix in done:
            continue
        done.add(prefix)
        started = time.monotonic()
        response = probe.request(
            "POST",
            target.url,
            fields.with_(name, str(TOO_MANY_FORMS)),
            field=name,
            value=str(TOO_MANY_FORMS),
        )
        spent = time.monotonic() - started
        if response is None or response.status_code >= 500:
            continue
        last_row = f'name="{prefix}-{TOO_MANY_FORMS - 1}-'
        if last_row in response.content.decode(errors="replace") or spent > SLOW:
            probe.record(
                "too many forms",
                "POST",
                target.url,
                name,
                str(TOO_MANY_FORMS),
                response.status_code,
                f"formset {prefix!r} builds every form it is sent",
                f"TOTAL_FORMS={TOO_MANY_FORMS}: {TOO_MANY_FORMS} forms built in {spent:.1f} s "
                f"(no max_num/absolute_max: up to 2,000, about a minute)",
            )


# --------------------------------------------------------------------------- the test


def _download(name: str) -> bool:
    rule = EXPECTED.get(name)
    return bool(rule and rule.content_type and not rule.content_type.startswith("text/html"))


def _form_key(target: Target) -> tuple:
    """Forms alike: the same action (its address but the ids: one member's removal stands for
    the others', a fiche's « submit » is not its « abandon ») and the same fields."""
    words = tuple(w for w in urlsplit(target.url).path.split("/") if not w.isdigit())
    return (target.pattern, words, tuple(target.form.names()))


def _kwargs(name: str) -> tuple[str, ...]:
    return next(p.kwargs for p in project_patterns() if p.name == name)


@pytest.fixture(autouse=True)
def _noting_query_reads(monkeypatch):
    """Requests get a query dict that notes which parameters the project reads."""
    import django.core.handlers.wsgi

    monkeypatch.setattr(django.core.handlers.wsgi, "QueryDict", ReadingQueryDict)


def _client(world, role):
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


def _depth(probe: Probe, pattern: str, method: str, response) -> str:
    if _refused(response) or response is None:
        return "refused"
    return "deep" if _primary(pattern, method) == probe.role else "light"


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_hostile_requests_never_fail_nor_write_on_error(fuzz_world, role):
    """Every page and every form of the matrix, as this role, with hostile query strings and
    hostile fields: no 5xx, no write answered with an error (see the module's docstring)."""
    world, objects, foreign = fuzz_world
    started = time.monotonic()
    client = _client(world, role)
    readers = {r: _client(world, r) for r in ("superuser", "member_caf") if r != role}
    probe = Probe(client, role, slow=SLOW)

    # Every page of the matrix, then the extra pages (read for their forms only).
    pages_to_read = [(p.name, url_of(p, objects), "superuser", True) for p in project_patterns()]
    for name, over, reader in EXTRA_PAGES:
        url = reverse(name, kwargs={k: objects[over.get(k, k)] for k in _kwargs(name)})
        pages_to_read.append((name, url, reader, False))

    declared = _openapi_params(readers.get("superuser", client))
    targets: dict[tuple, Target] = {}
    pages = []
    for pattern_name, url, reader, fuzzed in pages_to_read:
        if pattern_name in SKIPPED_PATTERNS:
            continue
        response = probe.request("GET", url, field="(no query)")
        html = _html(response)
        params, found = set(probe.reads), []
        params.update(n for path, names in declared if path.match(url) for n in names)
        if html is not None:
            params |= _get_params(html, url)
            found = _post_targets(html, url, f"{pattern_name} as {role}")
        # The forms this role does not see, as the reader sees them (downloads have none).
        if reader in readers and not _download(pattern_name):
            mine = {t.pattern for t in found}
            ref_html = _read_as(readers[reader], url)
            if ref_html is not None:
                params |= _get_params(ref_html, url)
                theirs = _post_targets(ref_html, url, f"{pattern_name} as {reader}")
                found += [t for t in theirs if t.pattern not in mine]
        for target in found:
            targets.setdefault(_form_key(target), target)
        if fuzzed and EXPECTED[pattern_name].get is not None:
            pages.append((pattern_name, url, params, _depth(probe, pattern_name, "GET", response)))

    # Patterns that take a POST but whose form no page showed: the form its page would show
    # in another state, or an empty one.
    reached = {t.pattern for t in targets.values()}
    for pattern in project_patterns():
        if pattern.name not in reached and EXPECTED[pattern.name].post is not None:
            url = url_of(pattern, objects)
            form = _synthetic_forms(url).get(pattern.name, Form("post", url, ""))
            target = Target(url, pattern.name, form, "synthetic")
            targets[_form_key(target)] = target

    walk = Walk()
    for _name, url, params, depth in pages:
        fuzz_get(probe, url, params, depth, foreign.ids, walk)
    big_forms: set[str] = set()
    for target in targets.values():
        depth = "deep" if _primary(target.pattern, "POST") == role else "light"
        fuzz_post(probe, target, foreign, depth, big_forms, walk)

    elapsed = time.monotonic() - started
    summary = (
        f"{role}: {probe.requests} requests ({dict(probe.by_method)}), {len(targets)} forms, "
        f"{len(pages)} pages, {elapsed:.0f} s, CTG_FUZZ_VALUES={VALUES} "
        f"CTG_FUZZ_EXAMPLES={EXAMPLES}"
    )
    print(summary)
    report_dir = os.environ.get("CTG_FUZZ_REPORT")
    if report_dir:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
        report = {
            "summary": summary,
            "pages": [f"{n} {u} {d} {sorted(p)}" for n, u, p, d in pages],
            "targets": sorted(f"{t.pattern} {t.url} ({t.source})" for t in targets.values()),
            "failures": [dataclasses.asdict(f) for f in probe.failures],
            "statuses": {k: dict(v) for k, v in sorted(probe.statuses.items())},
            "timing": sorted(
                ([k, n, round(t, 2)] for k, (n, t) in probe.timing.items()),
                key=lambda row: -row[2],
            ),
        }
        Path(report_dir, f"{role}.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=1)
        )
    assert probe.requests > len(pages)
    if probe.failures:
        pytest.fail(f"{summary}\n{failure_report(probe.failures)}", pytrace=False)


def test_the_form_reader_sees_what_a_browser_submits():
    """The parser keeps named controls, selected options, checked boxes, named submit buttons
    and controls attached with form="…", and skips <template> rows."""
    html = """
    <form method="post" action="/x/" id="f">
      <input type="hidden" name="csrfmiddlewaretoken" value="t">
      <input name="title" value="Titre">
      <input type="number" name="n-TOTAL_FORMS" value="1">
      <select name="kind"><option value="">--</option><option value="a" selected>A</option>
      </select>
      <select name="many" multiple><option value="1" selected>1</option><option>2</option>
      </select>
      <input type="checkbox" name="box" value="1" checked><input type="checkbox" name="box"
      value="2">
      <textarea name="text">
Ligne</textarea>
      <template><input name="n-__prefix__-x"></template>
      <button name="action" value="save">OK</button>
    </form>
    <input name="outside" value="o" form="f">
    <form method="get"><input name="q"></form>
    """
    post, get = parse_forms(html)
    assert post.names() == [
        "csrfmiddlewaretoken", "title", "n-TOTAL_FORMS", "kind", "many", "box", "text",
        "action", "outside",
    ]  # fmt: skip
    assert browser_data(post) == {
        "csrfmiddlewaretoken": ["t"],
        "title": ["Titre"],
        "n-TOTAL_FORMS": ["1"],
        "kind": ["a"],
        "many": ["1"],
        "box": ["1"],
        "text": ["Ligne"],
        "action": ["save"],
        "outside": ["o"],
    }
    assert [slot_kind(post, n) for n in ("title", "n-TOTAL_FORMS", "kind", "many", "box")] == [
        "text", "management", "choice", "multiple", "multiple",
    ]  # fmt: skip
    assert get.method == "get" and get.names() == ["q"]
    assert MANAGEMENT[0] == "-TOTAL_FORMS"


@pytest.mark.django_db
def test_the_probe_reports_a_server_error_and_a_write_answered_with_an_error():
    """The machinery itself: a crash and a refusal that kept its write are reported; a save
    answered with a redirect and a write undone before the refusal are not."""
    from django.test import override_settings

    from tests.fuzz_support import SelfTestUrls

    with override_settings(ROOT_URLCONF=SelfTestUrls):
        probe = Probe(Client(raise_request_exception=False), "anonymous")
        for url in ("/crash/", "/refuse/", "/save/", "/undo/"):
            probe.request("POST", url, {"x": "1"}, field="x", value="1")
    found = sorted((f.kind, f.url, f.cause.split(" at ")[0]) for f in probe.failures)
    assert found == [
        ("server error", "/crash/", "ZeroDivisionError"),
        ("write on error", "/refuse/", "write on error: auth.Group 0→1 rows"),
    ], found
