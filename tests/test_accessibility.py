"""RGAA AA checked by a machine: axe-core on every page a role can open.

The pages come from the URL matrix (tests/test_url_matrix.py): every pattern whose GET the
role is allowed, HTML pages only (downloads, JSON and redirects left out), on the matrix's
objects, for the four roles who see the convention (at 1366 px, and the élu at 390 px too).
Each role is one browser context whose session cookie comes from ``Client.force_login`` (no
login form per role); the anonymous visitor gets the login page, the public page of the
published convention (1366 and 390 px) and the error pages (403, 404, CSRF, 400, 429, 500,
503). axe-core (vendored, tests/vendor/axe-core/) runs on each page; a
violation of impact « serious » or « critical » fails the test, every one listed in one
message (page, rule, target). Beyond axe, each page must have exactly one ``h1``, no select
box showing Django's « --------- », and ``aria-current="page"`` on its active menu and tab
links.

The audit comes in parts (:data:`PARTS`: each role and width in slices of its pages, then
the error pages, then the anonymous visitor's pages) so that pytest-xdist spreads it over
its workers; one browser per module and worker.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.db.models import BLANK_CHOICE_DASH
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from conventions.models import Caf
from tests.conftest import PASSWORD, skip_or_fail
from tests.test_url_matrix import ALLOWED, EXPECTED, build_objects, project_patterns, url_of

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: Who sees the convention (the élu and the committee member read, the others edit).
ROLES = ["caf_staff", "coordinator", "elected", "member_caf"]
#: Each role at a desktop's width; the élu also on a phone (compact stepper, scrolling
#: tabs, the charts' phone drawings). The value: in how many parts its pages are audited
#: (interleaved slices of about 20 to 30 pages, one test each).
PARTS = {
    ("caf_staff", 1366): 3,
    ("coordinator", 1366): 2,
    ("elected", 1366): 1,
    ("member_caf", 1366): 1,
    ("elected", 390): 1,
}
AUDITS = [
    (role, width, part, parts) for (role, width), parts in PARTS.items() for part in range(parts)
]
BLOCKING = {"serious", "critical"}

#: Widgets drawn by a third-party library, left out of the audit: Swagger UI on the API
#: documentation page (a developer tool; its markup is the library's).
THIRD_PARTY = ["#swagger-ui"]

RUN_AXE = """async (exclude) => {
  const context = {exclude: exclude.map(selector => [selector])};
  const result = await axe.run(context, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({impact: n.impact, target: n.target.join(" ")})),
  }));
}"""

# Checks of our own, beyond axe: one h1, labelled empty choices, the active link announced.
OWN_CHECKS = """(exclude) => {
  const problems = [];
  const outside = element => !exclude.some(selector => element.closest(selector));
  const h1 = [...document.querySelectorAll("h1")].filter(outside).length;
  if (h1 !== 1) problems.push(`${h1} h1 (exactly one expected)`);
  for (const option of document.querySelectorAll("select option")) {
    if (/^-{3,}$/.test(option.textContent.trim())) {
      problems.push(`select #${option.parentElement.id}: empty choice « ${option.textContent} »`);
    }
  }
  for (const link of document.querySelectorAll(".navbar .nav-link.active, .nav-tabs .nav-link.active")) {
    if (link.getAttribute("aria-current") !== "page") {
      problems.push(`active link « ${link.textContent.trim()} » without aria-current="page"`);
    }
  }
  return problems;
}"""


def html_pages(role: str, objects: dict) -> list[tuple[str, str]]:
    """(pattern name, URL) of every HTML page of the matrix the role may GET."""
    pages = []
    for pattern in project_patterns():
        rule = EXPECTED.get(pattern.name)
        if rule is None:
            continue  # not in the matrix yet: test_url_matrix fails for it
        if rule.get is None or role not in ALLOWED[rule.get]:
            continue
        if rule.content_type is not None or rule.ok != 200:
            continue  # a download, JSON, or a redirect
        pages.append((pattern.name, url_of(pattern, objects)))
    return pages


def part_of(pages: list, part: int, parts: int) -> list:
    """The ``part``-th of ``parts`` interleaved slices of the pages (every page in one)."""
    return pages[part::parts]


def audit(page, where: str) -> list[str]:
    """axe's blocking violations and our own checks on the page now loaded."""
    failures = []
    for violation in page.evaluate(RUN_AXE, THIRD_PARTY):
        for node in violation["nodes"]:
            impact = node["impact"] or violation["impact"]
            if impact in BLOCKING:
                failures.append(
                    f"{where}: {violation['id']} ({impact}) on {node['target']} — "
                    f"{violation['help']}"
                )
    failures.extend(f"{where}: {problem}" for problem in page.evaluate(OWN_CHECKS, THIRD_PARTY))
    return failures


def serve(html: str):
    """A route handler answering with this page (drawn by Django, served on the live
    server's origin so that its stylesheets load)."""

    def handler(route):
        route.fulfill(body=html, content_type="text/html; charset=utf-8")

    return handler


def session_cookie(user, base_url: str) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


@pytest.fixture(scope="module")
def browser_for_audit(playwright, browser_type_launch_args):
    """One Chromium for the module's tests on this worker."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        skip_or_fail("Chromium est absent (apt-get install chromium)")
    browser = playwright.chromium.launch(**browser_type_launch_args)
    yield browser
    browser.close()


def new_context(browser, width: int = 1366):
    """A browser context whose pages all load axe-core (before their own scripts)."""
    # axe comes in as an inline script, which the pages' Content-Security-Policy forbids.
    context = browser.new_context(
        locale="fr-FR", bypass_csp=True, viewport={"width": width, "height": 900}
    )
    context.add_init_script(path=str(AXE))
    context.set_default_timeout(30_000)
    return context


def test_the_parts_audit_every_page_of_every_role_once():
    assert sorted({role for role, width in PARTS if width == 1366}) == sorted(ROLES)
    assert ("elected", 390) in PARTS
    pages = list(range(81))
    for parts in range(1, 5):
        slices = [part_of(pages, part, parts) for part in range(parts)]
        assert sorted(page for piece in slices for page in piece) == pages


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("role", "width", "part", "parts"),
    AUDITS,
    ids=[f"{role}-{width}px-{part + 1}of{parts}" for role, width, part, parts in AUDITS],
)
def test_the_pages_of_a_role_pass_axe(
    world, live_server, browser_for_audit, role, width, part, parts
):
    objects = build_objects(world.convention, world.committee, world.epci)
    base = live_server.url
    pages = html_pages(role, objects)
    if width == 1366:
        assert len(pages) >= 10, f"{role}: {len(pages)} pages"
    failures: list[str] = []
    audited = 0
    started = time.monotonic()

    context = new_context(browser_for_audit, width)
    context.add_cookies([session_cookie(getattr(world, role), base)])
    page = context.new_page()
    for name, url in part_of(pages, part, parts):
        response = page.goto(base + url)
        where = f"{name} ({url}) as {role}" + (" at 390 px" if width < 1366 else "")
        if response is None or response.status != 200:
            failures.append(f"{where}: HTTP {response and response.status}")
            continue
        failures.extend(audit(page, where))
        audited += 1
    if part == 0:
        # Error pages inside the application, with the menu.
        for url, status in (("/nexiste-pas/", 404), ("/conventions/999999/", 404)):
            response = page.goto(base + url)
            assert response.status == status
            failures.extend(audit(page, f"{status} ({url}) as {role}"))
    context.close()

    print(
        f"axe: {audited} pages of {role} at {width} px audited in {time.monotonic() - started:.0f} s"
    )
    assert not failures, f"{len(failures)} accessibility failures:\n" + "\n".join(failures)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_403_and_expired_form_pages_pass_axe(world, live_server, browser_for_audit):
    base = live_server.url
    failures: list[str] = []
    # A role without access: the French 403 page.
    context = new_context(browser_for_audit)
    context.add_cookies([session_cookie(world.elected, base)])
    page = context.new_page()
    assert page.goto(base + reverse("evaluation:portfolio")).status == 403
    failures.extend(audit(page, "403 (portfolio) as elected"))
    # A form sent without its CSRF token: « Formulaire expiré ».
    context.add_cookies([session_cookie(world.caf_staff, base)])
    page.goto(base + reverse("conventions:edit", args=[world.convention.pk]))
    with page.expect_navigation():
        page.evaluate(
            """() => {
              const form = document.querySelector("main form[method=post]");
              form.querySelector("[name=csrfmiddlewaretoken]").remove();
              form.submit();
            }"""
        )
    assert page.locator("h1", has_text="Formulaire expiré").count() == 1
    failures.extend(audit(page, "403 CSRF as caf_staff"))
    context.close()
    assert not failures, f"{len(failures)} accessibility failures:\n" + "\n".join(failures)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_anonymous_visitor_s_pages_pass_axe(world, live_server, browser_for_audit):
    """The login page (empty, then with its error), the public page of the published
    convention, and the error pages drawn without the request (400, 500, 503) or by
    django-axes (429)."""
    objects = build_objects(world.convention, world.committee, world.epci)
    base = live_server.url
    failures: list[str] = []
    context = new_context(browser_for_audit)
    page = context.new_page()
    page.goto(base + reverse("login"))
    failures.extend(audit(page, "login"))
    page.fill("input[name=username]", world.caf_staff.email)
    page.fill("input[name=password]", PASSWORD + "-faux")
    page.click("button[type=submit]")
    page.get_by_text("Adresse e-mail ou mot de passe incorrect.").wait_for()
    failures.extend(audit(page, "login with an error"))
    page.goto(f"{base}/nexiste-pas/")
    failures.extend(audit(page, "404 as anonymous"))
    # The public page of a published convention (world.convention, see publication_objects),
    # at a desktop's and a phone's width.
    public = reverse("publication:page", args=[objects["address"]])
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.goto(base + public).status == 200
        failures.extend(audit(page, f"public page as anonymous at {width} px"))
    page.set_viewport_size({"width": 1366, "height": 900})
    pages = {
        "400": render_to_string("400.html"),
        "500": render_to_string("500.html"),
        "503": render_to_string("503.html", {"retry_after": 30}),
        "429": render_to_string("registration/lockout.html", {"cooloff_minutes": 15}),
    }
    for code, html in pages.items():
        url = f"{base}/essai-accessibilite/{code}/"
        page.route(url, serve(html))
        page.goto(url)
        failures.extend(audit(page, f"{code} page"))
    context.close()
    assert not failures, f"{len(failures)} accessibility failures:\n" + "\n".join(failures)


def test_every_select_box_labels_its_empty_choice_in_french():
    """Django's « --------- » (model choices, ModelChoiceField) reads « — Choisir — », for
    every form at once: the project's templates/django/forms/widgets/select_option.html
    (FORM_RENDERER = TemplatesSetting in ctg/settings.py)."""
    assert settings.FORM_RENDERER == "django.forms.renderers.TemplatesSetting", (
        "ctg/settings.py must render forms with the project's templates: "
        'FORM_RENDERER = "django.forms.renderers.TemplatesSetting" and "django.forms" in '
        "INSTALLED_APPS, or select boxes show Django's « --------- »"
    )

    class Sample(forms.Form):
        kind = forms.ChoiceField(choices=BLANK_CHOICE_DASH + [("epci", "EPCI")])
        caf = forms.ModelChoiceField(queryset=Caf.objects.none(), required=False)

    form = Sample()
    for name in ("kind", "caf"):
        html = str(form[name])
        assert '<option value="" selected>— Choisir —</option>' in html, html
        assert "---------" not in html
    assert '<option value="epci">EPCI</option>' in str(form["kind"])
