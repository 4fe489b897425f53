"""Tests of the composition root: the `lgsp` command and the layering it keeps."""
