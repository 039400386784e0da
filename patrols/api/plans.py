"""REST API: plans."""

urlpatterns: list = []
