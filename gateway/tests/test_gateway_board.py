"""The public notice board: JSON by village with fund use, and the printable zh-CN page per village."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import httpx

from gateway.proxy import Upstream

Api = Any  # the ``api`` fixture (conftest.py)
Problem = Callable[..., dict[str, Any]]
LUCHANG = "510822104201"
CHABA = "510822104000"


class Page(HTMLParser):
    """Collects the page's language, title, headings, paragraphs by class and table rows by table class."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.text: dict[str, str] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self._stack: list[tuple[str, str]] = []
        self._table = ""
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "html":
            self.lang = dict(attrs).get("lang") or ""
        if tag == "table":
            self._table = cls
            self.rows[cls] = []
        if tag == "tr":
            self._row = []
        self._stack.append((tag, cls))

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None and self._stack and self._in("tbody"):
            self.rows[self._table].append(self._row)
        if tag == "tr":
            self._row = None
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def _in(self, tag: str) -> bool:
        return any(t == tag for t, _ in self._stack)

    def handle_data(self, data: str) -> None:
        if not self._stack:
            return
        tag, cls = self._stack[-1]
        if tag == "td" and self._row is not None:
            self._row.append(data.strip())
        key = cls or tag
        if tag in ("title", "h1", "h2", "p", "code"):
            self.text[key] = self.text.get(key, "") + data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


async def test_notice_page_lists_the_village_households_masked(api: Api, under_notice: Any) -> None:
    household, case = await under_notice(api)
    r = await api.client.get(f"/api/v1/public/villages/{LUCHANG}/notice.html")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    page = parse(r.text)
    assert page.lang == "zh-CN"
    assert "公示" in page.text["title"] and page.text["h1"] == "精准扶贫对象公示"
    assert LUCHANG in page.text["division"]
    started = case["notice_started_at"][:10].replace("-", "")
    period = page.text["period"]
    assert period.startswith("公示期：") and " 至 " in period
    assert period.replace("年", "").replace("月", "").replace("日", "")[4:12] == started
    (row,) = page.rows["notices"]
    assert row[0] == "1" and row[1] == household["id"].replace("-", "")[-8:]
    assert row[2] == "3" and row[3] == "识别纳入" and row[4].startswith("第一次公示") and row[6] == "公示中"
    assert row[7] == case["id"]
    assert "objections" in page.text["code"]
    assert "异议" in page.text["objection"]
    # Nothing personal on the page: no names, no ID numbers, no card numbers.
    for member in household["members"]:
        assert member["name"] not in r.text
        assert member["id_number"] not in r.text
    assert page.rows["fund-use"] == [["暂无资金发放记录"]]


async def test_notice_page_of_a_quiet_village_says_so(api: Api) -> None:
    r = await api.client.get("/api/v1/public/villages/510822104202/notice.html")
    assert r.status_code == 200
    page = parse(r.text)
    assert page.rows["notices"] == [["本村当前没有公示对象"]]
    assert page.text["period"] == "公示期：暂无公示"


async def test_notice_page_needs_a_village_code(api: Api, expect_problem: Problem) -> None:
    r = await api.client.get("/api/v1/public/villages/12ab/notice.html")
    expect_problem(r, 422, "validation-failed", "code")


async def test_board_groups_notices_and_fund_use_by_village(api: Api, under_notice: Any) -> None:
    household, case = await under_notice(api)
    r = await api.client.get("/api/v1/public/board", params={"division": CHABA})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["division"] == CHABA and doc["missing"] == []
    (village,) = doc["villages"]
    assert village["division_code"] == LUCHANG and village["fund_use"] == []
    (item,) = village["notices"]
    assert item["notice_id"] == case["id"] and item["household"] == household["id"].replace("-", "")[-8:]
    assert "name" not in str(item) and household["members"][0]["id_number"] not in r.text


async def test_board_reports_a_missing_source(api: Api) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    funds: Upstream = api.app.state.upstreams["funds"]
    broken = httpx.AsyncClient(transport=httpx.MockTransport(down), base_url="http://funds")
    api.app.state.upstreams["funds"] = Upstream("funds", broken, 0, 0, funds.max_body_bytes, 1024)
    r = await api.client.get("/api/v1/public/board", params={"division": CHABA})
    assert r.status_code == 200
    assert r.json()["missing"] == [{"part": "fund_use", "error": "ConnectError"}]
    page = await api.client.get(f"/api/v1/public/villages/{LUCHANG}/notice.html")
    assert page.status_code == 200 and "资金使用情况暂不可用" in page.text


async def test_objection_through_the_gateway_pauses_the_notice(api: Api, under_notice: Any) -> None:
    _, case = await under_notice(api)
    r = await api.client.post(
        f"/api/v1/public/notices/{case['id']}/objections", json={"text": "该户有经营性收入未申报"}
    )
    assert r.status_code == 201, r.text
    after = await api.get("county", f"/api/v1/cases/{case['id']}")
    assert after.json()["notice_state"] == "paused"
