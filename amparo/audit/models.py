from __future__ import annotations

from django.db import models

from amparo.lib.scoping import OrganisationQuerySet
from amparo.vault.plain import Plain


class AuditChain(models.Model):
    """The head of one hash chain: one per organisation, plus 'system' for events of no organisation."""

    plain_text = {
        "key": (Plain.SYSTEM, "name of the chain"),
        "last_hash": (Plain.DIGEST, "hash of the chain's last event"),
    }

    key = models.CharField(max_length=40, unique=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")


class AppendOnlyQuerySet(OrganisationQuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("the audit trail is append-only")

    def delete(self):  # type: ignore[no-untyped-def]
        raise PermissionError("the audit trail is append-only")


class AuditEvent(models.Model):
    """One thing that happened: who, when, which object, which fields. Never the values.

    Each row's hash is an HMAC, keyed with a secret derived from the master key (never in the
    database), of its content and the previous row's hash in the same chain: editing,
    deleting or renumbering rows breaks the chain where it happened, and someone with only
    the database cannot forge a consistent one (`amparo audit verify`). Signed checkpoints
    kept outside the database catch a cut tail or a deleted chain (`audit.checkpoints`).
    Database triggers refuse UPDATE and DELETE as well.
    """

    plain_text = {
        "action": (Plain.CODED, "name of the action, set by code"),
        "actor_label": (Plain.ACCOUNT, "the acting staff member's sign-in name, kept if the account goes"),
        "chain_key": (Plain.SYSTEM, "name of the chain"),
        "detail": (
            Plain.CODED,
            "structured facts set by code (codes, counts, references); services put no free text in it, only an "
            "operator's own stated reason for reading data by command (audit/guards.py)",
        ),
        "fields": (Plain.CODED, "names of the fields touched"),
        "hash": (Plain.DIGEST, "hash chain"),
        "prev_hash": (Plain.DIGEST, "hash chain"),
        "target_id": (Plain.CODED, "primary key of the target"),
        "target_type": (Plain.CODED, "model label of the target"),
        "key_id": (Plain.SYSTEM, "id of the master key whose derived secret keyed the hash"),
    }

    chain_key = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    fields = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # The master key whose derived audit secret keyed `hash` ("" = written before hashes were keyed).
    key_id = models.CharField(max_length=64, blank=True, default="")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain_key", "seq"], name="audit_chain_seq_unique")]
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="audit_org_time"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]
        ordering = ["-created_at", "-seq"]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise PermissionError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("the audit trail is append-only")
