"""Files from Korean systems: CP949 and EUC-KR text, Korean headers and values through a
column map; a file in another encoding stops before anything is stored."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cli.column_map import ColumnMap, ColumnMapError
from cli.encodings import EncodingMismatch, check_encoding
from cli.loading import load_file
from identity.service import IdentityService

EXAMPLE_MAP = Path(__file__).resolve().parents[2] / "examples" / "korean-columns.toml"

HEADER = "회원번호,이름,휴대폰,이메일,생년월일,성별,주소,상세주소,수신동의\n"
ROWS = [
    "M001,김민준,010-1234-5678,minjun@example.kr,1993.11.02,남,서울특별시 강남구 테헤란로 152,"
    "101동 1203호,동의\n",
    "M002,이서연,01098765432,seoyeon@example.kr,950131,여,부산광역시 해운대구 센텀중앙로 79,,"
    "거부\n",
]


def write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def load(
    service: IdentityService, path: Path, encoding: str = "utf-8", columns: bool = True
) -> tuple[dict[str, int], list[dict[str, object]]]:
    rejects = io.StringIO()
    report = load_file(
        service,
        path,
        rejects,
        parse_worker=False,
        encoding=encoding,
        columns=ColumnMap.read(EXAMPLE_MAP) if columns else None,
    )
    lines = [json.loads(line) for line in rejects.getvalue().splitlines()]
    return report.to_dict(), lines


class TestKoreanCsv:
    @pytest.mark.parametrize("encoding", ["cp949", "euc-kr", "utf-8"])
    def test_a_member_export_loads_with_its_korean_headers_and_values(
        self, service: IdentityService, tmp_path: Path, encoding: str
    ) -> None:
        path = write(tmp_path / "members.csv", HEADER + "".join(ROWS), encoding)
        report, rejects = load(service, path, encoding)
        assert rejects == []
        assert report["observations_accepted"] == 2
        profile = service.lookup("customer_id", "shop/M001")
        document = profile.to_dict()
        assert "phone:+821012345678" in document["identifiers"]
        assert document["attributes"] == {
            "full_name": "김민준",
            "date_of_birth": "1993-11-02",
            "gender": "남",
            "address": "서울특별시 강남구 테헤란로 152 101동 1203호",
            "country": "KR",
        }
        consent = service.consent_of("phone", "010-1234-5678", "KR")
        assert consent["profile_consent"]["sms"]["status"] == "granted"
        denied = service.consent_of("customer_id", "shop/M002")
        assert denied["profile_consent"]["sms"]["status"] == "denied"
        other = service.lookup("customer_id", "shop/M002").to_dict()
        assert other["attributes"]["date_of_birth"] == "1995-01-31"

    def test_a_cp949_file_loaded_as_utf8_stops_before_anything_is_stored(
        self, service: IdentityService, tmp_path: Path
    ) -> None:
        # The first 8 KB are ASCII: only the late lines show the encoding.
        header = "customer_id,full_name,phone,email,date_of_birth,gender,address,detail,sms\n"
        ascii_rows = [f"shop/M{i:04d},Kim,010-2000-{i:04d},,,,,,Y\n" for i in range(400)]
        path = write(tmp_path / "late.csv", header + "".join(ascii_rows + ROWS), "cp949")
        with pytest.raises(EncodingMismatch, match=r"line 402 .* --encoding cp949"):
            load(service, path, "utf-8")
        assert service.counts()["identifiers"] == 0

    def test_one_undecodable_line_is_rejected_with_its_number(
        self, service: IdentityService, tmp_path: Path
    ) -> None:
        good = (HEADER + ROWS[0]).encode("utf-8")
        broken = b"M009,\xff\xfe\xfa,010-1111-2222,,,,,,\n"
        path = tmp_path / "broken.csv"
        path.write_bytes(good + broken + ROWS[1].encode("utf-8"))
        report, rejects = load(service, path, "utf-8")
        assert report["observations_accepted"] == 2
        assert [(r["line"], r["refusals"][0]["rule"]) for r in rejects] == [(3, "line.utf8")]

    def test_a_byte_order_mark_against_the_encoding_stops_the_load(self, tmp_path: Path) -> None:
        path = tmp_path / "bom.csv"
        path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode("utf-8"))
        with pytest.raises(EncodingMismatch, match="byte order mark"):
            check_encoding(path, "cp949")
        assert check_encoding(path, "utf-8").bom

    def test_a_utf8_byte_order_mark_is_not_part_of_the_first_header(
        self, service: IdentityService, tmp_path: Path
    ) -> None:
        path = tmp_path / "bom.csv"
        path.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROWS[0]).encode("utf-8"))
        report, rejects = load(service, path)
        assert (report["observations_accepted"], rejects) == (1, [])

    def test_an_ndjson_file_in_cp949_loads(self, service: IdentityService, tmp_path: Path) -> None:
        line = {
            "source": "shop",
            "observed_at": "2026-01-02T03:04:05Z",
            "identifiers": [{"type": "customer_id", "value": "shop/M1"}],
            "attributes": {"full_name": "김민준"},
        }
        path = write(tmp_path / "a.ndjson", json.dumps(line, ensure_ascii=False) + "\n", "cp949")
        report, _ = load(service, path, "cp949", columns=False)
        assert report["observations_accepted"] == 1
        attributes = service.lookup("customer_id", "shop/M1").to_dict()["attributes"]
        assert attributes["full_name"] == "김민준"


class TestColumnMap:
    def test_cells_are_converted_and_fields_named_twice_joined(self) -> None:
        columns = ColumnMap.read(EXAMPLE_MAP)
        header = ["회원번호", "주소", "상세주소", "수신동의", "메모"]
        row = columns.row(header, ["M1", "테헤란로 152", "101동 1203호", "거부", "VIP"])
        assert row == {
            "customer_id": "shop/M1",
            "address": "테헤란로 152 101동 1203호",
            "consent.sms": "denied",
            "메모": "VIP",
            "source": "shop",
            "observed_at": "2026-01-31T00:00:00+09:00",
            "authenticated": "true",
            "country": "KR",
        }

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param("[colums]\n", "unknown sections", id="a misspelt section"),
            pytest.param('[file]\ndate_formats = ["DD-MMM"]\n', "DD-MMM", id="a bad format"),
            pytest.param(
                '[file]\ndate_formats = ["YYMMDD"]\n', "needs file.source", id="formats alone"
            ),
            pytest.param("[columns]\na = [1]\n", "columns.a must be text", id="not text"),
        ],
    )
    def test_a_bad_map_is_refused_with_where(self, tmp_path: Path, text: str, message: str) -> None:
        path = tmp_path / "map.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ColumnMapError, match=message):
            ColumnMap.read(path)
