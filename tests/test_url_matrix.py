"""Permission matrix over every URL of the project.

The patterns come from the URL resolver, so a new page cannot escape the matrix: a pattern
that is missing from ``EXPECTED`` (or a name listed there that no longer exists) fails
``test_every_url_pattern_is_in_the_matrix``. For each role, every pattern is requested with
GET and, where the page has a form or an action, with POST (an empty body), and the answer is
compared with what ``conventions/permissions.py`` and DOMAIN.md say:

- anonymous: 302 to the login page, with ``next`` set to the requested path (the public
  addresses excepted: the health check, and the public page, open data and table schemas of
  a published convention — ``world.convention`` is published, see ``publication_objects``);
- out of the convention's scope (another Caf's staff, another territory's elected official,
  a person without any link): 404, so nobody learns which conventions exist;
- in scope without the right: 403;
- allowed: 200 (or the page's own redirect), and the declared content type for downloads;
  a POST by an allowed role is a 200 with form errors, a 302 or a 400 (rejected form);
- never a 500.

Each role gets its own fresh database (one test per role, every mismatch listed in one
message). Objects that an allowed POST deletes or moves (committee, member, meeting,
signatory, finding, value, objective, fiche transition) are spares, so that the other
patterns keep their objects.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from actions.factories import ActionSheetFactory, ObjectiveFactory
from actions.models import ActionSheet
from conventions.factories import CommitteeFactory, CommitteeMemberFactory, MeetingFactory
from conventions.models import Side, Signatory
from diagnostics.factories import (
    DiagnosticFactory,
    FindingFactory,
    TerritoryStatisticFactory,
    thematic,
)
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import ChangeSought, ProgressMarker
from meetings.models import ReleveSending
from portal import services as document_services
from reports import services as reporting
from reports.models import ProgressReport

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"
JSON = "application/json"

ROLES = [
    "anonymous",
    "caf_staff",
    "other_caf_staff",
    "coordinator",
    "elected",
    "other_elected",
    "member_caf",
    "outsider",
    "superuser",
]

# Who may see world.convention (its Caf's staff, the coordinator of a signatory EPCI, an
# elected official of a signatory commune, a member of its committee, the superuser).
IN_SCOPE = {"caf_staff", "coordinator", "elected", "member_caf", "superuser"}

# Access levels: which logged-in roles are allowed; in-scope roles outside the level get
# 403, out-of-scope roles 404 (convention pages) or 403 (pages outside any convention).
PUBLIC = "public"  # no login: the health check, a published convention's public addresses
LOGGED_IN = "logged_in"  # any logged-in user, no convention involved
VIEW = "view"  # anyone who sees the convention
EDIT = "edit"  # convention, signatories, committees, diagnostic: the Caf's staff
ACT = "act"  # fiches, indicators, measurements, observations: Caf staff and coordinators
APPROVE = "approve"  # opinions on fiches: committee members
CAF = "caf"  # Caf-level pages (portfolio, referential, new convention): any Caf staff
CAF_OWN = "caf_own"  # a collectivity of the referential: its own Caf's staff (else 404)
OWN = "own"  # a personal object (an API token): its owner, world.caf_staff (else 404)

ALLOWED = {
    PUBLIC: set(ROLES),
    LOGGED_IN: set(ROLES) - {"anonymous"},
    VIEW: IN_SCOPE,
    EDIT: {"caf_staff", "superuser"},
    ACT: {"caf_staff", "coordinator", "superuser"},
    APPROVE: {"member_caf"},
    CAF: {"caf_staff", "other_caf_staff", "superuser"},
    CAF_OWN: {"caf_staff", "superuser"},
    OWN: {"caf_staff"},
}

# What a POST by an allowed role may answer: the form again (with its errors), a redirect
# after success, or a 400 for a rejected request.
POST_OK = {200, 302, 400}


@dataclass(frozen=True)
class Rule:
    """What a pattern answers.

    ``get``: the access level of GET, or None when the pattern only takes POST (then a
    logged-in GET is a 405). ``post``: the access level of POST, or None when the page has
    no form. ``ok``: the status of an allowed GET. ``content_type``: of an allowed GET
    (downloads). ``objects``: kwarg overrides (spare objects for destructive POSTs).
    """

    get: str | None = VIEW
    post: str | None = None
    ok: int = 200
    content_type: str | None = None
    objects: dict = field(default_factory=dict)


def edit_form(level: str = EDIT, **kwargs) -> Rule:
    return Rule(get=level, post=level, **kwargs)


def post_only(level: str, **kwargs) -> Rule:
    return Rule(get=None, post=level, **kwargs)


EXPECTED: dict[str, Rule] = {
    "home": Rule(get=LOGGED_IN),
    "healthz": Rule(get=PUBLIC, content_type="application/json"),
    # conventions
    "conventions:list": Rule(get=LOGGED_IN),
    "portal:detail": Rule(),
    "conventions:governance": Rule(),
    "portal:history": Rule(),
    # GET: the built copy (the page « en préparation » is tested in test_document_cache);
    # POST: ask again for a copy that failed.
    "portal:document": Rule(post=VIEW, content_type=PDF),
    "portal:document_docx": Rule(content_type=DOCX),  # built in the request
    "conventions:create": edit_form(CAF),
    "conventions:takeover": edit_form(CAF),
    "conventions:edit": edit_form(),
    "conventions:lifecycle": edit_form(),
    "conventions:sign": edit_form(),
    "conventions:renew": edit_form(),
    "conventions:signatory_create": edit_form(),
    "conventions:signatory_edit": edit_form(),
    "conventions:signatory_delete": edit_form(objects={"signatory_pk": "spare_signatory"}),
    "conventions:committee_create": edit_form(),
    "conventions:committee_detail": Rule(),
    "conventions:committee_update": edit_form(),
    "conventions:committee_delete": edit_form(objects={"committee_pk": "spare_committee"}),
    "conventions:member_create": edit_form(),
    "conventions:member_update": edit_form(),
    "conventions:member_delete": edit_form(objects={"member_pk": "spare_member"}),
    "conventions:meeting_create": edit_form(),
    "conventions:meeting_detail": Rule(),
    "conventions:meeting_update": edit_form(),
    "conventions:meeting_delete": edit_form(objects={"meeting_pk": "spare_meeting"}),
    # the committee cycle (meetings app): attendees, agenda, convocation; the meeting as .ics
    "meetings:attendance": post_only(EDIT),
    "meetings:agenda": post_only(EDIT),
    "meetings:convocation_send": post_only(EDIT),
    "meetings:calendar": Rule(content_type="text/calendar"),
    "meetings:decision": post_only(EDIT),
    "meetings:pack_pdf": Rule(content_type=PDF),
    "meetings:releve_pdf": Rule(content_type=PDF),
    "meetings:releve_docx": Rule(content_type=DOCX),
    "meetings:releve_send": post_only(EDIT),
    "meetings:releve_sent_pdf": Rule(content_type=PDF, objects={"sending_pk": "releve_sending"}),
    "conventions:collectivities": Rule(get=CAF),
    "conventions:collectivity_create": edit_form(CAF),
    "conventions:collectivity_edit": edit_form(CAF_OWN),
    "conventions:collectivity_import": edit_form(CAF),
    # invitations: the Caf's staff and the coordinator (its own people, see
    # tests/test_invitations.py); the link of the e-mail is public (a pending invitation)
    "conventions:invitation_create": edit_form(ACT),
    "conventions:invitation_resend": post_only(ACT),
    "conventions:invitation_remove": edit_form(ACT, objects={"invitation_pk": "spare_invitation"}),
    "conventions:invitation_accept": Rule(
        get=PUBLIC, post=PUBLIC, objects={"uidb64": "invitation_uid", "token": "invitation_token"}
    ),
    # « Mot de passe oublié ? »: public (an unknown link answers « lien non valable »)
    "password_reset": edit_form(PUBLIC),
    "password_reset_done": Rule(get=PUBLIC),
    "password_reset_confirm": edit_form(
        PUBLIC, objects={"uidb64": "reset_uid", "token": "reset_token"}
    ),
    "password_reset_complete": Rule(get=PUBLIC),
    # diagnostics
    "diagnostics:detail": Rule(),
    "diagnostics:edit": edit_form(),
    "diagnostics:finding_create": edit_form(),
    "diagnostics:finding_edit": edit_form(),
    "diagnostics:finding_delete": edit_form(objects={"finding_pk": "spare_finding"}),
    "diagnostics:statistics": edit_form(),
    "diagnostics:statistic_delete": edit_form(objects={"statistic_pk": "spare_statistic"}),
    "diagnostics:statistics_import": edit_form(),
    "diagnostics:statistics_template": Rule(get=EDIT, content_type=CSV),
    # the Cafdata open-data import: upload and preview, then confirm (POST only)
    "diagnostics:cafdata_upload": edit_form(),
    "diagnostics:cafdata_confirm": post_only(EDIT),
    # actions
    "actions:plan": Rule(),
    "actions:export": Rule(content_type=XLSX),
    "actions:objective_create": edit_form(ACT),
    "actions:objective_update": edit_form(ACT),
    "actions:objective_delete": edit_form(ACT, objects={"objective_id": "spare_objective"}),
    "actions:sheet_create": edit_form(ACT),
    "actions:sheet": Rule(),
    "actions:sheet_update": edit_form(ACT),
    "actions:sheet_transition": post_only(ACT, objects={"sheet_id": "spare_sheet"}),
    "actions:sheet_opinion": post_only(APPROVE, objects={"sheet_id": "submitted_sheet"}),
    "actions:inbox": Rule(get=LOGGED_IN),
    # plans: the plan import (a world.convention in implementation: the upload page explains
    # why it is closed, a POST answers with the preview's refusal)
    "plans:import": edit_form(),
    "plans:import_confirm": post_only(EDIT),
    "plans:template": Rule(get=EDIT, content_type=XLSX),
    # evaluation
    "evaluation:overview": Rule(),
    "evaluation:indicator": Rule(get=VIEW, post=ACT),
    # the reference sheet of an indicator: read by all who see it, edited like indicators
    "evaluation:reference_sheet": Rule(),
    "evaluation:reference_sheet_edit": edit_form(ACT),
    "evaluation:workbook": Rule(get=ACT, content_type=XLSX),
    "evaluation:workbook_upload": edit_form(ACT),
    "evaluation:workbook_confirm": post_only(ACT),
    # a measurement changed or deleted (ACT); unlocked after a report locked it (EDIT: Caf)
    "evaluation:measurement_edit": edit_form(ACT),
    "evaluation:measurement_delete": edit_form(
        ACT, objects={"measurement_pk": "spare_measurement"}
    ),
    "evaluation:measurement_unlock": edit_form(),
    # the validation of measurements by the Caf (EDIT): the list, one value, all of a fiche
    "evaluation:validation_list": Rule(get=EDIT),
    "evaluation:measurement_validate": post_only(EDIT),
    "evaluation:measurement_return": edit_form(),
    "evaluation:sheet_validate": post_only(EDIT, objects={"sheet_pk": "sheet_id"}),
    # evidence: pieces added to a measurement, an observation, a fiche (ACT); the file only
    # through the download's scope check (its folder's media address: 404 to everyone); a
    # piece removed by the Caf's staff or its uploader (world.coordinator: ACT)
    "evidence:add_to_measurement": edit_form(
        ACT, objects={"measurement_pk": "evidence_measurement"}
    ),
    "evidence:add_to_observation": edit_form(ACT),
    "evidence:add_to_sheet": edit_form(ACT),
    "evidence:download": Rule(content_type=PDF),
    "evidence:delete": edit_form(ACT, objects={"evidence_pk": "spare_evidence"}),
    "evidence:no_public_address": Rule(get=PUBLIC, ok=404, objects={"name": "evidence_file"}),
    "evaluation:changes": Rule(),
    "evaluation:change_create": edit_form(),
    "evaluation:marker_create": edit_form(),
    "evaluation:observation_create": edit_form(ACT),
    "evaluation:territories": Rule(),
    "evaluation:portfolio": Rule(get=CAF),
    # shared indicators of a Caf (SDSF): the set (any Caf staff; one of them: its own Caf's
    # staff, else 404), the cross-convention view and its export, the link from a fiche and
    # « retirer » (ACT)
    "evaluation:shared_list": Rule(get=CAF),
    "evaluation:shared_create": edit_form(CAF),
    "evaluation:shared_edit": edit_form(CAF_OWN),
    "evaluation:shared_delete": edit_form(CAF_OWN, objects={"shared_pk": "spare_shared"}),
    "evaluation:shared_portfolio": Rule(get=CAF),
    "evaluation:shared_portfolio_xlsx": Rule(get=CAF, content_type=XLSX),
    "evaluation:shared_link": edit_form(ACT),
    "evaluation:shared_unlink": post_only(ACT, objects={"indicator_pk": "shared_linked"}),
    "reports:reports": Rule(),
    "reports:report_request": post_only(EDIT),
    "reports:report_detail": Rule(),
    "reports:report_pdf": Rule(content_type=PDF),
    "reports:report_xlsx": Rule(content_type=XLSX),
    # api: the read API (JSON, see API_JSON), its schema and docs, the profile's token pages
    "api:conventions": Rule(get=LOGGED_IN, content_type=JSON),
    "api:convention": Rule(content_type=JSON),
    "api:diagnostics": Rule(get=LOGGED_IN, content_type=JSON),
    "api:diagnostic": Rule(content_type=JSON, objects={"pk": "api_diagnostic"}),
    "api:objectives": Rule(get=LOGGED_IN, content_type=JSON),
    "api:objective": Rule(content_type=JSON, objects={"pk": "objective_id"}),
    "api:sheets": Rule(get=LOGGED_IN, content_type=JSON),
    "api:sheet": Rule(content_type=JSON, objects={"pk": "sheet_id"}),
    "api:indicators": Rule(get=LOGGED_IN, content_type=JSON),
    "api:indicator": Rule(content_type=JSON, objects={"pk": "indicator_pk"}),
    "api:measurements": Rule(get=LOGGED_IN, content_type=JSON),
    "api:measurement": Rule(content_type=JSON, objects={"pk": "api_measurement"}),
    "api:reports": Rule(get=LOGGED_IN, content_type=JSON),
    "api:report": Rule(content_type=JSON, objects={"pk": "report_pk"}),
    "api:report_pdf": Rule(content_type=PDF, objects={"pk": "report_pk"}),
    "api:report_xlsx": Rule(content_type=XLSX, objects={"pk": "report_pk"}),
    "api:schema": Rule(get=LOGGED_IN, content_type=JSON),
    "api:docs": Rule(get=LOGGED_IN),
    "api:unknown": Rule(get=LOGGED_IN, ok=404, content_type=JSON),
    "api:tokens": edit_form(LOGGED_IN),
    "api:token_revoke": edit_form(OWN, objects={"token_id": "api_token"}),
    # publication: the Caf's settings, then the public addresses of the published convention
    # (withdrawn: 404, test_the_public_addresses_of_an_unpublished_convention_answer_404)
    "publication:settings": edit_form(),
    "publication:publish": edit_form(),
    "publication:unpublish": edit_form(),
    "publication:schema": Rule(get=PUBLIC, content_type=JSON, objects={"table": "opendata_table"}),
    "publication:page": Rule(get=PUBLIC),
    "publication:data_csv": Rule(get=PUBLIC, content_type=CSV, objects={"table": "opendata_table"}),
    "publication:data_json": Rule(
        get=PUBLIC, content_type=JSON, objects={"table": "opendata_table"}
    ),
    "publication:report_pdf": Rule(get=PUBLIC, content_type=PDF),
}

# The API's endpoints answer an anonymous request with a 401 (JSON), not the login redirect.
API_PAGES = {"api:docs", "api:tokens", "api:token_revoke"}  # HTML pages: the login redirect
API_JSON = {n for n in EXPECTED if n.startswith("api:")} - API_PAGES

# Tested on their own (test_login_logout_and_admin): the authentication pages and the admin.
OUTSIDE_MATRIX = {"login", "logout"}


# --------------------------------------------------------------------------- the resolver


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name"
    route: str
    kwargs: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            space = namespace
            if entry.namespace:
                space = f"{namespace}{entry.namespace}:"
            yield from _walk(entry.url_patterns, route, space)
        elif isinstance(entry, URLPattern):
            if entry.callback.__module__ == "django.views.static":
                continue  # media files served in development
            name = f"{namespace}{entry.name}" if entry.name else f"<unnamed {route}>"
            yield Pattern(name, route, tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)))


def project_patterns() -> list[Pattern]:
    return [p for p in _walk(get_resolver().url_patterns) if p.name not in OUTSIDE_MATRIX]


def test_every_url_pattern_is_in_the_matrix():
    patterns = project_patterns()
    names = [p.name for p in patterns]
    missing = sorted(set(names) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(names))
    duplicated = sorted({n for n in names if names.count(n) > 1})
    assert not missing, f"URL patterns without a rule in EXPECTED: {missing}"
    assert not stale, f"Rules in EXPECTED for URL patterns that no longer exist: {stale}"
    assert not duplicated, f"Several URL patterns share a name: {duplicated}"
    assert len(patterns) == len(EXPECTED)


# --------------------------------------------------------------------------- the objects


def build_objects(convention, committee, collectivity) -> dict[str, int | str]:
    """One object of every kind the URLs name, on a convention, and the spares."""
    convention.thematics.set([thematic("petite-enfance")])
    spare_committee = CommitteeFactory(convention=convention, name="Groupe à supprimer")
    member = CommitteeMemberFactory(committee=committee, side=Side.TERRITORY, name="Paul Élu")
    spare_member = CommitteeMemberFactory(committee=committee, side=Side.CAF, name="Zoé Partie")
    meeting = MeetingFactory(committee=committee)
    releve_sending = ReleveSending.objects.create(
        meeting=meeting,
        sequence=1,
        document=b"%PDF-1.4 relev\xc3\xa9 envoy\xc3\xa9",
        status=ReleveSending.Status.SENT,
    )
    spare_meeting = MeetingFactory(
        committee=committee, date=datetime.datetime(2024, 11, 5, 10, 0, tzinfo=datetime.UTC)
    )
    signatory = convention.signatories.first()
    spare_signatory = Signatory.objects.create(
        convention=convention, partner_kind=Signatory.PartnerKind.MSA, partner_name="MSA"
    )
    diagnostic = DiagnosticFactory(convention=convention)
    finding = FindingFactory(diagnostic=diagnostic)
    spare_finding = FindingFactory(diagnostic=diagnostic, text="Constat à supprimer")
    statistic = TerritoryStatisticFactory(collectivity=collectivity, year=2022)
    spare_statistic = TerritoryStatisticFactory(collectivity=collectivity, year=2023)
    objective = ObjectiveFactory(convention=convention)
    spare_objective = ObjectiveFactory(convention=convention, title="Objectif à supprimer")
    sheet = ActionSheetFactory(convention=convention, number="FA-01", objective=objective)
    spare_sheet = ActionSheetFactory(convention=convention, number="FA-02")
    submitted = ActionSheetFactory(
        convention=convention,
        number="FA-03",
        title=f"Ouvrir un relais petite enfance ({convention.name})",
        status=ActionSheet.Status.SUBMITTED,
    )
    indicator = IndicatorFactory(action_sheet=sheet)
    measurement = MeasurementFactory(indicator=indicator)
    spare_measurement = MeasurementFactory(indicator=indicator, date=datetime.date(2024, 6, 30))
    change = ChangeSought.objects.create(
        convention=convention, title="Les familles connaissent l'offre", actor="Familles"
    )
    marker = ProgressMarker.objects.create(change=change, level="attendu", text="Elles demandent")
    report, _ = reporting.report_request(
        convention=convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 12, 31),
    )
    report = reporting.report_build(report_id=report.pk)
    assert report.status == ProgressReport.Status.READY
    return {
        "pk": convention.pk,
        "committee_pk": committee.pk,
        "spare_committee": spare_committee.pk,
        "member_pk": member.pk,
        "spare_member": spare_member.pk,
        "meeting_pk": meeting.pk,
        "releve_sending": releve_sending.pk,
        "spare_meeting": spare_meeting.pk,
        "signatory_pk": signatory.pk,
        "spare_signatory": spare_signatory.pk,
        "collectivity_pk": collectivity.pk,
        "finding_pk": finding.pk,
        "spare_finding": spare_finding.pk,
        "statistic_pk": statistic.pk,
        "spare_statistic": spare_statistic.pk,
        "objective_id": objective.pk,
        "spare_objective": spare_objective.pk,
        "sheet_id": sheet.pk,
        "spare_sheet": spare_sheet.pk,
        "submitted_sheet": submitted.pk,
        "action": "submit",
        "indicator_pk": indicator.pk,
        "measurement_pk": measurement.pk,  # in the report's period: locked
        "spare_measurement": spare_measurement.pk,
        "change_pk": change.pk,
        "marker_pk": marker.pk,
        "report_pk": report.pk,
        **shared_objects(convention, sheet),
        **api_objects(convention, diagnostic, measurement),
        **evidence_objects(convention, sheet=sheet, measurement=measurement, marker=marker),
        **publication_objects(convention),
        **account_objects(convention, committee, collectivity),
    }


def shared_objects(convention, sheet) -> dict[str, int]:
    """A shared indicator of the convention's Caf linked on the fiche, and a spare one that
    nothing links (deleted by a POST)."""
    from evaluation.models import SharedIndicator

    item = SharedIndicator.objects.create(
        caf=convention.caf, code=f"SDSF-{convention.pk}", name=f"Places EAJE ({convention.name})"
    )
    spare = SharedIndicator.objects.create(
        caf=convention.caf, code=f"SDSF-{convention.pk}-B", name="Indicateur à supprimer"
    )
    linked = IndicatorFactory(action_sheet=sheet, shared=item, name=item.name)
    return {"shared_pk": item.pk, "spare_shared": spare.pk, "shared_linked": linked.pk}


def api_objects(convention, diagnostic, measurement) -> dict[str, int]:
    """The API's: the diagnostic, a measurement, and an API token of the convention's Caf
    staff (world.caf_staff for world.convention: the OWN level)."""
    from api.services import api_token_create
    from conventions.models import User

    owner = User.objects.filter(role=User.Role.CAF_STAFF, caf=convention.caf).order_by("pk")[0]
    token, _ = api_token_create(
        user=owner,
        name="Matrice",
        expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30),
    )
    return {
        "api_diagnostic": diagnostic.pk,
        "api_measurement": measurement.pk,
        "api_token": token.pk,
    }


def evidence_objects(convention, *, sheet, measurement, marker) -> dict[str, int | str]:
    """A PDF on the measurement (downloaded), an observation, and a spare piece added by the
    convention's coordinator (removed by a POST)."""
    from conventions.models import User
    from evaluation.models import Observation
    from evidence.services import evidence_add

    uploader = (
        User.objects.filter(
            role=User.Role.COORDINATOR,
            collectivity__in=convention.signatories.values("collectivity"),
        )
        .order_by("pk")
        .first()
    )
    observation = Observation.objects.create(
        marker=marker, date=datetime.date(2023, 6, 1), degree="oui", text="Vu au relais"
    )
    pdf = b"%PDF-1.4\n%%EOF\n"
    piece = evidence_add(
        title="Émargement",
        upload=SimpleUploadedFile("emargement.pdf", pdf),
        user=uploader,
        measurement=measurement,
    )
    spare = evidence_add(
        title="Compte rendu",
        upload=SimpleUploadedFile("compte-rendu.pdf", pdf),
        user=uploader,
        action_sheet=sheet,
    )
    return {
        "evidence_measurement": measurement.pk,
        "observation_pk": observation.pk,
        "evidence_pk": piece.pk,
        "spare_evidence": spare.pk,
        "evidence_file": piece.file.name,
    }


def account_objects(convention, committee, collectivity) -> dict[str, int | str]:
    """Two invitations of the collectivity's people (the coordinator of world.epci follows
    them), the link of the first, and a password reset link that names nobody."""
    from conventions.models import User
    from conventions.services import invitation

    caf_staff = User.objects.filter(role=User.Role.CAF_STAFF, caf=convention.caf).order_by("pk")[0]
    sent = [
        invitation.invitation_send(
            convention=convention,
            by=caf_staff,
            email=f"invitee{n}.{convention.pk}@exemple.fr",
            kind="member",
            committee=committee,
            side=Side.TERRITORY,
            collectivity=collectivity,
        )
        for n in (1, 2)
    ]
    return {
        "invitation_pk": sent[0].pk,
        "spare_invitation": sent[1].pk,
        "invitation_uid": invitation.invitation_uid(sent[0]),
        "invitation_token": invitation.invitation_token_generator.make_token(sent[0]),
        "reset_uid": "MA",
        "reset_token": "lien-inconnu",
    }


def publication_objects(convention) -> dict[str, str]:
    """The convention published (at its secret address, its last report's PDF shared): the
    public addresses answer everyone (PUBLIC)."""
    from publication.services import publication_publish, publication_update

    publication_update(
        convention=convention,
        by=None,
        mode="token",
        slug="",
        noindex=True,
        share_report_pdf=True,
    )
    publication, _ = publication_publish(convention=convention, by=None)
    return {"address": publication.address, "opendata_table": "fiches"}


def url_of(pattern: Pattern, objects: dict) -> str:
    rule = EXPECTED[pattern.name]
    kwargs = {}
    for name in pattern.kwargs:
        key = rule.objects.get(name, name)
        assert key in objects, f"{pattern.name}: no object for the URL kwarg {name!r}"
        kwargs[name] = objects[key]
    return reverse(pattern.name, kwargs=kwargs)


# --------------------------------------------------------------------------- expectations


def expected_refusal(level: str | None, role: str, method: str) -> int | str | None:
    """The refusal a role gets (``"login"``, 403, 404, 405), None when allowed."""
    if level is not None and role in ALLOWED[level]:
        return None
    if role == "anonymous":
        return "login"
    if level is None:
        return 405
    if level in (LOGGED_IN, CAF):
        return 403
    if level == CAF_OWN:
        return 404 if role in ALLOWED[CAF] else 403
    if level == OWN:
        return 404
    return 403 if role in IN_SCOPE else 404


def check(client, role: str, method: str, pattern: Pattern, url: str) -> str | None:
    """A mismatch message, or None when the answer is the expected one."""
    rule = EXPECTED[pattern.name]
    level = rule.get if method == "GET" else rule.post
    refusal = expected_refusal(level, role, method)
    response = client.get(url) if method == "GET" else client.post(url, {})
    status = response.status_code
    where = f"{method} {pattern.name} ({url}) as {role}"
    if status >= 500:
        return f"{where}: server error {status}"
    if refusal == "login" and pattern.name in API_JSON:
        return None if status == 401 else f"{where}: expected 401 (API), got {status}"
    if refusal == "login":
        target = urlsplit(response.get("Location", ""))
        if status != 302 or target.path != "/connexion/":
            return f"{where}: expected 302 to the login page, got {status} {target.geturl()}"
        if parse_qs(target.query).get("next") != [url]:
            return f"{where}: the login redirect does not come back to {url}: {target.geturl()}"
        return None
    if refusal is not None:
        return None if status == refusal else f"{where}: expected {refusal}, got {status}"
    if method == "POST":
        return None if status in POST_OK else f"{where}: expected 200/302/400, got {status}"
    if status != rule.ok:
        return f"{where}: expected {rule.ok}, got {status}"
    if rule.content_type and not response["Content-Type"].startswith(rule.content_type):
        return f"{where}: expected {rule.content_type}, got {response['Content-Type']}"
    return None


@pytest.fixture
def matrix_world(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    objects = build_objects(world.convention, world.committee, world.epci)
    # The convention document is built by a task once per content: built here, so that
    # a download serves the PDF (a test's transaction never commits, so the build a
    # first download asks for would not run before the answer).
    copy = document_services.convention_document_request(convention=world.convention)
    document_services.convention_document_build(document_id=copy.pk)
    return SimpleNamespace(world=world, objects=objects)


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_matrix(matrix_world, client, role):
    """Every pattern, GET then POST, answers as the matrix says for this role."""
    world, objects = matrix_world.world, matrix_world.objects
    if role != "anonymous":
        client.force_login(getattr(world, role))
    patterns = project_patterns()
    urls = {p.name: url_of(p, objects) for p in patterns}
    mismatches = []
    requests = 0
    for method in ("GET", "POST"):
        for pattern in patterns:
            rule = EXPECTED[pattern.name]
            if method == "POST" and rule.post is None:
                continue
            requests += 1
            problem = check(client, role, method, pattern, urls[pattern.name])
            if problem:
                mismatches.append(problem)
    assert requests >= len(patterns)
    assert not mismatches, f"{len(mismatches)} of {requests} answers differ:\n" + "\n".join(
        mismatches
    )


# --------------------------------------------------------------------------- outside the matrix


def test_login_logout_and_admin(world, client):
    """The login page is public, logout takes a POST, only the superuser enters the admin."""
    assert client.get(reverse("login")).status_code == 200
    admin_login = "/admin/login/?next=/admin/"
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == admin_login
    for role in ROLES[1:-1]:
        client.force_login(getattr(world, role))
        response = client.get("/admin/")
        assert (response.status_code, response["Location"]) == (302, admin_login), role
    client.force_login(world.superuser)
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("login")).status_code == 302  # already logged in
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    response = client.get(reverse("conventions:list"))
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def test_a_convention_that_does_not_exist_answers_like_one_out_of_scope(world, client):
    """404 for a missing convention as for one out of scope: nothing tells them apart."""
    client.force_login(world.caf_staff)
    missing = world.other_convention.pk + 1000
    for name in ("portal:detail", "actions:plan", "portal:document"):
        assert client.get(reverse(name, kwargs={"pk": missing})).status_code == 404
        other = reverse(name, kwargs={"pk": world.other_convention.pk})
        assert client.get(other).status_code == 404


CHILD_OBJECT_ROLES = ["caf_staff", "coordinator", "member_caf", "superuser"]


def test_objects_of_another_convention_are_not_found_through_this_one(world, client):
    """A fiche, committee, report… of another convention, reached through the address of a
    convention one may edit, is a 404 for every role allowed on that page (no object leaks
    from one convention into another)."""
    mine = build_objects(world.convention, world.committee, world.epci)
    theirs = build_objects(world.other_convention, world.other_committee, world.other_commune)
    mismatches = []
    requests = 0
    for pattern in project_patterns():
        rule = EXPECTED[pattern.name]
        children = [k for k in pattern.kwargs if k not in ("pk", "action", "collectivity_pk")]
        if "pk" not in pattern.kwargs or not children:
            continue
        objects = dict(theirs, pk=mine["pk"], action=mine["action"])
        url = url_of(pattern, objects)
        for role in CHILD_OBJECT_ROLES:
            client.force_login(getattr(world, role))
            for method, level in (("GET", rule.get), ("POST", rule.post)):
                if level is None or role not in ALLOWED[level]:
                    continue
                requests += 1
                response = client.get(url) if method == "GET" else client.post(url, {})
                if response.status_code != 404:
                    mismatches.append(
                        f"{method} {pattern.name} ({url}) as {role}: "
                        f"expected 404, got {response.status_code}"
                    )
    assert requests > 50
    assert not mismatches, "\n".join(mismatches)


def test_lists_show_only_what_is_in_scope(world, client):
    """The pages without a convention in their address (lists, portfolio, referential,
    inbox) answer 200 to everyone allowed, but list only what each one may see."""
    objects = build_objects(world.convention, world.committee, world.epci)
    submitted = ActionSheet.objects.get(pk=objects["submitted_sheet"])
    mine, theirs = world.convention.name, world.other_convention.name
    pages = {
        # role: {url name: (names shown, names never shown)}
        "caf_staff": {
            "conventions:list": ([mine], [theirs]),
            "evaluation:portfolio": ([mine], [theirs]),
            "evaluation:shared_list": ([f"Places EAJE ({mine})"], [f"Places EAJE ({theirs})"]),
            "evaluation:shared_portfolio": ([mine], [theirs]),
            "conventions:collectivities": ([world.epci.name], [world.other_commune.name]),
        },
        "other_caf_staff": {
            "conventions:list": ([theirs], [mine]),
            "evaluation:portfolio": ([theirs], [mine]),
            "evaluation:shared_list": ([], [f"Places EAJE ({mine})"]),
            "evaluation:shared_portfolio": ([], [mine]),
            "conventions:collectivities": ([world.other_commune.name], [world.epci.name]),
            "actions:inbox": ([], [submitted.title]),
        },
        "coordinator": {"conventions:list": ([mine], [theirs])},
        "other_elected": {"conventions:list": ([theirs], [mine])},
        "member_caf": {
            "conventions:list": ([mine], [theirs]),
            "actions:inbox": ([submitted.title], []),
        },
        "outsider": {
            "conventions:list": ([], [mine, theirs]),
            "actions:inbox": ([], [submitted.title]),
        },
    }
    for role, by_page in pages.items():
        client.force_login(getattr(world, role))
        for name, (shown, hidden) in by_page.items():
            response = client.get(reverse(name))
            assert response.status_code == 200, (role, name)
            html = response.content.decode()
            for text in shown:
                assert text in html, f"{name} as {role} should show {text!r}"
            for text in hidden:
                assert text not in html, f"{name} as {role} shows {text!r}"


def test_the_public_addresses_of_an_unpublished_convention_answer_404(
    world, client, settings, tmp_path
):
    """The public page and files answer everyone above only because world.convention is
    published (publication_objects): withdrawn, every one of them is a 404 to an anonymous
    visitor (every other role: tests/test_publication.py)."""
    from publication.services import publication_unpublish

    settings.MEDIA_ROOT = tmp_path
    objects = build_objects(world.convention, world.committee, world.epci)
    publication_unpublish(convention=world.convention, by=None)
    public = [p for p in project_patterns() if "address" in p.kwargs]
    assert len(public) >= 4
    for pattern in public:
        assert EXPECTED[pattern.name].get == PUBLIC
        assert client.get(url_of(pattern, objects)).status_code == 404, pattern.name
