"""`python -m lgsp`: the `lgsp` command, for subprocesses started with this interpreter."""

from lgsp.cli import app

app()
