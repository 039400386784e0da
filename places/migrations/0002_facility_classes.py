"""The CJ/T 214 facility taxonomy (places.taxonomy) as FacilityClass rows, so every installation has it.

Written with the historical model; places.taxonomy holds only data and imports no model at module level.
Reversing leaves the rows: the schema migration before this one drops the table anyway.
"""

from django.db import migrations

from places.taxonomy import facility_classes_write


def facility_classes_load(apps, schema_editor):
    facility_classes_write(apps.get_model("places", "FacilityClass"))


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]

    operations = [migrations.RunPython(facility_classes_load, migrations.RunPython.noop)]
