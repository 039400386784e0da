"""patrols pages."""

urlpatterns: list = []
