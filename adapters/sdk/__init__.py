"""The adapter SDK: what every adapter needs and should not write itself.

ProviderClient             pooled outbound HTTP, deadline from the envelope, trace + request-id headers
provider_errors            HTTP status / transport failure → taxonomy error
soap, call_soap            SOAP 1.1 envelopes, safe parsing, faults, body → dict
ClientCredentialsToken     OAuth2 client-credentials token cache (single flight, 401 → retry once)
signing                    PayGov SHA-256 checksum, VNPay-style HMAC, constant-time verification
ServiceSpec, ServiceTable  declared services with canonical models and JSON schemas
ProviderAdapter            the shared skeleton: config, lazily opened pool, dispatch per service
AgencyAdapter              a ProviderAdapter to an agency: JSON dossiers, {maLoi, ...} refusals raised
StoreBook                  entries an adapter keeps in the shared Store for later callbacks
dossier_code               the dossier code an agency de-duplicates on (payload, issue, transaction id)
agency_rejection           an agency's {maLoi, thongBao, truong} refusal in canonical field names
vn_dates                   dd/MM/yyyy dates and dd/MM/yyyy HH:mm:ss times of Vietnamese systems
"""

from adapters.sdk.agency_adapter import AgencyAdapter
from adapters.sdk.agency_errors import AgencyRefusal, agency_rejection
from adapters.sdk.dossier_codes import DossierCode, dossier_code
from adapters.sdk.http_client import REQUEST_ID_HEADER, ProviderClient, outbound_headers
from adapters.sdk.oauth2 import ClientCredentialsToken, TokenResponse
from adapters.sdk.provider_adapter import (
    Operation,
    ProviderAdapter,
    ProviderConfig,
    ProviderUrl,
    parse_config,
)
from adapters.sdk.provider_errors import (
    error_from_status,
    error_from_transport,
    json_body,
    json_model,
    parse_retry_after,
    raise_for_status,
)
from adapters.sdk.services import ServiceSpec, ServiceTable, describe_validation_error
from adapters.sdk.signing import (
    canonical_query,
    hmac_signature,
    paygov_checksum,
    verify_hmac_signature,
    verify_paygov_checksum,
)
from adapters.sdk.soap import (
    SOAP_ENV_NS,
    SoapFault,
    build_envelope,
    element_to_dict,
    envelope_body,
    find_by_local_name,
    find_fault,
    local_name,
    parse_soap_response,
    parse_xml,
)
from adapters.sdk.soap_call import call_soap
from adapters.sdk.store_book import StoreBook
from adapters.sdk.vn_dates import parse_vn_date, parse_vn_time, to_vn_date, to_vn_month

__all__ = [
    "REQUEST_ID_HEADER",
    "SOAP_ENV_NS",
    "AgencyAdapter",
    "AgencyRefusal",
    "ClientCredentialsToken",
    "DossierCode",
    "Operation",
    "ProviderAdapter",
    "ProviderClient",
    "ProviderConfig",
    "ProviderUrl",
    "ServiceSpec",
    "ServiceTable",
    "SoapFault",
    "StoreBook",
    "TokenResponse",
    "agency_rejection",
    "build_envelope",
    "call_soap",
    "canonical_query",
    "describe_validation_error",
    "dossier_code",
    "element_to_dict",
    "envelope_body",
    "error_from_status",
    "error_from_transport",
    "find_by_local_name",
    "find_fault",
    "hmac_signature",
    "json_body",
    "json_model",
    "local_name",
    "outbound_headers",
    "parse_config",
    "parse_retry_after",
    "parse_soap_response",
    "parse_vn_date",
    "parse_vn_time",
    "parse_xml",
    "paygov_checksum",
    "raise_for_status",
    "to_vn_date",
    "to_vn_month",
    "verify_hmac_signature",
    "verify_paygov_checksum",
]
