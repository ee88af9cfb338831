"""Webhooks as the ingress and the workers share them: endpoints, signing, events, deliveries."""
