"""The convention document: a real PDF ready to sign, with the parties named in legal
French, the period, the version (amendments), the thematics, the governance, the action
plan and, in annex, the fiches as adopted — no follow-up figure (issue #19)."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from actions import services as action_services
from actions.factories import ActionSheetFactory, FundingLineFactory, ObjectiveFactory
from actions.models import ActionSheet
from conventions.factories import CommitteeFactory, CommitteeMemberFactory
from conventions.models import Amendment, Committee, Side, Signatory
from diagnostics.factories import DiagnosticFactory, FindingFactory, thematic
from diagnostics.models import Finding
from evaluation.factories import IndicatorFactory, MeasurementFactory
from portal.document import (
    convention_document_data,
    designation,
    render_convention_pdf,
    resolution_phrase,
)


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
    caf_signatory.representative_civility = Signatory.Civility.MADAME
    caf_signatory.representative_name = "Charlotte Hubert-Boyer"
    caf_signatory.representative_title = "Directrice de la Caf"
    caf_signatory.save()
    epci_signatory = Signatory.objects.get(convention=convention, collectivity=world.epci)
    epci_signatory.representative_civility = Signatory.Civility.MONSIEUR
    epci_signatory.representative_name = "Jean Dupuy"
    epci_signatory.representative_title = "Président de la communauté de communes"
    epci_signatory.resolution_reference = "2021-118"
    epci_signatory.resolution_date = datetime.date(2021, 11, 25)
    epci_signatory.save()
    # The commune's reference is a description, not a number; its mayor's civility is unknown.
    Signatory.objects.filter(convention=convention, collectivity=world.commune).update(
        representative_name="Jeanne Martin",
        representative_title="Maire de Laguépie",
        resolution_reference="Délibération du conseil municipal",
        resolution_date=datetime.date(2021, 12, 2),
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
    FundingLineFactory(
        sheet=validated, funder="Caf", year=2022, planned_amount=40000, spent_amount=31415
    )
    FundingLineFactory(sheet=validated, funder="Caf", year=2023, planned_amount=15000)
    FundingLineFactory(
        sheet=validated, funder="Communauté de communes", year=2022, planned_amount=12500
    )
    places = IndicatorFactory(action_sheet=validated, name="Places d'accueil ouvertes")
    # Follow-up: a measurement far behind (late), money spent. Not in a contract.
    MeasurementFactory(indicator=places, date=datetime.date(2024, 12, 31), value=11)
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


def test_the_cover_is_complete_on_its_page(demo_pdf):
    """The role walk: the cover lost the horizon's label and the signature line."""
    reader, _text = pdf_text(demo_pdf)
    cover = flat(reader.pages[0].extract_text())
    for expected in [
        "CONVENTION TERRITORIALE GLOBALE",
        "CTG Quercy Rouergue Gorges de l'Aveyron",
        "Horizon du projet social 2025",
        "du 1er janvier 2022 au 31 décembre 2025",
        "Version Version initiale",
        "Convention signée le 15 décembre 2021 · document établi le",
    ]:
        assert squeezed(expected) in squeezed(cover), expected
    # Between the parties, named as a legal act names them.
    assert squeezed(
        "la Caf de Tarn-et-Garonne — la communauté de communes des Deux Rives "
        "et la commune de Laguépie"
    ) in squeezed(cover)
    assert "Préambule" in reader.pages[1].extract_text()


def test_the_document_names_the_parties_in_legal_french(demo_pdf):
    """« la Caf … représentée par Madame », agreeing with the party; no point médian."""
    text = flat(pdf_text(demo_pdf)[1])
    parties = text[text.index("Article 2") : text.index("Article 3")]
    for expected in [
        "la Caf de Tarn-et-Garonne, représentée par Madame Charlotte Hubert-Boyer, "
        "Directrice de la Caf, ci-après dénommée « la Caf » ;",
        "la communauté de communes des Deux Rives (SIREN 200041614), représentée par "
        "Monsieur Jean Dupuy, Président de la communauté de communes, dûment habilité par "
        "délibération n° 2021-118 du 25 novembre 2021 ;",
        # No civility known: the text does not guess the representative's gender.
        "la commune de Laguépie (code Insee 82090), représentée par Jeanne Martin, "
        "Maire de Laguépie, agissant en vertu de la délibération du conseil municipal "
        "du 2 décembre 2021.",
    ]:
        assert squeezed(expected) in squeezed(parties), expected
    assert "·e" not in parties
    assert "n° Délibération" not in parties


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


def test_the_action_plan_lists_the_adopted_fiches_without_their_follow_up(demo_pdf):
    """A contract states commitments: the adopted fiches, not where each one stands."""
    text = flat(pdf_text(demo_pdf)[1])
    plan = text[text.index("Article 7") : text.index("Article 8")]
    for row in [
        "FA-01 Créer une micro-crèche intercommunale Petite enfance n° 1",
        "FA-02 Ouvrir un espace jeunes itinérant Jeunesse n° 1",
    ]:
        assert squeezed(row) in squeezed(plan)
    assert "Café des parents" not in plan  # a draft is not a commitment
    assert "1 autre fiche action est en cours d'élaboration ou d'examen" in plan
    for status in ["Validée", "En cours", "Brouillon", "Fiches par statut"]:
        assert status not in plan
    follow_up = text[text.index("Article 8") : text.index("Signatures")]
    assert "1 indicateur" in follow_up
    assert "annuelle" in follow_up


def test_article_8_states_no_progress_nor_spending(demo_pdf):
    """The measured indicator (late) and the money spent are the reports' business."""
    text = flat(pdf_text(demo_pdf)[1])
    follow_up = text[text.index("Article 8") : text.index("Signatures")]
    for monitoring in [
        "État d'avancement",
        "Progression moyenne",
        "en retard",
        "Dépensé",
        "Taux de consommation",
    ]:
        assert monitoring not in follow_up
    assert "ils ne modifient pas la présente convention" in follow_up


def test_signature_blocks_name_the_party_then_the_person_then_the_function(demo_pdf):
    """« Pour la Caf de … », the name, then the function (the Caf's block had them reversed)."""
    text = flat(pdf_text(demo_pdf)[1])
    signatures = squeezed(text[text.index("Fait en 3 exemplaires originaux") :])
    for block in [
        "Pour la Caf de Tarn-et-Garonne Madame Charlotte Hubert-Boyer Directrice de la Caf",
        "Pour la communauté de communes des Deux Rives Monsieur Jean Dupuy "
        "Président de la communauté de communes",
        "Pour la commune de Laguépie Jeanne Martin Maire de Laguépie",
    ]:
        assert squeezed(block) in signatures, block
    assert signatures.count(squeezed("le 15 décembre 2021 Signature et cachet")) == 3


def test_the_annex_has_one_page_per_adopted_fiche_and_none_for_a_draft(demo_pdf):
    reader, _text = pdf_text(demo_pdf)
    pages = [flat(page.extract_text()) for page in reader.pages]
    fa01 = [p for p in pages if "FICHE ACTION FA-01" in p]
    fa02 = [p for p in pages if "FICHE ACTION FA-02" in p]
    assert len(fa01) == 1 and len(fa02) == 1
    page = fa01[0]
    for expected in [
        "Créer une micro-crèche intercommunale",
        "Petite enfance · Parentalité",
        "version validée n° 1",
        "Développer l'accueil du jeune enfant",
        "Taux de couverture de 38 places",
        "Ouvrir 10 places d'accueil à Laguépie.",
        "Familles avec enfants de moins de 3 ans",
        "Caf, PMI, commune de Laguépie",
        "Laguépie",
        "du 1er mars 2022 au 30 juin 2025",
        "10 places ouvertes en 2023.",
        "Places d'accueil ouvertes",
    ]:
        assert squeezed(expected) in squeezed(page)
    # The planned funding, totalled per funder: the Caf's two years are added up.
    assert "Caf55000,00€" in squeezed(page)
    assert "Communautédecommunes12500,00€" in squeezed(page)
    assert "Totaldelafiche67500,00€" in squeezed(page)
    assert not any("FICHE ACTION FA-03" in p for p in pages)
    assert not any("Texte de travail du brouillon" in p for p in pages)
    assert "Annexe — Fiches action validées" in fa01[0]


def test_the_annex_shows_no_follow_up(demo_pdf):
    """The role walk: the annex showed the spending and the current statuses."""
    reader, _text = pdf_text(demo_pdf)
    annex = " ".join(
        flat(page.extract_text()) for page in reader.pages if "FICHE ACTION" in page.extract_text()
    )
    for monitoring in ["Dépensé", "dépensé", "31 415", "31415", "En cours", "Validée", "Mesure"]:
        assert monitoring not in annex, monitoring


def test_a_fiche_being_revised_is_annexed_as_it_was_adopted(demo, world):
    """A substantive edit of an adopted fiche opens a version to approve again: until
    then the convention holds the adopted one (its text, funding and indicators)."""
    sheet = ActionSheet.objects.get(convention=demo, number="FA-01")
    lines = list(sheet.funding_lines.order_by("pk"))
    indicator = sheet.indicators.get()
    action_services.action_sheet_save(
        convention=demo,
        by=world.coordinator,
        sheet=sheet,
        revision=sheet.revision,
        change_reason="Projet agrandi",
        data={
            "title": "Créer deux micro-crèches",
            "description": "Deux sites au lieu d'un.",
            "communes": [world.commune, world.epci],
        },
        funding_lines=[
            {"id": lines[0].pk, "funder": "Caf", "year": 2022, "planned_amount": 90000},
            {"id": lines[1].pk, "delete": True},
            {
                "id": lines[2].pk,
                "funder": "Communauté de communes",
                "year": 2022,
                "planned_amount": 12500,
            },
            {"funder": "Département", "year": 2024, "planned_amount": 7000},
        ],
        indicators=[{"id": indicator.pk, "name": "Places ouvertes (deux sites)"}],
    )
    sheet.refresh_from_db()
    assert (sheet.version, sheet.approved_version, sheet.status) == (2, 1, "soumise")

    data = convention_document_data(convention=demo)
    adopted = next(a for a in data.annex if a.number == "FA-01")
    assert adopted.version == 1
    assert adopted.title == "Créer une micro-crèche intercommunale"
    assert adopted.description.startswith("Étude de besoins")
    assert [c.name for c in adopted.communes] == ["Laguépie"]
    assert [t.label for t in adopted.thematics] == ["Petite enfance", "Parentalité"]
    assert [(f["funder"], f["planned"]) for f in adopted.funder_totals] == [
        ("Caf", 55000),
        ("Communauté de communes", 12500),
    ]
    assert [i.name for i in adopted.indicators] == ["Places d'accueil ouvertes"]

    text = flat(pdf_text(render_convention_pdf(data=data))[1])
    assert "Créer une micro-crèche intercommunale" in text
    assert "deux micro-crèches" not in text
    assert "Département" not in text


def test_the_cover_and_article_3_state_the_amendments_included(demo):
    Amendment.objects.create(
        convention=demo, number=1, date=datetime.date(2023, 5, 2), purpose="Adhésion de Varen"
    )
    Amendment.objects.create(
        convention=demo, number=2, date=datetime.date(2024, 6, 3), purpose="Nouvelle fiche FA-04"
    )
    reader, text = pdf_text(render_convention_pdf(data=convention_document_data(convention=demo)))
    cover = flat(reader.pages[0].extract_text())
    assert "Intégrant l'avenant n° 2 du 3 juin 2024" in cover
    text = flat(text)
    duration = text[text.index("Article 3") : text.index("Article 4")]
    assert "La présente version intègre les 2 avenants suivants" in duration
    assert squeezed("avenant n° 1 du 2 mai 2023 : Adhésion de Varen ;") in squeezed(duration)
    assert squeezed("avenant n° 2 du 3 juin 2024 : Nouvelle fiche FA-04.") in squeezed(duration)


def test_a_bare_convention_still_gives_a_complete_document(world):
    from conventions.factories import ConventionFactory

    bare = ConventionFactory(caf=world.caf, name="CTG sans rien")
    pdf = render_convention_pdf(data=convention_document_data(convention=bare))
    text = flat(pdf_text(pdf)[1])
    assert "la Caf de Tarn-et-Garonne" in text  # the Caf is always a party
    assert "représentée par son représentant légal" in text
    assert "Projet de convention" in text
    assert "Version initiale" in text
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
    with django_assert_max_num_queries(13):
        data = convention_document_data(convention=demo)
    assert len(data.annex) == 2 + fiches


@pytest.mark.parametrize("revised", [1, 4])
def test_fiches_being_revised_add_a_fixed_number_of_queries(
    demo, world, django_assert_max_num_queries, revised
):
    for index in range(revised):
        sheet = ActionSheetFactory(
            convention=demo,
            number=f"FA-{10 + index}",
            title=f"Version adoptée {index}",
            status=ActionSheet.Status.VALIDATED,
            approved_version=1,
        )
        FundingLineFactory(sheet=sheet)
        IndicatorFactory(action_sheet=sheet)
        action_services.action_sheet_save(
            convention=demo,
            by=world.coordinator,
            sheet=sheet,
            revision=sheet.revision,
            change_reason="Nouvelle version",
            data={"title": f"Nouvelle version {index}"},
        )
    # 13, and the history: the records, their communes and thematics, the thematics and
    # objectives they name, the funding lines and the indicators as they were.
    with django_assert_max_num_queries(20):
        data = convention_document_data(convention=demo)
    assert sorted(a.title for a in data.annex if a.number >= "FA-10") == [
        f"Version adoptée {index}" for index in range(revised)
    ]


# --- The legal wording ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "expected", "feminine"),
    [
        ("Caf de Tarn-et-Garonne", "caf", "la Caf de Tarn-et-Garonne", True),
        (
            "Caisse d'allocations familiales de la Loire",
            "caf",
            "la Caisse d'allocations familiales de la Loire",
            True,
        ),
        ("Laguépie", "commune", "la commune de Laguépie", True),
        ("Albi", "commune", "la commune d'Albi", True),
        ("Le Mans", "commune", "la commune du Mans", True),
        ("Les Sables-d'Olonne", "commune", "la commune des Sables-d'Olonne", True),
        ("La Rochelle", "commune", "la commune de La Rochelle", True),
        ("L'Union", "commune", "la commune de L'Union", True),
        ("Commune de Sorbiers", "commune", "la commune de Sorbiers", True),
        (
            "Communauté de communes Quercy Rouergue Gorges de l'Aveyron",
            "epci",
            "la communauté de communes Quercy Rouergue Gorges de l'Aveyron",
            True,
        ),
        ("CC des Deux Rives", "epci", "la communauté de communes des Deux Rives", True),
        (
            "Communauté d'agglomération du Grand Montauban",
            "epci",
            "la communauté d'agglomération du Grand Montauban",
            True,
        ),
        ("Métropole de Lyon", "epci", "la Métropole de Lyon", True),
        ("Grand Paris Sud", "epci", "l'EPCI Grand Paris Sud", False),
        (
            "Département de Tarn-et-Garonne",
            "departement",
            "le Département de Tarn-et-Garonne",
            False,
        ),
        (
            "Conseil départemental de la Loire",
            "departement",
            "le Conseil départemental de la Loire",
            False,
        ),
        ("Département", "departement", "le Département", False),
        ("Tarn-et-Garonne", "departement", "le Département de Tarn-et-Garonne", False),
        (
            "Syndicat intercommunal à vocation unique",
            "syndicat",
            "le syndicat intercommunal à vocation unique",
            False,
        ),
        ("MSA", "msa", "la MSA", True),
        ("MSA Midi-Pyrénées Nord", "msa", "la MSA Midi-Pyrénées Nord", True),
        ("CPAM de Tarn-et-Garonne", "cpam", "la CPAM de Tarn-et-Garonne", True),
        ("État", "etat", "l'État", False),
        ("Préfecture de Tarn-et-Garonne", "etat", "la Préfecture de Tarn-et-Garonne", True),
        ("Association Familles rurales", "other", "l'association Familles rurales", True),
        (
            "L'Union départementale des associations familiales",
            "other",
            "l'Union départementale des associations familiales",
            True,
        ),
        ("La Poste", "other", "la Poste", True),
        ("Éducation nationale", "other", "l'Éducation nationale", True),
    ],
)
def test_a_party_is_named_with_its_article(name, kind, expected, feminine):
    named = designation(name, kind)
    assert (named.text, named.feminine) == (expected, feminine)
    assert named.represented == ("représentée" if feminine else "représenté")


@pytest.mark.parametrize(
    ("reference", "day", "expected"),
    [
        ("2021-118", datetime.date(2021, 11, 25), "délibération n° 2021-118 du 25 novembre 2021"),
        (
            "n° 2021-118",
            datetime.date(2021, 11, 25),
            "délibération n° 2021-118 du 25 novembre 2021",
        ),
        ("DEL-2021-45", None, "délibération n° DEL-2021-45"),
        (
            "Délibération du conseil municipal",
            datetime.date(2021, 12, 2),
            "délibération du conseil municipal du 2 décembre 2021",
        ),
        (
            "Délibération du conseil communautaire n° 2021-112",
            datetime.date(2021, 11, 25),
            "délibération du conseil communautaire n° 2021-112 du 25 novembre 2021",
        ),
        (
            "Délibération du 25 novembre 2021",
            datetime.date(2021, 11, 25),
            "délibération du 25 novembre 2021",
        ),
        ("", datetime.date(2021, 12, 1), "délibération du 1er décembre 2021"),
        ("", None, ""),
    ],
)
def test_the_resolution_is_written_after_what_is_known(reference, day, expected):
    assert resolution_phrase(reference, day) == expected


# --- The signatory's civility ----------------------------------------------------------------


def test_the_signatory_form_edits_the_civility(world, login):
    signatory = Signatory.objects.get(convention=world.convention, collectivity=world.commune)
    url = reverse("conventions:signatory_edit", args=[world.convention.pk, signatory.pk])
    client = login(world.caf_staff)
    page = client.get(url).content.decode()
    assert "Civilité du représentant" in page and "Non précisée" in page
    response = client.post(
        url,
        {
            "organisation": f"collectivity:{world.commune.pk}",
            "role": "signataire",
            "representative_civility": "madame",
            "representative_name": "Jeanne Martin",
            "representative_title": "Maire",
        },
    )
    assert response.status_code == 302
    signatory.refresh_from_db()
    assert signatory.representative_civility == Signatory.Civility.MADAME


def test_a_new_signatory_keeps_the_civility_typed(world, login):
    from conventions.factories import CollectivityFactory

    commune = CollectivityFactory(name="Parisot", code="82137", caf=world.caf)
    response = login(world.caf_staff).post(
        reverse("conventions:signatory_create", args=[world.convention.pk]),
        {
            "organisation": f"collectivity:{commune.pk}",
            "role": "signataire",
            "representative_civility": "monsieur",
            "representative_name": "Jean Dupont",
        },
    )
    assert response.status_code == 302
    signatory = world.convention.signatories.get(collectivity=commune)
    assert signatory.representative_civility == Signatory.Civility.MONSIEUR


# --- The view -------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def download(client, convention, django_capture_on_commit_callbacks):
    """The first download asks for the document (built when the request commits), the
    next one serves it."""
    url = reverse("portal:document", args=[convention.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(url)
    return first, client.get(url)


@pytest.mark.parametrize(
    "role", ["caf_staff", "coordinator", "elected", "member_caf", "member_territory", "superuser"]
)
def test_every_role_in_scope_downloads_the_document(
    world, login, media, role, django_capture_on_commit_callbacks
):
    _first, response = download(
        login(getattr(world, role)), world.convention, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.pdf"')
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert "CTG des Deux Rives" in pdf_text(content)[1]


@pytest.mark.parametrize("role", ["other_caf_staff", "other_elected", "outsider"])
def test_the_document_is_404_out_of_scope(world, login, role):
    url = reverse("portal:document", args=[world.convention.pk])
    client = login(getattr(world, role))
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


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

    world.convention.horizon_year = 2026
    world.convention.save()
    for index in range(12):
        commune = CollectivityFactory(name=f"Bourg n° {index}", caf=world.caf)
        SignatoryFactory(convention=world.convention, collectivity=commune)
    pdf = render_convention_pdf(data=convention_document_data(convention=world.convention))
    reader, _text = pdf_text(pdf)
    first, second = (flat(reader.pages[i].extract_text()) for i in (0, 1))
    assert "la commune de Bourg n° 11" in first
    assert "du 1er janvier 2022 au 31 décembre 2025" in first
    assert squeezed("Horizon du projet social 2026") in squeezed(first)
    assert "document établi le" in first
    assert "Préambule" in second
