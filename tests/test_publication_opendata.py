"""The open-data files of a published convention: CSV and JSON valid against the Table
Schema files shipped in the repository, the SCDL « Subventions » columns, machine-readable
values, and the Synthèse's progress figures."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.urls import reverse

import publication
from actions.factories import ActionSheetFactory, FundingLineFactory
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator
from publication.opendata import TABLES
from tests.test_publication import VALIDATED, plan, publish  # noqa: F401 - the fixture

SCHEMAS = Path(publication.__file__).parent / "schemas"
SCDL_SUBVENTIONS_1_1 = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
]


# --------------------------------------------------------------------------- a Table Schema validator


def shipped_schema(table: str) -> dict:
    return json.loads((SCHEMAS / f"{table}.json").read_text(encoding="utf-8"))


ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
TEXT_OF = {
    "integer": r"^-?\d+$",
    "number": r"^-?\d+(\.\d+)?$",  # a dot, no grouping, no exponent
    "date": ISO_DATE,
}


def cell_errors(field: dict, text: str, missing: list[str]) -> list[str]:
    """What is wrong with one CSV cell under its Table Schema field."""
    constraints = field.get("constraints", {})
    name = field["name"]
    if text in missing:
        return [f"{name}: required, empty"] if constraints.get("required") else []
    kind = field["type"]
    if kind in TEXT_OF and not re.match(TEXT_OF[kind], text):
        return [f"{name}: {text!r} is not a {kind}"]
    if kind == "date":
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            return [f"{name}: {text!r} is not a date"]
    if kind == "boolean" and text not in field["trueValues"] + field["falseValues"]:
        return [f"{name}: {text!r} is not a boolean"]
    errors = []
    if "enum" in constraints and text not in constraints["enum"]:
        errors.append(f"{name}: {text!r} not in {constraints['enum']}")
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], text):
        errors.append(f"{name}: {text!r} does not match {constraints['pattern']}")
    if "maxLength" in constraints and len(text) > constraints["maxLength"]:
        errors.append(f"{name}: longer than {constraints['maxLength']}")
    if kind in ("integer", "number"):
        value = Decimal(text)
        if "minimum" in constraints and value < constraints["minimum"]:
            errors.append(f"{name}: {text} < {constraints['minimum']}")
        if "maximum" in constraints and value > constraints["maximum"]:
            errors.append(f"{name}: {text} > {constraints['maximum']}")
    return errors


def csv_errors(content: bytes, schema: dict) -> list[str]:
    """A CSV file against a Table Schema: UTF-8 without BOM, the fields' names in their order
    as the header row, every cell of its field's type and constraints."""
    if content.startswith(b"\xef\xbb\xbf"):
        return ["a byte order mark"]
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    if not rows or rows[0] != names:
        return [f"header {rows[:1]} is not {names}"]
    errors = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(fields):
            errors.append(f"line {number}: {len(row)} cells for {len(fields)} fields")
            continue
        for field, text in zip(fields, row, strict=True):
            errors += [
                f"line {number}: {e}" for e in cell_errors(field, text, schema["missingValues"])
            ]
    return errors


JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def json_schema_of(schema: dict) -> dict:
    """The JSON Schema of a tabular data resource whose rows follow this Table Schema."""
    properties = {}
    for field in schema["fields"]:
        constraints = field.get("constraints", {})
        if field["type"] == "date":
            prop = {"type": "string", "pattern": ISO_DATE, "format": "date"}
        else:
            prop = {"type": JSON_TYPES[field["type"]]}
        for key, json_key in (
            ("enum", "enum"),
            ("pattern", "pattern"),
            ("maxLength", "maxLength"),
            ("minimum", "minimum"),
            ("maximum", "maximum"),
        ):
            if key in constraints:
                prop[json_key] = constraints[key]
        if not constraints.get("required"):
            prop = {"anyOf": [prop, {"type": "null"}]}
        properties[field["name"]] = prop
    row = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "required": ["profile", "name", "schema", "licenses", "data"],
        "properties": {
            "profile": {"const": "tabular-data-resource"},
            "name": {"const": schema["name"]},
            "schema": {"type": "string"},
            "data": {"type": "array", "items": row},
        },
    }


def json_errors(content: bytes, schema: dict) -> list[str]:
    document = json.loads(content.decode("utf-8"))
    validator = jsonschema.Draft202012Validator(
        json_schema_of(schema), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    names = [f["name"] for f in schema["fields"]]
    errors += [
        f"row {n}: keys out of order" for n, r in enumerate(document["data"]) if list(r) != names
    ]
    return errors


# --------------------------------------------------------------------------- the data


@pytest.fixture
def rich_plan(plan):  # noqa: F811 - the imported fixture
    """Beyond the plan: a fiche without dates nor pilot, text that looks like a formula,
    a decrease indicator beyond its target, a maintained one, several measurements."""
    sheet = ActionSheetFactory(
        convention=plan.convention,
        number="FA-03",
        title='=HYPERLINK("http://exemple.fr") — « crèche » à Laguépie',
        status=VALIDATED,
        start_date=None,
        end_date=None,
        lead="",
        description='Ligne 1\nLigne 2, avec virgule ; et "guillemets"',
    )
    sheet.communes.set([plan.commune])
    FundingLineFactory(sheet=sheet, funder="Commune", year=2024, planned_amount=Decimal("0"))
    FundingLineFactory(
        sheet=sheet, funder="Caf", year=2025, planned_amount=Decimal("9999999999.99")
    )
    down = IndicatorFactory(
        action_sheet=sheet,
        name="Délai d'attente (jours)",
        direction=Indicator.Direction.DECREASE,
        baseline_value=20,
        target_value=10,
    )
    MeasurementFactory(indicator=down, date=datetime.date(2023, 6, 30), value=Decimal("4.5"))
    MeasurementFactory(indicator=down, date=datetime.date(2024, 6, 30), value=Decimal("-1"))
    IndicatorFactory(
        action_sheet=sheet, direction=Indicator.Direction.MAINTAIN, target_value=15, name="Stable"
    )
    return plan


def download(client, address: str, table: str, fmt: str):
    response = client.get(reverse(f"publication:data_{fmt}", args=[address, table]))
    assert response.status_code == 200, (table, fmt)
    return response


# --------------------------------------------------------------------------- the tests


def test_the_shipped_schemas_are_the_ones_the_exporter_builds_its_columns_from(db):
    call_command("publication_schemas", "--check", stdout=io.StringIO())
    for name, table in TABLES.items():
        assert [f["name"] for f in shipped_schema(name)["fields"]] == table.names


def test_every_csv_and_json_file_validates_against_its_shipped_table_schema(rich_plan, client):
    address = publish(rich_plan).address
    for table in TABLES:
        schema = shipped_schema(table)
        csv_file = download(client, address, table, "csv")
        assert csv_file["Content-Type"] == "text/csv; charset=utf-8; header=present"
        assert csv_errors(csv_file.content, schema) == [], table
        assert len(csv_file.content.decode().splitlines()) > 2, table  # rows, not just a header
        json_file = download(client, address, table, "json")
        assert json_file["Content-Type"] == "application/json; charset=utf-8"
        assert json_errors(json_file.content, schema) == [], table
        document = json.loads(json_file.content)
        assert document["schema"].endswith(f"/public/schemas/{table}.json")
        assert client.get(document["schema"]).json() == schema


def test_the_validators_reject_what_breaks_the_schema(db):
    """The checks above can fail: a comma decimal, a French date, a missing required value,
    a wrong header, a number where a string was expected in JSON."""
    schema = shipped_schema("mesures")
    header = ",".join(f["name"] for f in schema["fields"])
    good = f"{header}\r\nCTG,1,Places,2024-12-31,12.50,places,INSEE,Saisie\r\n".encode()
    assert csv_errors(good, schema) == []
    for bad in (
        good.replace(b",12.50,", b',"12,50",'),
        good.replace(b"2024-12-31", b"31/12/2024"),
        good.replace(b"CTG,1,", b"CTG,,"),
        good.replace(b"indicateur_id", b"id"),
        b"\xef\xbb\xbf" + good,
    ):
        assert csv_errors(bad, schema), bad
    row = {"convention": "CTG", "indicateur_id": 1, "indicateur": "Places", "date": "2024-12-31"}
    row |= {"valeur": 12.5, "unite": None, "source": None, "origine": "Saisie"}
    document = {"profile": "tabular-data-resource", "name": "mesures", "schema": "x"}
    document |= {"licenses": [], "data": [row]}
    assert json_errors(json.dumps(document).encode(), schema) == []
    for key, value in (("valeur", "12,5"), ("date", "2024-13-01"), ("indicateur", None)):
        broken = {**document, "data": [{**row, key: value}]}
        assert json_errors(json.dumps(broken).encode(), schema), key


def test_the_scdl_export_has_exactly_the_scdl_subventions_columns(rich_plan, client):
    address = publish(rich_plan).address
    content = download(client, address, "subventions", "csv").content.decode()
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert rows[0] == SCDL_SUBVENTIONS_1_1
    lines = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert len(lines) == 3  # the funding lines of the validated fiches, not the draft's
    caf = next(line for line in lines if line["montant"] == "9999999999.99")
    assert caf["nomAttribuant"] == "Caf"
    assert caf["datesPeriodeVersement"] == "2025-01-01/2025-12-31"
    assert caf["nature"] == "aide en numéraire"
    assert caf["dateConvention"] == ""  # the world's convention is not signed
    # No SIRET in the models: left empty, as said in the schema's description.
    assert {line["idAttribuant"] for line in lines} == {""}
    assert "SIRET" in shipped_schema("subventions")["description"]
    data = download(client, address, "subventions", "json").json()["data"]
    assert [list(row) for row in data] == [SCDL_SUBVENTIONS_1_1] * 3


def test_values_are_machine_readable_and_in_utf8(rich_plan, client):
    address = publish(rich_plan).address
    content = download(client, address, "fiches", "csv").content
    text = content.decode("utf-8")
    assert "« crèche » à Laguépie" in text
    assert text.endswith("\r\n")
    rows = {r[3]: r for r in csv.reader(io.StringIO(text, newline=""))}
    names = rows["numero"]
    fa01 = dict(zip(names, rows["FA-01"], strict=True))
    assert fa01["budget_prevu"] == "12500.50"
    assert fa01["date_debut"] == "2022-03-01" and fa01["date_fin"] == "2025-06-30"
    assert fa01["pilote"] == "Communauté de communes — service petite enfance"
    fa03 = dict(zip(names, rows["FA-03"], strict=True))
    assert fa03["date_debut"] == "" and fa03["pilote"] == ""
    assert fa03["communes_insee"] == rich_plan.commune.code
    assert fa03["description"] == 'Ligne 1\nLigne 2, avec virgule ; et "guillemets"'
    # A text that a spreadsheet would run is neutralised in the CSV, kept as is in the JSON.
    assert fa03["intitule"].startswith("'=HYPERLINK(")
    data = download(client, address, "fiches", "json").json()["data"]
    assert next(r for r in data if r["numero"] == "FA-03")["intitule"].startswith("=HYPERLINK(")
    assert next(r for r in data if r["numero"] == "FA-01")["budget_prevu"] == 12500.5


def test_the_progress_figures_are_those_of_the_synthese_and_the_api(rich_plan, client):
    address = publish(rich_plan).address
    published = {
        r["indicateur_id"]: r
        for r in download(client, address, "indicateurs", "json").json()["data"]
    }
    client.force_login(rich_plan.caf_staff)
    api = client.get(
        reverse("api:indicators"), {"convention": rich_plan.convention.pk, "page_size": 100}
    ).json()["results"]
    by_id = {row["id"]: row for row in api}
    assert set(published) < set(by_id)  # the draft fiche's indicator is not published
    assert len(published) == 4
    for pk, row in published.items():
        expected = by_id[pk]["progress"]
        for mine, theirs in (
            ("progression_pct", "progress_pct"),
            ("progression_attendue_pct", "expected_pct"),
        ):
            if expected[theirs] is None:
                assert row[mine] is None
            else:
                assert row[mine] == pytest.approx(expected[theirs], abs=0.005)
        assert row["etat"] == expected["status"]
        assert row["en_retard"] == expected["late"]
        assert row["derniere_valeur"] == (
            None if expected["last_value"] is None else float(expected["last_value"])
        )
    down = next(r for r in published.values() if r["intitule"] == "Délai d'attente (jours)")
    assert down["progression_pct"] == 210.0 and down["derniere_valeur"] == -1.0


def test_the_files_carry_no_comment_nor_person(rich_plan, client):
    address = publish(rich_plan).address
    for table in TABLES:
        for fmt in ("csv", "json"):
            text = download(client, address, table, fmt).content.decode()
            for hidden in (
                "Corinne",
                "Secret",
                rich_plan.coordinator.email,
                "Avis très personnel",
                "Jeanne Maire",
                "Projet encore en brouillon",
                "Indicateur du brouillon",
            ):
                assert hidden not in text, (table, fmt, hidden)


def test_the_published_measurements_say_where_each_value_comes_from(rich_plan, client):
    """The « origine » column: typed, or the Caf's open data with producer, data set and
    vintage — never the name of the person who typed it."""
    from conventions.factories import UserFactory
    from diagnostics.models import StatisticImport
    from evaluation.models import Measurement

    typed = Measurement.objects.filter(indicator__action_sheet__number="FA-03").first()
    typed.entered_by = UserFactory(first_name="Anne", last_name="Secrète")
    typed.save()
    record = StatisticImport.objects.create(
        caf=rich_plan.convention.caf,
        dataset="txcouv_pe_epci",
        dataset_label="Taux de couverture petite enfance par EPCI",
        filename="txcouv_pe_epci.csv",
        producer="Cnaf — Cafdata",
        vintage=2023,
        token="published-origin",
    )
    opened = Measurement.objects.filter(indicator=typed.indicator).exclude(pk=typed.pk).get()
    opened.source_kind = Measurement.SourceKind.OPEN_DATA
    opened.source_import = record
    opened.save()
    address = publish(rich_plan).address
    content = download(client, address, "mesures", "csv").content.decode()
    lines = list(csv.DictReader(io.StringIO(content, newline="")))
    origins = {
        line["date"]: line["origine"] for line in lines if line["indicateur"].startswith("Délai")
    }
    assert origins[str(typed.date)] == "Saisie"
    assert origins[str(opened.date)].startswith("Données ouvertes Cnaf — Cafdata")
    assert "2023" in origins[str(opened.date)]
    assert "Secrète" not in content
