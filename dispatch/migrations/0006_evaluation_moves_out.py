"""The evaluation models move to the evaluation app (its 0001): removed from dispatch's state only, their
tables and rows stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0005_evaluation_trends'),
        ('evaluation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='EvaluationFigure',
                ),
                migrations.DeleteModel(
                    name='EvaluationTrends',
                ),
            ],
            database_operations=[],
        ),
    ]
