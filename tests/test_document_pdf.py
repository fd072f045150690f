"""The convention document: a real PDF, with the parties, the period, the thematics,
the governance, the action plan and, in annex, the validated fiches only."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from actions.factories import ActionSheetFactory, FundingLineFactory, ObjectiveFactory
from actions.models import ActionSheet
from conventions.factories import CommitteeFactory, CommitteeMemberFactory
from conventions.models import Committee, Side, Signatory
from diagnostics.factories import DiagnosticFactory, FindingFactory, thematic
from diagnostics.models import Finding
from evaluation.factories import IndicatorFactory
from portal.document import convention_document_data, render_convention_pdf


def build_demo(world):
    """A convention shaped like the Quercy Rouergue one: signatories with their
    representatives, thematics, a vision, committees, a diagnostic and fiches."""
    convention = world.convention
    convention.name = "CTG Quercy Rouergue Gorges de l'Aveyron"
    convention.vision = (
        "Un territoire rural où chaque famille trouve, à moins de vingt minutes, "
        "un mode d'accueil, un lieu ressource et un accompagnement adapté."
    )
    convention.horizon_year = 2025
    convention.signed_on = datetime.date(2021, 12, 15)
    convention.save()
    petite_enfance, jeunesse, parentalite = (
        thematic("petite-enfance"),
        thematic("jeunesse"),
        thematic("parentalite"),
    )
    convention.thematics.set([petite_enfance, jeunesse, parentalite])
    convention.territories.set([world.epci, world.commune])
    caf_signatory = Signatory.objects.get(convention=convention, caf=world.caf)
    caf_signatory.representative_name = "Charlotte Hubert-Boyer"
    caf_signatory.representative_title = "Directrice de la Caf"
    caf_signatory.save()
    epci_signatory = Signatory.objects.get(convention=convention, collectivity=world.epci)
    epci_signatory.representative_name = "Jean Dupuy"
    epci_signatory.representative_title = "Président de la communauté de communes"
    epci_signatory.resolution_reference = "2021-118"
    epci_signatory.resolution_date = datetime.date(2021, 11, 25)
    epci_signatory.save()
    Signatory.objects.filter(convention=convention, collectivity=world.commune).update(
        representative_name="Jeanne Martin", representative_title="Maire de Laguépie"
    )

    cotech = CommitteeFactory(
        convention=convention, kind=Committee.Kind.TECHNICAL, name="Comité opérationnel"
    )
    for name, function in [
        ("Paul Roux", "Adjoint à l'enfance"),
        ("Lise Bernard", "Adjointe aux affaires scolaires"),
        ("Hugo Petit", "Conseiller municipal"),
        ("Anne Morel", "Directrice générale des services"),
        ("Marc Lenoir", "Responsable enfance jeunesse éducation"),
    ]:
        CommitteeMemberFactory(committee=cotech, side=Side.TERRITORY, name=name, function=function)
    for name in ["Sophie Caf", "Nadia Caf", "Yves Caf", "Léa Caf"]:
        CommitteeMemberFactory(
            committee=cotech, side=Side.CAF, name=name, function="Conseillère territoriale"
        )

    diagnostic = DiagnosticFactory(
        convention=convention,
        summary="Un territoire rural vieillissant, des familles dispersées et une offre "
        "d'accueil du jeune enfant concentrée sur le bourg-centre.",
        participants_count=312,
        start_date=datetime.date(2021, 1, 15),
        end_date=datetime.date(2021, 6, 30),
    )
    FindingFactory(diagnostic=diagnostic, thematic=petite_enfance, priority=1)
    FindingFactory(diagnostic=diagnostic, thematic=petite_enfance, kind=Finding.Kind.STRENGTH)
    FindingFactory(diagnostic=diagnostic, thematic=jeunesse, text="Peu de lieux pour les 15-25 ans")

    objective = ObjectiveFactory(
        convention=convention, thematic=petite_enfance, title="Développer l'accueil du jeune enfant"
    )
    validated = ActionSheetFactory(
        convention=convention,
        number="FA-01",
        title="Créer une micro-crèche intercommunale",
        thematic=petite_enfance,
        objective=objective,
        status=ActionSheet.Status.VALIDATED,
        approved_version=1,
        context="Taux de couverture de 38 places pour 100 enfants de moins de 3 ans.",
        goals="Ouvrir 10 places d'accueil à Laguépie.",
        description="Étude de besoins, recherche d'un gestionnaire, travaux, ouverture.",
        target_public="Familles avec enfants de moins de 3 ans",
        lead="Communauté de communes",
        partners="Caf, PMI, commune de Laguépie",
        expected_results="10 places ouvertes en 2023.",
    )
    validated.other_thematics.add(parentalite)
    validated.communes.add(world.commune)
    FundingLineFactory(sheet=validated, funder="Caf", year=2022, planned_amount=40000)
    FundingLineFactory(sheet=validated, funder="Caf", year=2023, planned_amount=15000)
    FundingLineFactory(
        sheet=validated, funder="Communauté de communes", year=2022, planned_amount=12500
    )
    IndicatorFactory(action_sheet=validated, name="Places d'accueil ouvertes")
    ActionSheetFactory(
        convention=convention,
        number="FA-02",
        title="Ouvrir un espace jeunes itinérant",
        thematic=jeunesse,
        status=ActionSheet.Status.IN_PROGRESS,
        approved_version=1,
        description="Un animateur et un véhicule aménagé, trois communes par semaine.",
    )
    ActionSheetFactory(
        convention=convention,
        number="FA-03",
        title="Café des parents au bourg-centre",
        thematic=parentalite,
        status=ActionSheet.Status.DRAFT,
        description="Texte de travail du brouillon à ne pas annexer",
    )
    return convention


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def squeezed(text: str) -> str:
    """Without spaces: pypdf splits words at kerning ("Maud T erritoire") and joins
    table cells ("intercommunalePetite enfance")."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def demo(world):
    return build_demo(world)


@pytest.fixture
def demo_pdf(demo):
    return render_convention_pdf(data=convention_document_data(convention=demo))


def test_the_document_is_a_valid_pdf_with_page_numbers(demo_pdf):
    assert demo_pdf.startswith(b"%PDF")
    reader, text = pdf_text(demo_pdf)
    pages = len(reader.pages)
    assert pages >= 5
    assert f"Page 2 sur {pages}" in text
    assert f"Page {pages} sur {pages}" in text


def test_the_document_names_the_parties_and_their_representatives(demo_pdf):
    text = flat(pdf_text(demo_pdf)[1])
    for expected in [
        "Caf de Tarn-et-Garonne",
        "CC des Deux Rives",
        "Laguépie",
        "Charlotte Hubert-Boyer",
        "Directrice de la Caf",
        "Jean Dupuy",
        "délibération n° 2021-118 du 25 novembre 2021",
        "Jeanne Martin",
        "Maire de Laguépie",
    ]:
        assert expected in text


def test_the_document_gives_the_period_in_french(demo_pdf):
    text = flat(pdf_text(demo_pdf)[1])
    assert "du 1er janvier 2022 au 31 décembre 2025" in text
    assert "à l'horizon 2025" in text
    assert "signée le 15 décembre 2021" in text


def test_the_document_has_numbered_articles(demo_pdf):
    text = flat(pdf_text(demo_pdf)[1])
    titles = [
        "Article 1 – Objet",
        "Article 2 – Parties signataires",
        "Article 3 – Durée",
        "Article 4 – Thématiques et vision partagée",
        "Article 5 – Gouvernance",
        "Article 6 – Synthèse du diagnostic",
        "Article 7 – Plan d'actions",
        "Article 8 – Suivi et évaluation",
    ]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)


def test_the_document_lists_the_thematics_and_the_vision(demo_pdf):
    text = flat(pdf_text(demo_pdf)[1])
    for label in ["Petite enfance", "Jeunesse", "Parentalité"]:
        assert label in text
    assert "un mode d'accueil, un lieu ressource" in text


def test_the_document_shows_the_committees_and_their_composition(demo_pdf):
    text = flat(pdf_text(demo_pdf)[1])
    governance = text[text.index("Article 5") : text.index("Article 6")]
    assert "Comité de pilotage" in governance
    assert "MarcCaf" in squeezed(governance) and "MaudTerritoire" in squeezed(governance)
    assert "Comité opérationnel" in governance
    assert "Anne Morel, Directrice générale des services" in governance
    assert "4 côté Caf, 5 côté territoire" in governance
    assert "Parité non respectée : 5 membres côté territoire, 4 côté Caf" in governance


def test_the_document_sums_up_the_diagnostic_per_thematic(demo_pdf):
    text = flat(pdf_text(demo_pdf)[1])
    diagnostic = text[text.index("Article 6") : text.index("Article 7")]
    assert "du 15 janvier 2021 au 30 juin 2021" in diagnostic
    assert "312 personnes consultées" in diagnostic
    assert "Petite enfance 2 1 1" in diagnostic
    assert "Jeunesse 1 1 0" in diagnostic
    assert "Total 3" in diagnostic


def test_the_action_plan_lists_every_fiche_with_its_status(demo_pdf):
    text = flat(pdf_text(demo_pdf)[1])
    plan = text[text.index("Article 7") : text.index("Article 8")]
    for row in [
        "FA-01 Créer une micro-crèche intercommunale Petite enfance Validée",
        "FA-02 Ouvrir un espace jeunes itinérant Jeunesse En cours",
        "FA-03 Café des parents au bourg-centre Parentalité Brouillon",
    ]:
        assert squeezed(row) in squeezed(plan)
    # The fiches counted per status, in the palette's colours (as on the pages).
    assert "FichesparstatutNombreBrouillon1Validée1Encours1Total3" in squeezed(plan)
    follow_up = text[text.index("Article 8") : text.index("Signatures")]
    assert "1 indicateur" in follow_up
    assert "annuelle" in follow_up


def test_signature_blocks_for_every_party(demo_pdf):
    text = flat(pdf_text(demo_pdf)[1])
    signatures = text[text.index("Fait en 3 exemplaires originaux") :]
    for party in ["Pour Caf de Tarn-et-Garonne", "Pour CC des Deux Rives", "Pour Laguépie"]:
        assert party in signatures
    assert signatures.count(", le 15 décembre 2021 Signature et cachet") == 3


def test_the_annex_has_one_page_per_validated_fiche_and_none_for_a_draft(demo_pdf):
    reader, _text = pdf_text(demo_pdf)
    pages = [flat(page.extract_text()) for page in reader.pages]
    fa01 = [p for p in pages if "FICHE ACTION FA-01" in p]
    fa02 = [p for p in pages if "FICHE ACTION FA-02" in p]
    assert len(fa01) == 1 and len(fa02) == 1
    page = fa01[0]
    for expected in [
        "Créer une micro-crèche intercommunale",
        "Petite enfance · Parentalité",
        "Développer l'accueil du jeune enfant",
        "Taux de couverture de 38 places",
        "Ouvrir 10 places d'accueil à Laguépie.",
        "Familles avec enfants de moins de 3 ans",
        "Caf, PMI, commune de Laguépie",
        "du 1er mars 2022 au 30 juin 2025",
        "10 places ouvertes en 2023.",
        "Places d'accueil ouvertes",
    ]:
        assert squeezed(expected) in squeezed(page)
    # Totals per funder: the Caf's two years are added up.
    assert "Caf55000,00€" in squeezed(page)
    assert "Communautédecommunes12500,00€" in squeezed(page)
    assert "Totaldelafiche67500,00€" in squeezed(page)
    assert not any("FICHE ACTION FA-03" in p for p in pages)
    assert not any("Texte de travail du brouillon" in p for p in pages)
    assert "Annexe — Fiches action validées" in fa01[0]


def test_a_bare_convention_still_gives_a_complete_document(world):
    from conventions.factories import ConventionFactory

    bare = ConventionFactory(caf=world.caf, name="CTG sans rien")
    pdf = render_convention_pdf(data=convention_document_data(convention=bare))
    text = flat(pdf_text(pdf)[1])
    assert "Caf de Tarn-et-Garonne" in text  # the Caf is always a party
    assert "Projet de convention" in text
    assert "Article 8 – Suivi et évaluation" in text
    assert "FICHE ACTION" not in text


@pytest.mark.parametrize("fiches", [1, 6])
def test_gathering_the_document_takes_a_fixed_number_of_queries(
    demo, django_assert_max_num_queries, fiches
):
    for index in range(fiches):
        sheet = ActionSheetFactory(
            convention=demo,
            number=f"FA-{10 + index}",
            status=ActionSheet.Status.VALIDATED,
            approved_version=1,
        )
        sheet.communes.add(demo.territories.first())
        FundingLineFactory(sheet=sheet)
        IndicatorFactory(action_sheet=sheet)
    CommitteeMemberFactory(committee=demo.committees.first(), side=Side.CAF)
    # 13, the state of progress (thematics, late indicators, funding) of Article 8 and
    # the latest amendment (the version on the cover).
    with django_assert_max_num_queries(16):
        data = convention_document_data(convention=demo)
        [a.funder_totals for a in data.annex]
    assert len(data.annex) == 2 + fiches


# --- The view -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["caf_staff", "coordinator", "elected", "member_caf", "member_territory", "superuser"]
)
def test_every_role_in_scope_downloads_the_document(world, login, role):
    response = login(getattr(world, role)).get(
        reverse("portal:document", args=[world.convention.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.pdf"')
    assert response.content.startswith(b"%PDF")
    assert "CTG des Deux Rives" in pdf_text(response.content)[1]


@pytest.mark.parametrize("role", ["other_caf_staff", "other_elected", "outsider"])
def test_the_document_is_404_out_of_scope(world, login, role):
    response = login(getattr(world, role)).get(
        reverse("portal:document", args=[world.convention.pk])
    )
    assert response.status_code == 404


def test_the_document_sends_anonymous_to_login(world, client):
    response = client.get(reverse("portal:document", args=[world.convention.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_convention_header_offers_the_download(world, login):
    response = login(world.elected).get(reverse("portal:detail", args=[world.convention.pk]))
    body = response.content.decode()
    assert "Télécharger la convention (PDF)" in body
    assert reverse("portal:document", args=[world.convention.pk]) in body


def test_many_signatories_keep_the_title_page_on_one_page(world):
    from conventions.factories import CollectivityFactory, SignatoryFactory

    for index in range(12):
        commune = CollectivityFactory(name=f"Commune n° {index}", caf=world.caf)
        SignatoryFactory(convention=world.convention, collectivity=commune)
    pdf = render_convention_pdf(data=convention_document_data(convention=world.convention))
    reader, _text = pdf_text(pdf)
    first, second = (flat(reader.pages[i].extract_text()) for i in (0, 1))
    assert "Commune n° 11" in first
    assert "du 1er janvier 2022 au 31 décembre 2025" in first
    assert "document établi le" in first
    assert "Préambule" in second
