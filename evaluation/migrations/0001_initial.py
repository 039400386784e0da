"""Evaluation leaves dispatch: the models' state moves here, their tables (db_table) and rows stay put."""

from django.db import migrations, models

from gridmgmt.migrating import content_types_moved

class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('dispatch', '0005_evaluation_trends'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EvaluationFigure',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('period_start', models.DateField()),
                        ('period_end', models.DateField(help_text="Inclusive: the period's last day (local time).")),
                        ('kind', models.CharField(choices=[('total', 'whole district'), ('department', 'department'), ('grid', 'grid'), ('community', 'community'), ('street', 'street'), ('administrator', 'grid administrator')], max_length=16)),
                        ('key', models.CharField(help_text='Department or jurisdiction code, grid code, user id.', max_length=64)),
                        ('label', models.CharField(blank=True, max_length=200)),
                        ('reported', models.PositiveIntegerField(blank=True, null=True)),
                        ('rejected', models.PositiveIntegerField(blank=True, null=True)),
                        ('filed', models.PositiveIntegerField(blank=True, null=True)),
                        ('dispatched', models.PositiveIntegerField(default=0)),
                        ('returned', models.PositiveIntegerField(default=0)),
                        ('resolved', models.PositiveIntegerField(default=0)),
                        ('reworked', models.PositiveIntegerField(default=0)),
                        ('extensions', models.PositiveIntegerField(default=0)),
                        ('due', models.PositiveIntegerField(default=0)),
                        ('closed', models.PositiveIntegerField(default=0)),
                        ('closed_on_time', models.PositiveIntegerField(default=0)),
                        ('overdue_open', models.PositiveIntegerField(default=0)),
                        ('verified', models.PositiveIntegerField(default=0)),
                        ('verified_on_time', models.PositiveIntegerField(default=0)),
                        ('handled_cases', models.PositiveIntegerField(default=0, help_text='Cases behind the handling times.')),
                        ('avg_handling_hours', models.FloatField(blank=True, null=True)),
                        ('p90_handling_hours', models.FloatField(blank=True, null=True)),
                        ('as_of', models.DateTimeField(help_text='The history up to this moment is counted.')),
                        ('computed_at', models.DateTimeField()),
                    ],
                    options={
                        'db_table': 'dispatch_evaluationfigure',
                        'ordering': ['period_start', 'period_end', 'kind', 'key'],
                        'constraints': [models.UniqueConstraint(fields=('period_start', 'period_end', 'kind', 'key'), name='evaluation_figure_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='EvaluationTrends',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('period_start', models.DateField()),
                        ('period_end', models.DateField(help_text="Inclusive: the period's last day (local time).")),
                        ('data', models.JSONField()),
                        ('as_of', models.DateTimeField(help_text='The history up to this moment is counted.')),
                        ('computed_at', models.DateTimeField()),
                    ],
                    options={
                        'db_table': 'dispatch_evaluationtrends',
                        'constraints': [models.UniqueConstraint(fields=('period_start', 'period_end'), name='evaluation_trends_unique')],
                    },
                ),
            ],
            # The tables exist already (dispatch 0004 and 0005 created them): nothing to do in the database.
            database_operations=[],
        ),
        content_types_moved(models=('evaluationfigure', 'evaluationtrends'), source='dispatch', target='evaluation'),
    ]
