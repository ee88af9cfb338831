"""Every `code` a problem answer can carry: the OpenAPI document's enum of them.

The shared error codes; the ingress's own refusals; and, for a command waited on with
`Prefer: wait` that ended in a dead letter, the dead-letter reasons its job took as error code.
A test scans the sources so that a new code cannot be left out.
"""

from __future__ import annotations

from shared.contracts.errors import ErrorCode

INGRESS_CODES = frozenset(
    {
        "InvalidCursor",
        "InvalidFilter",
        "MalformedMultipart",
        "EmbedderNotConfigured",
        "InvalidIdempotencyKey",
        "IdempotencyKeyReused",
    }
)
DEAD_LETTER_CODES = frozenset(
    {
        "Expired",
        "InvalidCommand",
        "InvalidEnvelope",
        "MaxDeliveryCountExceeded",
        "TTLExpiredException",
        "TenantMismatch",
        "UnknownTenant",
    }
)
PROBLEM_CODES = frozenset(code.value for code in ErrorCode) | INGRESS_CODES | DEAD_LETTER_CODES
