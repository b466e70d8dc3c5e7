"""``idgraph check`` on every store: it passes on a store resolution wrote, and fails with
one readable line per violation on a store corrupted on purpose through its transaction
API (a profile that is not its component, an alias to a dead profile, an edge to a
missing identifier, stale consent or golden attributes)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from resolution_helpers import Ident, assert_check_passes, key, observe, pid

from cli.main import main
from graph.records import ConsentRow, EdgeRow, FactRow
from graph.store import GraphTransaction
from identity.service import IdentityService

ANN_EMAIL: Ident = ("email", "ann@example.com")
ANN_PHONE: Ident = ("phone", "(212) 555-0100")
BOB_EMAIL: Ident = ("email", "bob@example.com")
AT = "2026-01-09T00:00:00Z"


def load(service: IdentityService) -> None:
    service.ingest(
        [
            observe(service, ANN_EMAIL, ANN_PHONE, attributes={"city": "Boston"}),
            observe(service, BOB_EMAIL, day=2),
        ]
    )


def corrupt(service: IdentityService, damage: Callable[[GraphTransaction], None]) -> list[str]:
    service.store.write(damage)
    report = service.check()
    assert not report.ok
    return report.violations


class TestPasses:
    def test_on_an_empty_store(self, service: IdentityService) -> None:
        report = service.check()
        assert report.ok
        assert report.checked == {"identifiers": 0, "profiles": 0, "aliases": 0, "edges": 0}

    def test_after_loads_merges_and_a_split(self, service: IdentityService) -> None:
        load(service)
        service.ingest([observe(service, ANN_PHONE, BOB_EMAIL, day=3)])
        service.stewardship.split_profile(
            pid(service, BOB_EMAIL), [key(service, BOB_EMAIL)], "steward-1"
        )
        assert_check_passes(service)
        report = service.check()
        assert report.checked["identifiers"] == 3
        assert report.checked["aliases"] == 1


class TestPlantedCorruption:
    def test_two_profiles_joined_by_an_edge_are_not_their_component(
        self, service: IdentityService
    ) -> None:
        load(service)
        ann, bob = sorted((key(service, ANN_EMAIL), key(service, BOB_EMAIL)))
        edge = EdgeRow(
            ann, bob, "co_occurrence", "authenticated", 1.0, "joined", "crm", "{}", AT, AT
        )
        violations = corrupt(service, lambda tx: tx.upsert_edges([edge]))
        assert any(
            v.startswith(f"identifiers {ann}, {bob}")
            and "resolve to one profile but belong to 2" in v
            for v in violations
        ), violations

    def test_an_identifier_moved_to_another_profile(self, service: IdentityService) -> None:
        load(service)
        phone, bob = key(service, ANN_PHONE), pid(service, BOB_EMAIL)
        violations = corrupt(service, lambda tx: tx.assign_profile({phone: bob}))
        assert f"identifier {phone} belongs to {bob} but its document does not list it" in (
            violations
        )

    def test_an_alias_to_a_dead_profile(self, service: IdentityService) -> None:
        load(service)
        violations = corrupt(service, lambda tx: tx.add_aliases({"p-gone": "p-dead"}))
        assert violations == ["alias p-gone points to missing p-dead"]

    def test_an_edge_to_a_missing_identifier(self, service: IdentityService) -> None:
        load(service)
        ann = key(service, ANN_EMAIL)
        edge = EdgeRow(
            ann, "email:zz@ghost.com", "co_occurrence", "authenticated", 0.5, "weak", "crm", "{}",
            AT, AT,
        )  # fmt: skip
        violations = corrupt(service, lambda tx: tx.upsert_edges([edge]))
        assert violations == [
            f"edge {ann} -- email:zz@ghost.com (authenticated) has a missing end email:zz@ghost.com"
        ]

    def test_stale_consent(self, service: IdentityService) -> None:
        load(service)
        ann, profile = key(service, ANN_EMAIL), pid(service, ANN_EMAIL)
        row = ConsentRow("planted", ann, "email", "denied", AT, "crm", "{}")
        violations = corrupt(service, lambda tx: tx.add_consent([row]))
        assert violations == [f"profile {profile}: consent derivation is stale"]

    def test_stale_golden_attributes(self, service: IdentityService) -> None:
        load(service)
        ann, profile = key(service, ANN_EMAIL), pid(service, ANN_EMAIL)
        fact = FactRow("planted", ann, "city", "Paris", "crm", AT)
        violations = corrupt(service, lambda tx: tx.add_facts([fact]))
        assert violations == [f"profile {profile}: golden attributes are stale"]

    def test_a_wrong_generic_mark(self, service: IdentityService) -> None:
        load(service)
        ann = key(service, ANN_EMAIL)
        violations = corrupt(service, lambda tx: tx.set_generic({ann: "generic: planted"}))
        assert (
            f"identifier {ann} is marked generic, the frequency cap says not generic" in violations
        )


class TestCommand:
    def test_exits_1_with_a_report_line_per_violation(
        self,
        embedded_service: IdentityService,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        service = embedded_service
        load(service)
        data_dir = str(service.settings.data_dir)
        monkeypatch.setenv("IDGRAPH_SECRET", service.settings.secret)
        assert main(["--data-dir", data_dir, "check"]) == 0
        assert capsys.readouterr().out.endswith(": ok\n")
        service.store.write(lambda tx: tx.add_aliases({"p-gone": "p-dead"}))
        assert main(["--data-dir", data_dir, "check"]) == 1
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "violation: alias p-gone points to missing p-dead"
        assert out[-1].endswith(": 1 violations")
