"""Expertise routing (issue 14): does a request match what a mechanic knows?

Pure: `match(specialties, request)` gives the labels the queue row shows ("Matches your
expertise: Toyota, brakes"); `match_q` says the same thing as a filter for the queue's ordering
(matches first within the same urgency) and must agree with `match` (a test holds them together).

What counts as a match: the request's make among the mechanic's makes, its system among their
systems, its language among their languages, or its session type when the mechanic lists only
some of the types (listing all three is no specialty). A mechanic who lists session types does
not match a request of another type at all, whatever else agrees.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from autodoctor.vocabulary import Language, VehicleSystem
from mechanics.models import Mechanic

from .transitions import SessionType

ALL_SESSION_TYPES = frozenset(SessionType.values)


def _clean(values: Any) -> tuple[str, ...]:
    """A stored list, tidied: strings only, stripped, no blanks or repeats, in order."""
    seen: dict[str, None] = {}
    for value in values if isinstance(values, list | tuple) else ():
        if isinstance(value, str) and value.strip():
            seen.setdefault(value.strip(), None)
    return tuple(seen)


@dataclass(frozen=True)
class Specialties:
    makes: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    session_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @classmethod
    def of(cls, mechanic: Mechanic) -> "Specialties":
        return cls(
            makes=_clean(mechanic.specialty_makes),
            systems=_clean(mechanic.specialty_systems),
            session_types=_clean(mechanic.specialty_session_types),
            languages=_clean(mechanic.specialty_languages),
        )

    @property
    def any(self) -> bool:
        return bool(self.makes or self.systems or self.languages or self.specialised_types)

    @property
    def specialised_types(self) -> frozenset[str]:
        """The session types that count as a specialty: some of them, not all (or none)."""
        types = frozenset(self.session_types) & ALL_SESSION_TYPES
        return types if types != ALL_SESSION_TYPES else frozenset()

    @property
    def fingerprint(self) -> str:
        """A short stamp of these specialties (the shared queue list's cache key)."""
        text = repr((self.makes, self.systems, self.session_types, self.languages))
        return hashlib.blake2s(text.encode(), digest_size=4).hexdigest()


@dataclass(frozen=True)
class RouteRequest:
    """What a request says about itself for routing: from its intake and its plan's type."""

    session_type: str
    make: str = ""
    system: str = ""
    language: str = ""

    @classmethod
    def of(cls, session: Any) -> "RouteRequest":
        intake = session.intake
        return cls(
            session_type=session.type,
            make=(intake.vehicle_make or "").strip() if intake else "",
            system=intake.system if intake else "",
            language=intake.language if intake else "",
        )


def system_label(value: str) -> str:
    label = str(VehicleSystem(value).label) if value in VehicleSystem.values else value
    return label if label.isupper() else label.lower()


def language_label(value: str) -> str:
    return str(Language(value).label) if value in Language.values else value


def type_label(value: str) -> str:
    return str(SessionType(value).label).lower() if value in SessionType.values else value


def match(specialties: Specialties, request: RouteRequest) -> list[str]:
    """The labels on which `request` matches `specialties`, in a fixed order (make, system,
    language, session type); empty when it does not match."""
    if specialties.session_types and request.session_type not in specialties.session_types:
        return []
    labels = []
    makes = {make.casefold(): make for make in specialties.makes}
    if request.make and request.make.casefold() in makes:
        labels.append(makes[request.make.casefold()])
    if request.system and request.system in specialties.systems:
        labels.append(system_label(request.system))
    if request.language and request.language in specialties.languages:
        labels.append(language_label(request.language))
    if request.session_type in specialties.specialised_types:
        labels.append(type_label(request.session_type))
    return labels


def match_q(specialties: Specialties, *, via: str = "session") -> Q | None:
    """`match(...)` as a filter on a queryset whose path to the session is `via`; None when
    these specialties can match nothing (then nothing needs annotating)."""
    if not specialties.any:
        return None
    to = f"{via}__" if via else ""
    any_of = Q(pk__in=[])
    for make in specialties.makes:
        any_of |= Q(**{f"{to}intake__vehicle_make__iexact": make})
    if specialties.systems:
        any_of |= Q(**{f"{to}intake__system__in": specialties.systems})
    if specialties.languages:
        any_of |= Q(**{f"{to}intake__language__in": specialties.languages})
    if specialties.specialised_types:
        any_of |= Q(**{f"{to}type__in": sorted(specialties.specialised_types)})
    if specialties.session_types:
        return any_of & Q(**{f"{to}type__in": specialties.session_types})
    return any_of


def audience(request: RouteRequest) -> str:
    """Who a first look is offered to, in words: "who know Toyota brakes"."""
    known = " ".join(
        part for part in (request.make, system_label(request.system) if request.system else "") if part
    )
    if known:
        return f"who know {known}"
    if request.language:
        return f"who speak {language_label(request.language)}"
    return f"who specialise in {type_label(request.session_type)} sessions"
