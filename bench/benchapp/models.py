"""The one-table row the bare-create baseline inserts (no migrations: `migrate --run-syncdb` creates it)."""

from django.db import models


class BenchRow(models.Model):
    lat = models.FloatField()
    lng = models.FloatField()
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "benchapp"

    def __str__(self) -> str:
        return f"bench row {self.pk}"
