"""The checks schemathesis runs on every response of rosterql.

The contract (API.md, "Errors") decides what is whose fault: every error carries
`extensions.code`, and only INTERNAL_SERVER_ERROR and SERVICE_UNAVAILABLE are the server's.
A generated request is the client's doing, whatever it holds, so neither may answer it,
nor may a 5xx status. (Schemathesis's own `not_a_server_error` judges a GraphQL body by
codes it knows from other servers, and would call this contract's UNAUTHENTICATED or
NOT_FOUND at a field a server error; these checks replace it.)
"""

import schemathesis

SERVER_FAULTS = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"}


def _errors(response):
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"a response that is not JSON: {response.text[:300]!r}")
    errors = body.get("errors") if isinstance(body, dict) else None
    return errors or []


@schemathesis.check
def no_5xx_status(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"status {response.status_code}: {response.text[:300]!r}")


@schemathesis.check
def every_error_has_a_code(ctx, response, case):
    for error in _errors(response):
        code = (error.get("extensions") or {}).get("code")
        if not code:
            raise AssertionError(f"an error without extensions.code: {error}")


@schemathesis.check
def no_server_fault_for_a_clients_request(ctx, response, case):
    for error in _errors(response):
        if (error.get("extensions") or {}).get("code") in SERVER_FAULTS:
            raise AssertionError(f"the client's request was answered as the server's fault: {error}")
