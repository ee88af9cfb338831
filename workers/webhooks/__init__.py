"""Webhooks on the worker side: events published when jobs end, and the dispatcher."""
