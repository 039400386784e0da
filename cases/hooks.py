"""What cases announce to the apps above them, which subscribe in their AppConfig.ready."""

from gridmgmt.hooks import Hook

# A case was reported (any source); fired after the report commits, with the case id. Dispatch routes it.
case_reported: Hook[int] = Hook("case_reported")

# A step was recorded on a case (a transition or a decision the table allows, e.g. dispatched, closed,
# rated); fired after it commits with (case id, action, event seq). The public site tells its followers.
case_stepped: Hook[tuple[int, str, int]] = Hook("case_stepped")
