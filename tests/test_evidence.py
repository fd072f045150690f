"""Pièces justificatives (issue #17, item 1): a measurement, an observation or a fiche carries
files or links with a title; the file is checked by its content and size, stored under a name
that owes nothing to the uploader, listed where the value is shown, named in the report's
annex, downloaded only by those who see the convention (404 otherwise, never a media address),
and kept in history."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook
from pypdf import PdfReader

from actions.factories import ActionSheetFactory
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import ChangeSought, Observation, ProgressMarker
from evidence import services
from evidence.models import Evidence
from reports import services as reporting

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def ooxml(part: str, *, macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00macro")
    return buffer.getvalue()


def odf(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def xlsx() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Participants"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media: Path) -> list[Path]:
    folder = media / "evidence"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def measurement(world):
    sheet = ActionSheetFactory(convention=world.convention, number="FA-01")
    indicator = IndicatorFactory(action_sheet=sheet, name="Familles accueillies")
    return MeasurementFactory(indicator=indicator, date=datetime.date(2023, 6, 30), value=14)


@pytest.fixture
def observation(world):
    change = ChangeSought.objects.create(convention=world.convention, title="Les familles viennent")
    marker = ProgressMarker.objects.create(change=change, level="attendu", text="Elles demandent")
    return Observation.objects.create(
        marker=marker, date=datetime.date(2023, 5, 2), degree="oui", text="Vu au relais"
    )


def add_pdf(measurement, user, title="Liste d'émargement", name="emargement.pdf", data=PDF):
    return services.evidence_add(
        title=title, upload=upload(name, data), user=user, measurement=measurement
    )


# --------------------------------------------------------------------------- the service


def test_a_pdf_is_stored_under_a_random_name_with_the_type_read_from_its_content(
    world, measurement, _media
):
    piece = add_pdf(measurement, world.coordinator, name="../../etc/Émargement mars.pdf")

    assert piece.convention == world.convention
    assert piece.content_type == "application/pdf"
    assert piece.size == len(PDF)
    assert piece.original_name == "Émargement mars.pdf"
    assert piece.uploaded_by == world.coordinator
    # The stored name owes nothing to the uploader: 32 hex digits and the kind's extension.
    assert "mars" not in piece.file.name and "/" not in piece.file.name
    assert len(piece.file.name) == len("0" * 32 + ".pdf") and piece.file.name.endswith(".pdf")
    assert stored_files(_media) == [_media / "evidence" / piece.file.name]
    assert (_media / "evidence" / piece.file.name).read_bytes() == PDF
    # Through the storage API only: the alias of STORAGES, without a public address.
    # (The same backend and place: not the same object, since a test that overrides STORAGES
    # makes Django build the aliases again while the field keeps the one it was given.)
    alias = storages["evidence"]
    assert type(piece.file.storage) is type(alias)
    assert piece.file.storage.path(piece.file.name) == alias.path(piece.file.name)
    with pytest.raises(ValueError):
        piece.file.url  # noqa: B018


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.PNG", PNG, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 50, "image/jpeg"),
        ("anim.gif", b"GIF89a" + b"\x00" * 50, "image/gif"),
        ("image.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40, "image/webp"),
        (
            "compte-rendu.docx",
            ooxml("word/document.xml"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "tableau.xlsx",
            xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "diaporama.pptx",
            ooxml("ppt/presentation.xml"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (
            "texte.odt",
            odf("application/vnd.oasis.opendocument.text"),
            "application/vnd.oasis.opendocument.text",
        ),
        (
            "calc.ods",
            odf("application/vnd.oasis.opendocument.spreadsheet"),
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("presences.csv", "nom;présent\nÉlise;oui\n".encode(), "text/csv"),
        ("notes.txt", "\ufeffCompte rendu : 12 familles.\n".encode(), "text/plain"),
    ],
)
def test_it_accepts_the_documents_the_committee_reads(world, measurement, name, data, content_type):
    piece = add_pdf(measurement, world.coordinator, name=name, data=data)
    assert piece.content_type == content_type
    assert piece.file.name.endswith("." + name.rsplit(".", 1)[-1].lower().replace("jpg", "jpg"))


def refusal(measurement, user, name, data) -> str:
    with pytest.raises(ValidationError) as caught:
        add_pdf(measurement, user, name=name, data=data)
    return " ".join(caught.value.message_dict["file"])


@pytest.mark.parametrize(
    "data", [ELF, PE, MACHO, b"#!/bin/sh\nrm -rf ~\n"], ids=["elf", "pe", "macho", "script"]
)
def test_it_refuses_an_executable_renamed_pdf(world, measurement, _media, data):
    message = refusal(measurement, world.coordinator, "rapport.pdf", data)
    assert (
        message == "Ce fichier est un programme : il n'est pas accepté comme pièce justificative."
    )
    assert not Evidence.objects.exists()
    assert stored_files(_media) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [("rapport.pdf", HTML), ("page.html", HTML), ("logo.svg", SVG), ("logo.png", SVG)],
)
def test_it_refuses_web_pages_and_svg_whatever_their_name(world, measurement, _media, name, data):
    message = refusal(measurement, world.coordinator, name, data)
    assert "Les pages web (HTML) et les images SVG ne sont pas acceptées" in message
    assert stored_files(_media) == []


def test_it_refuses_content_that_does_not_match_its_extension(world, measurement, _media):
    message = refusal(measurement, world.coordinator, "rapport.pdf", PNG)
    assert message == (
        "Le contenu de ce fichier (image PNG) ne correspond pas à son extension (« .pdf ») : "
        "il n'est pas accepté."
    )
    assert "ne correspond pas" in refusal(measurement, world.coordinator, "photo.png", PDF)
    assert "ne correspond pas" in refusal(measurement, world.coordinator, "sans-extension", PDF)
    assert stored_files(_media) == []


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("macro.docx", ooxml("word/document.xml", macros=True), "contient des macros"),
        ("archive.zip", odf("application/zip"), "Les archives (ZIP…) ne sont pas acceptées"),
        ("ancien.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "anciens formats"),
        ("latin1.csv", "nom;présent\n".encode("latin-1"), "Type de fichier non accepté"),
        ("nul.txt", b"texte\x00cache", "Type de fichier non accepté"),
        ("vide.pdf", b"", "Le fichier est vide."),
        ("casse.docx", b"PK\x03\x04" + b"\x00" * 60, "illisible ou endommagé"),
    ],
)
def test_it_refuses_what_is_not_a_plain_document(world, measurement, _media, name, data, expected):
    assert expected in refusal(measurement, world.coordinator, name, data)
    assert stored_files(_media) == []


def test_it_refuses_a_file_beyond_max_evidence_size(world, measurement, settings, _media):
    settings.MAX_EVIDENCE_SIZE = 2 * 1024 * 1024
    big = PDF + b"0" * (3 * 1024 * 1024)
    message = refusal(measurement, world.coordinator, "scan.pdf", big)
    assert message == (
        "Fichier trop volumineux (3 Mo) : une pièce justificative pèse au plus 2 Mo."
    )
    assert stored_files(_media) == []
    settings.MAX_EVIDENCE_SIZE = len(PDF)
    assert add_pdf(measurement, world.coordinator).size == len(PDF)  # the bound itself passes


def test_it_refuses_a_title_with_a_nul_and_stores_nothing(world, measurement, _media):
    with pytest.raises(ValidationError) as caught:
        add_pdf(measurement, world.coordinator, title="Liste\x00cachée")
    assert "title" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        add_pdf(measurement, world.coordinator, title="   ")
    assert "title" in caught.value.message_dict
    assert not Evidence.objects.exists()
    assert stored_files(_media) == []


def test_a_link_is_kept_with_its_title_and_only_http_links_are_accepted(world, measurement):
    piece = services.evidence_add(
        title="Article de presse",
        url="https://www.ladepeche.fr/relais.html",
        user=world.coordinator,
        measurement=measurement,
    )
    assert piece.is_link and not piece.file and piece.content_type == ""
    for url in ("javascript:alert(1)", "data:text/html,<script>1</script>", "ftp://exemple.fr/a"):
        with pytest.raises(ValidationError) as caught:
            services.evidence_add(
                title="Lien", url=url, user=world.coordinator, measurement=measurement
            )
        assert caught.value.message_dict["url"] == ["Saisissez un lien http:// ou https:// valide."]
    assert Evidence.objects.count() == 1


def test_a_piece_is_a_file_or_a_link_on_exactly_one_value(world, measurement, observation):
    with pytest.raises(ValidationError, match="pas les deux"):
        services.evidence_add(
            title="Les deux",
            upload=upload("a.pdf", PDF),
            url="https://exemple.fr",
            user=None,
            measurement=measurement,
        )
    with pytest.raises(ValidationError, match="Déposez un fichier ou indiquez un lien"):
        services.evidence_add(title="Rien", user=None, measurement=measurement)
    with pytest.raises(ValidationError, match="une mesure, une observation ou une fiche"):
        services.evidence_add(
            title="Deux cibles",
            url="https://exemple.fr",
            user=None,
            measurement=measurement,
            observation=observation,
        )
    assert not Evidence.objects.exists()


def test_the_scan_hook_sees_the_file_and_its_refusal_stores_nothing(
    world, measurement, settings, _media
):
    seen = []

    def hook(file):
        seen.append(file.read())
        if b"EICAR" in seen[-1]:
            raise ValidationError("Un virus a été détecté dans ce fichier.")

    settings.EVIDENCE_SCAN_HOOK = "tests.test_evidence.scan_hook"
    scan_hook.current = hook
    add_pdf(measurement, world.coordinator)
    assert seen == [PDF]
    with pytest.raises(ValidationError) as caught:
        add_pdf(measurement, world.coordinator, data=PDF + b"EICAR")
    assert caught.value.message_dict["file"] == ["Un virus a été détecté dans ce fichier."]

    def broken(file):
        raise ConnectionError("clamd unreachable")

    scan_hook.current = broken
    with pytest.raises(ValidationError) as caught:
        add_pdf(measurement, world.coordinator, title="Autre liste")
    assert caught.value.message_dict["file"] == [services.SCAN_FAILED]
    assert Evidence.objects.count() == 1 and len(stored_files(_media)) == 1


def scan_hook(file):
    """The hook EVIDENCE_SCAN_HOOK names in the test above (it swaps the behaviour)."""
    return scan_hook.current(file)


def test_a_double_click_adds_the_piece_once(world, measurement, client, _media):
    client.force_login(world.coordinator)
    url = reverse("evidence:add_to_measurement", args=[world.convention.pk, measurement.pk])
    for _ in range(2):
        response = client.post(url, {"title": "Émargement", "file": upload("e.pdf", PDF)})
        assert response.status_code == 302
    assert Evidence.objects.count() == 1 and len(stored_files(_media)) == 1
    # The same file under another title, or on another value, is another piece.
    add_pdf(measurement, world.coordinator, title="Émargement (copie)", name="e.pdf")
    assert Evidence.objects.count() == 2


def test_history_keeps_who_added_and_removed_a_piece_and_the_file_goes_on_commit(
    world, measurement, _media, django_capture_on_commit_callbacks
):
    piece = add_pdf(measurement, world.coordinator)
    name, pk = piece.file.name, piece.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(evidence=piece, by=world.caf_staff)
    records = list(Evidence.history.filter(id=pk).order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "-"]
    assert records[0].history_user == world.coordinator
    assert records[1].history_user == world.caf_staff
    assert records[1].title == "Liste d'émargement" and records[1].file == name
    assert not Evidence.objects.exists()
    assert stored_files(_media) == []


def test_the_pieces_of_a_removed_measurement_go_with_it(
    world, measurement, _media, django_capture_on_commit_callbacks
):
    add_pdf(measurement, world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        measurement.delete()
    assert not Evidence.objects.exists()
    assert stored_files(_media) == []
    assert Evidence.history.filter(history_type="-").count() == 1


# --------------------------------------------------------------------------- download


@pytest.mark.parametrize("role", ["caf_staff", "coordinator", "elected", "member_caf", "superuser"])
def test_those_who_see_the_convention_download_the_file_as_an_attachment(
    world, measurement, client, role
):
    piece = add_pdf(measurement, world.coordinator, name="Émargement mars.pdf")
    client.force_login(getattr(world, role))
    response = client.get(reverse("evidence:download", args=[world.convention.pk, piece.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "mars.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ["outsider", "other_caf_staff", "other_elected"])
def test_an_outsider_gets_a_404_for_the_file(world, measurement, client, role):
    piece = add_pdf(measurement, world.coordinator)
    client.force_login(getattr(world, role))
    response = client.get(reverse("evidence:download", args=[world.convention.pk, piece.pk]))
    assert response.status_code == 404
    # Nor through a convention they see.
    mine = world.other_convention.pk
    response = client.get(reverse("evidence:download", args=[mine, piece.pk]))
    assert response.status_code == 404


def test_no_media_address_serves_a_piece(world, measurement, client):
    piece = add_pdf(measurement, world.coordinator)
    client.force_login(world.superuser)
    response = client.get(f"/media/evidence/{piece.file.name}")
    assert response.status_code == 404
    assert b"%PDF" not in response.content


def test_a_file_lost_from_the_storage_is_a_404_not_a_500(world, measurement, client):
    piece = add_pdf(measurement, world.coordinator)
    piece.file.storage.delete(piece.file.name)
    client.force_login(world.caf_staff)
    response = client.get(reverse("evidence:download", args=[world.convention.pk, piece.pk]))
    assert response.status_code == 404


# --------------------------------------------------------------------------- pages


def test_a_coordinator_adds_a_pdf_to_a_measurement_and_finds_it_on_the_indicator_page(
    world, measurement, client
):
    client.force_login(world.coordinator)
    indicator_url = reverse(
        "evaluation:indicator", args=[world.convention.pk, measurement.indicator_id]
    )
    page = client.get(indicator_url).content.decode()
    add_url = reverse("evidence:add_to_measurement", args=[world.convention.pk, measurement.pk])
    assert f'href="{add_url}"' in page
    response = client.post(
        add_url, {"title": "Liste d'émargement", "file": upload("emargement.pdf", PDF)}
    )
    assert response.status_code == 302 and response["Location"] == indicator_url
    piece = Evidence.objects.get()
    page = client.get(indicator_url).content.decode()
    assert "Liste d&#x27;émargement" in page
    assert reverse("evidence:download", args=[world.convention.pk, piece.pk]) in page
    assert "emargement.pdf" in page


def test_the_upload_form_shows_the_refusal_of_an_executable_renamed_pdf(
    world, measurement, client, _media
):
    client.force_login(world.coordinator)
    url = reverse("evidence:add_to_measurement", args=[world.convention.pk, measurement.pk])
    response = client.post(url, {"title": "Rapport", "file": upload("rapport.pdf", ELF)})
    assert response.status_code == 200
    assert "Ce fichier est un programme" in response.content.decode()
    response = client.post(url, {"title": "Lien", "url": "javascript:alert(1)"})
    assert "Saisissez un lien http:// ou https:// valide." in response.content.decode()
    response = client.post(url, {"title": "Rien"})
    assert "Déposez un fichier ou indiquez un lien." in response.content.decode()
    assert not Evidence.objects.exists() and stored_files(_media) == []


@pytest.mark.parametrize("role", ["elected", "member_caf"])
def test_readers_cannot_add_a_piece(world, measurement, client, role):
    client.force_login(getattr(world, role))
    url = reverse("evidence:add_to_measurement", args=[world.convention.pk, measurement.pk])
    response = client.post(url, {"title": "Rapport", "file": upload("rapport.pdf", PDF)})
    assert response.status_code == 403
    page = client.get(
        reverse("evaluation:indicator", args=[world.convention.pk, measurement.indicator_id])
    )
    assert url not in page.content.decode()
    assert not Evidence.objects.exists()


def test_a_measurement_of_another_convention_is_not_found(world, measurement, client):
    client.force_login(world.caf_staff)
    other = MeasurementFactory(
        indicator=IndicatorFactory(
            action_sheet=ActionSheetFactory(convention=world.other_convention)
        )
    )
    url = reverse("evidence:add_to_measurement", args=[world.convention.pk, other.pk])
    assert client.get(url).status_code == 404


def test_the_indicator_page_costs_the_same_queries_with_many_pieces(
    world, measurement, client, django_assert_max_num_queries
):
    client.force_login(world.elected)
    url = reverse("evaluation:indicator", args=[world.convention.pk, measurement.indicator_id])
    add_pdf(measurement, world.coordinator)
    with django_assert_max_num_queries(100) as one:
        client.get(url)
    for n in range(2, 8):
        other = MeasurementFactory(indicator=measurement.indicator, date=datetime.date(2023, n, 1))
        add_pdf(other, world.coordinator, title=f"Pièce {n}")
        add_pdf(measurement, world.coordinator, title=f"Autre {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("bi-paperclip") == 13


def test_observations_and_fiches_list_their_pieces(world, observation, client):
    sheet = ActionSheetFactory(convention=world.convention, number="FA-07")
    services.evidence_add(
        title="Photo de l'atelier",
        upload=upload("atelier.png", PNG),
        user=world.coordinator,
        observation=observation,
    )
    services.evidence_add(
        title="Convention de partenariat",
        url="https://exemple.fr/partenariat",
        user=world.caf_staff,
        action_sheet=sheet,
    )
    client.force_login(world.elected)
    changes = client.get(reverse("evaluation:changes", args=[world.convention.pk])).content
    assert "Photo de l&#x27;atelier" in changes.decode()
    fiche = client.get(reverse("actions:sheet", args=[world.convention.pk, sheet.pk])).content
    text = fiche.decode()
    assert "Pièces justificatives" in text and "Convention de partenariat" in text
    assert 'href="https://exemple.fr/partenariat" rel="noopener noreferrer nofollow"' in text
    assert reverse("evidence:add_to_sheet", args=[world.convention.pk, sheet.pk]) not in text
    client.force_login(world.coordinator)
    fiche = client.get(reverse("actions:sheet", args=[world.convention.pk, sheet.pk])).content
    assert reverse("evidence:add_to_sheet", args=[world.convention.pk, sheet.pk]) in fiche.decode()


# --------------------------------------------------------------------------- removal


def test_removal_asks_first_and_is_for_the_caf_and_the_uploader(world, measurement, client):
    piece = add_pdf(measurement, world.coordinator)
    url = reverse("evidence:delete", args=[world.convention.pk, piece.pk])
    client.force_login(world.coordinator)
    response = client.get(url)
    assert response.status_code == 200
    assert "Retirer la pièce « Liste d&#x27;émargement » ?" in response.content.decode()
    assert Evidence.objects.filter(pk=piece.pk).exists()
    for role in ("elected", "member_caf"):
        client.force_login(getattr(world, role))
        assert client.post(url).status_code == 403
    client.force_login(world.outsider)
    assert client.post(url).status_code == 404
    # Another coordinator's piece: only the Caf's staff removes it.
    theirs = add_pdf(measurement, world.caf_staff, title="Du Caf")
    client.force_login(world.coordinator)
    assert (
        client.post(reverse("evidence:delete", args=[world.convention.pk, theirs.pk])).status_code
        == 403
    )
    assert client.post(url).status_code == 302
    client.force_login(world.caf_staff)
    assert (
        client.post(reverse("evidence:delete", args=[world.convention.pk, theirs.pk])).status_code
        == 302
    )
    assert not Evidence.objects.exists()


# --------------------------------------------------------------------------- report annex


def test_the_report_annex_names_the_pieces_of_the_period(world, measurement, observation):
    add_pdf(measurement, world.coordinator, title="Liste d'émargement du relais")
    services.evidence_add(
        title="Photo de l'atelier",
        upload=upload("atelier.png", PNG),
        user=world.coordinator,
        observation=observation,
    )
    later = MeasurementFactory(indicator=measurement.indicator, date=datetime.date(2024, 3, 31))
    add_pdf(later, world.coordinator, title="Pièce hors période")
    report, _ = reporting.report_request(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 12, 31),
    )
    report = reporting.report_build(report_id=report.pk)
    titles = [row["title"] for row in report.snapshot["evidence"]]
    assert titles == ["Liste d'émargement du relais", "Photo de l'atelier"]
    with report.pdf.open("rb") as handle:
        text = " ".join(
            " ".join(
                page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages
            ).split()
        )
    assert "Annexe : pièces justificatives" in text
    assert "Liste d'émargement du relais" in text and "emargement.pdf" in text
    assert "Photo de l'atelier" in text and "atelier.png" in text
    assert "Pièce hors période" not in text


def test_the_admin_shows_a_piece_without_a_link_to_its_file(world, measurement, client):
    piece = add_pdf(measurement, world.coordinator)
    client.force_login(world.superuser)
    response = client.get(reverse("admin:evidence_evidence_change", args=[piece.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert piece.file.name in text and f'href="/media/evidence/{piece.file.name}"' not in text
    history = client.get(reverse("admin:evidence_evidence_history", args=[piece.pk]))
    assert history.status_code == 200
    assert client.get(reverse("admin:evidence_evidence_add")).status_code == 403


def test_a_report_without_pieces_says_so_and_an_older_snapshot_has_no_annex(world, measurement):
    from django.template.loader import render_to_string

    report, _ = reporting.report_request(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 12, 31),
    )
    report = reporting.report_build(report_id=report.pk)
    assert report.snapshot["evidence"] == []
    with report.pdf.open("rb") as handle:
        pages = PdfReader(io.BytesIO(handle.read())).pages
        text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Aucune pièce justificative pour cette période." in text
    # A report built before the annex existed keeps its document as it was.
    assert render_to_string("evidence/_report_annex.html", {"s": {"kind": "Rapport"}}).strip() == ""
