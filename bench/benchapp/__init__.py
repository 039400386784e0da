"""Bench-only Django app: a one-table model and a bare DRF create view, the baseline for report throughput."""
