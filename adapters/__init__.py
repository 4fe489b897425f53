"""Adapters to the national systems, each registered in the `lgsp.adapters` entry-point group; the SDK
they share (`adapters.sdk`) and the conformance kit (`adapters.conformance`). Guide: adapters/README.md."""
