"""Open311 clients' API keys, the extra questions a service asks, and what each Open311 request carried."""

import secrets

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

DEMO_KEY = "demo-open311-key"


def new_api_key() -> str:
    return secrets.token_urlsafe(24)


def new_token() -> str:
    return secrets.token_hex(16)


class ApiKey(models.Model):
    """A key an Open311 client sends as `api_key` to create requests (reads need no key)."""

    key = models.CharField(max_length=64, unique=True, default=new_api_key)
    name = models.CharField(max_length=100, help_text="Who holds the key: the client application or partner.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return self.name


class ServiceAttribute(models.Model):
    """One extra question of a service (a minor category): the `attribute` of a GeoReport service definition.

    A category with at least one attribute is listed with `metadata` true.
    """

    class Datatype(models.TextChoices):
        STRING = "string", "string (one line)"
        NUMBER = "number", "number"
        DATETIME = "datetime", "date and time"
        TEXT = "text", "text (several lines)"
        SINGLEVALUELIST = "singlevaluelist", "one value from a list"
        MULTIVALUELIST = "multivaluelist", "several values from a list"

    LIST_TYPES = (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)

    category = models.ForeignKey(
        "cases.Category",
        on_delete=models.CASCADE,
        related_name="open311_attributes",
        limit_choices_to={"parent__isnull": False},
        help_text="A minor class: the Open311 service that asks this question.",
    )
    # Sent back as the form key attribute[<code>], so brackets and spaces cannot appear in it.
    code = models.CharField(
        max_length=50,
        validators=[RegexValidator(r"^[A-Za-z0-9_.-]+$", "Letters, digits, '_', '.' and '-' only.")],
    )
    description = models.CharField(max_length=500, help_text="The question, as the client shows it.")
    datatype = models.CharField(max_length=20, choices=Datatype.choices, default=Datatype.STRING)
    datatype_description = models.CharField(max_length=200, blank=True)
    required = models.BooleanField(default=False)
    variable = models.BooleanField(
        default=True, help_text="Off: the attribute only shows information to the user and takes no input."
    )
    order = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code_unique"),
            models.UniqueConstraint(fields=["category", "order"], name="open311_attribute_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}:{self.code}"


class AttributeValue(models.Model):
    """One choice of a list attribute (singlevaluelist / multivaluelist)."""

    attribute = models.ForeignKey(ServiceAttribute, on_delete=models.CASCADE, related_name="values")
    key = models.CharField(
        max_length=50, validators=[RegexValidator(r"^[^\x00-\x1f]+$", "No control characters.")]
    )
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "key"], name="open311_attribute_value_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.name})"


class ServiceRequest(models.Model):
    """What an Open311 client sent beyond the case itself: its token, the client's identifiers, the
    answers to the service's attributes and a media URL. The case holds everything the workflow needs."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="open311_request")
    token = models.CharField(max_length=32, unique=True, default=new_token)
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="service_requests"
    )
    account_id = models.CharField(max_length=100, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    attributes = models.JSONField(default=dict, blank=True, help_text="attribute code → value (or values)")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Open311 request for case {self.case_id}"
