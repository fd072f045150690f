from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The top layer: what composes every app (synthèse, convention document, demo, menu)."""

    name = "portal"
    verbose_name = "Portail"
