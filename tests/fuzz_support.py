"""The machinery of the fuzz test (tests/test_fuzz.py): read a page's forms from its HTML, build
the data a browser would post, the hostile values, and send each request in a savepoint rolled
back at its end while recording every server error and every write answered with an error.

Nothing here asserts: a :class:`Probe` collects :class:`Failure` records, and
:func:`failure_report` turns them into one message grouped by root cause.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import sys
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.db import connection, transaction
from django.http import QueryDict
from django.urls import Resolver404, resolve

# --------------------------------------------------------------------------- reading forms


@dataclass
class Control:
    """One named control of a form, as the HTML declares it."""

    name: str
    tag: str  # input, select, textarea, button
    type: str = "text"  # the input's type ("select", "select-multiple", "textarea"…)
    value: str = ""
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)
    required: bool = False
    invalid: bool = False  # shown with its error (class is-invalid)


@dataclass
class Form:
    method: str
    action: str  # as written in the page (may be empty: the page itself)
    enctype: str
    id: str = ""
    controls: list[Control] = field(default_factory=list)

    def names(self) -> list[str]:
        seen = []
        for c in self.controls:
            if c.name not in seen:
                seen.append(c.name)
        return seen


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._by_id: dict[str, Form] = {}
        self._select: Control | None = None
        self._option: list | None = None  # [value or None, selected, text]
        self._textarea: Control | None = None
        self._orphans: list[tuple[str, Control]] = []  # controls with form="id"
        self._template = 0  # inside <template>: inert, a browser submits none of it

    def _add(self, attrs: dict, control: Control) -> None:
        if self._template:
            return
        owner = attrs.get("form")
        if owner:
            self._orphans.append((owner, control))
        elif self._form is not None:
            self._form.controls.append(control)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "template":
            self._template += 1
        elif tag == "form":
            self._form = Form(
                method=a.get("method", "get").lower(),
                action=a.get("action", ""),
                enctype=a.get("enctype", ""),
                id=a.get("id", ""),
            )
            self.forms.append(self._form)
            if self._form.id:
                self._by_id[self._form.id] = self._form
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("image", "reset"):
                return
            self._add(
                a,
                Control(
                    name=a["name"],
                    tag="input",
                    type=kind,
                    value=a.get("value", "" if kind not in ("checkbox", "radio") else "on"),
                    checked="checked" in a,
                    required="required" in a,
                    invalid="is-invalid" in a.get("class", "").split(),
                ),
            )
        elif tag == "button" and a.get("name"):
            if a.get("type", "submit").lower() == "submit":
                self._add(
                    a,
                    Control(name=a["name"], tag="button", type="submit", value=a.get("value", "")),
                )
        elif tag == "select" and a.get("name"):
            self._select = Control(
                name=a["name"],
                tag="select",
                type="select-multiple" if "multiple" in a else "select",
                required="required" in a,
                invalid="is-invalid" in a.get("class", "").split(),
            )
            self._add(a, self._select)
        elif tag == "option" and self._select is not None:
            self._flush_option()
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea" and a.get("name"):
            self._textarea = Control(
                name=a["name"],
                tag="textarea",
                type="textarea",
                required="required" in a,
                invalid="is-invalid" in a.get("class", "").split(),
            )
            self._add(a, self._textarea)

    def _flush_option(self):
        if self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select.options.append((text.strip() if value is None else value, selected))
        self._option = None

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "template":
            self._template = max(0, self._template - 1)
        elif tag == "form":
            self._form = None
        elif tag == "option":
            self._flush_option()
        elif tag == "select":
            self._flush_option()
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]
            self._textarea = None

    def close(self):
        super().close()
        for owner, control in self._orphans:
            if owner in self._by_id:
                self._by_id[owner].controls.append(control)


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_of(django_form, url: str) -> Form:
    """A form as its page would render it, from a Django form class (for the actions whose
    form no page of the world shows), every control empty."""
    controls = []
    for name, form_field in django_form().fields.items():
        widget = form_field.widget
        kind = getattr(widget, "input_type", None) or "textarea"
        if kind == "select" and getattr(widget, "allow_multiple_selected", False):
            kind = "select-multiple"
        tag = "select" if kind.startswith("select") else "input"
        choices = getattr(form_field, "choices", []) if tag == "select" else []
        options = [(str(v), False) for v, _ in choices]
        controls.append(Control(name=name, tag=tag, type=kind, options=options))
    return Form("post", url, "", controls=controls)


def links_params(html: str, path: str) -> set[str]:
    """Names of the query parameters of the page's links to itself (sort, page, filters)."""
    names = set()
    for href in re.findall(r'href="([^"]*\?[^"]*)"', html):
        href = href.replace("&amp;", "&")
        parts = urlsplit(href)
        if parts.path in ("", path):
            names.update(k for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return names


# --------------------------------------------------------------------------- query parameters

_reads: set[str] | None = None  # the parameters read during the current request
_PLUMBING = ("django/utils/datastructures.py", "django/http/request.py", "fuzz_support.py")


def _read_by_the_project() -> bool:
    """Whether the code asking is the project's (a view, a selector, a template, an API
    serializer), not the middleware that cleans every parameter nor Django's plumbing."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith(_PLUMBING):
        frame = frame.f_back
    if frame is None:
        return False
    name = frame.f_code.co_filename
    if "django/template/" in name or "/rest_framework/" in name:
        return True  # a template, or the API's serializers reading their fields
    root = str(settings.BASE_DIR) + "/"
    return name.startswith(root) and "/.venv/" not in name and not name.endswith("middleware.py")


class ReadingQueryDict(QueryDict):
    """The query string of a request, noting which parameters the project reads ("*": all of
    them, through copy(), urlencode() or a loop). Installed in place of Django's by the fuzz
    test, to send hostile values to the parameters a page really reads."""

    def _note(self, key):
        if _reads is not None and _read_by_the_project():
            _reads.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def copy(self):
        self._note("*")
        return super().copy()

    def urlencode(self, safe=None):
        self._note("*")
        return super().urlencode(safe)

    def items(self):
        self._note("*")
        return super().items()

    def lists(self):
        self._note("*")
        return super().lists()

    def dict(self):
        self._note("*")
        return super().dict()

    def keys(self):
        self._note("*")
        return super().keys()

    def __iter__(self):
        self._note("*")
        return super().__iter__()


@contextlib.contextmanager
def noting_reads():
    global _reads
    previous, _reads = _reads, set()
    try:
        yield _reads
    finally:
        _reads = previous


# --------------------------------------------------------------------------- form data

SKIPPED_NAMES = {"csrfmiddlewaretoken"}
MANAGEMENT = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")

# Plausible values for empty controls, tried in turn on the fields the page says are
# invalid, so that one hostile field among valid ones reaches the model's save (the
# convention of the `world` runs 2022-2025).
CANDIDATES = {
    "text": ["Texte de test", "12,5", "3", "82999", "200041999", "2023-06-15", "FA-99"],
    "textarea": ["Un texte de test."],
    "search": ["test"],
    "number": ["3", "2023", "1", "12,5"],
    "date": ["2023-06-15", "2024-12-31", "2022-01-01", "2025-12-31"],
    "datetime-local": ["2023-06-15T10:00", "2024-12-31T10:00"],
    "time": ["10:00"],
    "month": ["2023-06"],
    "email": ["test@exemple.fr"],
    "url": ["https://exemple.fr"],
    "tel": ["0102030405"],
    "password": ["motdepasse-test"],
}


def candidates(form: Form, name: str) -> list[list[str]]:
    """The values worth trying in an empty field, as the lists the POST data holds."""
    controls = [c for c in form.controls if c.name == name]
    if not controls or name.endswith(MANAGEMENT) or name in SKIPPED_NAMES:
        return []
    first = controls[0]
    if first.tag == "select":
        return [[v] for v, _ in first.options if v]
    if first.type in ("checkbox", "radio"):
        return [[c.value] for c in controls]
    if first.type in ("hidden", "file", "submit") or first.tag == "button":
        return []
    return [[v] for v in CANDIDATES.get(first.type, CANDIDATES["text"])]


def is_empty(values: list[str] | None) -> bool:
    return not values or all(v == "" for v in values)


def invalid_names(html: str, form: Form) -> set[str]:
    """The fields of ``form`` that the page answered with shows as invalid."""
    names = set(form.names())
    best = max(
        (f for f in parse_forms(html) if f.method == "post"),
        key=lambda f: len(names & set(f.names())),
        default=None,
    )
    if best is None:
        return set()
    return {c.name for c in best.controls if c.invalid}


def browser_data(form: Form) -> dict[str, list[str]]:
    """What a browser submits for this form unchanged (the first named submit button
    clicked)."""
    data: dict[str, list[str]] = {}
    clicked = False
    for c in form.controls:
        if c.type == "file":
            continue
        if c.tag == "button" or c.type == "submit":
            if not clicked and c.name:
                data.setdefault(c.name, []).append(c.value)
                clicked = True
            continue
        if c.type in ("checkbox", "radio"):
            if c.checked:
                data.setdefault(c.name, []).append(c.value)
            continue
        if c.tag == "select":
            chosen = [v for v, selected in c.options if selected]
            if not chosen and c.type == "select":
                chosen = [v for v, _ in c.options][:1]
            data.setdefault(c.name, []).extend(chosen)
            continue
        data.setdefault(c.name, []).append(c.value)
    return data


def slot_kind(form: Form, name: str) -> str:
    """What kind of value a field name takes, from its controls."""
    controls = [c for c in form.controls if c.name == name]
    if name.endswith(MANAGEMENT):
        return "management"
    types = {c.type for c in controls}
    if "file" in types:
        return "file"
    if types & {"submit"}:
        return "choice"
    if types & {"select", "radio"}:
        return "choice"
    if types & {"select-multiple", "checkbox"}:
        return "multiple" if len(controls) > 1 or "select-multiple" in types else "checkbox"
    if name.endswith("-id") or name in ("id", "pk") or "hidden" in types:
        return "hidden"
    for kind in ("number", "date", "datetime-local", "time", "month"):
        if kind in types:
            return "number" if kind == "number" else "date"
    return "text"


# --------------------------------------------------------------------------- hostile values

NUL = "\x00"
LONG = "A" * 10_000
RTL_EMOJI = "\u202eédoc\u202c 👩‍👩‍👧‍👦 ﷽ 𝕏"
HOSTILE_COMMON = [
    NUL,
    "Texte\x00avec NUL",
    LONG,
    "é" * 10_000,
    "",
    " ",
    "abc",
    RTL_EMOJI,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "-1",
    "0",
]
# In order of likely damage: the owning role sends the first values of its kind's catalogue
# to every field and one of the others (a different one from field to field).
HOSTILE_NUMBERS = [
    "-99999999999999999999", "NaN", "1e309", "inf", "-inf", "9" * 5000, "2147483648",
    "99999999999999999999,99", "1.5", "12,5", "0x10", "١٢",
]  # fmt: skip
HOSTILE_DATES = [
    "0001-01-01", "9999-12-31", "31/02/2024", "2024-02-30", "99999-01-01", "1899-12-31",
    "0001-01-01T00:00", "9999-12-31T23:59:59", "2024-06-15T25:61", "2024-13-01",
]  # fmt: skip
# Small counts only here: a big TOTAL_FORMS is one probe of its own (see test_fuzz.py).
HOSTILE_MANAGEMENT = ["", "abc", "-1", "0", "5", NUL, "1e309", "1.5"]
FOREIGN_MARK = "foreign"  # in a catalogue: "each foreign id"
HUGE_ID = "99999999999999999999"  # beyond any database integer

BY_KIND = {
    "text": [
        NUL, LONG, "é" * 10_000, RTL_EMOJI, "' OR 1=1 --", "<script>alert(1)</script>", "",
        " ", "1e309", "0001-01-01",
    ],
    "number": HOSTILE_NUMBERS + ["", "abc", NUL, LONG, "-1", "0"],
    "date": HOSTILE_DATES + ["", "abc", NUL, LONG, "1e309"],
    "choice": [
        FOREIGN_MARK, HUGE_ID, "abc", "", NUL, LONG, "-1", "0", "1e309", "NaN", "' OR 1=1 --",
    ],
    "multiple": [FOREIGN_MARK, HUGE_ID, "abc", "", NUL, "-1", LONG],
    "hidden": [FOREIGN_MARK, HUGE_ID, "abc", "", NUL, LONG, "-1", "0", "1e309", "NaN", "1.5"],
    "checkbox": ["abc", "", "off", NUL, LONG, "0", "-1"],
    "management": HOSTILE_MANAGEMENT,
    "file": ["nul-name", "binary", "empty", "long-name"],  # see hostile_file()
}  # fmt: skip
ALL_VALUES = sorted(
    {v for kind, values in BY_KIND.items() if kind != "file" for v in values} - {FOREIGN_MARK}
    | set(HOSTILE_COMMON),
    key=lambda v: (len(v), v),
)


def hostile_file(kind: str) -> SimpleUploadedFile:
    if kind == "nul-name":
        return SimpleUploadedFile("donn\x00ees.csv", b"code;nom\n82090;Test\n", "text/csv")
    if kind == "empty":
        return SimpleUploadedFile("vide.csv", b"", "text/csv")
    if kind == "long-name":
        return SimpleUploadedFile("n" * 300 + ".xlsx", b"PK\x03\x04" + b"\x00" * 64)
    return SimpleUploadedFile("binaire.xlsx", bytes(range(256)) * 8)


def values_for(kind: str, foreign: list[str], own: set[str]) -> list[str]:
    """The deterministic catalogue of one field: foreign ids expanded (those that are not
    among the field's own options)."""
    out = []
    for value in BY_KIND[kind]:
        if value == FOREIGN_MARK:
            out += [f for f in foreign if f not in own]
        else:
            out.append(value)
    return out


def short(value) -> str:
    if isinstance(value, SimpleUploadedFile):
        return f"<file {value.name[:40]!r}, {value.size} bytes>"
    text = repr(value)
    if len(text) > 60:
        text = f"{text[:40]}…{text[-8:]} ({len(value)} chars)"
    return text


# --------------------------------------------------------------------------- the database


def concrete_models():
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


# Written by any request: the session (logins, messages, the workbook preview), axes' log.
UNWATCHED_TABLES = {
    "django_session",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
}


def table_models() -> dict[str, type]:
    return {m._meta.db_table: m for m in concrete_models()}


def fingerprint(models) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of each model."""
    out = {}
    for model in models:
        rows = list(model._base_manager.order_by("pk").values_list())
        digest = hashlib.sha1(repr(rows).encode()).hexdigest()
        out[model._meta.label] = (len(rows), digest)
    return out


WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


class WriteRecorder:
    """Tables written by the statements run while it is installed."""

    def __init__(self):
        self.tables: set[str] = set()

    def __call__(self, execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and match.group(1) not in UNWATCHED_TABLES:
            self.tables.add(match.group(1))
        return execute(sql, params, many, context)


# --------------------------------------------------------------------------- exceptions


class _Catcher(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[tuple] = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            self.records.append(record.exc_info)


def _ours(frames):
    """The frames of the project's code (not of the libraries nor of this fuzz machinery)."""
    root = str(settings.BASE_DIR) + "/"
    return [
        f
        for f in frames
        if f.filename.startswith(root)
        and "/.venv/" not in f.filename
        and not f.filename.endswith("fuzz_support.py")
    ]


def _where(frame) -> str:
    return f"{frame.filename.removeprefix(str(settings.BASE_DIR) + '/')}:{frame.lineno}"


def summarize(exc_info) -> str:
    """``Type: message`` and the deepest frame of the project (then the last frame)."""
    kind, exc, tb = exc_info
    frames = traceback.extract_tb(tb)
    ours = _ours(frames)
    where = []
    if ours:
        f = ours[-1]
        where.append(f"{_where(f)} in {f.name}")
    if frames and (not ours or frames[-1] is not ours[-1]):
        f = frames[-1]
        where.append(f"{f.filename.split('site-packages/')[-1]}:{f.lineno} in {f.name}")
    message = str(exc).replace("\n", " ")[:160]
    return f"{kind.__name__}: {message} [{' <- '.join(where)}]"


def cause_of(exc_info) -> str:
    """The grouping key: exception type and the deepest project frame."""
    kind, exc, tb = exc_info
    frames = _ours(traceback.extract_tb(tb))
    where = _where(frames[-1]) if frames else "?"
    return f"{kind.__name__} at {where}"


@contextlib.contextmanager
def catching_exceptions():
    """Exceptions of the views, whether Django's handler or the project's error middleware
    turned them into the 500 page (both log them on django.request). The logger writes to
    nothing else meanwhile: thousands of refusals and tracebacks would drown the report."""
    catcher = _Catcher()
    logger = logging.getLogger("django.request")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    logger.handlers[:] = [catcher]
    logger.propagate = False
    logger.setLevel(logging.ERROR)
    signalled: list = []

    def receiver(sender, request=None, **kwargs):
        info = sys.exc_info()
        if info[1] is not None:
            signalled.append(info)

    got_request_exception.connect(receiver, weak=False)
    try:
        yield catcher.records, signalled
    finally:
        got_request_exception.disconnect(receiver)
        logger.handlers[:], logger.propagate, level = saved
        logger.setLevel(level)


# --------------------------------------------------------------------------- probing


@dataclass
class Failure:
    kind: str  # "server error", "write on error", "client error"
    role: str
    method: str
    url: str
    pattern: str
    field: str
    value: str
    status: int | None
    cause: str
    detail: str


def pattern_of(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return "?"
    return match.view_name


def error_messages(response) -> list[str]:
    try:
        queued = get_messages(response.wsgi_request)._queued_messages
    except Exception:  # noqa: BLE001 (no messages storage on this request)
        return []
    return [str(m.message) for m in queued if m.level_tag == "error"]


ERROR_MARKS = re.compile(
    r'class="[^"]*\b(?:is-invalid|invalid-feedback|errorlist|alert-danger)\b|role="alert"',
    re.IGNORECASE,
)


def shows_errors(response) -> bool:
    """Whether a page shows an error: an invalid field, an error list, an alert."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return True  # not a page: nothing says it succeeded
    return bool(ERROR_MARKS.search(response.content.decode(errors="replace")))


class Probe:
    """Sends requests as one role, each in a savepoint rolled back at its end, and records
    what goes wrong."""

    def __init__(self, client, role: str, *, slow: float = 15.0):
        self.client = client
        self.role = role
        self.slow = slow
        self.failures: list[Failure] = []
        self.requests = 0
        self.by_method = defaultdict(int)
        self.timing: dict[str, list] = defaultdict(lambda: [0, 0.0])  # "GET name": [n, s]
        self.reads: set[str] = set()  # the query parameters the last request read
        self.statuses: dict[str, dict] = defaultdict(lambda: defaultdict(int))
        self.tables = table_models()
        self.baseline = fingerprint(concrete_models())

    def record(self, kind, method, url, field, value, status, cause, detail):
        self.failures.append(
            Failure(
                kind,
                self.role,
                method,
                url,
                pattern_of(urlsplit(url).path),
                field,
                short(value),
                status,
                cause,
                detail,
            )
        )

    def _send(self, method, url, data):
        # Each request on its own: no message left by the one before (in the cookie).
        self.client.cookies.pop(getattr(settings, "MESSAGE_COOKIE_NAME", "messages"), None)
        if method == "GET":
            return self.client.get(url, data or {})
        return self.client.post(url, data or {})

    def request(self, method: str, url: str, data=None, *, field: str = "", value="") -> object:
        """The response (None when the request itself blew up), failures recorded."""
        self.requests += 1
        self.by_method[method] += 1
        path = urlsplit(url).path
        pattern = pattern_of(path)
        recorder = WriteRecorder()
        response = None
        started = time.monotonic()

        def fail(kind, status, cause, detail):
            self.failures.append(
                Failure(
                    kind,
                    self.role,
                    method,
                    url,
                    pattern,
                    field,
                    short(value),
                    status,
                    cause,
                    detail,
                )
            )

        with transaction.atomic():
            try:
                with catching_exceptions() as (logged, signalled):
                    with connection.execute_wrapper(recorder), noting_reads() as reads:
                        try:
                            response = self._send(method, url, data)
                        except Exception as exc:  # noqa: BLE001 (recorded, then rolled back)
                            info = (type(exc), exc, exc.__traceback__)
                            fail("client error", None, cause_of(info), summarize(info))
                            return None
                    errors = logged + [s for s in signalled if s not in logged]
                self.reads = set(reads)
                status = response.status_code
                self.statuses[f"{method} {pattern}"][status] += 1
                spent = time.monotonic() - started
                if spent > self.slow:
                    fail(
                        "slow answer",
                        status,
                        f"{method} {pattern} slower than {self.slow:.0f} s",
                        f"{spent:.1f} s (gunicorn's worker timeout: 30 s, then a 502)",
                    )
                if status >= 500:
                    if errors:
                        fail("server error", status, cause_of(errors[0]), summarize(errors[0]))
                    else:
                        fail("server error", status, f"status {status}", "no exception logged")
                    return response
                if method == "POST":
                    self._check_writes(response, recorder, fail)
                return response
            finally:
                transaction.set_rollback(True)
                spent = self.timing[f"{method} {pattern}"]
                spent[0] += 1
                spent[1] += time.monotonic() - started

    def _check_writes(self, response, recorder, fail):
        status = response.status_code
        refused = []
        if status in (302, 303):
            location = response.get("Location", "")
            if "/connexion/" in location:
                refused.append("redirect to the login page")
            refused += error_messages(response)
        elif status == 200:
            # The form again, with its errors; a page that shows none is a success that
            # answers in place (the API token page shows the new secret once).
            refused += error_messages(response)
            if shows_errors(response):
                refused.append("answer 200 with errors")
        else:
            refused.append(f"answer {status}")
        if not refused or not recorder.tables:
            return
        models = [self.tables[t] for t in sorted(recorder.tables) if t in self.tables]
        now = fingerprint(models)
        changed = []
        for label, (count, digest) in now.items():
            before_count, before_digest = self.baseline[label]
            if (count, digest) != (before_count, before_digest):
                changed.append(
                    f"{label} {before_count}→{count} rows"
                    if count != before_count
                    else f"{label} rows updated"
                )
        if changed:
            fail(
                "write on error",
                status,
                f"write on error: {', '.join(changed)}",
                f"{refused[0][:120]}; written: {', '.join(changed)}",
            )


def failure_report(failures: list[Failure], examples: int = 6) -> str:
    """One block per root cause: its kind, cause, count, then a few of its requests."""
    groups: dict[tuple[str, str], list[Failure]] = defaultdict(list)
    for f in failures:
        key = (f.kind, f.cause if f.kind != "write on error" else f"{f.pattern}: {f.cause}")
        groups[key].append(f)
    lines = [f"{len(failures)} failures, {len(groups)} root causes:"]
    for (kind, cause), items in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
        lines.append(f"\n== {kind}: {cause} ({len(items)} requests)")
        lines.append(f"   {items[0].detail}")
        seen = set()
        shown = 0
        for f in items:
            key = (f.method, f.pattern, f.field)
            if key in seen:
                continue
            seen.add(key)
            if shown < examples:
                lines.append(
                    f"   - {f.method} {f.url} as {f.role}: {f.field or '(query)'}={f.value} "
                    f"-> {f.status}"
                )
            shown += 1
        if shown > examples:
            lines.append(f"   … and {shown - examples} other fields/pages")
    return "\n".join(lines)


# --------------------------------------------------------------------------- self-test


def _crash(request):
    raise ZeroDivisionError("fuzz self-test")


def _write_then_refuse(request):
    from django.contrib.auth.models import Group
    from django.http import HttpResponseBadRequest

    Group.objects.create(name=f"fuzz {request.POST.get('x')}")
    return HttpResponseBadRequest("refused after writing")


def _write_then_redirect(request):
    from django.contrib.auth.models import Group
    from django.http import HttpResponseRedirect

    Group.objects.create(name="fuzz saved")
    return HttpResponseRedirect("/")


def _write_undone_then_refuse(request):
    from django.contrib.auth.models import Group
    from django.http import HttpResponseBadRequest

    with transaction.atomic():
        Group.objects.create(name="fuzz undone")
        transaction.set_rollback(True)
    return HttpResponseBadRequest("refused, nothing kept")


class SelfTestUrls:
    """A URLconf of four views, each a case the probe must tell apart."""

    from django.urls import path

    urlpatterns = [
        path("crash/", _crash, name="crash"),
        path("refuse/", _write_then_refuse, name="refuse"),
        path("save/", _write_then_redirect, name="save"),
        path("undo/", _write_undone_then_refuse, name="undo"),
    ]
