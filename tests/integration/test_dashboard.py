"""The reports dashboard in headless Chromium on the running platform (SPEC §3.6).

Demo data goes in through the gateway as the program would produce it: a provider with
staff, three clients with vouchers and GPRA intakes, approved and denied claims that
payments funds from the current fiscal year, two discharges with their interviews. Then
Debian's Chromium, driven by Playwright, opens ``/dashboard``, takes the admin token
and the current fiscal quarter, and every chart must show the numbers of the report it
is drawn from; an export button must hand over a file, and the page must ask nothing of
any host but the gateway. A screenshot is kept in the test's tmp path; with
``ATR_UPDATE_SCREENSHOT=1`` it also replaces ``docs/dashboard.png``.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Page, async_playwright
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.payments.domain.funding import fiscal_year_of, quarter_of
from tests.infrastructure import wait_until
from tests.integration.actors import active_voucher, grant, register_provider, utc_today
from tests.integration.conftest import RunningPlatform

PROVIDER = "PRV-DASH"
SERVICE = "RECOVERY_MENTORING_IND"
STAFF = {"staff_id": "STF-DASH", "credentials": ["addictions_academy_graduate"]}
CHROMIUM = Path(os.environ.get("ATR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FOUND = CHROMIUM.exists()
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
PEOPLE = (
    ("Chartina", "Burndowne", "1969-02-11"),
    ("Plotwick", "Axisworth", "1974-08-23"),
    ("Legenda", "Tooltipson", "1982-12-05"),
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPORTS = ("financial", "gpra", "follow-up", "integrity", "providers", "outcomes")


def _claim(ref: str, client_id: str, voucher_id: str, start: str, end: str) -> dict[str, Any]:
    """One unit of individual recovery mentoring today, documented."""
    return {
        "claim_ref": ref,
        "provider_id": PROVIDER,
        "client_id": client_id,
        "voucher_id": voucher_id,
        "service_code": SERVICE,
        "service_date": utc_today().isoformat(),
        "units": 1,
        "staff_id": STAFF["staff_id"],
        "start_time": start,
        "end_time": end,
        "client_signature": True,
        "face_to_face": True,
    }


def _interview(kind: str, day: str, *, drinks: int) -> dict[str, Any]:
    """A complete GPRA interview (seed 003 App. C §5a) by the provider."""
    body: dict[str, Any] = {
        "kind": kind,
        "conducted_on": day,
        "provider_id": PROVIDER,
        "alcohol_drug_use": {"any_alcohol": drinks, "illegal_drugs": 0},
        "employment_education": {"employment": "part_time", "education": "not_enrolled"},
        "crime_criminal_justice": {"arrests": 0},
        "family_living_conditions": {"living": "independent_living", "has_children": False},
        "social_support": {
            "self_help_groups": True,
            "faith_recovery_groups": False,
            "other_recovery_organisations": False,
            "supportive_family_friends": True,
        },
    }
    if kind == "discharge":
        body["retention"] = {
            "sessions": {"recovery_coaching": 2},
            "last_service_date": day,
            "discharge_date": day,
            "discharge_reason": "treatment_completed",
        }
    return body


async def _load_demo_data(gateway: httpx.AsyncClient, platform: RunningPlatform) -> None:
    """The provider, its clients, their claims funded (or not) and two discharges."""
    today = utc_today()
    year, quarter = fiscal_year_of(today), quarter_of(today)
    # the current fiscal year, as the funding test opens it (it runs first and keeps
    # it; alone, this test opens it): its quarter can be spent, part of it already is
    allotments = [
        "25.00" if q == quarter else "0.00" if q < quarter else "100.00" for q in (1, 2, 3, 4)
    ]
    opened = await gateway.post(
        "/v1/fiscal-years",
        json={"fiscal_year": year, "allotments": allotments},
        headers=platform.admin,
    )
    assert opened.status_code in (201, 409), opened.text

    await register_provider(gateway, platform, PROVIDER, [SERVICE], [STAFF])
    assessor = await grant(gateway, platform, "assessor", organisation_id="ORG-DASH")
    provider = await grant(gateway, platform, "provider", provider_id=PROVIDER)
    clients: list[tuple[str, str]] = []
    for given, family, born in PEOPLE:
        intake = await gateway.post(
            "/v1/clients",
            json={
                "given_name": given,
                "family_name": family,
                "date_of_birth": born,
                "county": "Boone",
            },
            headers=assessor,
        )
        assert intake.status_code == 201, intake.text
        client_id = intake.json()["client_id"]
        voucher = await active_voucher(
            gateway,
            assessor=assessor,
            provider=provider,
            provider_id=PROVIDER,
            client_id=client_id,
            services=[{"service_code": SERVICE, "units": 10}],
        )
        interview = await gateway.post(
            f"/v1/clients/{client_id}/gpra",
            json=_interview("intake", (today - timedelta(days=1)).isoformat(), drinks=3),
            headers=provider,
        )
        assert interview.status_code == 201, interview.text
        clients.append((client_id, voucher["voucher_id"]))

    lines = [
        _claim("DASH-1", *clients[0], "09:00:00", "09:15:00"),
        _claim("DASH-2", *clients[1], "09:00:00", "09:15:00"),
        _claim("DASH-3", *clients[2], "09:00:00", "09:15:00"),
        _claim("DASH-4", *clients[0], "10:00:00", "10:15:00") | {"client_signature": False},
        _claim("DASH-5", *clients[1], "10:00:00", "10:15:00") | {"staff_id": "STF-NOBODY"},
    ]
    ids = []
    for line in lines:
        answer = await gateway.post("/v1/claims", json=line, headers=provider)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["claim_id"])

    async def decided(claim_id: str) -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await gateway.get(f"/v1/claims/{claim_id}", headers=provider)
        ).json()
        if body["status"] in ("received", "pending"):
            return None
        if body["status"] != "denied" and not body.get("funding"):
            return None  # approved: payments has not decided its funding yet
        return body

    statuses = []
    for claim_id in ids:
        body = await wait_until(lambda c=claim_id: decided(c), timeout_s=180, interval_s=0.5)
        statuses.append(body["status"])
    assert statuses == ["approved", "approved", "approved", "denied", "denied"]

    for client_id, voucher_id in clients[:2]:
        discharged = await gateway.post(
            f"/v1/vouchers/{voucher_id}/discharge",
            json={"discharged_on": today.isoformat(), "reason": "completed"},
            headers=provider,
        )
        assert discharged.status_code == 200, discharged.text
        interview = await gateway.post(
            f"/v1/clients/{client_id}/gpra",
            json=_interview("discharge", today.isoformat(), drinks=0),
            headers=provider,
        )
        assert interview.status_code == 201, interview.text
        assert interview.json()["complete"] is True, interview.text


async def _read_reports(
    gateway: httpx.AsyncClient, platform: RunningPlatform, period: str, as_of: str
) -> dict[str, Any]:
    """Every report the dashboard draws, as JSON, read by the admin."""
    bodies = {}
    for name in REPORTS:
        params = {"as_of": as_of} if name == "follow-up" else {"period": period}
        answer = await gateway.get(f"/v1/reports/{name}", params=params, headers=platform.admin)
        assert answer.status_code == 200, answer.text
        bodies[name] = answer.json()
    return bodies


async def _settled_reports(
    gateway: httpx.AsyncClient, platform: RunningPlatform, period: str, as_of: str
) -> dict[str, Any]:
    """The reports once reporting has consumed the demo data: the fiscal year's funded
    equals what payments obligated, and this provider's cards, denials, outcomes and
    follow-ups are there."""
    year = fiscal_year_of(utc_today())

    async def settled() -> dict[str, Any] | None:
        funds = (await gateway.get(f"/v1/fiscal-years/{year}", headers=platform.admin)).json()
        reports = await _read_reports(gateway, platform, period, as_of)
        funded = sum(Decimal(q["funded"]) for q in reports["financial"]["quarters"])
        card = [p for p in reports["providers"]["providers"] if p["provider_id"] == PROVIDER]
        rates = [r for r in reports["follow-up"]["providers"] if r["provider_id"] == PROVIDER]
        outcomes = [p for p in reports["outcomes"]["providers"] if p["provider_id"] == PROVIDER]
        ready = (
            funded == Decimal(funds["obligated"])
            and card
            and (card[0]["claim_lines"], card[0]["denied_lines"]) == (5, 2)
            and rates
            and rates[0]["conducted"] == 2
            and outcomes
            and outcomes[0]["completions"] == 2
            and reports["gpra"]["clients_followed_up"] >= 2
            and reports["integrity"]["denials_by_month"]
        )
        again = await _read_reports(gateway, platform, period, as_of)
        return reports if ready and again == reports else None

    found: dict[str, Any] = await wait_until(settled, timeout_s=180, interval_s=1)
    return found


async def _chart_data(page: Page) -> dict[str, Any]:
    """Labels and datasets of every chart on the page (``window.atrCharts``)."""
    data: dict[str, Any] = await page.evaluate(
        """() => Object.fromEntries(Object.entries(window.atrCharts).map(([name, chart]) =>
            [name, {
                labels: chart.data.labels,
                datasets: chart.data.datasets.map((d) => ({label: d.label, data: d.data})),
            }]))"""
    )
    return data


def _cumulative(values: list[str]) -> list[float]:
    total, out = Decimal("0"), []
    for value in values:
        total += Decimal(value)
        out.append(float(total))
    return out


def _assert_charts_show(charts: dict[str, Any], reports: dict[str, Any]) -> None:
    """Each chart has data points, and they are the report's numbers."""
    assert set(charts) == {"burn-down", "outcomes", "follow-up", "denials", "cards"}
    for name, chart in charts.items():
        assert chart["datasets"], name
        assert len(chart["datasets"][0]["data"]) > 0, name

    quarters = reports["financial"]["quarters"]
    burn = charts["burn-down"]["datasets"]
    assert len(charts["burn-down"]["labels"]) == len(quarters) == 4
    assert burn[0]["data"] == _cumulative([q["allotment"] for q in quarters])
    assert burn[1]["data"] == _cumulative([q["funded"] for q in quarters])
    assert max(burn[1]["data"]) > 0  # the demo claims are funded

    domains = reports["gpra"]["domains"]
    outcome = charts["outcomes"]["datasets"]
    assert outcome[0]["data"] == [d["at_intake"] for d in domains]
    assert outcome[1]["data"] == [d["at_follow_up"] for d in domains]
    assert sum(outcome[1]["data"]) > 0

    rows = reports["follow-up"]["providers"]
    follow_up = dict(
        zip(charts["follow-up"]["labels"], charts["follow-up"]["datasets"][0]["data"], strict=True)
    )
    mine = next(r for r in rows if r["provider_id"] == PROVIDER)
    assert follow_up[PROVIDER] == float(mine["rate_percent"]) == 100.0
    program = reports["follow-up"]["program"]["rate_percent"]
    assert follow_up["Program"] == (None if program is None else float(program))

    denials = reports["integrity"]["denials_by_month"]
    drawn = {
        (month, d["label"]): lines
        for d in charts["denials"]["datasets"]
        for month, lines in zip(charts["denials"]["labels"], d["data"], strict=True)
        if lines
    }
    expected: dict[tuple[str, str], int] = {}
    for row in denials:
        key = (row["month"], row["reason"])
        expected[key] = expected.get(key, 0) + row["lines"]
    assert drawn == expected
    assert sum(drawn.values()) >= 2

    cards = reports["providers"]["providers"]
    assert charts["cards"]["labels"] == [p["provider_id"] for p in cards]
    assert charts["cards"]["datasets"][0]["data"] == [float(p["allowed_amount"]) for p in cards]
    assert charts["cards"]["datasets"][1]["data"] == [float(p["denied_amount"]) for p in cards]


async def _sql(url: str, sql: str, **params: Any) -> tuple[Any, ...]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return tuple((await connection.execute(text(sql), params)).one())
    finally:
        await engine.dispose()


async def _cards_equal_the_stores(platform: RunningPlatform, report: dict[str, Any]) -> None:
    """Issue's "report totals equal the payments ledger and the claims store on the same
    data": this provider's card against the claims service's and payments' own tables."""
    (card,) = [p for p in report["providers"] if p["provider_id"] == PROVIDER]
    window = {
        "p": PROVIDER,
        "first": date.fromisoformat(report["starts_on"]),
        "last": date.fromisoformat(report["ends_on"]),
    }
    lines, allowed, denied = await _sql(
        platform.database_urls["claims"],
        "SELECT count(*), coalesce(sum(allowed_amount), 0), coalesce(sum(denied_amount), 0)"
        " FROM claims WHERE provider_id = :p AND service_date BETWEEN :first AND :last",
        **window,
    )
    (funded,) = await _sql(
        platform.database_urls["payments"],
        "SELECT coalesce(sum(amount), 0) FROM fundings WHERE provider_id = :p AND funded"
        " AND service_date BETWEEN :first AND :last",
        **window,
    )
    assert (
        card["claim_lines"],
        Decimal(card["allowed_amount"]),
        Decimal(card["denied_amount"]),
    ) == (
        lines,
        Decimal(allowed),
        Decimal(denied),
    )
    assert Decimal(card["funded"]) == Decimal(funded)


async def test_the_dashboard_draws_every_report_from_the_platform_alone(
    platform: RunningPlatform, gateway: httpx.AsyncClient, tmp_path: Path
) -> None:
    if not CHROMIUM_FOUND:
        pytest.fail(
            f"{CHROMIUM} is missing: the dashboard test needs Debian's chromium "
            "(`make test` installs it with apt-get; or set ATR_CHROMIUM)"
        )
    await _load_demo_data(gateway, platform)
    today = utc_today()
    period = f"{fiscal_year_of(today)}Q{quarter_of(today)}"
    reports = await _settled_reports(gateway, platform, period, today.isoformat())
    await _cards_equal_the_stores(platform, reports["providers"])

    gateway_origin = urlsplit(platform.gateway).netloc
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                viewport={"width": 1400, "height": 1100}, accept_downloads=True
            )
            page = await context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            await page.goto(f"{platform.gateway}/dashboard", wait_until="load")
            assert await page.input_value("#period") == period  # the current fiscal quarter
            await page.fill("#token", platform.admin["Authorization"].removeprefix("Bearer "))
            await page.fill("#period", period)
            await page.click("#show")
            await page.wait_for_selector("body[data-state=ready]", timeout=30_000)
            assert errors == []

            _assert_charts_show(await _chart_data(page), reports)
            table = await page.locator("#cards tbody tr").all_inner_texts()
            assert any(row.startswith(PROVIDER) for row in table)
            assert await page.evaluate("sessionStorage.getItem('atr.dashboard.token')")

            async with page.expect_download() as csv_download:
                await page.click('button[data-export="integrity"][data-format="csv"]')
            csv_file = tmp_path / "integrity.csv"
            await (await csv_download.value).save_as(csv_file)
            assert (await csv_download.value).suggested_filename == f"atr-integrity-{period}.csv"
            exported = csv_file.read_text()
            assert "DOCUMENTATION_MISSING" in exported
            assert "STAFF_NOT_QUALIFIED" in exported
            async with page.expect_download() as json_download:
                await page.click('button[data-export="providers"][data-format="json"]')
            json_file = tmp_path / "providers.json"
            await (await json_download.value).save_as(json_file)
            assert json.loads(json_file.read_text())["period"] == period

            screenshot = tmp_path / "dashboard.png"
            await page.screenshot(path=str(screenshot), full_page=True)
            await context.close()
        finally:
            await browser.close()

    assert screenshot.stat().st_size > 10_000
    if os.environ.get("ATR_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(screenshot, DOCS_SCREENSHOT)

    hosts = {
        urlsplit(url.removeprefix("blob:")).netloc
        for url in requested
        if not url.startswith("data:")
    }
    assert requested
    assert hosts <= {gateway_origin}, sorted(url for url in requested if gateway_origin not in url)
    assert any("/v1/reports/financial" in url for url in requested)
