"""The patrol's word on on-site proof: was this person's running patrol at the place of a case step?

`cases.evidence` asks (through `track_witness_register`, subscribed in PatrolsConfig.ready) when a step is
judged on site: "near" when a point of the actor's running patrol, recorded within
EVIDENCE_TRACK_WINDOW_MINUTES of the step, lies within ON_SITE_RADIUS_M of the device's position; "absent"
when the patrol has points in that window but none there (or none at all in it); None when no patrol is
running (nothing to say). Points still in the phone's outbox arrive later, so "absent" is a flag, never a
refusal.
"""

import datetime as dt

from django.conf import settings

from grids.geometry import distance_m

from .models import Patrol, PatrolPoint


def track_witness(actor, lat: float, lng: float, at: dt.datetime) -> str | None:
    if actor is None:
        return None
    patrol = Patrol.objects.filter(patroller=actor, state=Patrol.State.RUNNING).only("pk").first()
    if patrol is None:
        return None
    window = dt.timedelta(minutes=settings.EVIDENCE_TRACK_WINDOW_MINUTES)
    points = PatrolPoint.objects.filter(
        patrol=patrol, recorded_at__gte=at - window, recorded_at__lte=at + window
    ).values_list("lat", "lng")
    radius = settings.ON_SITE_RADIUS_M
    near = any(distance_m(lat, lng, p_lat, p_lng) <= radius for p_lat, p_lng in points)
    return "near" if near else "absent"
