"""Home visits (走访): recording a visit (position checked against the address), needs that become cases,
visit plans by care or risk tag, and the overdue visits of each administrator."""
