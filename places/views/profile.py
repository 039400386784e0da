"""Browser pages: profile (see places/urls.py)."""

urlpatterns: list = []
