"""Audit checkpoints: signed Merkle roots over every chain's head, and the bucket hashes behind them."""

from django.db import models


class AuditBucket(models.Model):
    """The Merkle root of the heads of one fixed range of chains (`BUCKET_SIZE` ids of one kind) as of the
    latest checkpoint. A checkpoint recomputes only the buckets whose chains grew since the one before."""

    class Kind(models.TextChoices):
        CASE = "case", "case"
        PATROL = "patrol", "patrol"

    kind = models.CharField(max_length=6, choices=Kind.choices)
    number = models.PositiveIntegerField(help_text="The bucket's ids are number × BUCKET_SIZE and on.")
    hash = models.CharField(max_length=64)
    leaves = models.PositiveIntegerField()

    class Meta:
        ordering = ["kind", "number"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="unique_audit_bucket")]

    def __str__(self) -> str:
        return f"{self.kind} bucket {self.number}"


class AuditCheckpoint(models.Model):
    """One signed statement, "these were the heads of all chains as of these event ids", as published to the
    log outside the database (AUDIT_CHECKPOINT_LOG). The row is written only after the log took it."""

    seq = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField()
    root = models.CharField(max_length=64)
    # The highest CaseEvent and PatrolEvent ids the checkpoint covers: the heads are those as of these ids.
    case_event_id = models.BigIntegerField()
    patrol_event_id = models.BigIntegerField()
    cases = models.PositiveIntegerField()
    patrols = models.PositiveIntegerField()
    changed = models.PositiveIntegerField(help_text="Chains that grew since the previous checkpoint.")
    # SHA-256 of the previous checkpoint's canonical statement ("0" × 64 for the first).
    prev_digest = models.CharField(max_length=64)
    public_key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=128, help_text="Ed25519 over the canonical statement, hex.")
    # Not signed, not published: the new heads of the chains that changed ({"case:<id>": [seq, head]}), kept
    # so that verify_audit can name the chain behind a root that no longer matches. Left empty when more
    # than audit.services.HEADS_KEPT chains changed (the first checkpoint of a large installation).
    heads = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint {self.seq}"
