"""What data stewards use: the review queue, approve, reject, merge, split, explain and
the profile graph. Role ``steward``; every action is audited under the key's name."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.auth import Caller, Service, authorize
from api.json_body import StrictJsonRoute
from api.metrics import AppMetrics, Metrics
from api.models import (
    KEYED_ERRORS,
    NOT_FOUND,
    EdgeSlotIn,
    ExplainOut,
    MergeIn,
    ProfileGraphOut,
    ReviewPageOut,
    SplitIn,
    StewardOutcomeOut,
)
from identity.errors import InputRefused, Refusal
from identity.resolver import STATUS_HELD
from identity.stewardship import EdgeSlot, StewardOutcome, edge_to_dict

router = APIRouter(
    prefix="/v1",
    tags=["stewardship"],
    dependencies=[Depends(authorize)],
    responses=KEYED_ERRORS,
    route_class=StrictJsonRoute,
)


@router.get("/review", response_model=ReviewPageOut, summary="Edges waiting for a steward")
def review(
    service: Service,
    status: Annotated[str, Query(description="held, rejected, approved, joined")] = STATUS_HELD,
    reason: Annotated[str | None, Query(description="a piece of the reason")] = None,
    matcher: Annotated[str | None, Query()] = None,
    after: Annotated[str | None, Query(description="next_after of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    page = service.stewardship.review_queue(status, _cursor(after), limit, reason, matcher)
    return {
        "edges": [
            {
                **edge_to_dict(e),
                "left_profile": page.profiles.get(e.left),
                "right_profile": page.profiles.get(e.right),
            }
            for e in page.edges
        ],
        "total": page.total,
        "next_after": None if page.next_after is None else _encode(page.next_after),
    }


@router.post(
    "/review/approve",
    response_model=StewardOutcomeOut,
    responses=NOT_FOUND,
    summary="Approve an edge: it joins",
)
def approve(
    service: Service, caller: Caller, metrics: AppMetrics, edge: EdgeSlotIn
) -> dict[str, Any]:
    slot = (edge.left, edge.right, edge.matcher, edge.rule)
    return _outcome(metrics, service.stewardship.approve_edge(slot, caller.actor))


@router.post(
    "/review/reject",
    response_model=StewardOutcomeOut,
    responses=NOT_FOUND,
    summary="Reject an edge: it never joins again, and a profile it held together splits",
)
def reject(
    service: Service, caller: Caller, metrics: AppMetrics, edge: EdgeSlotIn
) -> dict[str, Any]:
    slot = (edge.left, edge.right, edge.matcher, edge.rule)
    return _outcome(metrics, service.stewardship.reject_edge(slot, caller.actor))


@router.post(
    "/merges",
    response_model=StewardOutcomeOut,
    responses=NOT_FOUND,
    summary="Merge two profiles by hand",
)
def merge(service: Service, caller: Caller, metrics: AppMetrics, body: MergeIn) -> dict[str, Any]:
    outcome = service.stewardship.merge_profiles(body.first, body.second, caller.actor)
    return _outcome(metrics, outcome)


@router.post(
    "/profiles/{profile_id}/split",
    response_model=StewardOutcomeOut,
    responses=NOT_FOUND,
    summary="Move identifiers out of a profile; they never join it again",
)
def split(
    service: Service, caller: Caller, metrics: AppMetrics, profile_id: str, body: SplitIn
) -> dict[str, Any]:
    keys = [
        service.identifier_from_text(text, f"identifiers[{index}]").key
        for index, text in enumerate(body.identifiers)
    ]
    return _outcome(metrics, service.stewardship.split_profile(profile_id, keys, caller.actor))


@router.get(
    "/explain",
    response_model=ExplainOut,
    responses=NOT_FOUND,
    summary="Why are two identifiers in one profile: the path of edges joining them",
)
def explain(
    service: Service,
    left: Annotated[str, Query(description="type:value", examples=["email:ann@example.com"])],
    right: Annotated[str, Query(description="type:value", examples=["phone:2125550100"])],
) -> dict[str, Any]:
    a = service.identifier_from_text(left, "left")
    b = service.identifier_from_text(right, "right")
    return {"left": a.key, "right": b.key, "path": service.stewardship.explain(a, b)}


@router.get(
    "/profiles/{profile_id}/graph",
    response_model=ProfileGraphOut,
    responses=NOT_FOUND,
    summary="The profile's identifiers as nodes and every edge touching them",
)
def graph(service: Service, profile_id: str) -> dict[str, Any]:
    return service.stewardship.profile_graph(profile_id)


def _outcome(metrics: Metrics, outcome: StewardOutcome) -> dict[str, Any]:
    metrics.reshaped(outcome.merged, outcome.split)
    return asdict(outcome)


def _encode(slot: EdgeSlot) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(slot)).encode()).decode()


def _cursor(after: str | None) -> EdgeSlot | None:
    if after is None:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(after.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        parts = None
    if not (isinstance(parts, list) and len(parts) == 4 and all(isinstance(p, str) for p in parts)):
        raise InputRefused([Refusal("after", after, "cursor", "pass next_after as given")])
    return (parts[0], parts[1], parts[2], parts[3])
