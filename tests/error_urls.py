"""The project's URLs plus two that fail, for tests/test_error_pages.py."""

from django.db import OperationalError
from django.urls import path

from portal.urls import handler500
from portal.urls import urlpatterns as project_urlpatterns


def fails(request):
    raise RuntimeError("a bug")


def database_gone(request):
    # What psycopg2 raises through Django when PostgreSQL restarts under a request
    # (the real restart is exercised by make faults: faults/pg_restart.py).
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = project_urlpatterns + [
    path("essai/erreur/", fails),
    path("essai/base-indisponible/", database_gone),
]
__all__ = ["handler500", "urlpatterns"]
