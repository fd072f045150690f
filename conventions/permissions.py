"""Who sees and does what: the one place where roles and scope are decided.

Scope (see DOMAIN.md): nobody sees a convention outside their Caf or their
collectivity's conventions; only Caf staff and coordinators edit; only
committee members approve.

- superuser: everything.
- Caf staff: see and edit the conventions of their Caf.
- coordinator (collectivity agent): sees the conventions their collectivity
  signs; edits their fiches action and measurements.
- elected official: reads the conventions their collectivity signs.
- committee member (any user linked to a ``CommitteeMember``): reads the
  convention of their committee; the role that gives opinions on its fiches.
  Which member may give an opinion on which fiche (the approving committee, the
  fiche's status, not one's own submission, once per version) is a rule of the
  fiche workflow, decided in ``actions.workflow`` only.

Views resolve objects through :func:`get_convention_or_404` (out of scope: 404)
and check actions with :class:`ConventionAccess` (in scope but not allowed: 403).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .lifecycle import with_first_renewal
from .models import CommitteeMember, Convention, Signatory, User


def conventions_visible_to(user: User) -> QuerySet[Convention]:
    """The conventions a user may open, without duplicates and in one query."""
    qs = Convention.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    # Each part read down its own index: the Caf's conventions, the signed ones, the few
    # where the user sits (known already: seats_of). An EXISTS on the seats OR-ed with the
    # rest made PostgreSQL read every convention of the country on every list.
    scope = Q(pk__in=[])
    if user.role == User.Role.CAF_STAFF and user.caf_id:
        scope |= Q(caf_id=user.caf_id)
    if user.role in (User.Role.COORDINATOR, User.Role.ELECTED) and user.collectivity_id:
        scope |= Q(
            pk__in=Signatory.objects.filter(collectivity_id=user.collectivity_id).values(
                "convention_id"
            )
        )
    seated = sorted({seat.committee.convention_id for seat in seats_of(user)})
    if seated:
        scope |= Q(pk__in=seated)
    return qs.filter(scope)


@dataclass(frozen=True)
class ConventionAccess:
    """What one user may do on one convention (computed once per request)."""

    user: User
    convention: Convention
    is_caf_staff: bool = False
    is_signatory_agent: bool = False
    is_signatory_elected: bool = False
    memberships: tuple[CommitteeMember, ...] = field(default_factory=tuple)

    @property
    def can_view(self) -> bool:
        return (
            self.user.is_superuser
            or self.is_caf_staff
            or self.is_signatory_agent
            or self.is_signatory_elected
            or bool(self.memberships)
        )

    @property
    def can_edit_convention(self) -> bool:
        """Convention, signatories, committees, diagnostic: Caf staff only."""
        return self.user.is_superuser or self.is_caf_staff

    @property
    def can_edit_actions(self) -> bool:
        """Fiches action, indicators, measurements: Caf staff and coordinators."""
        return self.can_edit_convention or self.is_signatory_agent

    @property
    def can_approve(self) -> bool:
        """The role that gives opinions: a seat on one of the convention's committees.

        Role only: whether this person may give an opinion on a given fiche is
        ``actions.workflow.opinion_refusal`` (this layer does not know fiches).
        """
        return bool(self.memberships)

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied("Votre rôle ne permet pas cette action sur cette convention.")


def convention_access(user: User, convention: Convention) -> ConventionAccess:
    if not user.is_authenticated or not user.is_active:
        return ConventionAccess(user=user, convention=convention)
    signs = False
    if _may_sign(user):
        # Read with the convention by get_convention_or_404 (``user_signs``), else here.
        signs = getattr(convention, "user_signs", None)
        if signs is None:
            signs = convention.signatories.filter(collectivity_id=user.collectivity_id).exists()
    memberships = tuple(
        seat for seat in seats_of(user) if seat.committee.convention_id == convention.pk
    )
    return ConventionAccess(
        user=user,
        convention=convention,
        is_caf_staff=user.role == User.Role.CAF_STAFF and user.caf_id == convention.caf_id,
        is_signatory_agent=signs and user.role == User.Role.COORDINATOR,
        is_signatory_elected=signs and user.role == User.Role.ELECTED,
        memberships=memberships,
    )


def seats_of(user: User) -> tuple[CommitteeMember, ...]:
    """The user's seats on committees, with their committee: read once per request (the
    top menu and the convention pages ask; kept on the user object the request loaded).
    Most users hold none: for them, one existence check, the cheapest query there is."""
    if not user.is_authenticated:
        return ()
    seats = getattr(user, "_committee_seats", None)
    if seats is None:
        mine = CommitteeMember.objects.filter(user=user)
        seats = tuple(mine.select_related("committee")) if mine.exists() else ()
        user._committee_seats = seats
    return seats


def _may_sign(user: User) -> bool:
    return bool(user.collectivity_id) and user.role in (User.Role.COORDINATOR, User.Role.ELECTED)


def get_convention_or_404(user: User, pk: int) -> tuple[Convention, ConventionAccess]:
    """The convention if the user may see it, with what they may do; 404 otherwise.

    Out of scope is a 404, not a 403, so that nobody learns which conventions exist.
    Read in one query with what every convention page asks next: whether the user's
    collectivity signs it, and its first renewal (``conventions.lifecycle.renewal_status``).
    """
    queryset = with_first_renewal(Convention.objects.select_related("caf", "previous"))
    if user.is_authenticated and _may_sign(user):
        queryset = queryset.annotate(
            user_signs=Exists(
                Signatory.objects.filter(
                    convention=OuterRef("pk"), collectivity_id=user.collectivity_id
                )
            )
        )
    convention = queryset.filter(pk=pk).first()
    if convention is None:
        raise Http404("Convention introuvable.")
    access = convention_access(user, convention)
    if not access.can_view:
        raise Http404("Convention introuvable.")
    return convention, access


def is_caf_staff(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser or (user.role == User.Role.CAF_STAFF and user.caf_id is not None)
    )
