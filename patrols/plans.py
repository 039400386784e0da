"""Patrol plans per grid (defaults per community, then the settings), each grid's patrol state this week,
weekly coverage, and the warnings for grids that went unpatrolled past their plan."""
