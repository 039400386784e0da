"""A notice's link to its case becomes a generic `about` (content type + id), so that notifications stand
below the apps whose rows they concern. Existing links are copied over before the case column goes."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def case_links_to_about(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    Notification = apps.get_model('notifications', 'Notification')
    db = schema_editor.connection.alias
    linked = Notification.objects.using(db).filter(case__isnull=False)
    if linked.exists():
        case_type, _ = ContentType.objects.using(db).get_or_create(app_label='cases', model='case')
        linked.update(content_type_id=case_type.pk, object_id=F('case_id'))


def about_to_case_links(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    Notification = apps.get_model('notifications', 'Notification')
    db = schema_editor.connection.alias
    case_type = ContentType.objects.using(db).filter(app_label='cases', model='case').first()
    if case_type is not None:
        Notification.objects.using(db).filter(content_type=case_type).update(case_id=F('object_id'))


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='content_type',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AddField(
            model_name='notification',
            name='object_id',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(case_links_to_about, about_to_case_links),
        migrations.RemoveField(
            model_name='notification',
            name='case',
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['content_type', 'object_id'], name='notification_about_idx'),
        ),
    ]
