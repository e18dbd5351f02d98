"""Template filters for the status scale, so templates never hold labels of their own."""

from django import template

from .. import status as status_scale

register = template.Library()


@register.filter
def status_label(slug: str) -> str:
    if slug == "new":  # a report's "status at the start" of a commitment made during the period
        return "Made during the period"
    try:
        return status_scale.info(slug).label
    except ValueError:
        return slug


@register.filter
def split_words(value: str) -> list[str]:
    return value.split()


@register.filter
def getlist(querydict, key: str) -> list[str]:
    return querydict.getlist(key)


@register.filter
def field_label(form, name: str) -> str:
    field = form.fields.get(name)
    return str(field.label) if field is not None and field.label else name


@register.filter
def subtract(value: int, other: int) -> int:
    return int(value) - int(other)


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, 0) if mapping else 0
