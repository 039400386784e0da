"""REST API routes for the base data (mounted under /api/v1/)."""

urlpatterns: list = []
