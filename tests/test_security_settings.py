"""Production settings: deploy checks, HTTPS, CSP, login lockout, passwords, sessions.

The production configuration is exercised in subprocesses (settings are read
once, from the environment, at start-up); the rest through the test client.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
LOGIN = reverse("login")

#: Variables of the test process that must not leak into a production subprocess.
_SCRUB = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests; refused by check --deploy
)


def _prod_env(tmp_path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _SCRUB and not k.startswith(("SECURE_", "SESSION_", "CSRF_", "AXES_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="ctg.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="ctg.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def _run(args, env, **kwargs):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


_SHOW_SETTINGS = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_TRUSTED_ORIGINS", "MAX_IMPORT_SIZE",
]}))
"""


def _settings_of(tmp_path, **extra) -> dict:
    import json

    result = _run(["-c", _SHOW_SETTINGS], _prod_env(tmp_path, **extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- The production configuration -----------------------------------------------------------


def test_check_deploy_passes_with_the_production_configuration(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _prod_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_is_switched_off(tmp_path):
    """The deploy check is a real gate: the plain-http switches make it fail."""
    env = _prod_env(tmp_path, SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0")
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout
    assert "security.W012" in result.stderr + result.stdout


def test_the_process_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path):
    env = _prod_env(tmp_path, SECRET_KEY=None)
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY doit être défini" in result.stderr


def test_production_is_https_only_with_secure_cookies_and_hsts(tmp_path):
    values = _settings_of(tmp_path, CSRF_TRUSTED_ORIGINS="https://ctg.example")
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SESSION_COOKIE_AGE"] == 8 * 3600
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://ctg.example"]
    assert values["MAX_IMPORT_SIZE"] == 5 * 1024 * 1024


def test_plain_http_for_a_local_load_test_is_switched_by_environment(tmp_path):
    values = _settings_of(
        tmp_path, SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0"
    )
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False


_HTTP_PROBE = """
import django
django.setup()
from django.test import Client
client = Client()
plain = client.get("/connexion/", HTTP_HOST="ctg.example")
print("plain", plain.status_code, plain.get("Location"))
proxied = client.get("/", HTTP_HOST="ctg.example", HTTP_X_FORWARDED_PROTO="https")
print("proxied", proxied.status_code, proxied.get("Location"))
print("hsts", proxied.get("Strict-Transport-Security"))
"""


def test_production_redirects_http_to_https_and_trusts_the_proxy_header(tmp_path):
    result = _run(["-c", _HTTP_PROBE], _prod_env(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["plain"] == "301 https://ctg.example/connexion/"
    # Behind the proxy (X-Forwarded-Proto: https) the request is secure: no loop,
    # the anonymous visitor goes to the login page, with HSTS.
    status, location = lines["proxied"].split(" ", 1)
    assert status == "302" and location.startswith("/connexion/")
    assert "max-age=31536000" in lines["hsts"]
    assert "includeSubDomains" in lines["hsts"]


# --- Content-Security-Policy ----------------------------------------------------------------


def _directives(header: str) -> dict:
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def test_pages_carry_a_csp_without_inline_script(world, login):
    client = login(world.caf_staff)
    response = client.get(reverse("actions:plan", args=[world.convention.pk]))
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    policy = _directives(header)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_login_page_has_the_csp_and_loads_scripts_from_files(client, db):
    response = client.get(LOGIN)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert '<script src="/static/js/ctg.js"></script>' in page
    # No script that nothing uses (htmx was loaded on every page and used by none).
    assert "htmx" not in page


_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
_STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)
#: Rendered to PDF by WeasyPrint or sent by e-mail, never served under the CSP.
_NOT_PAGES = ("emails/", "portal/document.html", "reports/report_document.html")


def _templates():
    app_dirs = [p for p in ROOT.glob("*/templates") if ".venv" not in p.parts]
    for base in [TEMPLATES, *app_dirs]:
        for path in sorted(base.rglob("*.html")):
            yield path.relative_to(base).as_posix(), path.read_text(encoding="utf-8")


def test_no_template_holds_an_inline_script_or_event_handler():
    offenders = []
    for name, text in _templates():
        for attrs in _SCRIPT_TAG.findall(text):
            if "src=" not in attrs:
                offenders.append(f"{name}: inline <script>")
        if _HANDLER.search(text):
            offenders.append(f"{name}: on*= handler")
        if "javascript:" in text.lower():
            offenders.append(f"{name}: javascript: URL")
    assert offenders == []
    assert any(name == "base.html" for name, _ in _templates())  # the walk found templates


def test_no_page_template_holds_a_style_attribute():
    offenders = [
        name
        for name, text in _templates()
        if not name.startswith(_NOT_PAGES) and _STYLE_ATTR.search(text)
    ]
    assert offenders == []


def test_the_grep_would_catch_an_inline_script():
    sample = '<form onsubmit="return confirm(1)"><script>alert(1)</script>'
    assert _HANDLER.search(sample)
    assert ["" for a in _SCRIPT_TAG.findall(sample) if "src=" not in a]


def test_charts_render_without_a_style_attribute(world, login):
    from evaluation import charts

    figure = str(charts.hbar_chart([charts.Bar("Accueil", 40)], title="Progression"))
    assert "<svg" in figure and 'width="640"' in figure
    assert "style=" not in figure


# --- Login throttling and lockout (django-axes) -----------------------------------------------


def _fail(client, username="claire@caf82.fr"):
    return client.post(LOGIN, {"username": username, "password": "mauvais-mot-de-passe"})


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_five_failures_lock_the_address_out_with_a_french_429_page(world, client):
    for _ in range(4):
        response = _fail(client)
        assert response.status_code == 200
        assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()
    locked = _fail(client)
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Trop de tentatives de connexion" in page
    assert "15 minutes" in page
    # Even the right password is refused while locked out.
    again = client.post(LOGIN, {"username": "claire@caf82.fr", "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another person from the same address is not locked out.
    other = client.post(LOGIN, {"username": world.coordinator.email, "password": PASSWORD})
    assert other.status_code == 302


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_changing_the_case_of_the_address_buys_no_extra_tries(world, client):
    for username in ["claire@caf82.fr", "Claire@caf82.fr", "CLAIRE@CAF82.FR", " claire@Caf82.fr"]:
        assert _fail(client, username).status_code == 200
    assert _fail(client, "cLaire@caf82.fr").status_code == 429


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_a_successful_login_resets_the_failure_count(world, client):
    for _ in range(4):
        _fail(client)
    ok = client.post(LOGIN, {"username": "claire@caf82.fr", "password": PASSWORD})
    assert ok.status_code == 302
    client.logout()
    for _ in range(4):
        assert _fail(client).status_code == 200


def test_axes_is_installed_before_the_model_backend():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


# --- Passwords and sessions -------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, message",
    [
        ("court1", "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères."),
        ("827364918273645", "Ce mot de passe est entièrement numérique."),
        ("password1234", "Ce mot de passe est trop courant."),
    ],
)
def test_weak_passwords_are_refused_in_french(password, message):
    with translation.override("fr"), pytest.raises(ValidationError) as error:
        validate_password(password)
    assert message in error.value.messages


def test_a_long_unusual_password_is_accepted():
    assert validate_password("Plateau-des-Causses-1987!") is None


def test_the_session_ends_with_the_browser_and_lasts_a_working_day_at_most(world, client):
    client.post(LOGIN, {"username": "claire@caf82.fr", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    assert client.session.get_expiry_age() == 8 * 3600
