"""Browser pages of patrols and visits (mounted under /patrols/): each views module brings its own routes."""

from .views import patrols, plans, visits

urlpatterns: list = [
    *patrols.urlpatterns,
    *plans.urlpatterns,
    *visits.urlpatterns,
]
