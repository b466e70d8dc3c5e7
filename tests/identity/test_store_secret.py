"""The store's secret (``identity.store_secret``): a store keeps the secret its profile IDs
and erasure tombstones are keyed with, and refuses to open with another, on every store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from resolution_helpers import Ident, observe

from api.bootstrap import build_service
from cli.main import main
from identity.errors import ConfigurationError
from identity.service import IdentityService
from identity.settings import Settings

ANN_EMAIL: Ident = ("email", "ann@example.com")
ANN_PHONE: Ident = ("phone", "(212) 555-0100")


@contextmanager
def opened(settings: Settings, secret: str) -> Iterator[IdentityService]:
    service = build_service(settings.with_overrides(secret=secret))
    try:
        yield service
    finally:
        service.store.close()


def load_ann(service: IdentityService) -> str:
    service.ingest([observe(service, ANN_EMAIL, ANN_PHONE)])
    return service.lookup(*ANN_EMAIL).id


class TestOpenWithTheSameSecret:
    def test_the_configured_secret_opens_its_store_again(self, settings: Settings) -> None:
        with opened(settings, "secret-one") as first:
            made = load_ann(first)
        with opened(settings, "secret-one") as again:
            assert again.lookup(*ANN_EMAIL).id == made

    def test_a_store_without_a_configured_secret_keeps_its_own(self, settings: Settings) -> None:
        with opened(settings, "") as first:
            made = load_ann(first)
        with opened(settings, "") as again:
            assert again.resolver.profile_id_for(again.normalize(*ANN_EMAIL).key) == made
            assert again.lookup(*ANN_EMAIL).id == made

    def test_an_erased_person_stays_erased_after_reopening(self, settings: Settings) -> None:
        with opened(settings, "secret-one") as first:
            first.privacy.erase_profile(load_ann(first), "privacy-1")
        with opened(settings, "secret-one") as again:
            outcome = again.ingest([observe(again, ANN_EMAIL, ANN_PHONE)])
            assert outcome.suppressed_identifiers == 2
            assert again.counts()["identifiers"] == 0


class TestOpenWithAnotherSecret:
    @pytest.mark.parametrize(
        ("made_with", "opened_with", "says"),
        [
            pytest.param("secret-one", "secret-two", "another IDGRAPH_SECRET", id="another secret"),
            pytest.param("secret-one", "", "set the same IDGRAPH_SECRET", id="no secret"),
            pytest.param("", "secret-two", "a secret of its own", id="a secret set later"),
        ],
    )
    def test_is_refused_before_anything_is_read_or_written(
        self, settings: Settings, made_with: str, opened_with: str, says: str
    ) -> None:
        with opened(settings, made_with) as first:
            first.privacy.erase_profile(load_ann(first), "privacy-1")
            counts = first.counts()
        with pytest.raises(ConfigurationError, match=says):
            build_service(settings.with_overrides(secret=opened_with))
        with opened(settings, made_with) as again:
            assert again.counts() == counts

    def test_an_empty_store_made_with_a_secret_refuses_another(self, settings: Settings) -> None:
        with opened(settings, "secret-one"):
            pass
        with pytest.raises(ConfigurationError, match="another IDGRAPH_SECRET"):
            build_service(settings.with_overrides(secret="secret-two"))


class TestTheCommand:
    def test_says_why_and_exits_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with opened(Settings(data_dir=tmp_path / "data"), "secret-one") as first:
            load_ann(first)
        monkeypatch.setenv("IDGRAPH_SECRET", "secret-two")
        code = main(["--data-dir", str(tmp_path / "data"), "lookup", *ANN_EMAIL])
        assert code == 2
        assert "IDGRAPH_SECRET does not match" in capsys.readouterr().err
