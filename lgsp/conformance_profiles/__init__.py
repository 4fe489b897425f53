"""Conformance profiles of the project's own adapters, found by the kit through the `lgsp.conformance`
entry-point group (named like the adapter), so that `adapters` never imports the mocks they start."""
