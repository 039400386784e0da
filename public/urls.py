"""The public site's pages (mounted under /public/): no login."""

urlpatterns: list = []
