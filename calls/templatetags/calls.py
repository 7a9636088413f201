"""{% url_if_routed "name" arg as var %}: the URL, or "" while no view has that name.

The snapshot button posts to the room's attachments endpoint (`room_attachments`), which the
room half of issue 11 adds; until that is merged the call renders without the button.
TODO(merge): once `room_attachments` exists everywhere, use {% url %} and drop this tag."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def url_if_routed(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""
