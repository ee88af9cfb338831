"""Turning an uploaded file into passages for the tenant's index: extract, then chunk."""
