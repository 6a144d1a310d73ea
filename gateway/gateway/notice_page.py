"""The printable notice of one village (村级公示): title, period, the list, and where to object."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from gateway.board import VillageBoard
from jzkit.money import fen_to_yuan

KIND_LABELS = {"entry": "识别纳入", "exit": "脱贫退出", "reentry": "返贫纳入"}
NOTICE_LABELS = {"first": "第一次公示（村级）", "second": "第二次公示（乡镇）", "county": "县级公示"}
STATE_LABELS = {"running": "公示中", "paused": "因异议暂停", "ended": "公示期满"}
STYLE = (
    "body{font-family:'SimSun','Songti SC',serif;max-width:190mm;margin:10mm auto;}"
    "h1{text-align:center;letter-spacing:.3em;}table{width:100%;border-collapse:collapse;}"
    "th,td{border:1px solid #000;padding:2mm;text-align:center;}"
    "@media print{.no-print{display:none;}}"
)


def _day(value: str | None) -> str:
    """``2026-05-01T08:00:00Z`` as ``2026年05月01日`` (empty when absent)."""
    if not value:
        return ""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y年%m月%d日")


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen, grouping=True)} 元"


def _period(items: list[dict[str, Any]]) -> str:
    starts = sorted(i["started_at"] for i in items if i.get("started_at"))
    ends = sorted(i["ends_at"] for i in items if i.get("ends_at"))
    if not starts:
        return "暂无公示"
    return f"{_day(starts[0])} 至 {_day(ends[-1]) if ends else '（暂停中）'}"


def _notice_rows(items: list[dict[str, Any]]) -> str:
    rows = []
    for n, item in enumerate(items, start=1):
        cells = (
            str(n),
            item["household"],
            str(item["members_count"]),
            KIND_LABELS.get(item["kind"], item["kind"]),
            NOTICE_LABELS.get(item["notice"], item["notice"]),
            f"{_day(item.get('started_at'))} 至 {_day(item.get('ends_at'))}",
            STATE_LABELS.get(item["state"], item["state"]),
            item["notice_id"],
        )
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return "\n".join(rows) or '<tr><td colspan="8">本村当前没有公示对象</td></tr>'


def _fund_rows(lines: list[dict[str, Any]]) -> str:
    rows = []
    for line in lines:
        # Without a name (no program row, or a funds service from before names) the line still shows its id.
        program = line.get("program_name") or line["program_id"]
        cells = (program, line["period"], str(line["households_paid"]), _yuan(line["paid_fen"]))
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return "\n".join(rows) or '<tr><td colspan="4">暂无资金发放记录</td></tr>'


def render(village: str, board: VillageBoard, issued: datetime) -> str:
    """The page, zh-CN; every value from the services is escaped; a part None in ``board`` is said so."""
    code = escape(village)
    place = escape(board.full_name) if board.full_name else code
    unnamed = "" if board.full_name else '<p class="unnamed">村名暂不可用，以行政区划代码标示。</p>'
    unavailable = "" if board.fund_use is not None else "<p>资金使用情况暂不可用。</p>"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{place}精准扶贫对象公示</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{place}精准扶贫对象公示</h1>
{unnamed}<p class="division">行政区划代码：{code}</p>
<p class="period">公示期：{escape(_period(board.notices))}</p>
<p>根据精准识别工作程序，经民主评议和审核，现将下列农户予以公示（姓名、身份证号不予公开）。</p>
<table class="notices">
<thead><tr><th>序号</th><th>户编号</th><th>家庭人口</th><th>类别</th><th>公示类型</th><th>公示起止</th><th>状态</th><th>公示编号</th></tr></thead>
<tbody>
{_notice_rows(board.notices)}
</tbody>
</table>
<h2>资金使用公开</h2>
{unavailable}<table class="fund-use">
<thead><tr><th>项目</th><th>年度</th><th>受益户数</th><th>发放金额</th></tr></thead>
<tbody>
{_fund_rows(board.fund_use or [])}
</tbody>
</table>
<h2>异议受理</h2>
<section>
<p class="objection">公示期内，任何单位和个人对公示对象有异议的，
可向村民委员会、驻村工作队或乡（镇）人民政府反映，
也可在线提出：向 <code>/api/v1/public/notices/{{公示编号}}/objections</code> 提交异议内容（可留联系方式）。
异议受理后该户公示暂停，待调查核实后继续。</p>
</section>
<p class="issued">发布日期：{issued:%Y年%m月%d日}</p>
</body>
</html>
"""
