"""After ``make load``: is every write the server acknowledged in PostgreSQL?

Reads the JSON lines written by client.py and, in a process of its own (the
server is stopped by then), looks up each acknowledged measurement (indicator,
date, value, entered by) and opinion (fiche, member's account, favorable, version
1). Also checks the approval rule on the load fiches: a fiche is "validée" exactly
when it has the required favorable opinions of each side. Exit 1 on any loss.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg.settings")

import django  # noqa: E402

django.setup()

from actions import workflow  # noqa: E402
from actions.models import ActionSheet, Approval  # noqa: E402
from evaluation.models import Measurement  # noqa: E402


def main(writes_path: str, manifest_path: str) -> int:
    entries = [json.loads(line) for line in Path(writes_path).read_text().splitlines() if line]
    manifest = json.loads(Path(manifest_path).read_text())
    acked = [e for e in entries if e["acked"]]
    lost = []
    for e in acked:
        if e["kind"] == "measurement":
            found = Measurement.objects.filter(
                indicator_id=e["indicator"],
                date=e["date"],
                value=Decimal(e["value"]),
                entered_by__email=e["user"],
            ).exists()
        else:
            found = Approval.objects.filter(
                sheet_id=e["sheet"],
                member__user__email=e["user"],
                decision=e["decision"],
                version=1,
            ).exists()
        if not found:
            lost.append(e)
    measurements = sum(1 for e in acked if e["kind"] == "measurement")
    approvals = len(acked) - measurements
    # Rows written by the load accounts that the client did not see acknowledged
    # (e.g. a timeout after the commit): reported, not lost.
    in_db = (
        Measurement.objects.filter(
            entered_by__email__startswith="charge.", comment__startswith="Essai de charge"
        ).count()
        + Approval.objects.filter(member__user__email__startswith="charge.").count()
    )
    # The co-piloted approval rule, on every load fiche.
    inconsistent = []
    for c in manifest["conventions"]:
        committee = None
        sheets = ActionSheet.objects.filter(
            convention_id=c["id"], number__startswith=manifest["sheet_prefix"]
        )
        for sheet in sheets:
            committee = committee or workflow.approving_committee(convention=sheet.convention)
            tally = workflow.favorable_counts(sheet=sheet, committee=committee)
            complete = workflow.is_validated_by(tally, committee=committee)
            if complete != (sheet.status == ActionSheet.Status.VALIDATED):
                inconsistent.append((sheet.pk, sheet.status))
    validated = ActionSheet.objects.filter(
        number__startswith=manifest["sheet_prefix"], status=ActionSheet.Status.VALIDATED
    ).count()
    print(
        f"\nWrites acknowledged: {measurements} measurements, {approvals} opinions "
        f"({len(entries) - len(acked)} not acknowledged); rows from the load accounts in "
        f"the database: {in_db} ({in_db - len(acked) + len(lost)} beyond the acknowledged); "
        f"load fiches validated during the run: {validated}."
    )
    for e in lost[:20]:
        print(f"  LOST: {e}")
    for pk, status in inconsistent[:20]:
        print(f"  INCONSISTENT: fiche {pk} is {status!r} against its opinions")
    print(f"Lost writes: {len(lost)}; fiches inconsistent with their opinions: {len(inconsistent)}")
    Path(writes_path).with_suffix(".check.json").write_text(
        json.dumps({"lost": len(lost), "inconsistent": len(inconsistent), "acked": len(acked)})
    )
    return 1 if lost or inconsistent else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
