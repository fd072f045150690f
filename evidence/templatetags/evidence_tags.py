"""The pieces of evidence where a value is shown: ``{% load evidence_tags %}``.

- ``{% include "evidence/_list.html" with pieces=m.evidence_files.all %}`` lists them (the
  page's selector prefetches ``evidence_files`` by name);
- ``{% sheet_evidence sheet as pieces %}``: the pieces of a fiche, one query;
- ``piece|deletable_by:access``: whether this person may remove it (the rule is
  :func:`evidence.models.may_delete`);
"""

from django import template

from evidence import selectors
from evidence.models import may_delete

register = template.Library()


@register.simple_tag
def sheet_evidence(sheet):
    return list(selectors.evidence_of_sheet(sheet=sheet))


@register.filter
def deletable_by(piece, access) -> bool:
    return access is not None and may_delete(piece, access)
