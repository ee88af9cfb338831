"""The operator console: a web page over the same ports as the ingress and the workers.

Its own app (`tenantry console`), its own identity and its own routes; it imports `shared` only.
"""
