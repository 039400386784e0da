"""Notifications leave dispatch: the model's state moves here as it was, its table (db_table) and rows stay
put. 0002 then turns its case link into a generic one."""

import django.db.models.deletion
from django.db import migrations, models

from gridmgmt.migrating import content_types_moved


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cases', '0007_trim_redundant_indexes'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('dispatch', '0006_evaluation_moves_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=40)),
                        ('recipient', models.EmailField(max_length=254)),
                        ('subject', models.CharField(max_length=200)),
                        ('body', models.TextField()),
                        ('created_at', models.DateTimeField()),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True)),
                        ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case')),
                        ('claimed_until', models.DateTimeField(blank=True, help_text="A sender's lease on this row.", null=True)),
                    ],
                    options={
                        'db_table': 'dispatch_notification',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['sent_at', 'created_at'], name='notification_pending_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_moved(models=('notification',), source='dispatch', target='notifications'),
    ]
