"""`wecom-fcgi fixtures generate` (issue 6): byte-for-byte reproduction of the committed curl fixtures,
and the generated run.sh against a real nginx + wecom-fcgi stack."""
import filecmp
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import SAMPLE_ENV
from helpers import ROOT, binary

COMMITTED = ROOT / "Tests" / "Fixtures" / "curl"


def clean_env(**extra) -> dict:
    """The environment without WECOM_APP_* (so the fixtures use their default, sample set A)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECOM_APP_")}
    env.update(extra)
    return env


def generate(directory: Path, seed: int) -> subprocess.CompletedProcess:
    result = subprocess.run([binary(), "fixtures", "generate", str(directory), "--seed", str(seed)],
                            capture_output=True, env=clean_env(), timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result


def tree(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.is_file())


def test_seed_1_reproduces_the_committed_fixtures_byte_for_byte(tmp_path):
    generate(tmp_path, 1)
    assert tree(tmp_path) == tree(COMMITTED)
    for sub in ["", "bot"]:
        assert tree(tmp_path / sub) == tree(COMMITTED / sub)
        match, mismatch, errors = filecmp.cmpfiles(tmp_path / sub, COMMITTED / sub, files(COMMITTED / sub), shallow=False)
        assert (mismatch, errors) == ([], [])
        assert os.access(tmp_path / sub / "run.sh", os.X_OK)


def test_fixture_set_has_every_case():
    names = {p.stem for p in COMMITTED.glob("*.query")}
    for name in ["verify_url", "text", "image", "voice", "video", "location", "link", "event_click",
                 "event_change_contact_create_user", "event_template_card_event", "event_LOCATION",
                 "error_bad_signature", "error_wrong_receiveid", "error_broken_padding", "error_oversize",
                 "error_missing_nonce", "error_duplicate_nonce", "error_bad_method"]:
        assert name in names
    for name in names:
        assert (COMMITTED / f"{name}.body").exists() and (COMMITTED / f"{name}.status").exists()
    assert (COMMITTED / "verify_url.body").read_bytes() == b""
    assert (COMMITTED / "error_bad_method.method").read_text() == "PUT\n"
    assert (COMMITTED / "error_oversize.body").stat().st_size > 65536
    assert (COMMITTED / "link.expect").read_text(encoding="utf-8") == \
        "企业微信\nhttps://work.weixin.qq.com/?from=wecom-fcgi&lang=zh_CN"


def test_another_seed_changes_every_signed_request_and_regenerating_replaces(tmp_path):
    generate(tmp_path, 2)
    differing = [p.name for p in COMMITTED.glob("*.query")
                 if (tmp_path / p.name).read_bytes() != p.read_bytes()]
    assert len(differing) == len(list(COMMITTED.glob("*.query")))
    (tmp_path / "stale.query").write_text("x")
    (tmp_path / "bot" / "stale.query").write_text("x")
    generate(tmp_path, 1)
    assert tree(tmp_path) == tree(COMMITTED)
    assert tree(tmp_path / "bot") == tree(COMMITTED / "bot")


def run_script(base_url: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMMITTED / "run.sh"), base_url], capture_output=True, timeout=300,
                          env=clean_env(WECOM_FCGI_BIN=str(binary()), **(env or {})))


def test_run_sh_passes_every_fixture_against_the_echo_server(stack_factory):
    stack = stack_factory(mode="listen")
    result = run_script(stack.base_url + "/wecom/callback")
    lines = result.stdout.decode().splitlines()
    count = len(list(COMMITTED.glob("*.query")))
    assert lines[-1] == f"{count} passed, 0 failed", result.stdout.decode()
    assert result.returncode == 0


def test_run_sh_keeps_a_base_url_query(stack_factory):
    stack = stack_factory(mode="listen")
    result = run_script(stack.base_url + "/wecom/callback?tenant=demo")
    assert result.stdout.decode().splitlines()[-1].endswith(" 0 failed")


def test_run_sh_reports_failures_against_a_server_with_other_credentials(stack_factory):
    other = dict(SAMPLE_ENV, WECOM_APP_TOKEN="AnotherTokenOfTheRightShape123")
    stack = stack_factory(mode="listen", env=other)
    result = run_script(stack.base_url + "/wecom/callback")
    last = result.stdout.decode().splitlines()[-1]
    passed, failed = (int(part.split()[0]) for part in last.split(", "))
    assert failed > 0 and passed > 0  # the error cases still get their 4xx
    assert result.returncode == 1
    assert "FAIL verify_url: status 403, expected 200" in result.stdout.decode()


BOT = COMMITTED / "bot"


def test_bot_fixture_set_has_every_case():
    names = {p.stem for p in BOT.glob("*.query")}
    assert names == {"verify_url", "text", "image", "mixed", "voice", "file", "text_group", "event_enter_chat",
                     "event_template_card_event", "event_feedback_event", "stream_unknown_id", "unknown_msgtype",
                     "error_bad_signature_get", "error_bad_signature", "error_wrong_receiveid_get",
                     "error_wrong_receiveid", "error_body_not_json", "error_plaintext_not_json", "error_no_encrypt",
                     "error_empty_body", "error_missing_nonce", "error_bad_method"}
    assert (BOT / "event_feedback_event.expect").read_text() == "none"
    assert (BOT / "error_wrong_receiveid.status").read_text() == "403\n"
    # The bodies decrypt with the independent implementation, receiveid "" (a corp id for the negative case).
    from bot_double import BotCrypto, CORP_ID
    message, receive_id = BotCrypto().decrypt(json.loads((BOT / "text_group.body").read_bytes())["encrypt"])
    assert receive_id == b"" and json.loads(message)["chattype"] == "group" and "chatid" in json.loads(message)
    _, receive_id = BotCrypto().decrypt(json.loads((BOT / "error_wrong_receiveid.body").read_bytes())["encrypt"])
    assert receive_id == CURL_FOREIGN_CORP_ID.encode()


CURL_FOREIGN_CORP_ID = "wwdeadbeefdeadbeef"


def run_bot_script(base_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BOT / "run.sh"), base_url], capture_output=True, timeout=300,
                          env={k: v for k, v in clean_env(WECOM_FCGI_BIN=str(binary())).items()
                               if not k.startswith("WECOM_BOT_")})


def test_bot_run_sh_passes_every_fixture_against_a_protocol_following_bot():
    from bot_double import BotServer
    with BotServer() as server:
        result = run_bot_script(server.url)
    lines = result.stdout.decode().splitlines()
    assert lines[-1] == f"{len(list(BOT.glob('*.query')))} passed, 0 failed", result.stdout.decode()
    assert result.returncode == 0


def test_bot_run_sh_reports_replies_with_a_corp_id_receiveid():
    from bot_double import BotServer
    with BotServer() as server:
        server.reply_receive_id = CURL_FOREIGN_CORP_ID
        result = run_bot_script(server.url)
    out = result.stdout.decode()
    assert result.returncode == 1
    assert f'FAIL text: FAIL: reply receiveid is "{CURL_FOREIGN_CORP_ID}", expected the empty string' in out
    assert "ok   event_feedback_event (200)" in out and "ok   error_wrong_receiveid (403)" in out


def test_bot_run_sh_passes_every_fixture_against_the_real_server(stack_factory, tmp_path):
    # The committed bot fixtures (sample credentials A, receiveid "") against wecom-fcgi's own bot callback:
    # what the simulator expects of a bot and what the server does must agree.
    config = tmp_path / "bot.toml"
    config.write_text(
        '[[bot]]\nname = "fixtures"\npath = "/wecom/assistant"\n'
        'token = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"\nencoding_aes_key = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"\n'
        '[[bot.route]]\nevent = "enter_chat"\naction = "text"\ntext = "hi {{from.userid}}"\n'
        '[[bot.route]]\naction = "echo"\n', encoding="utf-8")
    stack = stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"])
    result = run_bot_script(f"{stack.base_url}/wecom/assistant")
    lines = result.stdout.decode().splitlines()
    assert lines[-1] == f"{len(list(BOT.glob('*.query')))} passed, 0 failed", result.stdout.decode()
    assert result.returncode == 0
