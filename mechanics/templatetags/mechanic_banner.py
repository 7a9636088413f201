"""{% mechanic_banner %}: the active-session banner the base layout shows on mechanic pages."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from autodoctor.access import mechanic_of
from mechanics.banner import mechanic_banner as banner_of
from sessions_app.selectors import state_version

register = template.Library()


@register.simple_tag(takes_context=True)
def mechanic_banner(context: template.Context) -> SafeString:
    request = context.get("request")
    mechanic = mechanic_of(request.user) if request is not None else None
    if request is None or mechanic is None:
        return mark_safe("")
    seen = state_version()  # first: the token is never newer than the content
    banner = banner_of(
        mechanic=mechanic, here=request.path, session_key=request.session.session_key, state=seen
    )
    html = render_to_string("mechanics/banner.html", {"banner": banner}, request=request)
    return mark_safe(html)  # noqa: S308 - rendered by our own template, autoescaped there
