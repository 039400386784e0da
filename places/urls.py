"""Browser pages of the base data (mounted under /places/): each views module brings its own routes."""

from .views import addresses, facilities, imports, organisations, profile

urlpatterns: list = [
    *profile.urlpatterns,
    *addresses.urlpatterns,
    *organisations.urlpatterns,
    *facilities.urlpatterns,
    *imports.urlpatterns,
]
