"""Work calendars leave dispatch: the models' state moves here, their tables (db_table) and rows stay put."""

import datetime
import django.db.models.deletion
from django.db import migrations, models

from gridmgmt.migrating import content_types_moved


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('dispatch', '0006_evaluation_moves_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WorkCalendar',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('is_default', models.BooleanField(default=False)),
                        ('timezone', models.CharField(default='Asia/Shanghai', help_text='IANA zone the working hours are meant in.', max_length=64)),
                        ('version', models.PositiveBigIntegerField(default=0, editable=False)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'dispatch_workcalendar',
                        'ordering': ['name'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='work_calendar_one_default')],
                    },
                ),
                migrations.CreateModel(
                    name='CalendarDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField()),
                        ('kind', models.CharField(choices=[('holiday', 'Holiday'), ('workday', 'Make-up working day')], max_length=10)),
                        ('name', models.CharField(blank=True, max_length=100)),
                        ('follows_weekday', models.PositiveSmallIntegerField(blank=True, choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')], help_text='Make-up working day: whose working hours apply. Empty: the first weekday that has any (normally Monday).', null=True)),
                        ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='days', to='worktime.workcalendar')),
                    ],
                    options={
                        'db_table': 'dispatch_calendarday',
                        'ordering': ['calendar', 'date'],
                        'constraints': [models.UniqueConstraint(fields=('calendar', 'date'), name='calendar_day_unique_date')],
                    },
                ),
                migrations.CreateModel(
                    name='WorkingHours',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')])),
                        ('start', models.TimeField()),
                        ('end', models.TimeField(help_text='00:00 means midnight at the end of the day.')),
                        ('calendar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hours', to='worktime.workcalendar')),
                    ],
                    options={
                        'verbose_name_plural': 'working hours',
                        'db_table': 'dispatch_workinghours',
                        'ordering': ['calendar', 'weekday', 'start'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('start__lt', models.F('end')), ('end', datetime.time(0, 0)), _connector='OR'), name='working_hours_start_before_end'), models.CheckConstraint(condition=models.Q(('weekday__gte', 0), ('weekday__lte', 6)), name='working_hours_weekday')],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_moved(models=('workcalendar', 'workinghours', 'calendarday'), source='dispatch', target='worktime'),
    ]
