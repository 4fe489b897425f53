"""One SOAP 1.1 call over a `ProviderClient`: envelope out, Body content (or the fault's error) back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.sdk.http_client import ProviderClient
from adapters.sdk.provider_errors import raise_for_status
from adapters.sdk.soap import DEFAULT_MAX_BYTES, build_envelope, envelope_body, find_fault, parse_xml
from bus.envelope import Envelope
from bus.errors import BadResponse

SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"


async def call_soap(
    client: ProviderClient,
    request: Envelope,
    operation: str,
    namespace: str,
    body: Mapping[str, Any],
    *,
    path: str = "/",
    soap_action: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Any:
    """POST `<operation>` and return the answer's Body content element.

    A SOAP Fault raises its taxonomy error whatever the HTTP status (SOAP 1.1 sends faults with 500);
    a non-2xx answer without a fault is mapped by status; an unreadable 2xx answer is BadResponse.
    """
    response = await client.request(
        request,
        "POST",
        path,
        content=build_envelope(operation, namespace, body),
        headers={"Content-Type": SOAP_CONTENT_TYPE, "SOAPAction": f'"{soap_action or operation}"'},
        check_status=False,
    )
    try:
        content = envelope_body(
            parse_xml(response.content, provider=client.provider, max_bytes=max_bytes),
            provider=client.provider,
        )
    except BadResponse:
        raise_for_status(response, client.provider)
        raise
    fault = find_fault(content)
    if fault is not None:
        raise fault.to_error(client.provider)
    raise_for_status(response, client.provider)
    return content
