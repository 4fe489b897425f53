"""Scenarios of the traffic mix: HTTP-only request builders and content checks, one module per system."""
