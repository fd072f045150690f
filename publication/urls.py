"""The Caf's publication settings (under the convention) and the public addresses (no
login): the page, its open-data files, the report PDF and the shipped table schemas."""

from django.urls import path, register_converter

from . import views
from .opendata import TABLES

app_name = "publication"


class AddressConverter:
    """A secret token (URL-safe base64) or a readable slug."""

    regex = r"[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TableConverter:
    regex = "|".join(TABLES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AddressConverter, "public_address")
register_converter(TableConverter, "opendata_table")

urlpatterns = [
    path("conventions/<int:pk>/publication/", views.settings_page, name="settings"),
    path("conventions/<int:pk>/publication/publier/", views.publish, name="publish"),
    path("conventions/<int:pk>/publication/retirer/", views.unpublish, name="unpublish"),
    # Before the page: « schemas » is a reserved address.
    path("public/schemas/<opendata_table:table>.json", views.schema_file, name="schema"),
    path("public/<public_address:address>/", views.public_page, name="page"),
    path(
        "public/<public_address:address>/donnees/<opendata_table:table>.csv",
        views.data_csv,
        name="data_csv",
    ),
    path(
        "public/<public_address:address>/donnees/<opendata_table:table>.json",
        views.data_json,
        name="data_json",
    ),
    path("public/<public_address:address>/rapport.pdf", views.report_pdf, name="report_pdf"),
]
