"""What admins use: API keys and store statistics. Role ``admin`` only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from api.auth import Service, authorize
from api.json_body import StrictJsonRoute
from api.models import (
    KEYED_ERRORS,
    NOT_FOUND,
    KeyCreatedOut,
    KeyCreateIn,
    KeyOut,
    KeysOut,
    StatsOut,
)
from identity.errors import NotFound

router = APIRouter(
    prefix="/v1",
    tags=["admin"],
    dependencies=[Depends(authorize)],
    responses=KEYED_ERRORS,
    route_class=StrictJsonRoute,
)


DigestParam = Annotated[
    str, Path(pattern="^[0-9a-fA-F]{6,64}$", description="hex digest or its first 6+ characters")
]


@router.get("/keys", response_model=KeysOut, summary="Every key (digests only), oldest first")
def list_keys(service: Service) -> dict[str, Any]:
    return {"keys": [k.to_dict() for k in service.keys.all_keys()]}


@router.post(
    "/keys", response_model=KeyCreatedOut, status_code=201, summary="A new key, shown once"
)
def create_key(service: Service, body: KeyCreateIn) -> dict[str, Any]:
    key = service.keys.create(body.role, body.label)
    info = service.keys.identify(key)
    assert info is not None
    return {**info.to_dict(), "key": key}


@router.delete(
    "/keys/{digest}",
    response_model=KeyOut,
    responses=NOT_FOUND,
    summary="Revoke a key by its digest (or a unique prefix of 6+ characters)",
)
def revoke_key(service: Service, digest: DigestParam) -> dict[str, Any]:
    full = service.keys.find(digest)
    service.keys.revoke(full)
    revoked = next((k for k in service.keys.all_keys() if k.digest == full), None)
    if revoked is None:
        raise NotFound(f"no key with the digest {digest!r}")
    return revoked.to_dict()


@router.get("/stats", response_model=StatsOut, summary="Row counts per kind of record")
def stats(service: Service) -> dict[str, Any]:
    return {"counts": service.counts()}
