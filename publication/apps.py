from django.apps import AppConfig


class PublicationConfig(AppConfig):
    name = "publication"
    verbose_name = "Publication (page publique et données ouvertes)"

    def ready(self) -> None:
        # The demo publishes one convention (portal's seeder calls the apps above it).
        from portal.demo.seeder import register_demo_seeder

        from .demo import seed_publication

        register_demo_seeder(seed_publication)
