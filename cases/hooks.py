"""What cases announce to the apps above them, which subscribe in their AppConfig.ready."""

from gridmgmt.hooks import Hook

# A case was reported (any source); fired after the report commits, with the case id. Dispatch routes it.
case_reported: Hook[int] = Hook("case_reported")
