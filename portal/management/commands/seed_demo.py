import datetime

from django.core.management.base import BaseCommand

from conventions.models import Convention
from portal.demo import DEMO_PASSWORD, QRGA_NAME, seed_demo
from reports.models import ProgressReport
from reports.services import report_build


class Command(BaseCommand):
    help = (
        "Installe les données de démonstration (CTG Quercy Rouergue Gorges de l'Aveyron et "
        "CTG de Sorbiers) et un compte par rôle. Ne crée que ce qui manque : relancer la "
        "commande ne change rien, et aucune donnée existante n'est modifiée ni supprimée."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-report",
            action="store_true",
            help="Produit aussi un rapport d'avancement de démonstration (PDF + XLSX), "
            "une seule fois.",
        )

    def handle(self, *args, **options):
        result = seed_demo()
        if options["with_report"]:
            self.demo_report()
        if result.total_created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Données de démonstration : {result.total_created} objet(s) créé(s)."
                )
            )
            for label, count in sorted(result.created.items()):
                self.stdout.write(f"  {count:>4} {label}")
        else:
            self.stdout.write(
                self.style.SUCCESS("Données de démonstration déjà en place : aucun changement.")
            )

        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"Comptes de démonstration (mot de passe commun : {DEMO_PASSWORD})"
            )
        )
        width = max(len(login.email) for login in result.logins)
        for login in result.logins:
            password = (
                DEMO_PASSWORD
                if login.password_is_demo
                else "(mot de passe modifié depuis, inchangé)"
            )
            self.stdout.write(f"  {login.email:<{width}}  {password:<14}  {login.role_label}")
            self.stdout.write(f"  {'':<{width}}  {'':<14}  → {login.scope}")
        self.stdout.write("")
        self.stdout.write("Connexion : http://127.0.0.1:8000/connexion/")

    def demo_report(self):
        """The yearly report of the QRGA convention's last year, built once (no e-mail)."""
        convention = Convention.objects.filter(name=QRGA_NAME).first()
        if convention is None:
            return
        year = convention.end_date.year
        report, _ = ProgressReport.objects.get_or_create(
            convention=convention,
            kind=ProgressReport.Kind.PERIODIC,
            period_start=max(datetime.date(year, 1, 1), convention.start_date),
            period_end=convention.end_date,
        )
        if report.status != ProgressReport.Status.READY:
            report_build(report_id=report.pk)
            self.stdout.write(self.style.SUCCESS(f"Rapport de démonstration produit : {report}"))
