"""Each user group's journey through HTTP, on every store: a loader loads, a service looks
up a batch, a steward rejects a wrong merge and the profiles split, a privacy officer
erases a person, the same identifiers loaded again are suppressed (which the loader is
not told, the audit log is), and the change feed shows each step."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from identity.access import Role

ANN_EMAIL, ANN_PHONE = "ann@example.com", "(212) 555-0100"
BOB_EMAIL, BOB_PHONE = "bob@example.com", "(212) 555-0199"


def observation(*identifiers: tuple[str, str], day: int, **extra: Any) -> dict[str, Any]:
    return {
        "source": "crm",
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": True,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        **extra,
    }


ANN = observation(
    ("email", ANN_EMAIL), ("phone", ANN_PHONE), day=1, attributes={"first_name": "Ann"}
)
BOB = observation(
    ("email", BOB_EMAIL), ("phone", BOB_PHONE), day=2, attributes={"first_name": "Bob"}
)
WRONG = observation(("email", ANN_EMAIL), ("phone", BOB_PHONE), day=3)
BROKEN = observation(("cookie", "ck-9"), ("email", "bob@"), day=3)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class TestJourney:
    def test_load_look_up_reject_erase_reload_follow(self, clients: dict[Role, TestClient]) -> None:
        loader, reader = clients[Role.LOADER], clients[Role.READER]
        steward, privacy = clients[Role.STEWARD], clients[Role.PRIVACY]

        # a loader loads: a bad item is rejected whole, the wrong link merges Ann and Bob
        loaded = ok(loader.post("/v1/observations", json=[ANN, BOB, BROKEN]))
        assert (loaded["accepted"], loaded["rejected"]) == (2, 1)
        assert [(r["index"], r["refusals"][0]["rule"]) for r in loaded["rejections"]] == [
            (2, "email.syntax")
        ]
        assert ok(loader.post("/v1/observations", json=[WRONG]))["accepted"] == 1

        # a service looks up a batch: one profile for both people, one unknown
        asked = [
            {"type": "email", "value": "ANN@example.com"},
            {"type": "phone", "value": BOB_PHONE},
            {"type": "email", "value": "nobody@example.com"},
            {"type": "cookie", "value": "ck-9"},
        ]
        batch = ok(reader.post("/v1/lookup/batch", json={"identifiers": asked}))
        assert batch["found"] == 2
        merged_id = batch["results"][0]["profile"]["id"]
        assert batch["results"][1]["profile"]["id"] == merged_id
        assert batch["results"][2] == {
            "index": 2,
            "key": "email:nobody@example.com",
            "profile": None,
            "refusals": [],
        }
        assert batch["results"][3]["profile"] is None, "nothing of a rejected item is stored"

        # a steward asks why Ann's email and Bob's phone are together and rejects the edge
        why = ok(
            steward.get(
                "/v1/explain",
                params={"left": f"email:{ANN_EMAIL}", "right": f"phone:{BOB_PHONE}"},
            )
        )
        (edge,) = why["path"]
        slot = {k: edge[k] for k in ("left", "right", "matcher", "rule")}
        rejected = ok(steward.post("/v1/review/reject", json=slot))
        assert rejected["split"] == 1
        assert len(rejected["profiles"]) == 2
        ann_id = ok(reader.get("/v1/lookup", params={"type": "email", "value": ANN_EMAIL}))["id"]
        bob = ok(reader.get("/v1/lookup", params={"type": "email", "value": BOB_EMAIL}))
        assert ann_id != bob["id"]
        assert bob["identifiers"] == ["email:bob@example.com", "phone:+12125550199"]

        # a privacy officer erases Ann
        receipt = ok(privacy.delete(f"/v1/profiles/{ann_id}"))
        assert receipt["profiles"] == [ann_id]
        assert (receipt["identifiers"], receipt["attributes"]) == (2, 2)
        assert receipt["request_id"]
        assert ok(reader.get(f"/v1/profiles/{ann_id}"), 404)["error"]["code"] == "not_found"

        # Ann's identifiers loaded again are suppressed, and stay erased; the loader's
        # answer is that of any accepted item
        again = ok(loader.post("/v1/observations", json=[ANN]))
        assert again == {"accepted": 1, "rejected": 0, "rejections": [], "warnings": []}
        gone = reader.get("/v1/lookup", params={"type": "email", "value": ANN_EMAIL})
        assert gone.status_code == 404

        # the change feed shows each step, in order
        feed = ok(reader.get("/v1/changes", params={"after": 0, "limit": 100}))
        kinds = [c["kind"] for c in feed["changes"]]
        assert kinds == ["merge", "split", "reject", "erase"]
        assert feed["changes"][0]["profile_id"] == merged_id
        assert feed["changes"][-1]["profile_id"] == ann_id
        assert feed["next_after"] == feed["changes"][-1]["position"]
        assert ok(reader.get("/v1/changes", params={"after": feed["next_after"]}))["changes"] == []

        # the audit log names who did what, with the request ID and no personal data
        audit = ok(privacy.get("/v1/audit"))["entries"]
        assert [e["action"] for e in audit] == ["reject", "erase", "ingest_suppressed"]
        assert audit[0]["actor"].startswith("steward:")
        assert audit[1]["actor"].startswith("privacy:")
        assert audit[1]["detail"]["request_id"] == receipt["request_id"]
        assert audit[2]["actor"].startswith("loader:")
        assert audit[2]["detail"] == {"identifiers_suppressed": 2, "observations_suppressed": 1}
        assert ANN_EMAIL not in str(audit) and "Ann" not in str(audit)
