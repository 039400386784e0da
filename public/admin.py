"""The public site in the admin: notice rules (which step tells whom, both languages), accounts, ratings."""
