"""Independent check of the committed reply renderings (Tests/WeComCallbackTests/Fixtures/replies).

The Swift tests assert the renderer produces exactly these bytes; here xmltodict (expat) parses the
same files and must give back the exact strings: CJK, emoji, `]]>`, `<`, `&`, truncation.
"""
import pathlib

import pytest
import xmltodict

REPLIES = pathlib.Path(__file__).resolve().parents[1] / "WeComCallbackTests" / "Fixtures" / "replies"
HEADER = {"ToUserName": "zhangsan", "FromUserName": "wx5823bf96d3bd56c7", "CreateTime": "1700000010"}

EXPECTED = {
    "text": {"MsgType": "text", "Content": "你好 👍😀 a]]>b <tag> & end"},
    "text_truncated": {"MsgType": "text", "Content": "中" * 682},
    "image": {"MsgType": "image", "Image": {"MediaId": "media_image_1"}},
    "voice": {"MsgType": "voice", "Voice": {"MediaId": "media_voice_1"}},
    "video": {"MsgType": "video", "Video": {"MediaId": "media_video_1", "Title": "标题 <&>", "Description": "描述]]>"}},
    "video_no_title": {"MsgType": "video", "Video": {"MediaId": "media_video_1"}},
    "news": {"MsgType": "news", "ArticleCount": "2", "Articles": {"item": [
        {"Title": "标题一 & <x>", "Description": "描述 👍", "PicUrl": "https://a.example/p.png", "Url": "https://a.example/?a=1&b=2"},
        {"Title": "二"},
    ]}},
    "update_button": {"MsgType": "update_button", "Button": {"ReplaceName": "已处理"}},
    "update_taskcard": {"MsgType": "update_taskcard", "TaskCard": {"ReplaceName": "已完成"}},
    "update_template_card": {"MsgType": "update_template_card", "TemplateCard": {
        "CardType": "button_interaction",
        "ButtonList": [{"Key": "yes", "Style": "1", "Text": "同意"}, {"Key": "no", "Style": "2", "Text": "拒绝"}],
        "MainTitle": {"Desc": "👍", "Title": "审批 <1> & ]]>"},
        "Source": {"Desc": "企业微信", "DescColor": "1", "IconUrl": "https://example.com/i.png"},
        "TaskId": "task_1",
    }},
}


def test_every_fixture_is_covered():
    assert sorted(p.stem for p in REPLIES.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reply_parses_to_exact_strings(name):
    raw = (REPLIES / f"{name}.xml").read_bytes()
    parsed = xmltodict.parse(raw)["xml"]
    assert dict(parsed) == {**HEADER, **EXPECTED[name]}


def test_text_truncated_at_character_boundary():
    content = xmltodict.parse((REPLIES / "text_truncated.xml").read_bytes())["xml"]["Content"]
    assert len(content.encode("utf-8")) == 2046
