"""REST API routes for patrols, plans and visits (mounted under /api/v1/): each module brings its own routes.
Ids in paths are taken as text, so a non-numeric one is a 404 from the view."""

from . import patrols, plans, visits

urlpatterns: list = [
    *patrols.urlpatterns,
    *plans.urlpatterns,
    *visits.urlpatterns,
]
