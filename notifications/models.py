"""Notices to users: the outgoing e-mail queue."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An email to send. Rows are written in the transaction that caused them and sent after commit,
    so a mail outage delays notices instead of losing them.

    `about` is what the notice concerns (a case today; a patrol, a poll or an activity tomorrow): a generic
    reference, so that this app stands below all of them. A case reaches its notices as `case.notifications`
    and a query as `Notification.objects.filter(case=…)`.
    """

    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("text message")

    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=254, help_text="an e-mail address, or a phone for a text message")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="A sender's lease on this row.")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "dispatch_notification"  # moved from dispatch; the table kept its name
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["sent_at", "created_at"], name="notification_pending_idx"),
            models.Index(fields=["content_type", "object_id"], name="notification_about_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"


class LanguagePreference(models.Model):
    """The language a user reads their notices in: set by the language switch in the page header, and in
    the admin. A user without one (and an address without a user) gets the site's LANGUAGE_CODE."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self) -> str:
        return f"{self.user} → {self.language}"
