"""The shipped supervision ladder (督办): the department's head, then the district supervisors, then the
district leaders' office. Each deployment edits the names and times in the admin."""

from django.db import migrations

LEVELS = (
    # rank, name, English name, audience, minutes at this level before the next (working time)
    (1, "部门负责人督办", "department head", "department", 8 * 60),
    (2, "区督查室督办", "district supervision office", "supervisors", 16 * 60),
    (3, "区领导督办", "district leaders' office", "leaders", 24 * 60),
)


def levels_add(apps, schema_editor):
    SupervisionLevel = apps.get_model("cases", "SupervisionLevel")
    for rank, name, name_en, audience, minutes in LEVELS:
        SupervisionLevel.objects.get_or_create(
            rank=rank,
            defaults={"name": name, "name_en": name_en, "audience": audience, "after_minutes": minutes},
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_evidence_supervision_hotline")]

    operations = [migrations.RunPython(levels_add, migrations.RunPython.noop)]
