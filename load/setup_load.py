"""Load-test data on top of the demo and the scale data set (``make load``).

Run by ``load/run.sh`` after ``seed_demo`` and ``generate_scale_data``; safe to run
again: it first removes what a previous load run wrote (its fiches, measurements,
opinions) and then:

- picks ``--conventions`` scale conventions in implementation (one per Caf first);
- gives each role ``--per-role`` accounts ``charge.<role>.<k>@jeu-echelle.ctg.test``
  with one known password (Caf staff of the convention's Caf, coordinator and
  elected official of its lead EPCI, members of each side of its approving
  committee), account ``k`` attached to convention ``k % conventions``;
- adds ``--sheets`` submitted fiches ``CH-nn`` per convention, and requires one
  favorable opinion per load member of each side, so that every member can give
  an opinion on every one of them without racing another;
- builds one progress report per convention (synchronously) for the PDF download;
- writes the manifest the client reads (accounts, conventions, indicators, reports).

The e-mail domain is the scale data's: ``generate_scale_data --reset`` removes these
accounts too.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from actions import workflow  # noqa: E402
from actions.models import ActionSheet, ActionSheetTransition, Approval  # noqa: E402
from actions.workflow import approving_committee  # noqa: E402
from bench.scale import EMAIL_DOMAIN, SUFFIX  # noqa: E402
from conventions.models import CommitteeMember, Convention, Side, Signatory, User  # noqa: E402
from evaluation.models import Indicator, Measurement, PeriodLock  # noqa: E402
from reports import services as reporting  # noqa: E402
from reports.models import ProgressReport  # noqa: E402

ROLES = ("caf_staff", "coordinator", "elected", "member_caf", "member_territory")
USER_ROLE = {
    "caf_staff": User.Role.CAF_STAFF,
    "coordinator": User.Role.COORDINATOR,
    "elected": User.Role.ELECTED,
    "member_caf": User.Role.OTHER,
    "member_territory": User.Role.OTHER,
}
SHEET_PREFIX = "CH-"
# Fiches being carried out: their indicators are measured and they are edited.
EDITABLE = workflow.ONGOING


def load_email(role: str, k: int) -> str:
    return f"charge.{role.replace('_', '-')}.{k:02d}@{EMAIL_DOMAIN}"


def load_users():
    return User.objects.filter(email__startswith="charge.", email__endswith=f"@{EMAIL_DOMAIN}")


def pick_conventions(n: int) -> list[Convention]:
    candidates = list(
        Convention.objects.filter(
            name__endswith=SUFFIX,
            phase=Convention.Phase.IMPLEMENTATION,
            signatories__role=Signatory.Role.LEAD,
            signatories__collectivity__isnull=False,
        )
        .select_related("caf")
        .order_by("pk")
        .distinct()
    )
    # One per Caf first (portfolios of different sizes), then the rest in order.
    first, rest, seen = [], [], set()
    for c in candidates:
        (rest if c.caf_id in seen else first).append(c)
        seen.add(c.caf_id)
    chosen = (first + rest)[:n]
    if len(chosen) < n:
        raise SystemExit(
            f"Only {len(chosen)} scale conventions in implementation: "
            "generate a larger scale data set (LOAD_SCALE)."
        )
    return chosen


def reset_previous_run() -> dict[str, int]:
    """Remove what earlier load runs wrote; scale fiches they validated go back to submitted."""
    users = load_users()
    removed = {}
    touched = set(
        ActionSheetTransition.objects.filter(by__in=users)
        .exclude(sheet__number__startswith=SHEET_PREFIX)
        .values_list("sheet_id", flat=True)
    )
    removed["measurements"] = Measurement.objects.filter(entered_by__in=users).delete()[0]
    removed["opinions"] = Approval.objects.filter(member__user__in=users).delete()[0]
    ActionSheetTransition.objects.filter(sheet_id__in=touched, by__in=users).delete()
    ActionSheet.objects.filter(pk__in=touched).update(
        status=ActionSheet.Status.SUBMITTED, approved_version=None
    )
    removed["fiches"] = ActionSheet.objects.filter(number__startswith=SHEET_PREFIX).delete()[0]
    # Seats are given again below to this run's members only: the seats of a larger earlier
    # run would raise the approvals required per side beyond what this run's members give.
    removed["seats"] = CommitteeMember.objects.filter(user__in=users).delete()[0]
    return removed


def report_period(convention: Convention) -> tuple[datetime.date, datetime.date]:
    """The load report's period: up to the end of the month three months ago. A built report
    locks the measurements of its period (evaluation.locks): the run measures after it."""
    ago = timezone.localdate() - datetime.timedelta(days=90)
    end = ago.replace(day=1) - datetime.timedelta(days=1)
    end = min(max(end, convention.start_date), convention.end_date)
    return convention.start_date, end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conventions", type=int, default=10)
    parser.add_argument("--per-role", type=int, default=10)
    parser.add_argument("--sheets", type=int, default=40)
    parser.add_argument("--password", default=os.environ.get("LOAD_PASSWORD", "charge-ctg-2026"))
    parser.add_argument("--manifest", required=True)
    args = parser.parse_args()
    n_conv, per_role = args.conventions, args.per_role

    with transaction.atomic():
        removed = reset_previous_run()
        conventions = pick_conventions(n_conv)
        password_hash = make_password(args.password)  # one hash: PBKDF2 once, not per account
        accounts = []
        for role in ROLES:
            for k in range(per_role):
                conv = conventions[k % n_conv]
                lead = (
                    conv.signatories.filter(role=Signatory.Role.LEAD, collectivity__isnull=False)
                    .select_related("collectivity")
                    .first()
                    .collectivity
                )
                email = load_email(role, k)
                user, _ = User.objects.update_or_create(
                    email=email,
                    defaults={
                        "password": password_hash,
                        "first_name": f"Charge {k:02d}",
                        "last_name": role.replace("_", " ").title(),
                        "role": USER_ROLE[role],
                        "caf": conv.caf if role == "caf_staff" else None,
                        "collectivity": lead if role in ("coordinator", "elected") else None,
                        "is_active": True,
                    },
                )
                if role.startswith("member_"):
                    committee = approving_committee(convention=conv)
                    side = Side.CAF if role == "member_caf" else Side.TERRITORY
                    CommitteeMember.objects.update_or_create(
                        committee=committee,
                        user=user,
                        defaults={"side": side, "name": user.get_full_name(), "function": "Membre"},
                    )
                accounts.append({"email": email, "role": role, "convention": conv.pk})

        manifest_conventions = []
        for i, conv in enumerate(conventions):
            committee = approving_committee(convention=conv)
            seats = {
                side: CommitteeMember.objects.filter(
                    committee=committee, side=side, user__in=load_users()
                ).count()
                for side in (Side.CAF, Side.TERRITORY)
            }
            committee.approvals_required_per_side = max(1, min(seats.values()))
            committee.save(update_fields=["approvals_required_per_side"])
            submitter = User.objects.get(email=load_email("coordinator", i))
            template = conv.action_sheets.exclude(objective=None).order_by("pk").first()
            ActionSheet.objects.bulk_create(
                ActionSheet(
                    convention=conv,
                    number=f"{SHEET_PREFIX}{n:02d}",
                    title=f"Fiche soumise pour l'essai de charge n° {n}",
                    thematic_id=template.thematic_id,
                    objective_id=template.objective_id,
                    context="Constat partagé.",
                    goals="Améliorer l'offre.",
                    lead="Chargée de coopération",
                    start_date=conv.start_date,
                    end_date=conv.end_date,
                    status=ActionSheet.Status.SUBMITTED,
                    version=1,
                    created_by=submitter,
                    submitted_by=submitter,
                )
                for n in range(1, args.sheets + 1)
            )
            indicators = list(
                Indicator.objects.filter(
                    action_sheet__convention=conv, action_sheet__status__in=EDITABLE
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:20]
            )
            editable = list(
                conv.action_sheets.filter(status__in=EDITABLE)
                .order_by("pk")
                .values_list("pk", flat=True)[:10]
            )
            start, end = report_period(conv)
            report, _ = reporting.report_request(
                convention=conv, period_start=start, period_end=end
            )
            manifest_conventions.append(
                {
                    "id": conv.pk,
                    "caf": conv.caf.name,
                    "start": conv.start_date.isoformat(),
                    "end": min(conv.end_date, timezone.localdate()).isoformat(),
                    "indicators": indicators,
                    "editable_sheets": editable,
                    "report": report.pk,
                    "approvals_required_per_side": committee.approvals_required_per_side,
                }
            )

    # Reports are built outside the transaction (WeasyPrint, seconds each); idempotent.
    for entry in manifest_conventions:
        stale = ProgressReport.objects.get(pk=entry["report"])
        if stale.pdf and not stale.pdf.storage.exists(stale.pdf.name):
            # Built by a run of another checkout (its own media folder): build it again here.
            ProgressReport.objects.filter(pk=stale.pk).update(
                status=ProgressReport.Status.PENDING, pdf="", xlsx=""
            )
        report = reporting.report_build(report_id=entry["report"])
        if report.status != ProgressReport.Status.READY:
            raise SystemExit(f"Report {report.pk} not ready: {report.error}")
        # A built report locks the measurements of its period (evaluation.locks): the run
        # measures after the last locked period (this report's or an earlier run's).
        last_locked = PeriodLock.objects.filter(convention_id=entry["id"]).aggregate(
            end=Max("end")
        )["end"]
        if last_locked:
            entry["open_from"] = (last_locked + datetime.timedelta(days=1)).isoformat()

    Path(args.manifest).write_text(
        json.dumps(
            {
                "password": args.password,
                "sheet_prefix": SHEET_PREFIX,
                "accounts": accounts,
                "conventions": manifest_conventions,
            },
            indent=1,
        )
    )
    print(
        f"Load data: {len(conventions)} conventions, {len(accounts)} accounts "
        f"({per_role} per role), {args.sheets} submitted fiches per convention; "
        f"removed from the previous run: {removed}."
    )


if __name__ == "__main__":
    main()
