"""The FastAPI application: thin routes over ``IdentityService``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query

from api.errors import install_error_handlers
from api.models import ERROR_RESPONSES, HealthOut, ProfileOut
from identity.service import IdentityService


def create_app(service: IdentityService) -> FastAPI:
    app = FastAPI(
        title="idgraph",
        version="0.1.0",
        description="Identity graph and single customer view: lookups of golden profiles.",
    )
    install_error_handlers(app)
    app.state.service = service

    @app.get("/healthz", response_model=HealthOut, tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "store": service.store.name}

    @app.get(
        "/v1/lookup",
        response_model=ProfileOut,
        responses=ERROR_RESPONSES,
        tags=["lookup"],
        summary="The profile behind one identifier",
    )
    def lookup(
        type: Annotated[str, Query(description="identifier type, e.g. email")],
        value: Annotated[str, Query(description="raw value; normalized before the lookup")],
    ) -> dict[str, Any]:
        return service.lookup(type, value).to_dict()

    @app.get(
        "/v1/profiles/{profile_id}",
        response_model=ProfileOut,
        responses=ERROR_RESPONSES,
        tags=["lookup"],
        summary="A profile by ID; a merged-away ID answers the survivor",
    )
    def get_profile(profile_id: str) -> dict[str, Any]:
        return service.get_profile(profile_id).to_dict()

    return app
