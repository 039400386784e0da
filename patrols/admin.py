"""Admin for patrols and visits: read-only (their records are append-only; plans are set on the site)."""
