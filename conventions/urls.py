from django.urls import path

from . import takeover_views, views

app_name = "conventions"

urlpatterns = [
    path("conventions/", views.convention_list, name="list"),
    path("conventions/<int:pk>/gouvernance/", views.governance, name="governance"),
]

# Governance: committees, members, meetings (conventions/committee_views.py).
from . import committee_views  # noqa: E402

_committee = "conventions/<int:pk>/instances/<int:committee_pk>/"
urlpatterns += [
    path(
        "conventions/<int:pk>/instances/nouvelle/",
        committee_views.committee_create,
        name="committee_create",
    ),
    path(_committee, committee_views.committee_detail, name="committee_detail"),
    path(f"{_committee}modifier/", committee_views.committee_update, name="committee_update"),
    path(f"{_committee}supprimer/", committee_views.committee_delete, name="committee_delete"),
    path(f"{_committee}membres/ajouter/", committee_views.member_create, name="member_create"),
    path(
        f"{_committee}membres/<int:member_pk>/modifier/",
        committee_views.member_update,
        name="member_update",
    ),
    path(
        f"{_committee}membres/<int:member_pk>/retirer/",
        committee_views.member_delete,
        name="member_delete",
    ),
    path(f"{_committee}reunions/nouvelle/", committee_views.meeting_create, name="meeting_create"),
    path(
        f"{_committee}reunions/<int:meeting_pk>/",
        committee_views.meeting_detail,
        name="meeting_detail",
    ),
    path(
        f"{_committee}reunions/<int:meeting_pk>/modifier/",
        committee_views.meeting_update,
        name="meeting_update",
    ),
    path(
        f"{_committee}reunions/<int:meeting_pk>/supprimer/",
        committee_views.meeting_delete,
        name="meeting_delete",
    ),
]

# Convention editor, signatories, lifecycle and the collectivity referential.
_signatory = "conventions/<int:pk>/signataires/<int:signatory_pk>/"
urlpatterns += [
    path("conventions/nouvelle/", views.convention_create, name="create"),
    path("conventions/reprise/", takeover_views.convention_takeover, name="takeover"),
    path("conventions/<int:pk>/modifier/", views.convention_edit, name="edit"),
    path("conventions/<int:pk>/cycle-de-vie/", views.lifecycle_view, name="lifecycle"),
    path("conventions/<int:pk>/signature/", views.convention_sign, name="sign"),
    path("conventions/<int:pk>/renouvellement/", views.convention_renew, name="renew"),
    path(
        "conventions/<int:pk>/signataires/ajouter/",
        views.signatory_create,
        name="signatory_create",
    ),
    path(f"{_signatory}modifier/", views.signatory_edit, name="signatory_edit"),
    path(f"{_signatory}retirer/", views.signatory_delete, name="signatory_delete"),
    path("collectivites/", views.collectivity_list, name="collectivities"),
    path("collectivites/ajouter/", views.collectivity_create, name="collectivity_create"),
    path(
        "collectivites/<int:collectivity_pk>/modifier/",
        views.collectivity_edit,
        name="collectivity_edit",
    ),
    path("collectivites/importer/", views.collectivity_import, name="collectivity_import"),
]

# Invitations (conventions/invitation_views.py): from the Gouvernance tab, and the public link.
from . import invitation_views  # noqa: E402

_invitation = "conventions/<int:pk>/invitations/<int:invitation_pk>/"
urlpatterns += [
    path(
        "conventions/<int:pk>/invitations/nouvelle/",
        invitation_views.invitation_create,
        name="invitation_create",
    ),
    path(f"{_invitation}renvoyer/", invitation_views.invitation_resend, name="invitation_resend"),
    path(f"{_invitation}retirer/", invitation_views.invitation_remove, name="invitation_remove"),
    path(
        "invitation/<uidb64>/<token>/",
        invitation_views.invitation_accept,
        name="invitation_accept",
    ),
]
