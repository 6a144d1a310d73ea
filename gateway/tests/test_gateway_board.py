"""The public notice board: JSON by village with fund use, and the printable zh-CN page per village."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import httpx

Api = Any  # the ``api`` fixture (conftest.py)
Problem = Callable[..., dict[str, Any]]
Handler = Callable[[httpx.Request], httpx.Response]
LUCHANG = "510822104201"
XINGLONG = "510822104202"
CHABA = "510822104000"
LUCHANG_FULL_NAME = "四川省广元市青川县茶坝乡炉场村"
HEADING = "精准扶贫对象公示"


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


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


def fund_line(village: str, program_id: str, program_name: str | None) -> dict[str, Any]:
    return {
        "division_code": village,
        "program_id": program_id,
        "program_name": program_name,
        "period": "2026",
        "households_paid": 1,
        "paid_fen": 300_000,
        "returned_fen": 0,
    }


def funds_answering(*lines: dict[str, Any]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"division": request.url.params["division"], "items": list(lines)})

    return handler


async def test_notice_page_lists_the_village_households_masked(api: Api, under_notice: Any) -> None:
    household, case = await under_notice(api)
    r = await api.client.get(f"/api/v1/public/villages/{LUCHANG}/notice.html")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    page = parse(r.text)
    assert page.lang == "zh-CN"
    assert page.text["title"] == page.text["h1"] == LUCHANG_FULL_NAME + HEADING
    assert LUCHANG in page.text["division"] and "unnamed" not in page.text
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
    assert village["division_code"] == LUCHANG and village["name"] == "炉场村" and village["fund_use"] == []
    (item,) = village["notices"]
    assert item["notice_id"] == case["id"] and item["household"] == household["id"].replace("-", "")[-8:]
    assert "name" not in str(item) and household["members"][0]["id_number"] not in r.text


async def test_board_reports_a_missing_source(api: Api) -> None:
    api.replace_upstream("funds", down)
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


async def test_notice_page_names_each_fund_line_by_its_program(api: Api) -> None:
    api.replace_upstream(
        "funds",
        funds_answering(
            fund_line(LUCHANG, "industry-2026", "产业到户补助"),
            fund_line(LUCHANG, "loan-2026", None),
            fund_line(LUCHANG, "water-2026", "<b>饮水</b>安全"),
        ),
    )
    r = await api.client.get(f"/api/v1/public/villages/{LUCHANG}/notice.html")
    assert r.status_code == 200, r.text
    rows = parse(r.text).rows["fund-use"]
    assert [row[0] for row in rows] == ["产业到户补助", "loan-2026", "<b>饮水</b>安全"]
    assert rows[0][1:] == ["2026", "1", "3,000.00 元"]
    assert "<b>" not in r.text and "&lt;b&gt;饮水&lt;/b&gt;安全" in r.text


async def test_a_division_name_cannot_inject_html_into_the_page(api: Api) -> None:
    name = "<script>alert(1)</script>炉场村"
    text = f"code,name,level,parent_code\n{LUCHANG},{name},village,{CHABA}\n"
    files = {"file": ("divisions.csv", text.encode(), "text/csv")}
    assert (await api.post("admin", "/api/v1/divisions/import", files=files)).status_code == 200
    r = await api.client.get(f"/api/v1/public/villages/{LUCHANG}/notice.html")
    assert r.status_code == 200, r.text
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text
    assert parse(r.text).text["h1"] == f"四川省广元市青川县茶坝乡{name}{HEADING}"


async def test_without_the_registry_the_page_names_the_village_by_code_and_says_so(
    api: Api, under_notice: Any
) -> None:
    await under_notice(api)
    api.replace_upstream("registry", down)
    r = await api.client.get(f"/api/v1/public/villages/{LUCHANG}/notice.html")
    assert r.status_code == 200, r.text
    page = parse(r.text)
    assert page.text["title"] == page.text["h1"] == LUCHANG + HEADING
    assert "村名暂不可用" in page.text["unnamed"]
    assert len(page.rows["notices"]) == 1  # the rest of the page is there
    board = await api.client.get("/api/v1/public/board", params={"division": CHABA})
    assert board.status_code == 200 and [v["name"] for v in board.json()["villages"]] == [None]


async def test_board_names_its_villages_in_one_registry_read_per_200(api: Api, under_notice: Any) -> None:
    await under_notice(api)
    lines = [
        fund_line(LUCHANG, "industry-2026", "产业到户补助"),
        fund_line(XINGLONG, "loan-2026", "小额信贷贴息"),
    ]
    # 401 more villages of the township with fund use: 403 in all, so three reads of at most 200 codes.
    others = [f"5108221042{n:02d}" for n in range(3, 100)] + [f"510822104{n:03d}" for n in range(300, 604)]
    lines += [fund_line(code, "industry-2026", "产业到户补助") for code in others]
    api.replace_upstream("funds", funds_answering(*lines))
    reads: list[list[str]] = []

    def registry(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/public/divisions"
        codes = request.url.params.get_list("code")
        reads.append(codes)
        # The registry knows 炉场村 only: the others are left out of its answer.
        known = [
            {"code": c, "name": "炉场村", "level": "village", "parent_code": CHABA}
            for c in codes
            if c == LUCHANG
        ]
        return httpx.Response(200, json={"items": known})

    api.replace_upstream("registry", registry)
    r = await api.client.get("/api/v1/public/board", params={"division": CHABA})
    assert r.status_code == 200, r.text
    assert [len(codes) for codes in reads] == [200, 200, 3]
    assert sorted(c for codes in reads for c in codes) == sorted([LUCHANG, XINGLONG, *others])
    names = {v["division_code"]: v["name"] for v in r.json()["villages"]}
    assert len(names) == 403
    assert names[LUCHANG] == "炉场村"
    assert names[XINGLONG] is None and all(names[c] is None for c in others)


async def test_division_names_are_public_through_the_gateway(api: Api, expect_problem: Problem) -> None:
    r = await api.client.get(f"/api/v1/public/divisions/{LUCHANG}")
    assert r.status_code == 200, r.text
    assert "".join([a["name"] for a in r.json()["ancestors"]] + [r.json()["name"]]) == LUCHANG_FULL_NAME
    expect_problem(await api.client.get("/api/v1/public/divisions/510822104299"), 404, "division-not-found")
    expect_problem(await api.client.get("/api/v1/public/divisions/12ab"), 422, "validation-failed", "code")
