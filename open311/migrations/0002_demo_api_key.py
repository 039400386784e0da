"""The documented demo key `demo-open311-key` ("Demo client"), on demo installations only.

Created only when DEBUG is on at migrate time, the same rule as the rest of the demo data: a production
database never gets a publicly known key. The admin can deactivate it; a deploy check warns if it is
active while DEBUG is off.
"""

from django.conf import settings
from django.db import migrations

DEMO_KEY = "demo-open311-key"


def create_demo_key(apps, schema_editor):
    if not settings.DEBUG:
        return
    ApiKey = apps.get_model("open311", "ApiKey")
    if not ApiKey.objects.filter(key=DEMO_KEY).exists():
        ApiKey.objects.create(key=DEMO_KEY, name="Demo client")


class Migration(migrations.Migration):
    dependencies = [("open311", "0001_initial")]

    operations = [migrations.RunPython(create_demo_key, migrations.RunPython.noop)]
