"""Invitations: the Caf (and the coordinator of a signatory collectivity, for its own people)
invites a person by e-mail to a role on a convention, and the e-mails of accounts.

- ``invitation_send``: one step. A new address gets an inactive account and a link to set a
  password; an address that already has an account gets the seat or role attached and an
  information e-mail (never a second account). Inviting again the same person to the same
  seat while the link is pending sends a new link: the previous one stops working.
- The link is single-use and valid 7 days (``InvitationTokenGenerator``, Django's password
  reset token with the invitation's state in its hash). An expired or replaced link offers a
  new one, sent to the invited address itself (``invitation_request_new_link``, at most one
  every ``NEW_LINK_INTERVAL``): nobody else receives anything, so a leaked old link gives
  nothing away.
- ``invitation_accept``: the password is set (validated by the caller's ``SetPasswordForm``),
  the account activated, every pending invitation of the person marked accepted.
- ``invitation_remove``: the seat is taken back (a committee seat through
  ``governance.committee_member_remove``, whose history django-simple-history keeps; a
  coordinator or elected role is cleared); the invitation stays, marked removed.
- ``password_reset_request`` (« Mot de passe oublié ? »): an active account gets a reset
  link; an inactive invited account gets its invitation again (it never had a password);
  an unknown address gets nothing. The page says the same thing in every case.

E-mails leave after the commit through the Celery task ``conventions.tasks.send_account_email``
(the project's retry policy), which calls :func:`account_email_messages`.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from conventions.models import (
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Invitation,
    Side,
    User,
)
from conventions.permissions import ConventionAccess, convention_access

from . import governance
from .data_version import convention_activity_changed

logger = logging.getLogger(__name__)

INVITATION_DAYS = 7
NEW_LINK_INTERVAL = datetime.timedelta(minutes=10)

ROLE_OF_KIND = {
    Invitation.Kind.COORDINATOR: User.Role.COORDINATOR,
    Invitation.Kind.ELECTED: User.Role.ELECTED,
}


# --------------------------------------------------------------------------- the link


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password reset token, made on an invitation rather than a user.

    The hash covers the invitation's link count (a new link replaces the old one), its
    acceptance and removal, and the account's password and activity (used once): any of
    them changing makes the token invalid. Valid ``INVITATION_DAYS`` days.
    """

    key_salt = "conventions.services.invitation.InvitationTokenGenerator"
    timeout = INVITATION_DAYS * 24 * 3600

    def _make_hash_value(self, invitation, timestamp):
        user = invitation.user
        return (
            f"{invitation.pk}:{invitation.send_count}:{bool(invitation.accepted_at)}:"
            f"{bool(invitation.removed_at)}:{user.pk}:{user.password}:{user.is_active}:"
            f"{user.email}:{timestamp}"
        )

    def state(self, invitation, token: str) -> str:
        """``valid``, ``expired`` (right token, too old) or ``invalid``."""
        try:
            ts_b36, _ = (token or "").split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return "invalid"
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(
                self._make_token_with_timestamp(invitation, timestamp, secret), token
            ):
                break
        else:
            return "invalid"
        if self._num_seconds(self._now()) - timestamp > self.timeout:
            return "expired"
        return "valid"

    def check_token(self, invitation, token) -> bool:
        return bool(invitation and token) and self.state(invitation, token) == "valid"


invitation_token_generator = InvitationTokenGenerator()


def invitation_uid(invitation: Invitation) -> str:
    return urlsafe_base64_encode(force_bytes(invitation.pk))


def invitation_link(invitation: Invitation) -> str:
    """The absolute address of the invitation's current link (a new token each call)."""
    path = reverse(
        "conventions:invitation_accept",
        kwargs={
            "uidb64": invitation_uid(invitation),
            "token": invitation_token_generator.make_token(invitation),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def invitation_from_link(*, uidb64: str, token: str) -> tuple[Invitation | None, str]:
    """The invitation a link names and its state: ``valid``, ``expired``, ``invalid``
    (a wrong or replaced token), ``used`` (accepted) or ``removed``; ``(None, "invalid")``
    for a link that names nothing."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None, "invalid"
    if not 0 < pk < 2**63:
        return None, "invalid"
    invitation = (
        Invitation.objects.select_related("user", "convention", "committee", "collectivity")
        .filter(pk=pk)
        .first()
    )
    if invitation is None:
        return None, "invalid"
    if invitation.is_removed:
        return invitation, "removed"
    if invitation.accepted_at or invitation.user.is_active:
        return invitation, "used"
    return invitation, invitation_token_generator.state(invitation, token)


# --------------------------------------------------------------------------- who invites what


def can_invite(access: ConventionAccess) -> bool:
    """Caf staff of the convention, and the coordinator of a signatory collectivity."""
    return access.can_edit_convention or access.is_signatory_agent


def _is_caf_side(access: ConventionAccess) -> bool:
    return access.can_edit_convention


def invitable_collectivities(*, access: ConventionAccess) -> QuerySet[Collectivity]:
    """The signatory collectivities one may invite people of: all of them for the Caf, one's
    own for a coordinator."""
    qs = Collectivity.objects.filter(
        pk__in=access.convention.signatories.filter(collectivity__isnull=False).values(
            "collectivity_id"
        )
    ).order_by("name")
    if not _is_caf_side(access):
        qs = qs.filter(pk=access.user.collectivity_id)
    return qs


def invitable_sides(*, access: ConventionAccess) -> list[tuple[str, str]]:
    if _is_caf_side(access):
        return list(Side.choices)
    return [(Side.TERRITORY, Side.TERRITORY.label)]


def invitations_visible(*, access: ConventionAccess) -> QuerySet[Invitation]:
    """The invitations of the convention one may follow: all for the Caf, those of one's own
    collectivity for a coordinator (one query with what the list shows)."""
    qs = Invitation.objects.filter(convention=access.convention).select_related(
        "user", "collectivity", "committee", "invited_by"
    )
    if not can_invite(access):
        return qs.none()
    if not _is_caf_side(access):
        qs = qs.filter(collectivity_id=access.user.collectivity_id)
    return qs


def _require_inviter(by: User, convention: Convention) -> ConventionAccess:
    access = convention_access(by, convention)
    if not can_invite(access):
        raise PermissionDenied(
            "Votre rôle ne permet pas d'inviter des personnes sur cette convention."
        )
    return access


def _require_follows(by: User, invitation: Invitation) -> ConventionAccess:
    access = _require_inviter(by, invitation.convention)
    if not invitations_visible(access=access).filter(pk=invitation.pk).exists():
        raise PermissionDenied("Cette invitation concerne une autre collectivité.")
    return access


# --------------------------------------------------------------------------- e-mails


def _queue_email(kind: str, object_id: int) -> None:
    """Send the e-mail through Celery once the transaction commits; a broker failure is
    logged and never undoes the invitation (the link can be sent again)."""
    from conventions import tasks

    def _send() -> None:
        try:
            tasks.send_account_email.delay(kind, object_id)
        except Exception:  # broker down, or an eager task that failed all its retries
            logger.exception(
                "E-mail %s n° %s non envoyé (file de tâches indisponible)", kind, object_id
            )

    transaction.on_commit(_send)


def _message(*, template: str, context: dict, to: str) -> EmailMultiAlternatives:
    base = f"emails/accounts/{template}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    text = render_to_string(f"{base}.txt", context)
    html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def account_email_messages(kind: str, object_id: int) -> list[EmailMultiAlternatives]:
    """The e-mails of one account event, built when the task runs (an empty list when
    there is nothing left to send: the invitation removed or accepted meanwhile)."""
    site = settings.SITE_URL.rstrip("/")
    if kind == "password_reset":
        user = User.objects.filter(pk=object_id, is_active=True).first()
        if user is None or not user.has_usable_password() or not user.email:
            return []
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        validity = f"{hours // 24} jours" if hours % 24 == 0 and hours > 24 else f"{hours} heures"
        context = {"user": user, "url": site + path, "site_url": site, "validity": validity}
        return [_message(template="password_reset", context=context, to=user.email)]
    invitation = (
        Invitation.objects.select_related(
            "user", "convention", "convention__caf", "committee", "collectivity", "invited_by"
        )
        .filter(pk=object_id)
        .first()
    )
    if invitation is None or invitation.is_removed:
        return []
    context = {
        "invitation": invitation,
        "convention": invitation.convention,
        "user": invitation.user,
        "inviter": invitation.invited_by,
        "site_url": site,
        "days": INVITATION_DAYS,
    }
    if kind == "invitation":
        if invitation.accepted_at or invitation.user.is_active:
            return []
        context["url"] = invitation_link(invitation)
        context["expires_at"] = invitation.expires_at
        return [_message(template="invitation", context=context, to=invitation.user.email)]
    if kind == "seat":
        context["url"] = site + reverse("portal:detail", kwargs={"pk": invitation.convention_id})
        context["reset_url"] = site + reverse("password_reset")
        return [_message(template="seat", context=context, to=invitation.user.email)]
    raise ValueError(f"E-mail inconnu : {kind}")


def _send_link(invitation: Invitation) -> Invitation:
    """A new link for a pending invitation: the previous one stops working."""
    now = timezone.now()
    invitation.send_count += 1
    invitation.sent_at = now
    invitation.expires_at = now + datetime.timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["send_count", "sent_at", "expires_at"])
    _queue_email("invitation", invitation.pk)
    return invitation


# --------------------------------------------------------------------------- writes


def _clean_person(email: str, first_name: str, last_name: str, function: str) -> tuple:
    email = User.objects.normalize_email((email or "").strip()).lower()
    errors = {}
    if not email:
        errors["email"] = "Indiquez l'adresse e-mail de la personne à inviter."
    elif len(email) > 254:
        errors["email"] = "Cette adresse e-mail est trop longue (254 caractères au plus)."
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if len(first_name) > 150 or len(last_name) > 150:
        errors["last_name"] = "Le prénom et le nom comptent 150 caractères au plus."
    function = (function or "").strip()
    if len(function) > 200:
        errors["function"] = "La fonction compte 200 caractères au plus."
    if errors:
        raise ValidationError(errors)
    return email, first_name, last_name, function


def _check_target(
    *, access: ConventionAccess, kind: str, collectivity, committee, side: str
) -> None:
    errors = {}
    if kind not in Invitation.Kind.values:
        errors["kind"] = "Choisissez le rôle de la personne invitée."
    elif kind == Invitation.Kind.MEMBER:
        if committee is None or committee.convention_id != access.convention.pk:
            errors["committee"] = "Choisissez une instance de cette convention."
        if side not in dict(invitable_sides(access=access)):
            errors["side"] = (
                "Choisissez le collège : Caf ou territoire."
                if _is_caf_side(access)
                else "Vous pouvez inviter au collège du territoire seulement."
            )
    if (kind in ROLE_OF_KIND or collectivity is not None) and (
        collectivity is None
        or not invitable_collectivities(access=access).filter(pk=collectivity.pk).exists()
    ):
        errors["collectivity"] = (
            "Choisissez une collectivité signataire de la convention."
            if _is_caf_side(access)
            else "Vous pouvez inviter les personnes de votre collectivité seulement."
        )
    if errors:
        raise ValidationError(errors)


def _pending(user: User, **target) -> Invitation | None:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .filter(user=user, accepted_at__isnull=True, removed_at__isnull=True, **target)
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def invitation_send(
    *,
    convention: Convention,
    by: User,
    email: str,
    first_name: str = "",
    last_name: str = "",
    kind: str,
    collectivity: Collectivity | None = None,
    committee: Committee | None = None,
    side: str = "",
    function: str = "",
) -> Invitation:
    """Invite a person to a role on the convention (see the module's docstring)."""
    access = _require_inviter(by, convention)
    email, first_name, last_name, function = _clean_person(email, first_name, last_name, function)
    if kind == Invitation.Kind.MEMBER and collectivity is None and not _is_caf_side(access):
        collectivity = by.collectivity
    _check_target(
        access=access, kind=kind, collectivity=collectivity, committee=committee, side=side
    )
    if kind != Invitation.Kind.MEMBER:
        committee, side = None, ""
    user = User.objects.select_for_update(of=("self",)).filter(email__iexact=email).first()
    if user is None:
        user = _new_account(
            email=email,
            first_name=first_name,
            last_name=last_name,
            function=function,
            kind=kind,
            collectivity=collectivity,
            caf=convention.caf if kind == Invitation.Kind.MEMBER and side == Side.CAF else None,
        )
    else:
        target = {"convention": convention, "kind": kind}
        if kind == Invitation.Kind.MEMBER:
            target["member__committee"] = committee
        else:
            target["collectivity"] = collectivity
        pending = _pending(user, **target)
        if pending is not None and not user.is_active:
            # Invited again while the link is pending: a new link, the old one stops working.
            return _send_link(pending)
        _attach_role(user=user, kind=kind, collectivity=collectivity)
    member = None
    if kind == Invitation.Kind.MEMBER:
        member = _take_seat(
            user=user,
            committee=committee,
            side=side,
            function=function,
            name=f"{first_name} {last_name}".strip() or user.get_full_name() or user.email,
        )
    invitation = Invitation(
        convention=convention,
        user=user,
        kind=kind,
        collectivity=collectivity,
        committee=committee,
        side=side,
        member=member,
        invited_by=by,
    )
    if user.is_active:
        # An account that already works: the seat is attached, the person is told.
        invitation.accepted_at = timezone.now()
        invitation.full_clean()
        invitation.save()
        _queue_email("seat", invitation.pk)
        return invitation
    invitation.full_clean()
    invitation.save()
    return _send_link(invitation)


def _new_account(*, email, first_name, last_name, function, kind, collectivity, caf) -> User:
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        job_title=function,
        role=ROLE_OF_KIND.get(kind, User.Role.OTHER),
        collectivity=collectivity,
        caf=caf,
        is_active=False,
    )
    user.set_unusable_password()
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same address invited twice at once
        raise ValidationError(
            {"email": "Cette adresse vient d'être invitée : rechargez la page."}
        ) from exc
    return user


def _attach_role(*, user: User, kind: str, collectivity: Collectivity | None) -> None:
    """Give an existing account the coordinator or elected role it is invited to; refuse to
    change the role of an account that has another one (the Caf's staff, another
    collectivity's people): that is the administrator's decision."""
    role = ROLE_OF_KIND.get(kind)
    if role is None:
        return
    if user.role == role and user.collectivity_id == collectivity.pk:
        if user.is_active:
            raise ValidationError(
                {"email": f"{user} est déjà {user.get_role_display().lower()} de {collectivity}."}
            )
        return
    if (
        user.is_superuser
        or user.role != User.Role.OTHER
        or user.caf_id
        or (user.collectivity_id and user.collectivity_id != collectivity.pk)
    ):
        where = user.caf or user.collectivity
        raise ValidationError(
            {
                "email": (
                    f"Cette adresse est celle d'un compte existant ({user.get_role_display()}"
                    + (f", {where}" if where else "")
                    + ") : une invitation ne peut pas changer son rôle. Invitez cette personne "
                    "comme membre d'une instance, ou demandez le changement à l'administrateur."
                )
            }
        )
    user.role = role
    user.collectivity = collectivity
    user.full_clean()
    user.save(update_fields=["role", "collectivity"])


def _take_seat(*, user: User, committee: Committee, side: str, function: str, name: str):
    if CommitteeMember.objects.filter(committee=committee, user=user).exists():
        raise ValidationError(
            {"email": f"{user} est déjà membre de l'instance « {committee.name} »."}
        )
    member = CommitteeMember(
        committee=committee, side=side, name=name[:200], function=function, user=user
    )
    member.full_clean()
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        raise ValidationError({"email": "Cette personne est déjà membre de l'instance."}) from exc
    convention_activity_changed(convention_id=committee.convention_id)
    return member


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """A new link for a pending invitation (the old one stops working)."""
    _require_follows(by, invitation)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=invitation.pk)
    )
    if invitation.is_removed:
        raise ValidationError("Cette invitation a été retirée : invitez à nouveau la personne.")
    if invitation.accepted_at or invitation.user.is_active:
        raise ValidationError(
            f"{invitation.user} a déjà activé son compte : pas de lien à renvoyer. En cas d'oubli, "
            "le mot de passe se réinitialise depuis « Mot de passe oublié ? »."
        )
    return _send_link(invitation)


@transaction.atomic
def invitation_request_new_link(*, invitation: Invitation) -> bool:
    """Asked from an expired or replaced link: a new link to the invited address, unless one
    left less than ``NEW_LINK_INTERVAL`` ago. True when one was sent."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=invitation.pk)
    )
    if invitation.is_removed or invitation.accepted_at or invitation.user.is_active:
        return False
    if invitation.sent_at and timezone.now() - invitation.sent_at < NEW_LINK_INTERVAL:
        return False
    _send_link(invitation)
    return True


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Set the password (already validated), activate the account; every pending invitation
    of the person is accepted with it (one account, one password)."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=invitation.pk)
    )
    user = invitation.user
    if invitation.is_removed or invitation.accepted_at or user.is_active:
        raise ValidationError("Ce lien d'invitation a déjà été utilisé ou a été retiré.")
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    Invitation.objects.filter(user=user, accepted_at__isnull=True, removed_at__isnull=True).update(
        accepted_at=timezone.now()
    )
    return user


@transaction.atomic
def invitation_remove(*, invitation: Invitation, by: User) -> Invitation:
    """Take the seat back: the committee seat is removed (its history stays), the
    coordinator or elected role cleared if it is still the one given; the invitation
    stays as the record, marked removed (its link stops working)."""
    _require_follows(by, invitation)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("user", "member", "member__committee")
        .get(pk=invitation.pk)
    )
    if invitation.removed_at:
        raise ValidationError("Cette personne a déjà été retirée.")
    if invitation.member is not None:
        governance.committee_member_remove(member=invitation.member)
    role = ROLE_OF_KIND.get(invitation.kind)
    user = invitation.user
    if role and user.role == role and user.collectivity_id == invitation.collectivity_id:
        still = Invitation.objects.filter(
            user=user,
            kind=invitation.kind,
            collectivity_id=invitation.collectivity_id,
            removed_at__isnull=True,
        ).exclude(pk=invitation.pk)
        if not still.exists():
            user.role = User.Role.OTHER
            user.save(update_fields=["role"])
    invitation.member = None
    invitation.removed_at = timezone.now()
    invitation.removed_by = by
    invitation.save(update_fields=["member", "removed_at", "removed_by"])
    return invitation


def password_reset_request(*, email: str) -> None:
    """« Mot de passe oublié ? »: queue the e-mail that fits the address (see the module's
    docstring); nothing for an unknown address, and nothing tells the cases apart."""
    email = (email or "").strip()
    if not email:
        return
    users = list(User.objects.filter(email__iexact=email))
    for user in users:
        if user.is_active and user.has_usable_password():
            _queue_email("password_reset", user.pk)
        elif not user.is_active:
            pending = (
                Invitation.objects.filter(
                    Q(kind=Invitation.Kind.MEMBER, member__isnull=False)
                    | ~Q(kind=Invitation.Kind.MEMBER),
                    user=user,
                    accepted_at__isnull=True,
                    removed_at__isnull=True,
                )
                .order_by("-pk")
                .first()
            )
            if pending is not None:
                invitation_request_new_link(invitation=pending)
