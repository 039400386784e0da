"""Browser pages: imports (see places/urls.py)."""

urlpatterns: list = []
