"""The read API (/api/v1/): personal tokens, scope per role, pagination, filters, constant
query counts, and figures that are the Synthèse's own."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.factories import ActionSheetFactory, FundingLineFactory, ObjectiveFactory
from actions.funding import funding_totals
from actions.models import ActionSheet
from api import services as token_services
from api import tokens as token_rules
from api.models import ApiToken
from conventions import calendar
from conventions.factories import ConventionFactory, SignatoryFactory
from conventions.models import Convention
from conventions.permissions import conventions_visible_to
from diagnostics.factories import DiagnosticFactory, FindingFactory, thematic
from evaluation import progress
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator
from reports.models import ProgressReport
from tests.evaluation_data import populate

ROLES = [
    "caf_staff",
    "other_caf_staff",
    "coordinator",
    "elected",
    "other_elected",
    "member_caf",
    "outsider",
    "superuser",
]

LISTS = [
    "api:conventions",
    "api:diagnostics",
    "api:objectives",
    "api:sheets",
    "api:indicators",
    "api:measurements",
    "api:reports",
]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The rate limit counts in the cache: each test starts with a full budget."""
    cache.clear()
    yield
    cache.clear()


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def new_token(user, *, days: int = 30, name: str = "Script") -> tuple[ApiToken, str]:
    return token_services.api_token_create(
        user=user, name=name, expires_at=timezone.now() + datetime.timedelta(days=days)
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def plan(world):
    """One object of every kind on each convention."""
    objects = {}
    for key, convention in (("mine", world.convention), ("theirs", world.other_convention)):
        convention.thematics.set([thematic("petite-enfance")])
        diagnostic = DiagnosticFactory(convention=convention)
        FindingFactory(diagnostic=diagnostic)
        objective = ObjectiveFactory(convention=convention)
        sheet = ActionSheetFactory(convention=convention, objective=objective)
        FundingLineFactory(sheet=sheet, planned_amount=Decimal("1234.50"))
        indicator = IndicatorFactory(action_sheet=sheet)
        measurement = MeasurementFactory(indicator=indicator)
        report = ProgressReport.objects.create(
            convention=convention,
            period_start=datetime.date(2023, 1, 1),
            period_end=datetime.date(2023, 12, 31),
        )
        objects[key] = {
            "api:convention": convention.pk,
            "api:diagnostic": diagnostic.pk,
            "api:objective": objective.pk,
            "api:sheet": sheet.pk,
            "api:indicator": indicator.pk,
            "api:measurement": measurement.pk,
            "api:report": report.pk,
        }
    return objects


# --------------------------------------------------------------------------- tokens


def test_a_token_is_created_on_the_profile_page_shown_once_and_only_its_hash_is_kept(world, client):
    client.force_login(world.coordinator)
    page = client.get(reverse("api:tokens"))
    assert page.status_code == 200
    assert "Vous n'avez encore aucun jeton d'API." in page.content.decode()
    expires = timezone.localdate() + datetime.timedelta(days=30)
    response = client.post(
        reverse("api:tokens"), {"name": "Tableau de bord", "expires_on": expires.isoformat()}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret.startswith("ctg_") and secret in response.content.decode()
    token = ApiToken.objects.get(user=world.coordinator)
    # Hashed at rest: the secret is nowhere in the row, its SHA-256 is.
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(list(ApiToken.objects.values()))
    assert timezone.localtime(token.expires_at).date() == expires
    # Shown once: the list gives its prefix only.
    listing = client.get(reverse("api:tokens")).content.decode()
    assert secret not in listing
    assert token.display_prefix in listing and "Tableau de bord" in listing
    # Usable at once, with "Bearer" or "Token", and its use is recorded.
    client.logout()
    response = client.get(reverse("api:conventions"), **bearer(secret))
    assert ids(response) == [world.convention.pk]
    response = client.get(reverse("api:conventions"), HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_profile_page_refuses_a_token_beyond_a_year_or_in_the_past(world, client):
    client.force_login(world.caf_staff)
    for day, message in (
        (timezone.localdate() + datetime.timedelta(days=400), "valable un an au plus"),
        (timezone.localdate() - datetime.timedelta(days=1), "ne peut pas être passée"),
    ):
        response = client.post(
            reverse("api:tokens"), {"name": "Trop long", "expires_on": day.isoformat()}
        )
        assert response.status_code == 400
        assert message in response.content.decode()
    response = client.post(reverse("api:tokens"), {"name": "  ", "expires_on": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_service_validates_expiry_and_caps_active_tokens(world):
    with pytest.raises(Exception, match="un an au plus"):
        new_token(world.caf_staff, days=400)
    for n in range(token_services.MAX_ACTIVE_TOKENS):
        new_token(world.caf_staff, name=f"Jeton {n}")
    with pytest.raises(Exception, match="révoquez-en un"):
        new_token(world.caf_staff)


def test_a_revoked_token_is_refused_at_once(world, client):
    token, secret = new_token(world.elected)
    assert client.get(reverse("api:conventions"), **bearer(secret)).status_code == 200
    client.force_login(world.elected)
    confirm = client.get(reverse("api:token_revoke", args=[token.pk]))
    assert confirm.status_code == 200
    assert "Révoquer le jeton « Script » ?" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # a GET only asks for confirmation
    response = client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    response = client.get(reverse("api:conventions"), **bearer(secret))
    assert response.status_code == 401
    assert "révoqué" in response.json()["detail"]


def test_nobody_revokes_another_persons_token(world, client):
    token, _ = new_token(world.caf_staff)
    client.force_login(world.superuser)
    url = reverse("api:token_revoke", args=[token.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    with pytest.raises(Exception, match="pas le vôtre"):
        token_services.api_token_revoke(token=token, user=world.superuser)


def test_an_expired_token_is_refused_with_its_date(world, client):
    token, secret = new_token(world.caf_staff)
    expired = timezone.now() - datetime.timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=expired - datetime.timedelta(days=2), expires_at=expired
    )
    response = client.get(reverse("api:conventions"), **bearer(secret))
    assert response.status_code == 401
    assert "a expiré le" in response.json()["detail"]
    listing_client = client
    listing_client.force_login(world.caf_staff)
    assert "Expiré" in listing_client.get(reverse("api:tokens")).content.decode()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ctg_000000000000_pas-le-bon",
        "Bearer nimportequoi",
        "Bearer",
        "Bearer a b",
        "Token ctg_zzzzzzzzzzzz_x",
    ],
)
def test_a_bad_token_is_a_401_in_french(world, client, header):
    response = client.get(reverse("api:conventions"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["detail"].startswith(("Jeton d'API invalide", "En-tête"))


def test_a_token_of_a_deactivated_account_is_refused(world, client):
    _, secret = new_token(world.coordinator)
    world.coordinator.is_active = False
    world.coordinator.save()
    response = client.get(reverse("api:conventions"), **bearer(secret))
    assert response.status_code == 401
    assert "désactivé" in response.json()["detail"]


def test_the_token_check_compares_the_whole_secret(world):
    token, secret = new_token(world.caf_staff)
    forged = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    with pytest.raises(token_rules.TokenRefused):
        token_rules.check(forged)
    assert token_rules.check(secret).pk == token.pk


# --------------------------------------------------------------------------- scope


@pytest.mark.parametrize("name", [*LISTS, "api:schema"])
def test_anonymous_gets_a_401_not_a_login_redirect(world, client, name):
    response = client.get(reverse(name))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": "Informations d'authentification non fournies."}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_what_the_pages_show(world, plan, client, role):
    user = getattr(world, role)
    _, secret = new_token(user)
    visible = set(conventions_visible_to(user).values_list("pk", flat=True))
    assert set(ids(client.get(reverse("api:conventions"), **bearer(secret)))) == visible
    for key, objects in plan.items():
        convention_pk = objects["api:convention"]
        for name, pk in objects.items():
            response = client.get(reverse(name, args=[pk]), **bearer(secret))
            expected = 200 if convention_pk in visible else 404
            assert response.status_code == expected, (role, key, name)
        for name in LISTS[1:]:
            listed = client.get(reverse(name), **bearer(secret)).json()["results"]
            shown = {row.get("convention") for row in listed}
            assert shown <= visible, (role, name)
            if convention_pk in visible:
                assert convention_pk in shown, (role, name)


def test_the_session_of_the_browser_authenticates_too(world, plan, client):
    client.force_login(world.member_caf)
    assert ids(client.get(reverse("api:conventions"))) == [world.convention.pk]


# --------------------------------------------------------------------------- representation


def test_a_convention_says_its_signatories_thematics_phase_and_time_status(world, plan, client):
    _, secret = new_token(world.caf_staff)
    data = client.get(reverse("api:convention", args=[world.convention.pk]), **bearer(secret))
    data = data.json()
    convention = world.convention
    status = calendar.time_status(convention)
    assert data["phase"] == convention.phase and data["phase_label"] == "Mise en œuvre"
    assert data["time_status"]["code"] == status.code
    assert data["time_status"]["message"] == status.message
    assert data["time_status"]["overdue"] == status.overdue
    assert data["start_date"] == convention.start_date.isoformat()  # ISO dates
    assert [t["code"] for t in data["thematics"]] == ["petite-enfance"]
    organisations = [s["organisation"] for s in data["signatories"]]
    assert organisations == [s.organisation_name for s in convention.signatories.all()]
    assert data["caf"]["department_code"] == "82"


def test_a_fiche_says_its_status_pilot_calendar_and_funding_as_strings(world, plan, client):
    _, secret = new_token(world.coordinator)
    sheet = ActionSheet.objects.get(pk=plan["mine"]["api:sheet"])
    FundingLineFactory(sheet=sheet, funder="Commune", planned_amount=Decimal("0.10"))
    data = client.get(reverse("api:sheet", args=[sheet.pk]), **bearer(secret)).json()
    assert data["status"] == "brouillon" and data["status_label"] == "Brouillon"
    assert data["workflow"]["editable"] is True and data["workflow"]["validated"] is False
    assert data["lead"] == "Coordinatrice CTG"
    assert (data["start_date"], data["end_date"]) == ("2022-03-01", "2025-06-30")
    totals = funding_totals(list(sheet.funding_lines.all()))
    assert data["funding"]["planned"] == str(totals["planned"]) == "1234.60"
    assert {line["planned_amount"] for line in data["funding"]["lines"]} == {"1234.50", "0.10"}


def test_a_diagnostic_gives_its_findings_and_statistics(world, plan, client):
    from diagnostics.factories import TerritoryStatisticFactory

    TerritoryStatisticFactory(collectivity=world.epci, year=2022, value=Decimal("12.5"))
    _, secret = new_token(world.elected)
    pk = plan["mine"]["api:diagnostic"]
    data = client.get(reverse("api:diagnostic", args=[pk]), **bearer(secret)).json()
    assert len(data["findings"]) == 1
    assert [(s["year"], s["value"]) for s in data["statistics"]] == [(2022, "12.50")]
    listed = client.get(reverse("api:diagnostics"), **bearer(secret)).json()["results"]
    assert "statistics" not in listed[0] and len(listed[0]["findings"]) == 1


def test_a_measurement_says_its_source_and_who_entered_it(world, plan, client):
    indicator = Indicator.objects.get(pk=plan["mine"]["api:indicator"])
    indicator.source = "Données Caf"
    indicator.save()
    _, secret = new_token(world.caf_staff)
    data = client.get(
        reverse("api:measurement", args=[plan["mine"]["api:measurement"]]), **bearer(secret)
    ).json()
    assert data["source"] == "Données Caf"
    assert data["value"] == "14.00" and data["date"] == "2023-12-31"


def test_a_report_links_its_files_through_the_api(world, client):
    from reports import services as reporting

    report, _ = reporting.report_request(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 12, 31),
    )
    reporting.report_build(report_id=report.pk)
    _, secret = new_token(world.caf_staff)
    data = client.get(reverse("api:report", args=[report.pk]), **bearer(secret)).json()
    assert data["status"] == "ready"
    pdf = data["files"]["pdf"]
    assert pdf == "http://testserver" + reverse("api:report_pdf", args=[report.pk])
    response = client.get(pdf, **bearer(secret))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    response = client.get(data["files"]["xlsx"], **bearer(secret), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    # Out of scope: 404 for the file too.
    _, theirs = new_token(world.other_caf_staff)
    assert client.get(pdf, **bearer(theirs)).status_code == 404


# --------------------------------------------------------------------------- the Synthèse's figures


def test_progress_and_late_flags_are_the_synthese_s(world, client):
    populate(world.convention, sheets=7, committee=world.committee, seat=world.caf_seat)
    _, secret = new_token(world.caf_staff)
    convention = world.convention
    response = client.get(
        reverse("api:indicators"), {"convention": convention.pk, "page_size": 200}, **bearer(secret)
    )
    rows = {row["id"]: row["progress"] for row in response.json()["results"]}
    expected = {i.pk: i for i in progress.indicators_of(convention=convention)}
    assert set(rows) == set(expected)
    for pk, indicator in expected.items():
        assert rows[pk]["status"] == indicator.status
        assert rows[pk]["late"] == (indicator.status == progress.LATE)
        assert rows[pk]["progress_pct"] == indicator.progress_pct
        assert rows[pk]["expected_pct"] == indicator.expected_pct
    late = {i.pk for i in progress.late_indicators(convention=convention)}
    assert late, "the data should have late indicators"
    assert {pk for pk, p in rows.items() if p["late"]} == late
    late_only = client.get(
        reverse("api:indicators"), {"convention": convention.pk, "late": "true"}, **bearer(secret)
    )
    assert set(ids(late_only)) == late
    detail = client.get(reverse("api:convention", args=[convention.pk]), **bearer(secret))
    by_thematic, summary = progress.progress_by_thematic_and_total(convention=convention)
    assert detail.json()["progress"]["summary"] == summary
    assert [row["thematic"] for row in detail.json()["progress"]["by_thematic"]] == [
        row["group_title"] for row in by_thematic
    ]


# --------------------------------------------------------------------------- pagination and filters


def test_lists_are_paginated_with_a_bounded_page_size(world, client):
    for n in range(7):
        ConventionFactory(caf=world.caf, name=f"CTG {n}")
    _, secret = new_token(world.caf_staff)
    url = reverse("api:conventions")
    first = client.get(url, {"page_size": 3}, **bearer(secret)).json()
    assert first["count"] == 8 and len(first["results"]) == 3
    assert first["previous"] is None and "page=2" in first["next"]
    last = client.get(url, {"page_size": 3, "page": 3}, **bearer(secret)).json()
    assert len(last["results"]) == 2 and last["next"] is None
    seen = ids(client.get(url, {"page_size": 3}, **bearer(secret)))
    assert seen == sorted(seen)  # stable order: by id
    beyond = client.get(url, {"page": 9}, **bearer(secret))
    assert beyond.status_code == 404 and beyond.json()["detail"].startswith("Page introuvable")
    too_big = client.get(url, {"page_size": 1000}, **bearer(secret))
    assert too_big.status_code == 400
    assert "page_size" in too_big.json()["errors"]


def test_filters_by_caf_collectivity_phase_thematic_and_date(world, plan, client):
    _, secret = new_token(world.superuser)
    url = reverse("api:conventions")

    def listed(**params):
        return set(ids(client.get(url, params, **bearer(secret))))

    mine, theirs = world.convention.pk, world.other_convention.pk
    assert listed() == {mine, theirs}
    assert listed(caf=world.caf.pk) == {mine}
    assert listed(collectivity=world.other_commune.pk) == {theirs}
    assert listed(collectivity=world.commune.pk) == {mine}
    Convention.objects.filter(pk=theirs).update(phase=Convention.Phase.ACTION_PLAN)
    assert listed(phase="action_plan") == {theirs}
    world.other_convention.thematics.set([thematic("jeunesse")])
    assert listed(thematic="jeunesse") == {theirs}
    assert listed(thematic="inconnue") == set()
    past = timezone.now() - datetime.timedelta(days=1)
    Convention.objects.filter(pk=mine).update(updated_at=past - datetime.timedelta(days=30))
    assert listed(updated_since=past.isoformat()) == {theirs}
    assert listed(updated_since=past.date().isoformat()) == {theirs}
    # The same parameters on the other lists: the objects of those conventions.
    sheets = client.get(reverse("api:sheets"), {"caf": world.other_caf.pk}, **bearer(secret))
    assert ids(sheets) == [plan["theirs"]["api:sheet"]]
    fiches = client.get(reverse("api:sheets"), {"thematic": "petite-enfance"}, **bearer(secret))
    assert set(ids(fiches)) == {plan["mine"]["api:sheet"], plan["theirs"]["api:sheet"]}
    measures = client.get(reverse("api:measurements"), {"convention": theirs}, **bearer(secret))
    assert ids(measures) == [plan["theirs"]["api:measurement"]]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"caf": "abc"}, "caf"),
        ({"caf": "0"}, "caf"),
        ({"caf": str(10**30)}, "caf"),
        ({"convention": "-3"}, "convention"),
        ({"phase": "en_cours"}, "phase"),
        ({"thematic": "petite enfance"}, "thematic"),
        ({"updated_since": "hier"}, "updated_since"),
        ({"updated_since": "9999-12-31T23:59:59+14:00"}, "updated_since"),
        ({"updated_since": "0001-01-01"}, "updated_since"),
        ({"updated_since": "2024-02-30"}, "updated_since"),
        ({"page": "0"}, "page"),
        ({"page": str(10**20)}, "page"),
        ({"page_size": "x"}, "page_size"),
    ],
)
def test_a_malformed_parameter_is_a_400_in_french(world, client, params, field):
    _, secret = new_token(world.caf_staff)
    response = client.get(reverse("api:conventions"), params, **bearer(secret))
    assert response.status_code == 400
    data = response.json()
    assert data["detail"] == "Paramètres invalides."
    assert field in data["errors"]
    assert all(message for message in data["errors"][field])


def test_control_characters_and_huge_ids_never_make_a_500(world, client):
    _, secret = new_token(world.caf_staff)
    for url in (
        reverse("api:conventions") + "?thematic=petite%00enfance",
        reverse("api:conventions") + "?caf=1%00",
        reverse("api:indicators") + "?late=peut-%C3%AAtre",
        reverse("api:sheets") + "?status=%00",
    ):
        assert client.get(url, **bearer(secret)).status_code in (200, 400), url
    for name in ("api:convention", "api:sheet", "api:indicator", "api:report_pdf"):
        response = client.get(reverse(name, args=[10**30]), **bearer(secret))
        assert response.status_code == 404, name
        response = client.get(reverse(name, args=[2**63 - 1]), **bearer(secret))
        assert response.status_code == 404, name
        assert response.json()["detail"].endswith("introuvable."), name


# --------------------------------------------------------------------------- query counts


def _count(client, url, secret) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 200}, **bearer(secret))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name, bound",
    [
        ("api:conventions", 7),
        ("api:diagnostics", 5),
        ("api:objectives", 5),
        ("api:sheets", 7),
        ("api:indicators", 4),
        ("api:measurements", 4),
        ("api:reports", 4),
    ],
)
def test_a_page_costs_the_same_queries_for_one_object_or_many(
    world, client, django_assert_max_num_queries, name, bound
):
    _, secret = new_token(world.superuser)
    url = reverse(name)
    client.get(url, **bearer(secret))  # last_used_at written once, then not for a minute
    populate(world.convention, sheets=1, prefix="UN")
    DiagnosticFactory(convention=world.convention)
    small = _count(client, url, secret)
    for n in range(12):
        convention = ConventionFactory(caf=world.caf, name=f"CTG {n}")
        SignatoryFactory(convention=convention, collectivity=world.epci)
        convention.thematics.set([thematic("jeunesse"), thematic("enfance")])
        DiagnosticFactory(convention=convention)
        FindingFactory(diagnostic=convention.diagnostic)
        populate(convention, sheets=4, indicators_per_sheet=2, prefix=f"M{n}")
        for sheet in convention.action_sheets.all()[:2]:
            sheet.other_thematics.set([thematic("jeunesse")])
            sheet.communes.set([world.commune])
    large = _count(client, url, secret)
    assert small == large, f"{name}: {small} queries for a few objects, {large} for many"
    with django_assert_max_num_queries(bound):
        response = client.get(url, {"page_size": 200}, **bearer(secret))
    assert response.json()["count"] > 12


def test_a_detail_costs_a_fixed_number_of_queries(world, client, django_assert_max_num_queries):
    populate(world.convention, sheets=6, committee=world.committee, seat=world.caf_seat)
    _, secret = new_token(world.caf_staff)
    client.get(reverse("api:conventions"), **bearer(secret))
    sheet = world.convention.action_sheets.first()
    with django_assert_max_num_queries(8):
        assert (
            client.get(
                reverse("api:convention", args=[world.convention.pk]), **bearer(secret)
            ).status_code
            == 200
        )
    with django_assert_max_num_queries(7):
        assert (
            client.get(reverse("api:sheet", args=[sheet.pk]), **bearer(secret)).status_code == 200
        )


# --------------------------------------------------------------------------- rate limit


def test_each_token_has_its_own_rate_limit(world, client, settings):
    settings.API_THROTTLE_RATE = "3/min"
    _, first = new_token(world.caf_staff, name="Premier")
    _, second = new_token(world.caf_staff, name="Second")
    url = reverse("api:conventions")
    for _ in range(3):
        assert client.get(url, **bearer(first)).status_code == 200
    refused = client.get(url, **bearer(first))
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Requête ralentie.")
    assert int(refused["Retry-After"]) >= 1
    assert client.get(url, **bearer(second)).status_code == 200


# --------------------------------------------------------------------------- schema and docs


def test_the_schema_describes_every_endpoint_and_the_docs_keep_the_csp(world, client):
    assert client.get(reverse("api:docs")).status_code == 302  # to the login page
    client.force_login(world.elected)
    schema = client.get(reverse("api:schema"))
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for name in LISTS:
        assert reverse(name) in paths
    assert "/api/v1/reports/{id}/pdf/" in paths
    assert schema.json()["components"]["securitySchemes"]["jeton"]["scheme"] == "bearer"
    docs = client.get(reverse("api:docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    assert "unsafe-inline" not in docs["Content-Security-Policy"]
    # No inline script nor style: every script has a src, on this site.
    assert "<style" not in html
    for tag in html.split("<script")[1:]:
        assert tag.lstrip().startswith("src="), tag[:80]
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert reverse("api:schema") in script.content.decode()
