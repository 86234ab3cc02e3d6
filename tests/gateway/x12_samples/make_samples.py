"""Writes the 837P samples of this folder (from the repository root:
``python -m tests.gateway.x12_samples.make_samples``). The malformed ones are a valid
interchange broken on purpose: a mandatory segment left out, wrong SE and IEA counts, an
unknown segment, another version's 837."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.gateway.x12_build import Claim, Line, build_837

HERE = Path(__file__).parent
DAY = date(2026, 11, 16)


def _with_se(segments: list[str], count: int) -> list[str]:
    return [f"SE*{count}*0001~" if s.startswith("SE*") else s for s in segments]


def _write(name: str, segments: list[str]) -> None:
    (HERE / name).write_text("\n".join(segments) + "\n")


def main() -> None:
    """Write every sample."""
    mentoring = ["HQ"]
    valid = build_837(
        [
            Claim("EHR-0001", "CL-0001", "VCH-0001", [Line("H0006", 4, DAY, "20")]),
            Claim(
                "EHR-0002",
                "CL-0002",
                "VCH-0002",
                [
                    Line("H0038", 2, DAY, "10", mentoring, "RECOVERY_MENTORING_GRP", "EHR-0002-A"),
                    Line(
                        "H0038",
                        1,
                        date(2026, 11, 17),
                        "5",
                        mentoring,
                        "RECOVERY_MENTORING_GRP",
                        "EHR-0002-B",
                    ),
                ],
            ),
        ]
    )
    (HERE / "valid_two_claims.x12").write_text(valid)
    without_voucher = build_837(
        [
            Claim("EHR-0003", "CL-0003", None, [Line("H0006", 2, DAY)]),
            Claim("EHR-0004", "CL-0004", "VCH-0004", [Line("H0038", 2, DAY, "10", ["HR"])]),
            Claim("EHR-0005", "CL-0005", "VCH-0005", [Line("H0038", 2, DAY, "10", mentoring)]),
        ]
    )
    (HERE / "claim_without_voucher.x12").write_text(without_voucher)
    one = build_837([Claim("EHR-0001", "CL-0001", "VCH-0001", [Line("H0006", 4, DAY, "20")])])
    segments = one.splitlines()
    count = next(int(s.split("*")[1]) for s in segments if s.startswith("SE*"))
    missing = [s for s in segments if not s.startswith("DTP*472")]
    _write("malformed_missing_dtp.x12", _with_se(missing, count - 1))
    _write("malformed_se_count.x12", _with_se(segments, count + 6))
    _write(
        "malformed_iea_count.x12",
        [s.replace("IEA*1*", "IEA*3*") if s.startswith("IEA*") else s for s in segments],
    )
    _write(
        "malformed_version_4010.x12",
        [s.replace("005010X222A1", "004010X098A1") for s in segments],
    )
    unknown: list[str] = []
    for segment in segments:
        unknown.append(segment)
        if segment.startswith("CLM*"):
            unknown.append("ZZZ*1~")
    _write("malformed_unknown_segment.x12", _with_se(unknown, count + 1))
    (HERE / "not_x12.txt").write_text("claim_ref,units\nEHR-1,2\n")


if __name__ == "__main__":
    main()
