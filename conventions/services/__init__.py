"""Writes on conventions: keyword-only service functions, atomic, validated.

Views and forms only validate input and lay out; every write goes through here, one module
per subdomain:

- ``convention``: the editor (optimistic locking) and the lifecycle (phases, signature,
  renewal);
- ``signatory``: the signatories of a convention;
- ``governance``: committees, their members and meetings;
- ``collectivity``: the collectivities' referential and its CSV import;
- ``deadline``: the notices of the conventions' ends to the Caf staff (daily job);
- ``data_version``: the version of a convention's figures, bumped by every write on them.

Import from those modules (``from conventions.services import governance``).
"""
