"""The demo accounts: one per role, all with the demo password (``DEMO_PASSWORD``).

An account that already exists (same e-mail) is left as it is, password included: the seed
only says whether it still accepts the demo password.
"""

from __future__ import annotations

from conventions.models import User

from . import qrga as qrga_data
from . import sorbiers as sorbiers_data
from .builder import DemoBuilder, DemoLogin

DEMO_PASSWORD = "demo-ctg-2026"


def _accounts(
    *, qrga: qrga_data.Territory, sorbiers: sorbiers_data.Territory
) -> list[tuple[str, str, str, dict]]:
    """(e-mail, role shown at the end of the seed, what the account sees, its attributes)."""
    return [
        (
            "admin@ctg.example",
            "Administratrice de la plateforme (superutilisatrice)",
            "toutes les conventions, administration",
            {
                "first_name": "Ada",
                "last_name": "Administratrice",
                "is_staff": True,
                "is_superuser": True,
            },
        ),
        (
            "agent.caf82@ctg.example",
            "Agent de la Caf de Tarn-et-Garonne",
            "conventions de la Caf 82 (Quercy Rouergue Gorges de l'Aveyron)",
            {
                "first_name": "Léa",
                "last_name": "Bonnet",
                "role": User.Role.CAF_STAFF,
                "caf": qrga.caf,
                "job_title": "Conseillère territoriale",
            },
        ),
        (
            "agent.caf42@ctg.example",
            "Agent de la Caf de la Loire",
            "conventions de la Caf 42 (Sorbiers)",
            {
                "first_name": "Karim",
                "last_name": "Benali",
                "role": User.Role.CAF_STAFF,
                "caf": sorbiers.caf,
                "job_title": "Conseiller territorial",
            },
        ),
        (
            "coordination@ctg.example",
            "Chargée de coopération CTG (communauté de communes)",
            "CTG Quercy Rouergue Gorges de l'Aveyron : fiches et mesures",
            {
                "first_name": "Camille",
                "last_name": "Vidal",
                "role": User.Role.COORDINATOR,
                "collectivity": qrga.epci,
                "job_title": "Chargée de coopération CTG",
            },
        ),
        (
            "elu@ctg.example",
            "Élu de Saint-Antonin-Noble-Val (commune signataire)",
            "CTG Quercy Rouergue Gorges de l'Aveyron, en lecture",
            {
                "first_name": "Pierre",
                "last_name": "Lacombe",
                "role": User.Role.ELECTED,
                "collectivity": qrga.communes["Saint-Antonin-Noble-Val"],
                "job_title": "Adjoint au maire chargé des affaires sociales",
            },
        ),
        (
            "copil.caf@ctg.example",
            "Membre du comité de pilotage, collège Caf",
            "CTG Quercy Rouergue Gorges de l'Aveyron : lecture et avis sur les fiches",
            {
                "first_name": "Hélène",
                "last_name": "Marty",
                "role": User.Role.OTHER,
                "job_title": "Administratrice de la Caf de Tarn-et-Garonne",
            },
        ),
        (
            "copil.territoire@ctg.example",
            "Membre du comité de pilotage, collège territoire (élue de Varen)",
            "CTG Quercy Rouergue Gorges de l'Aveyron : lecture et avis sur les fiches",
            {
                "first_name": "Sandrine",
                "last_name": "Delpech",
                "role": User.Role.ELECTED,
                "collectivity": qrga.communes["Varen"],
                "job_title": "Conseillère communautaire déléguée à l'enfance et à la jeunesse",
            },
        ),
        (
            "invite@ctg.example",
            "Personne sans accès (aucune convention)",
            "aucune convention",
            {"first_name": "Oscar", "last_name": "Invité", "role": User.Role.OTHER},
        ),
    ]


def seed_accounts(
    b: DemoBuilder, *, qrga: qrga_data.Territory, sorbiers: sorbiers_data.Territory
) -> dict[str, User]:
    """The demo accounts by the local part of their e-mail (``"coordination"``, ``"elu"``…)."""
    users: dict[str, User] = {}
    for email, role_label, scope, attrs in _accounts(qrga=qrga, sorbiers=sorbiers):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(email=email, **attrs)
            user.set_password(DEMO_PASSWORD)
            user.full_clean()
            user.save()
            b.result.created[User._meta.verbose_name_plural] += 1
        users[email.split("@")[0]] = user
        b.result.logins.append(
            DemoLogin(
                email=email,
                role_label=role_label,
                scope=scope,
                password_is_demo=user.check_password(DEMO_PASSWORD),
            )
        )

    return users
