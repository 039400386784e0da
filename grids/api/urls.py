"""REST API routes for the grid layer (mounted under /api/v1/)."""

urlpatterns: list = []
