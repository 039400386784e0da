"""Audit checkpoints (filled in by the checkpoint work of issue 18)."""
