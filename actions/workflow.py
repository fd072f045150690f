"""The fiche workflow: statuses and their groups (the one home of these rules)."""

from .models import ActionSheet

Status = ActionSheet.Status

# Fiches that went through the committee's approval (validated, started or done).
VALIDATED = (Status.VALIDATED, Status.IN_PROGRESS, Status.DONE)
