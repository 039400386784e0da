"""Browser pages: facilities (see places/urls.py)."""

urlpatterns: list = []
