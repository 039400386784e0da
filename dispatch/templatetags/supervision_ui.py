"""Template tags for supervision (督办): what a case's banner says about the level it has reached."""

from django import template

from dispatch.supervision import SupervisionState, supervision_state

register = template.Library()


@register.simple_tag
def supervision_of(case) -> SupervisionState | None:
    """`{% supervision_of case as sv %}`: the case's level, who must act, since when and the next level;
    None while the case is not under supervision (no query then)."""
    return supervision_state(case)
