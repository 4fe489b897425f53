"""The composition root: the `lgsp` command, the embedded stack, the mocks' and profiles' wiring.

It sits above every other package (bus, adapters, services, loadtests) and is the only one that may
import them all; nothing imports it.
"""
