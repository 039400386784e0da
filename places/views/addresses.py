"""Browser pages: addresses (see places/urls.py)."""

urlpatterns: list = []
