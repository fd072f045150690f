"""The base test setup: one named user per role around two conventions.

`world.convention` (Caf de Tarn-et-Garonne) is signed by the Caf, an EPCI and a
commune, and has a COPIL with one seat per side (`world.caf_seat` held by
`world.member_caf`, `world.territory_seat` held by `world.member_territory`). `world.other_convention`
belongs to another Caf and territory: nobody of the first world may see it.
"""

import contextlib
import os
import shutil
from types import SimpleNamespace

import pytest

from conventions.factories import (
    CafFactory,
    CollectivityFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    ConventionFactory,
    SignatoryFactory,
    UserFactory,
)
from conventions.models import Collectivity, Side, User

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "motdepasse-test"


def services_required() -> bool:
    return os.environ.get("CTG_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason, or fail when CI requires every service."""
    if services_required():
        pytest.fail(f"CTG_REQUIRE_SERVICES=1 mais {reason}")
    pytest.skip(reason)


def pytest_make_parametrize_id(config, val, argname):
    """Generated files (workbooks carry their creation time) get an id that does not depend
    on their bytes: pytest-xdist requires every worker to collect the same test ids."""
    if isinstance(val, bytes | bytearray) and len(val) > 40:
        return f"{argname}-{len(val) // 1024}k"
    return None


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (live server, real worker) flush the database, data
    migrations included: every database test starts with the reference data."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        return
    transactional = bool(names & {"transactional_db", "live_server"}) or bool(
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from diagnostics.services import reference_data_ensure

    reference_data_ensure()


@pytest.fixture
def world(db):
    caf = CafFactory(name="Caf de Tarn-et-Garonne", department_code="82")
    other_caf = CafFactory(name="Caf de la Loire", department_code="42")
    epci = CollectivityFactory(
        kind=Collectivity.Kind.EPCI, name="CC des Deux Rives", code="200041614", caf=caf
    )
    commune = CollectivityFactory(name="Laguépie", code="82090", caf=caf, parent_epci=epci)
    other_commune = CollectivityFactory(name="Sorbiers", code="42302", caf=other_caf)

    convention = ConventionFactory(caf=caf, name="CTG des Deux Rives")
    SignatoryFactory(convention=convention, collectivity=None, caf=caf)
    SignatoryFactory(convention=convention, collectivity=epci)
    SignatoryFactory(convention=convention, collectivity=commune)
    committee = CommitteeFactory(convention=convention)

    other_convention = ConventionFactory(caf=other_caf, name="CTG de Sorbiers")
    SignatoryFactory(convention=other_convention, collectivity=other_commune)
    other_committee = CommitteeFactory(convention=other_convention)

    users = {
        "caf_staff": UserFactory(
            email="claire@caf82.fr", first_name="Claire", role=User.Role.CAF_STAFF, caf=caf
        ),
        "other_caf_staff": UserFactory(
            email="olivier@caf42.fr", first_name="Olivier", role=User.Role.CAF_STAFF, caf=other_caf
        ),
        "coordinator": UserFactory(
            email="corinne@ccdr.fr",
            first_name="Corinne",
            role=User.Role.COORDINATOR,
            collectivity=epci,
        ),
        "elected": UserFactory(
            email="eric@laguepie.fr",
            first_name="Éric",
            role=User.Role.ELECTED,
            collectivity=commune,
        ),
        "other_elected": UserFactory(
            email="emma@sorbiers.fr",
            first_name="Emma",
            role=User.Role.ELECTED,
            collectivity=other_commune,
        ),
        "member_caf": UserFactory(email="marc@caf82.fr", first_name="Marc"),
        "member_territory": UserFactory(email="maud@ccdr.fr", first_name="Maud"),
        "outsider": UserFactory(email="oscar@exemple.fr", first_name="Oscar"),
        "superuser": UserFactory(
            email="admin@ctg.fr", first_name="Ada", is_superuser=True, is_staff=True
        ),
    }
    caf_seat = CommitteeMemberFactory(
        committee=committee, side=Side.CAF, name="Marc Caf", user=users["member_caf"]
    )
    territory_seat = CommitteeMemberFactory(
        committee=committee,
        side=Side.TERRITORY,
        name="Maud Territoire",
        user=users["member_territory"],
    )
    return SimpleNamespace(
        caf=caf,
        other_caf=other_caf,
        epci=epci,
        commune=commune,
        other_commune=other_commune,
        convention=convention,
        committee=committee,
        caf_seat=caf_seat,
        territory_seat=territory_seat,
        other_convention=other_convention,
        other_committee=other_committee,
        **users,
    )


@pytest.fixture
def login(client):
    """`login(user)` returns the test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium; Playwright must never download a browser here."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    args = dict(browser_type_launch_args)
    if executable:
        args["executable_path"] = executable
    args["args"] = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-dev-shm-usage",
    ]
    return args


@pytest.fixture
def chromium_available():
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        skip_or_fail("Chromium est absent (apt-get install chromium)")


@contextlib.contextmanager
def broker(url: str | None, *, queue: str | None = None, backend: str | None = None):
    """Point the Celery app at this broker (None: eager, in-process), then restore it.

    The app reads the Django settings under the ``CELERY_`` namespace, and those
    names win over the lowercase ones: they are the ones overridden here.
    """
    from ctg.celery import app

    keys = (
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "CELERY_TASK_DEFAULT_QUEUE",
        "CELERY_RESULT_BACKEND",
    )
    previous = {key: app.conf.get(key) for key in keys}

    def reset_pools():
        app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None
        with contextlib.suppress(AttributeError):
            del app._local.backend

    if url is None:
        app.conf.update(CELERY_TASK_ALWAYS_EAGER=True, CELERY_BROKER_URL="memory://")
    else:
        app.conf.update(
            CELERY_TASK_ALWAYS_EAGER=False,
            CELERY_BROKER_URL=url,
            CELERY_TASK_DEFAULT_QUEUE=queue or previous["CELERY_TASK_DEFAULT_QUEUE"] or "celery",
            CELERY_RESULT_BACKEND=backend,
        )
    reset_pools()
    try:
        yield app
    finally:
        app.conf.update(previous)
        reset_pools()


@pytest.fixture
def real_redis_url():
    """The machine's Redis (REDIS_URL), answering; skipped (or failed when services
    are required) otherwise."""
    url = os.environ.get("REDIS_URL")
    if not url:
        skip_or_fail("REDIS_URL n'est pas défini : pas de Redis pour ce test")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        skip_or_fail(f"Redis ne répond pas à {url} ({exc})")
    return url
