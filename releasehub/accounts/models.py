from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    RELEASE_MANAGER = "rm", "Release Manager"
    SQUAD_REP = "squad_rep", "Squad Representative"
    SRE = "sre", "SRE / DevOps"
    QA_LEAD = "qa_lead", "QA Lead"
    LEADERSHIP = "leadership", "Leadership"
    SUPPORT = "support", "Support / Ops"


class Squad(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person. What they may do comes from their role assignments, never from a form field.

    A machine (an integration token's pipeline, a code host's webhook) is a user too, so every
    service and the timeline name who acted; it cannot sign in (no usable password) and is left
    out of the lists of people (owners, rota, sign-off slots).
    """

    is_machine = models.BooleanField(
        default=False, help_text="A pipeline or webhook acting through the API; cannot sign in."
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def assignments(self) -> list["RoleAssignment"]:
        # Loaded once per request: permission checks and the header both read it.
        if not hasattr(self, "_assignments"):
            self._assignments = list(self.role_assignments.select_related("squad"))
        return self._assignments

    def has_role(self, role: str, squad: Squad | None = None) -> bool:
        return any(
            a.role == role and (squad is None or a.squad_id == squad.pk) for a in self.assignments
        )

    def has_any_role(self, *roles: str) -> bool:
        return any(a.role in roles for a in self.assignments)

    @property
    def squads(self) -> list[Squad]:
        # A squad representative's assignment always names the squad (a check constraint).
        return [a.squad for a in self.assignments if a.role == Role.SQUAD_REP and a.squad]

    def role_labels(self) -> list[str]:
        """Roles as people read them, e.g. 'Squad Representative (Patient)'."""
        return [a.label for a in self.assignments]


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=20, choices=Role.choices)
    squad = models.ForeignKey(Squad, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["role", "squad__name"]
        constraints = [
            models.CheckConstraint(
                name="roleassignment_squad_iff_squad_rep",
                condition=(Q(role=Role.SQUAD_REP) & Q(squad__isnull=False))
                | (~Q(role=Role.SQUAD_REP) & Q(squad__isnull=True)),
                violation_error_message="A squad is required for squad representatives only.",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(squad__isnull=True),
                name="roleassignment_unique_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "squad"],
                condition=Q(squad__isnull=False),
                name="roleassignment_unique_squad_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.label}"

    @property
    def label(self) -> str:
        label = Role(self.role).label
        return f"{label} ({self.squad.name})" if self.squad else label


class RotaMember(models.Model):
    """The Platform team's Release Manager rota: each new release goes to the next in order."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="rota_member")
    position = models.PositiveSmallIntegerField(unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.user}"


class PasswordResetRequest(models.Model):
    """One accepted request on the password reset form, kept for an hour to limit them per
    e-mail address typed and per client address (accounts/resets.py), whether or not an account
    has that address, so the limit says nothing about which addresses exist."""

    at = models.DateTimeField()
    email = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField(null=True)

    class Meta:
        indexes = [
            # Both read by resets.reset_request_wait on every request of the reset form.
            models.Index(fields=["email", "at"], name="reset_request_by_email"),
            models.Index(fields=["ip_address", "at"], name="reset_request_by_address"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.email}"
