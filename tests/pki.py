"""Certificates made on the fly (trustme) for the TLS tests: a CA, a server certificate for
127.0.0.1, client certificates with a chosen subject, each written as PEM files."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

ORGANIZATION = "LGSP test"
UNIT = "integration"


def subject(common_name: str) -> str:
    """The RFC 4514 subject of a client certificate made by `Pki.client_certificate`."""
    return f"CN={common_name},OU={UNIT},O={ORGANIZATION}"


@dataclass
class Pki:
    """A CA and the files a server needs; `client_certificate` makes the files a client needs."""

    ca: trustme.CA
    directory: Path
    ca_file: Path
    server_file: Path  # certificate chain and private key in one PEM

    def client_certificate(self, common_name: str) -> Path:
        """A client certificate (chain and key in one PEM) whose subject is `subject(common_name)`."""
        leaf = self.ca.issue_cert(
            f"{common_name}.example",
            common_name=common_name,
            organization_name=ORGANIZATION,
            organization_unit_name=UNIT,
        )
        path = self.directory / f"client-{common_name}.pem"
        leaf.private_key_and_cert_chain_pem.write_to_path(str(path))
        return path

    def client_context(self, certificate: Path | None = None) -> ssl.SSLContext:
        """A client TLS context trusting this CA, presenting `certificate` if given."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if certificate is not None:
            context.load_cert_chain(str(certificate))
        return context


def make_pki(directory: Path) -> Pki:
    """A fresh CA with a server certificate for 127.0.0.1 and localhost, written under `directory`."""
    ca = trustme.CA(organization_name=ORGANIZATION)
    ca_file, server_file = directory / "ca.pem", directory / "server.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(server_file))
    return Pki(ca, directory, ca_file, server_file)
