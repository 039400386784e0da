"""Browser pages: organisations (see places/urls.py)."""

urlpatterns: list = []
