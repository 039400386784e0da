"""REST API: visits."""

urlpatterns: list = []
