"""The HTTP API: a thin adapter over ``identity.service.IdentityService``."""
