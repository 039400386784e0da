"""Record each case's chain head, and fill it in for existing cases from their last event."""

from django.db import migrations, models


def heads_fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    last = {}
    for case_id, seq, hash_ in CaseEvent.objects.order_by("case_id", "seq").values_list("case_id", "seq", "hash"):
        last[case_id] = (seq, hash_)
    for case_id, (seq, hash_) in last.items():
        Case.objects.filter(pk=case_id).update(audit_seq=seq, audit_head=hash_)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_photo_display_copies"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="audit_head",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="case",
            name="audit_seq",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(heads_fill, migrations.RunPython.noop),
    ]
