from django import template

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as '42 s', '7 min', '1 h 05 min'; an em dash when unknown."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
