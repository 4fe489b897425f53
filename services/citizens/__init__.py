"""A deterministic synthetic population: citizens derived from their ID numbers, never stored.

Free of FastAPI and asyncio, and cheap to construct, so load tests can import it to draw valid ids:

    >>> from services.citizens import Population
    >>> people = Population(seed=2023)
    >>> people.citizen(people.id_at(0)).id_number == people.id_at(0)
    True
"""

from services.citizens.id_numbers import PROVINCE_NAMES, IdParts, Sex, make_id_number, parse_id_number
from services.citizens.models import Address, Citizen, CongDan, HouseholdLink, Identity, Relative
from services.citizens.population import Population

__all__ = [
    "PROVINCE_NAMES",
    "Address",
    "Citizen",
    "CongDan",
    "HouseholdLink",
    "IdParts",
    "Identity",
    "Population",
    "Relative",
    "Sex",
    "make_id_number",
    "parse_id_number",
]
