"""Departments, work calendars and notifications move to their own apps (departments, worktime and
notifications, each 0001): removed from dispatch's state only, their tables and rows stay where they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_departments_moved'),
        ('departments', '0001_initial'),
        ('dispatch', '0006_evaluation_moves_out'),
        ('notifications', '0001_initial'),
        ('worktime', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='routingrule',
                    name='department',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='routing_rules', to='departments.department'),
                ),
                migrations.DeleteModel(name='CalendarDay'),
                migrations.DeleteModel(name='WorkingHours'),
                migrations.DeleteModel(name='WorkCalendar'),
                migrations.DeleteModel(name='Notification'),
                migrations.DeleteModel(name='Department'),
            ],
            database_operations=[],
        ),
    ]
