"""Reads behind the mechanic pages, built on sessions_app.selectors and Session's QuerySet.

Queries only: what the dashboard makes of them lives in mechanics.dashboard.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery

from mechanics.models import Mechanic
from sessions_app.models import Session, SessionAssignment, SessionEvent
from sessions_app.selectors import (
    active_sessions_for_mechanic,
    narrowed,
    queue_for_mechanic,
    state_version_sql,
    touched_by,
)
from sessions_app.transitions import WORKING_STATUSES, SessionStatus

# The columns a queue row shows: the select_related joins stay, their width does not.
QUEUE_ROW_FIELDS = (
    "urgent",
    "queued_at",
    "session__type",
    "session__created_at",
    "session__plan__name",
    "session__plan__duration_minutes",
    "session__customer__full_name",
    "session__customer__user__username",
    "session__intake__vehicle_year",
    "session__intake__vehicle_make",
    "session__intake__vehicle_model",
    "session__intake__vin",  # diagnostics: the decoded VIN facts on the row
    "session__intake__concern",
    # route (issue 14): the capacity weight (does it fit?) and what the expertise match reads
    "session__plan__capacity_weight",
    "session__intake__system",
    "session__intake__language",
    "first_look_until",
    "opened_at",
)


@dataclass(frozen=True)
class MechanicContext:
    """A mechanic with what every dashboard request needs: how many sessions count against
    their capacity, and the exact state version (sessions_app.selectors.state_version)."""

    mechanic: Mechanic
    working_count: int
    state_version: int
    working_weight: int = 0  # route: the capacity weights of those sessions' plans, summed


def _mechanic_fields() -> list[tuple[str, str]]:
    """(attribute name, column) of each of Mechanic's columns, in model order."""
    return [(field.attname, field.column or field.attname) for field in Mechanic._meta.concrete_fields]


@cache
def _dashboard_mechanic_sql() -> tuple[str, tuple[Any, ...]]:
    """The SQL of dashboard_mechanic, compiled once per process: its working count is the
    sessions of Session.objects.working(), its version sessions_app.selectors.state_version."""
    columns = ", ".join(f"m.{connection.ops.quote_name(column)}" for _, column in _mechanic_fields())
    working, params = (
        Session.objects.working()
        .order_by()
        .values("mechanic_id", weight=F("plan__capacity_weight"))
        .query.sql_with_params()
    )
    sql = (
        f"SELECT {columns}, "  # noqa: S608 - names come from the models, values are parameters
        f"(SELECT COUNT(*) FROM ({working}) w WHERE w.mechanic_id = m.id), "
        f"({state_version_sql()}), "
        f"(SELECT COALESCE(SUM(w.weight), 0) FROM ({working}) w WHERE w.mechanic_id = m.id) "
        f"FROM {Mechanic._meta.db_table} m WHERE m.user_id = %s"
    )
    return sql, tuple(params)


def dashboard_mechanic(*, user: AbstractBaseUser) -> MechanicContext | None:
    """The user's Mechanic profile with its working count and the state version, in ONE query;
    None when the user is not a mechanic.

    Raw SQL on purpose: it runs on every dashboard request, and compiling the equivalent ORM
    query (two correlated subqueries) cost more than running it."""
    sql, working_params = _dashboard_mechanic_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*working_params, *working_params, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    *values, working_count, version, working_weight = row
    attnames = [attname for attname, _ in _mechanic_fields()]
    # Raw SQL skips the ORM's converters: apply those the columns have (the JSON expertise lists).
    for index, field in enumerate(Mechanic._meta.concrete_fields):
        if hasattr(field, "from_db_value"):
            values[index] = field.from_db_value(values[index], None, connection)
    mechanic = Mechanic.from_db(connection.alias, attnames, values)
    return MechanicContext(
        mechanic=mechanic,
        working_count=int(working_count),
        state_version=int(version),
        working_weight=int(working_weight),
    )


def filtered_queue(
    *,
    mechanic: Mechanic,
    search: str = "",
    session_type: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[SessionAssignment]:
    """The queue this mechanic sees (urgent first, then oldest), narrowed like the history tabs,
    with only the columns a queue row shows."""
    qs = narrowed(
        queue_for_mechanic(mechanic=mechanic),
        via="session",
        search=search,
        session_type=session_type,
        date_from=date_from,
        date_to=date_to,
    )
    return qs.only(*QUEUE_ROW_FIELDS)


def own_sessions(*, mechanic: Mechanic) -> QuerySet[Session]:
    """Sessions this mechanic holds or held, with what the intake and report pages show."""
    return Session.objects.for_mechanic(mechanic).select_related(
        "plan", "customer__user", "mechanic__user", "intake", "rating"
    )


@dataclass(frozen=True)
class QueueStats:
    """How many requests wait in a mechanic's queue, and the newest one's id (0 when none)."""

    count: int
    newest: int
    min_weight: int | None = None  # route: the lightest plan weight waiting (None: nothing waits)


def queue_stats(*, mechanic: Mechanic) -> QueueStats:
    row = (
        queue_for_mechanic(mechanic=mechanic)
        .order_by()
        .aggregate(count=Count("id"), newest=Max("id"), min_weight=Min("session__plan__capacity_weight"))
    )
    return QueueStats(count=row["count"], newest=row["newest"] or 0, min_weight=row["min_weight"])


def history_counts(*, mechanic: Mechanic) -> dict[str, int]:
    """The mechanic's sessions by history tab: working ones, completed ones, and all they touched
    (issue 14: released and transferred ones too; sessions_app.selectors.touched_by)."""
    held = Q(mechanic=mechanic)
    row = Session.objects.filter(touched_by(mechanic)).aggregate(
        active=Count("id", filter=held & Q(status__in=WORKING_STATUSES)),
        completed=Count("id", filter=held & Q(status=SessionStatus.COMPLETED)),
        all=Count("id"),
    )
    return {key: row[key] or 0 for key in ("active", "completed", "all")}


class KnownCountPaginator(Paginator):
    """A paginator told its total up front (the tab count already holds it): no COUNT query."""

    def __init__(self, object_list: QuerySet, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def request_for_mechanic(*, mechanic: Mechanic, assignment_id: int) -> SessionAssignment | None:
    """A queued request this mechanic may take (the queue's own filters: general requests and
    their workshop's), with its intake and photos; None for anything else (taken, gone, or
    another workshop's). Two queries."""
    return (
        queue_for_mechanic(mechanic=mechanic)
        .filter(pk=assignment_id)
        .prefetch_related("session__intake__attachments")
        .first()
    )


def banner_sessions(*, mechanic: Mechanic) -> list[Session]:
    """The mechanic's waiting and live sessions for the banner, live first, each annotated with
    its newest event id (`version`: the banner's stamp moves whenever one of them changes).
    One query."""
    newest_event = SessionEvent.objects.filter(session=OuterRef("pk")).order_by("-id").values("id")[:1]
    sessions = active_sessions_for_mechanic(mechanic=mechanic).annotate(version=Subquery(newest_event))
    return sorted(sessions, key=lambda s: (s.status != SessionStatus.LIVE, s.created_at))
