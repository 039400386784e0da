"""Browser pages of the base data, one module per subject; each module lists its own `urlpatterns`."""
