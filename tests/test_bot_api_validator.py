"""The validator itself must catch what Telegram would refuse."""

from tests.bot_api import html_problems, problems


def test_accepts_a_well_formed_message() -> None:
    params = {"chat_id": 1, "text": "<b>报名</b> &lt;注意&gt;", "parse_mode": "HTML",
              "reply_markup": {"inline_keyboard": [[{"text": "菜单", "callback_data": "m:x"}]]}}
    assert problems("sendMessage", params) == []


def test_refuses_unknown_method_and_parameters() -> None:
    assert problems("sendMesage", {"chat_id": 1, "text": "x"})
    assert any("unknown parameter" in p
               for p in problems("sendMessage", {"chat_id": 1, "text": "x", "colour": "red"}))
    assert any("missing required 'text'" in p for p in problems("sendMessage", {"chat_id": 1}))


def test_refuses_limits() -> None:
    assert problems("sendMessage", {"chat_id": 1, "text": "字" * 4097})
    assert problems("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {
        "inline_keyboard": [[{"text": "x", "callback_data": "很" * 22}]]}})


def test_html_rules() -> None:
    assert html_problems("<div>x</div>")
    assert html_problems("<b>x")
    assert html_problems("a < b")
    assert html_problems("R&D")
    assert html_problems('<a href="https://x.cn">x</a> &amp;') == []
