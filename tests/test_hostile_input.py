"""Hostile input: every import parser and every form fed random and malformed data.

Properties checked with hypothesis:

- never a 500 (the test client re-raises a view's exception, so a crash fails the test);
- never a partial save: when a submission is refused, the row counts are unchanged;
- always a French error: every message is non-empty, reads as French and never shows
  Python's own exception text.

Each hypothesis example runs in a savepoint rolled back at its end, so the examples of one
test are independent although they share the test's database transaction.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import re
import string
import zipfile
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from actions.factories import ActionSheetFactory
from conventions.imports import parse_collectivities_csv
from conventions.models import Collectivity
from conventions.services import collectivity as collectivity_services
from diagnostics import imports as statistic_imports
from diagnostics.models import TerritoryStatistic
from evaluation import imports as measurement_imports
from evaluation.factories import IndicatorFactory
from evaluation.indicator_views import SESSION_KEY
from evaluation.models import Measurement

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(BOUNDED, max_examples=25)

# --- what a French error looks like ---------------------------------------------------

PYTHON_TEXT = re.compile(
    r"Traceback|invalid literal|could not convert|Exceeds the limit|has no attribute|"
    r"NoneType|\w+Error\b|unsupported operand|not a number|ambiguous separators|"
    r"out of range|field larger|object is not|argument|decimal\.",
)
FRENCH = re.compile(
    r"[éèêàçùôîâ«»]|\b(le|la|les|de|du|des|est|pas|une?|ligne|colonne|fichier|feuille|"
    r"saisissez|champ|valeur|choisissez|inconnue?|invalide|obligatoire|nombre|date|trop|"
    r"doit|ne|aucune?|statistique|indicateur|veuillez|au|plus|formulaires?|entrez)\b",
    re.IGNORECASE,
)


def assert_french(messages) -> None:
    messages = [str(m) for m in messages]
    assert messages, "a refusal without any message"
    for message in messages:
        assert message.strip(), "an empty error message"
        assert not PYTHON_TEXT.search(message), f"Python text in a message: {message!r}"
        assert FRENCH.search(message), f"not French: {message!r}"


@contextlib.contextmanager
def rolled_back():
    """One hypothesis example: whatever it writes is undone at the end."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- strategies -------------------------------------------------------------------------

NASTY_CELLS = [
    "",
    " ",
    "0",
    "-0",
    "1e400",
    "-1e400",
    "NaN",
    "inf",
    "∞",
    "9" * 40,
    "9" * 5000,
    "12,5",
    "1 234,56",
    "1.234,56",
    "1\u202f000",
    "=1+1",
    "=A1/0",
    '"',
    '""',
    "'",
    ";",
    ",",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "\ufeff",
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE conventions_convention;--",
    "2023-12-31",
    "31/12/2023",
    "31/02/2023",
    "VRAI",
    "None",
    "é" * 300,
]
cell_text = st.one_of(
    st.sampled_from(NASTY_CELLS),
    st.text(max_size=25),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(lambda f: str(f).replace(".", ",")),
)


@st.composite
def csv_bytes(draw, headers: list[str], good_cells: list[str]):
    """A CSV file: maybe a plausible header, rows of random or plausible cells, any
    separator and encoding, sometimes written by hand (unbalanced quotes)."""
    delimiter = draw(st.sampled_from([";", ",", "\t", "|"]))
    width = draw(st.integers(min_value=0, max_value=8))
    rows = []
    if draw(st.booleans()):
        header = list(headers)
        if draw(st.booleans()):
            header = draw(st.permutations(header))
        rows.append(header[: width or len(header)])
    cells = st.one_of(cell_text, st.sampled_from(good_cells))
    rows += draw(st.lists(st.lists(cells, max_size=width), max_size=12))
    if draw(st.booleans()):
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter).writerows(rows)
        text = buffer.getvalue()
    else:
        text = "\n".join(delimiter.join(row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        data += b'\n"' + b"x" * 140_000  # an unclosed quote swallowing the end of the file
    return data


any_bytes = st.binary(max_size=3000)
sheet_title = st.one_of(
    st.sampled_from(["Mesures", "mesures", "Feuil1", "Mode d'emploi", "Données"]),
    st.text(alphabet=string.ascii_letters + string.digits + " éàç-_", min_size=1, max_size=31),
)
xlsx_cell = st.one_of(
    st.none(),
    cell_text.filter(lambda t: not t.startswith("=") and "\x00" not in t),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=datetime.date(1900, 1, 1)),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", "=1/0"]),  # formulas: no cached value
)


def _storable(value):
    """Control characters cannot be written in a worksheet: openpyxl refuses them."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def xlsx_bytes(sheets: list[tuple[str, list[list]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    used = set()
    for title, rows in sheets:
        title = title.strip() or "Feuille"
        while title.lower() in used:
            title = (title + "_")[-31:]
        used.add(title.lower())
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append([_storable(cell) for cell in row])
    if not wb.worksheets:
        wb.create_sheet("Vide")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def damaged(data: bytes, cut: int) -> bytes:
    """An XLSX whose first sheet is cut short (valid zip, broken XML)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = content[: cut % max(len(content), 1)]
            target.writestr(item, content)
    return out.getvalue()


# --- collectivities (CSV, Caf staff) ----------------------------------------------------

COLLECTIVITY_HEADERS = ["code", "nom", "type", "code EPCI", "population"]
COLLECTIVITY_CELLS = [
    "82090",
    "2A004",
    "200041614",
    "commune",
    "EPCI",
    "CC",
    "Laguépie",
    "1 234",
    "",
]


@BOUNDED
@given(data=st.one_of(any_bytes, csv_bytes(COLLECTIVITY_HEADERS, COLLECTIVITY_CELLS)))
def test_the_collectivity_parser_answers_rows_or_french_errors(world, data):
    result = parse_collectivities_csv(data)
    if result.errors:
        assert_french(result.errors)
    else:
        assert result.rows
    with rolled_back():
        before = Collectivity.objects.count()
        if result.ok:
            try:
                collectivity_services.collectivities_import(
                    caf=world.caf, rows=result.rows, by=world.caf_staff
                )
            except collectivity_services.ImportRejected as exc:
                assert_french(exc.errors)
                assert Collectivity.objects.count() == before
        else:
            assert Collectivity.objects.count() == before


@FEW
@given(data=st.one_of(any_bytes, csv_bytes(COLLECTIVITY_HEADERS, COLLECTIVITY_CELLS)))
def test_the_collectivity_upload_never_fails_nor_saves_half(world, login, data):
    client = login(world.caf_staff)
    with rolled_back():
        before = Collectivity.objects.count()
        response = client.post(
            reverse("conventions:collectivity_import"),
            {"file": SimpleUploadedFile("communes.csv", data, content_type="text/csv")},
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert Collectivity.objects.count() == before
            errors = response.context["errors"] or [
                e for field in response.context["form"].errors.values() for e in field
            ]
            assert_french(errors)


# --- territory statistics (CSV or XLSX, Caf staff) --------------------------------------

STATISTIC_HEADERS = list(statistic_imports.COLUMNS)
STATISTIC_CELLS = [
    "82090",
    "200041614",
    "allocataires",
    "taux-couverture",
    "2022",
    "2023",
    "12,5",
    "Caf",
]


@st.composite
def statistic_workbooks(draw):
    rows = st.lists(
        st.lists(st.one_of(xlsx_cell, st.sampled_from(STATISTIC_CELLS)), max_size=7),
        max_size=10,
    )
    sheets = draw(st.lists(st.tuples(sheet_title, rows), max_size=3))
    data = xlsx_bytes(sheets)
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        data = damaged(data, draw(st.integers(min_value=1, max_value=5000)))
    return data


def _statistic_messages(data: bytes, filename: str) -> tuple[list, statistic_imports.ParseResult]:
    try:
        raw = statistic_imports.read_table(filename=filename, content=data)
    except statistic_imports.ImportFileError as exc:
        return [exc], statistic_imports.ParseResult(rows=[], errors=[])
    result = statistic_imports.parse_rows(
        raw,
        collectivities={"82090": 1, "200041614": 2},
        statistics={"allocataires": 10, "taux-couverture": 11},
    )
    return result.errors, result


@BOUNDED
@given(data=st.one_of(any_bytes, csv_bytes(STATISTIC_HEADERS, STATISTIC_CELLS)))
def test_the_statistic_csv_parser_answers_rows_or_french_errors(data):
    errors, result = _statistic_messages(data, "statistiques.csv")
    if errors:
        assert_french(errors)
    for row in result.rows:
        assert abs(row.value) <= statistic_imports.MAX_ABS_VALUE
        assert statistic_imports.MIN_YEAR <= row.year <= statistic_imports.MAX_YEAR


@BOUNDED
@given(data=st.one_of(any_bytes, statistic_workbooks()))
def test_the_statistic_xlsx_parser_answers_rows_or_french_errors(data):
    errors, result = _statistic_messages(data, "statistiques.xlsx")
    if errors:
        assert_french(errors)
    for row in result.rows:
        assert row.value.is_finite()
        assert abs(row.value) <= statistic_imports.MAX_ABS_VALUE


@FEW
@given(
    upload=st.one_of(
        st.tuples(st.just("statistiques.csv"), csv_bytes(STATISTIC_HEADERS, STATISTIC_CELLS)),
        st.tuples(st.just("statistiques.xlsx"), st.one_of(any_bytes, statistic_workbooks())),
        st.tuples(st.sampled_from(["a.txt", "a", "a.csv.exe", ".xlsx"]), any_bytes),
    )
)
def test_the_statistic_upload_never_fails_nor_saves_half(world, login, upload):
    filename, data = upload
    client = login(world.caf_staff)
    url = reverse("diagnostics:statistics_import", args=[world.convention.pk])
    with rolled_back():
        before = TerritoryStatistic.objects.count()
        response = client.post(url, {"file": SimpleUploadedFile(filename, data)})
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert TerritoryStatistic.objects.count() == before
            form_errors = [e for field in response.context["form"].errors.values() for e in field]
            assert_french(list(response.context["errors"]) + form_errors)


# --- measurement workbook (XLSX round trip, coordinator) --------------------------------

START, END = datetime.date(2022, 1, 1), datetime.date(2025, 12, 31)
header_cell = st.one_of(
    st.sampled_from(["2022-12-31", "2023-06-30", "31/12/2024", "2030-01-01", "1999-12-31"]),
    st.dates(min_value=datetime.date(1900, 1, 1)),
    xlsx_cell,
)


@st.composite
def measurement_workbooks(draw, ids: list[int]):
    fixed = list(measurement_imports.FIXED_HEADERS)
    if draw(st.booleans()):
        fixed[draw(st.integers(0, len(fixed) - 1))] = draw(xlsx_cell)
    header = fixed + draw(st.lists(header_cell, max_size=5))
    id_cell = st.one_of(st.sampled_from(ids + [0, -1, 10**12]), xlsx_cell)
    value_cell = st.one_of(
        xlsx_cell,
        st.decimals(min_value=-(10**14), max_value=10**14, places=3).map(str),
        st.sampled_from(["12,5", " 1 234,5 ", "1e5", "-0,004", "999999999999,995"]),
    )
    rows = draw(
        st.lists(
            st.tuples(id_cell, st.lists(value_cell, max_size=len(header) - 1)).map(
                lambda t: [t[0], *t[1]]
            ),
            max_size=8,
        )
    )
    title = draw(st.one_of(st.just(measurement_imports.SHEET_NAME), sheet_title))
    sheets = [(title, [header, *rows])]
    if draw(st.booleans()):
        sheets.append((draw(sheet_title), draw(st.lists(st.lists(xlsx_cell, max_size=4)))))
    data = xlsx_bytes(sheets)
    if draw(st.integers(min_value=0, max_value=6)) == 0:
        data = damaged(data, draw(st.integers(min_value=1, max_value=5000)))
    return data


@BOUNDED
@given(data=st.one_of(any_bytes, measurement_workbooks([1, 2, 3])))
def test_the_measurement_parser_answers_values_or_french_errors(data):
    result = measurement_imports.parse_workbook(data, indicator_ids=[1, 2, 3], start=START, end=END)
    if result.errors:
        assert_french(result.errors)
    for value in result.values:
        assert value.indicator_id in (1, 2, 3)
        assert START <= value.date <= END
        assert abs(value.value) <= measurement_imports.MAX_VALUE
        assert value.value == value.value.quantize(measurement_imports.Decimal("0.01"))


@pytest.fixture
def measured(world):
    """Two indicators on a fiche of the world's convention, over START..END."""
    world.convention.start_date, world.convention.end_date = START, END
    world.convention.save()
    sheet = ActionSheetFactory(convention=world.convention)
    return [IndicatorFactory(action_sheet=sheet).pk, IndicatorFactory(action_sheet=sheet).pk]


@FEW
@given(data=st.data())
def test_the_measurement_upload_and_confirmation_never_fail_nor_save_half(
    world, login, measured, data
):
    workbook = data.draw(st.one_of(any_bytes, measurement_workbooks(measured)))
    client = login(world.coordinator)
    pk = world.convention.pk
    with rolled_back():
        before = Measurement.objects.count()
        response = client.post(
            reverse("evaluation:workbook_upload", args=[pk]),
            {"file": SimpleUploadedFile("mesures.xlsx", workbook)},
        )
        assert response.status_code == 200
        assert Measurement.objects.count() == before, "the preview saved something"
        token = response.context.get("token")
        if token is None:
            form_errors = [e for field in response.context["form"].errors.values() for e in field]
            assert_french(list(response.context.get("errors") or []) + form_errors)
            return
        preview_count = len(client.session[SESSION_KEY][token]["values"])
        confirm = client.post(reverse("evaluation:workbook_confirm", args=[pk]), {"token": token})
        assert confirm.status_code == 302
        assert before <= Measurement.objects.count() <= before + preview_count
        # A forged or replayed token imports nothing and says so in French.
        again = client.post(
            reverse("evaluation:workbook_confirm", args=[pk]), {"token": token}, follow=True
        )
        assert again.status_code == 200
        assert_french([m.message for m in again.context["messages"]])


def test_the_downloaded_workbook_edited_at_random_imports_all_or_nothing(world, login, measured):
    """The real round trip: download the workbook, type random things in its cells, upload,
    confirm. A refused workbook saves nothing; an accepted one saves exactly its preview."""
    client = login(world.coordinator)
    pk = world.convention.pk
    original = client.get(reverse("evaluation:workbook", args=[pk])).content
    seen = {"imported": 0, "refused": 0}
    value_cell = st.one_of(
        xlsx_cell,
        st.decimals(min_value=-(10**13), max_value=10**13, places=2),
        st.sampled_from(["12,5", " 1 234,5 ", "-0,004", "999999999999,995"]),
    )

    @FEW
    @given(
        edits=st.lists(
            st.tuples(st.integers(1, 4), st.integers(1, 12), value_cell), min_size=1, max_size=6
        )
    )
    def run(edits):
        wb = load_workbook(io.BytesIO(original))
        ws = wb[measurement_imports.SHEET_NAME]
        for row, column, value in edits:
            ws.cell(row=row, column=column).value = _storable(value)
        buffer = io.BytesIO()
        wb.save(buffer)
        with rolled_back():
            before = Measurement.objects.count()
            response = client.post(
                reverse("evaluation:workbook_upload", args=[pk]),
                {"file": SimpleUploadedFile("mesures.xlsx", buffer.getvalue())},
            )
            assert response.status_code == 200
            assert Measurement.objects.count() == before
            token = response.context.get("token")
            if token is None:
                seen["refused"] += 1
                assert_french(response.context["errors"])
                return
            values = client.session[SESSION_KEY][token]["values"]
            confirm = client.post(
                reverse("evaluation:workbook_confirm", args=[pk]), {"token": token}
            )
            assert confirm.status_code == 302
            assert Measurement.objects.count() == before + len(values)
            seen["imported"] += 1

    run()
    assert seen["imported"] and seen["refused"], seen


# --- every form of the application, through its view ------------------------------------

HOSTILE_TEXT = st.one_of(
    st.sampled_from(NASTY_CELLS),
    st.text(max_size=40),
    st.text(alphabet="x", min_size=201, max_size=400),
)
HOSTILE_NUMBER = st.one_of(
    st.sampled_from(
        ["", "abc", "1e400", "NaN", "-inf", "-0", "9" * 40, "12,5", "1 234,56", "-1", "0"]
        + ["0,001", "2147483648", "99999999999999999999,99", "1.5.5", "١٢"]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
HOSTILE_DATE = st.sampled_from(
    ["", "2023-02-30", "9999-12-31", "0001-01-01", "31/12/2023", "demain", "2024-06-15"]
    + ["2024-06-15 14:00", "2024-06-15T14:00", "99999-01-01", "1899-12-31", "2024-13-01"]
)
HOSTILE_CHOICE = st.sampled_from(["", "999999", "abc", "-1", "0", "1 OR 1=1", "é"])


def _hostile_value(field):
    """A strategy of submitted values for one form field, from harmless to absurd."""
    from django import forms

    if isinstance(field, forms.BooleanField):
        return st.sampled_from([None, "on", "off", ""])
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        valid = [str(v) for v, _ in field.choices if v not in ("", None)]
        return st.lists(st.one_of(HOSTILE_CHOICE, st.sampled_from(valid or [""])), max_size=4)
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        valid = [str(v) for v, _ in field.choices if v not in ("", None)]
        return st.one_of(HOSTILE_CHOICE, st.sampled_from(valid or [""]))
    if isinstance(field, forms.DateField | forms.DateTimeField):
        return HOSTILE_DATE
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return HOSTILE_NUMBER
    return HOSTILE_TEXT


# Small counts only: a huge TOTAL_FORMS makes Django build 2 000 forms (slow, and its own code).
MANAGEMENT = st.sampled_from(["", "abc", "-1", "0", "3", "12"])


@st.composite
def hostile_submission(draw, page):
    """The page's own data (as a browser would post it) with random fields replaced."""
    from tests.form_data import forms_in, initial_data

    data = initial_data(page)
    found_forms, found_sets = forms_in(page)
    fields = [(form, name, field) for form in found_forms for name, field in form.fields.items()]
    for formset in found_sets:
        for form in [formset.management_form, *formset.forms]:
            fields += [(form, name, field) for name, field in form.fields.items()]
    for form, name, field in fields:
        key = form.add_prefix(name)
        if key.endswith(("TOTAL_FORMS", "INITIAL_FORMS")):
            if draw(st.integers(0, 5)) == 0:
                data[key] = draw(MANAGEMENT)
            continue
        if draw(st.booleans()):
            value = draw(_hostile_value(field))
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
    return data


def _counts() -> dict[str, int]:
    """Rows of every model of the project, audit history included."""
    from django.apps import apps

    return {
        model._meta.label: model._default_manager.count()
        for label in ("conventions", "diagnostics", "actions", "evaluation")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }


def _errors_shown(response) -> list:
    from tests.form_data import forms_in

    found_forms, found_sets = forms_in(response)
    errors = [e for form in found_forms for errs in form.errors.values() for e in errs]
    for formset in found_sets:
        errors += list(formset.non_form_errors())
        errors += [
            e for form_errors in formset.errors for errs in form_errors.values() for e in errs
        ]
    errors += [m.message for m in response.context.get("messages", []) if m.level_tag == "error"]
    if response.context.get("error"):
        errors.append(response.context["error"])
    return errors


@pytest.fixture
def form_pages(world):
    """(name, user, url of the page showing the form, url the form posts to)."""
    from actions.factories import ObjectiveFactory
    from conventions.factories import MeetingFactory
    from diagnostics.factories import DiagnosticFactory
    from evaluation import services as evaluation_services

    c = world.convention
    pk = c.pk
    committee = world.committee.pk
    DiagnosticFactory(convention=c)
    sheet = ActionSheetFactory(convention=c, status="soumise", submitted_by=world.coordinator)
    draft = ActionSheetFactory(convention=c)
    ObjectiveFactory(convention=c)
    indicator = IndicatorFactory(action_sheet=draft)
    meeting = MeetingFactory(committee=world.committee)
    change = evaluation_services.create_change(convention=c, title="Des familles mieux informées")
    marker = evaluation_services.add_marker(change=change, level="attendu", text="Une réunion")
    signatory = c.signatories.filter(collectivity=world.commune).first()

    def page(name, user, url, post_url=None):
        return name, (user, url, post_url or url)

    r = reverse
    return dict(
        [
            page("convention", "caf_staff", r("conventions:create")),
            page("convention-edit", "caf_staff", r("conventions:edit", args=[pk])),
            page("signatory", "caf_staff", r("conventions:signatory_create", args=[pk])),
            page(
                "signatory-edit",
                "caf_staff",
                r("conventions:signatory_edit", args=[pk, signatory.pk]),
            ),
            page("collectivity", "caf_staff", r("conventions:collectivity_create")),
            page("sign", "caf_staff", r("conventions:sign", args=[pk])),
            page("lifecycle", "caf_staff", r("conventions:lifecycle", args=[pk])),
            page("committee", "caf_staff", r("conventions:committee_create", args=[pk])),
            page(
                "committee-edit",
                "caf_staff",
                r("conventions:committee_update", args=[pk, committee]),
            ),
            page("member", "caf_staff", r("conventions:member_create", args=[pk, committee])),
            page("meeting", "caf_staff", r("conventions:meeting_create", args=[pk, committee])),
            page(
                "meeting-edit",
                "caf_staff",
                r("conventions:meeting_update", args=[pk, committee, meeting.pk]),
            ),
            page("diagnostic", "caf_staff", r("diagnostics:edit", args=[pk])),
            page("finding", "caf_staff", r("diagnostics:finding_create", args=[pk])),
            page("statistic", "caf_staff", r("diagnostics:statistics", args=[pk])),
            page("objective", "coordinator", r("actions:objective_create", args=[pk])),
            page("fiche", "coordinator", r("actions:sheet_create", args=[pk])),
            page("fiche-edit", "coordinator", r("actions:sheet_update", args=[pk, draft.pk])),
            page(
                "opinion",
                "member_caf",
                r("actions:sheet", args=[pk, sheet.pk]),
                r("actions:sheet_opinion", args=[pk, sheet.pk]),
            ),
            page("measurement", "coordinator", r("evaluation:indicator", args=[pk, indicator.pk])),
            page("change", "caf_staff", r("evaluation:change_create", args=[pk])),
            page("marker", "caf_staff", r("evaluation:marker_create", args=[pk, change.pk])),
            page(
                "observation",
                "caf_staff",
                r("evaluation:observation_create", args=[pk, marker.pk]),
            ),
        ]
    )


FORM_PAGES = [
    "convention",
    "convention-edit",
    "signatory",
    "signatory-edit",
    "collectivity",
    "sign",
    "lifecycle",
    "committee",
    "committee-edit",
    "member",
    "meeting",
    "meeting-edit",
    "diagnostic",
    "finding",
    "statistic",
    "objective",
    "fiche",
    "fiche-edit",
    "opinion",
    "measurement",
    "change",
    "marker",
    "observation",
]


@pytest.mark.parametrize("name", FORM_PAGES)
def test_a_form_given_hostile_data_saves_all_or_nothing_and_answers_in_french(
    world, login, form_pages, name
):
    user, url, post_url = form_pages[name]
    client = login(getattr(world, user))
    page = client.get(url)
    assert page.status_code == 200
    outcomes = {"refused": 0, "accepted": 0}

    @settings(BOUNDED, max_examples=20)
    @given(data=hostile_submission(page))
    def run(data):
        with rolled_back():
            before = _counts()
            response = client.post(post_url, data)
            assert response.status_code in (200, 302), response.status_code
            if response.status_code == 302:
                # Only the messages of this request (earlier ones wait in the storage).
                added = get_messages(response.wsgi_request)._queued_messages
                refusals = [m.message for m in added if m.level_tag == "error"]
                if not refusals:
                    outcomes["accepted"] += 1
                    return
                # Refused with a message on the page it redirects to.
                assert_french(refusals)
                outcomes["refused"] += 1
                assert _counts() == before, "a refused submission saved something"
                return
            outcomes["refused"] += 1
            assert _counts() == before, "a refused submission saved something"
            assert_french(_errors_shown(response))
            html = unescape(response.content.decode())
            shown = [str(e) for e in _errors_shown(response) if str(e) in html]
            assert shown or 'role="alert"' in html or 'role="status"' in html, "no error shown"

    run()
    assert outcomes["refused"], outcomes
