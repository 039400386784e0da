"""Departments leave dispatch: the model's state moves here, its tables (db_table) and rows stay put."""

from django.conf import settings
from django.db import migrations, models

from gridmgmt.migrating import content_types_moved


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('dispatch', '0006_evaluation_moves_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Department',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40, unique=True)),
                        ('name', models.CharField(max_length=100)),
                        ('email', models.EmailField(blank=True, max_length=254)),
                        ('is_active', models.BooleanField(default=True)),
                        ('members', models.ManyToManyField(blank=True, related_name='departments', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'dispatch_department',
                        'ordering': ['name'],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_moved(models=('department',), source='dispatch', target='departments'),
    ]
