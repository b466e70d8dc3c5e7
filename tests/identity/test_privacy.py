"""Erasure (``identity.privacy``): what it removes, and that no copy is left behind."""

from __future__ import annotations

from pathlib import Path

from resolution_helpers import Ident, observe

from graph.embedded import EmbeddedStore
from identity.service import IdentityService

GRETA_EMAIL: Ident = ("email", "greta.zyxwvut@example.com")
GRETA_PHONE: Ident = ("phone", "(212) 555-0142")
SECRETS = (b"greta.zyxwvut", b"quixotelle", b"zyxwvut", b"+12125550142")


def store_files(service: IdentityService) -> dict[str, bytes]:
    assert isinstance(service.store, EmbeddedStore)
    path: Path = service.store.path
    return {p.name: p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)}


def holding(files: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return [(name, s) for name, data in files.items() for s in SECRETS if s in data.lower()]


class TestErasureLeavesNoCopy:
    def test_the_database_and_its_log_hold_no_erased_value_once_it_answers(
        self, embedded_service: IdentityService
    ) -> None:
        service = embedded_service
        names = {"first_name": "Quixotelle", "last_name": "Zyxwvut", "city": "Boston"}
        service.ingest([observe(service, GRETA_EMAIL, GRETA_PHONE, attributes=names)])
        service.ingest([observe(service, ("email", "bob@example.com"), day=2)])
        assert holding(store_files(service)), "the values are written before the erasure"
        service.privacy.erase_profile(service.lookup(*GRETA_EMAIL).id, "privacy-1")
        assert holding(store_files(service)) == []
        service.store.close()
        assert holding(store_files(service)) == []


class TestErasureRemovesWhatTheObservationsSaid:
    def test_names_seen_with_an_erased_email_leave_the_cookie_too(
        self, service: IdentityService
    ) -> None:
        cookie: Ident = ("cookie", "ck-5d41402abc4b2a76")
        names = {"first_name": "Quixotelle", "last_name": "Zyxwvut"}
        service.ingest(
            [
                observe(service, GRETA_EMAIL, cookie, authenticated=False, attributes=names),
                observe(service, cookie, day=2, attributes={"city": "Boston"}),
            ]
        )
        cookie_key = service.normalize(*cookie).key
        receipt = service.privacy.erase_identifiers([service.normalize(*GRETA_EMAIL).key], "p-1")
        facts = service.store.read(lambda tx: tx.facts_of([cookie_key]))
        assert {f.name for f in facts} == {"city"}
        assert receipt.attributes == 4
        assert set(service.lookup(*cookie).to_dict()["attributes"]) == {"city"}
