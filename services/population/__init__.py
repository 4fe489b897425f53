"""Mock of the national population database (BCA): SOAP 1.1, WSDL at ?wsdl, faults from services.faults."""

from services.population.app import create_app

__all__ = ["create_app"]
