"""Functional departments (职能部门) and their staff."""

from django.conf import settings
from django.db import models


class Department(models.Model):
    """A functional department (职能部门) that handles dispatched cases."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="departments", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "dispatch_department"  # moved from dispatch; the table kept its name
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
