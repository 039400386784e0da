"""Browser pages for grids: partition report, administrator workload, resident registry."""

urlpatterns: list = []
