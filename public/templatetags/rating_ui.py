"""`{% rating_reviews_pending as n %}`: how many dissatisfied ratings wait for the dispatch center, for the
link to its review queue beside the dispatch queues (one COUNT, on the pages that show the link)."""

from django import template

from public.ratings import ratings_pending_count

register = template.Library()


@register.simple_tag
def rating_reviews_pending() -> int:
    return ratings_pending_count()
