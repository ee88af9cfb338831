"""tenantry-client: the Python client of tenantry, built on azure-core like Azure's own SDKs.

from tenantry_client import TenantryClient
client = TenantryClient("http://127.0.0.1:8000", token)       # or DefaultAzureCredential()
agent = client.begin_create_agent("Helper", model="gpt-4o").result()
"""

from tenantry_client._auth import AsyncStaticTokenCredential, StaticTokenCredential
from tenantry_client._client import TenantryClient
from tenantry_client._errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    TenantryError,
)
from tenantry_client._models import (
    Agent,
    FileObject,
    Job,
    JobError,
    Message,
    Run,
    Thread,
    WebhookEndpoint,
)
from tenantry_client._webhooks import WebhookEvent, verify_webhook

__all__ = [
    "Agent",
    "AsyncStaticTokenCredential",
    "AuthenticationError",
    "ConflictError",
    "FileObject",
    "Job",
    "JobError",
    "Message",
    "NotFoundError",
    "PreconditionFailedError",
    "Run",
    "StaticTokenCredential",
    "TenantryClient",
    "TenantryError",
    "Thread",
    "WebhookEndpoint",
    "WebhookEvent",
    "verify_webhook",
]
