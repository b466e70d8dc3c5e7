"""Adapters over ``identity.service.IdentityService``: the HTTP API and the CLI."""
