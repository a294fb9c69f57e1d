"""Media for exec programs (issue 14), through a real nginx, against the mock WeCom API of
wecom_api_mock.py: a route with media = "download" gets the message's media as a file (exactly the
served bytes), a reply with "File" is uploaded (multipart, parsed here by the stdlib's email parser)
and answered with the mock's media_id; errors, oversize, truncation and a slow download each give
on_error and one log line. AI bots: an image URL encrypted by the `cryptography` package reaches the
program decrypted. Issue 14's attacks: an endless chunked body is cut at the limit (counted in the bytes the
mock wrote), a stalled gettoken ends at the route's deadline, SIGTERM during a stalled transfer leaves no
private directory, a non-ASCII file name keeps its extension."""
from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import os
import signal
import struct
import subprocess
import textwrap
import time
import zlib
from pathlib import Path

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

import bot_crypto as bc
from conftest import wait_until
from helpers import ROOT, VECTORS, app_toml, delivery, run_cli
from wecom_api_mock import Media, MockWeComAPI

A = VECTORS["credential_sets"]["A"]


def png(width: int = 3, height: int = 2) -> bytes:
    """A small valid PNG (RGB, every pixel distinct), written with zlib and struct."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes((x * 40 + y * 7) % 256 for x in range(width) for _ in range(3)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def image_message(media_id: str, msg_id: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{A['receive_id']}]]></ToUserName><FromUserName><![CDATA[alice]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[http://example.invalid/p.png]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
            f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def text_message(content: str, msg_id: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{A['receive_id']}]]></ToUserName><FromUserName><![CDATA[alice]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def decrypted(response, nonce: str = "777", timestamp: str = "1700000000") -> str:
    assert response.status == 200 and response.body, response
    crypto = WeChatCrypto(A["token"], A["encoding_aes_key"], A["receive_id"])
    text = response.body.decode()
    signature = text.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    return crypto.decrypt_message(text, signature, timestamp, nonce)


def content(plain: str) -> str:
    return plain.split("<Content><![CDATA[")[1].split("]]></Content>")[0]


@pytest.fixture
def api():
    mock = MockWeComAPI()
    yield mock
    mock.close()


def app_stack(stack_factory, tmp_path: Path, api: MockWeComAPI, routes: str, *, server: str = "",
              env: dict[str, str] | None = None) -> object:
    config = tmp_path / "config.toml"
    config.write_text(f"[server]\n{server}\n\n" + app_toml("media")
                      + f'agent_id = 1000002\ncorp_secret = "app-secret"\napi_base = "{api.base}"\n\n'
                      + textwrap.dedent(routes))
    return stack_factory(mode="listen", env=env, args=["--config", str(config), "--threads", "4"])


def download_route(program: Path, timeout_ms: int = 4000) -> str:
    return f"""
        [[app.route]]
        msg_type = "image"
        action = "exec"
        media = "download"
        command = ["{program}"]
        timeout_ms = {timeout_ms}
        on_error = "media failed"
        """


def reporter(tmp_path: Path) -> Path:
    """Answers with the file's SHA-256, type, size, directory mode and path; keeps its stdin."""
    return script(tmp_path / "report.sh", f"""\
        cat > '{tmp_path / "stdin.json"}'
        echo run >> '{tmp_path / "runs"}'
        printf 'sha=%s type=%s size=%s mode=%s path=%s out=%s' "$(sha256sum < "$WECOM_MEDIA_FILE" | cut -d' ' -f1)" \\
            "$WECOM_MEDIA_TYPE" "$WECOM_MEDIA_SIZE" "$(stat -c %a "$(dirname "$WECOM_MEDIA_FILE")")" "$WECOM_MEDIA_FILE" "$WECOM_OUTPUT_DIR"
        """)


def fields(reply: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in reply.split(" "))


def test_the_program_gets_exactly_the_served_bytes_in_a_private_file_deleted_afterwards(stack_factory, tmp_path, api):
    image = png()
    api.media["MEDIA-1"] = Media(image, content_type="image/png", filename="photo.png")
    stack = app_stack(stack_factory, tmp_path, api, download_route(reporter(tmp_path)))
    target, body = delivery(image_message("MEDIA-1", "7100000000000000001"))
    got = fields(content(decrypted(stack.post(target, body))))
    assert got["sha"] == hashlib.sha256(image).hexdigest()
    assert got["type"] == "image/png" and got["size"] == str(len(image)) and got["mode"] == "700"
    assert got["path"].endswith("/photo.png")
    stdin = json.loads((tmp_path / "stdin.json").read_text())
    assert stdin["MediaId"] == "MEDIA-1"
    assert stdin["MediaFile"] == {"Path": got["path"], "ContentType": "image/png", "Size": str(len(image))}
    assert not os.path.exists(got["path"]) and not os.path.exists(os.path.dirname(got["path"]))
    assert not os.path.exists(got["out"])  # WECOM_OUTPUT_DIR is gone too
    assert api.media_requests == ["MEDIA-1"] and api.token_requests == 1
    log = stack.responder.log()
    assert "TOKEN-1" not in log and "app-secret" not in log


@pytest.mark.parametrize("media_id, media, expected_log", [
    ("UNKNOWN", None, "errcode=40007"),
    ("BIG", Media(b"x" * 4096, content_type="image/jpeg"), "max_media_bytes"),
    ("BIG-NO-LENGTH", Media(b"x" * 200_000, content_type="image/jpeg", length_header=False), "max_media_bytes"),
    ("TRUNCATED", Media(b"y" * 100, content_type="image/jpeg", declared_length=900), "media truncated: 100 of 900 bytes"),
    ("SLOW", Media(b"z" * 100, content_type="image/jpeg", delay=3.0), "media transfer timed out"),
])
def test_a_failed_download_gives_on_error_one_log_line_and_the_next_message_is_served(stack_factory, tmp_path, api,
                                                                                      media_id, media, expected_log):
    if media is not None:
        api.media[media_id] = media
    api.media["GOOD"] = Media(b"GOOD-BYTES", content_type="image/jpeg")
    stack = app_stack(stack_factory, tmp_path, api, download_route(reporter(tmp_path), timeout_ms=1500),
                      server="max_media_bytes = 1024")
    target, body = delivery(image_message(media_id, "7100000000000000002"))
    # SLOW: served after 3 s, inside the 4 s reply budget; only the route's 1.5 s deadline cuts it.
    assert content(decrypted(stack.post(target, body))) == "media failed"
    assert not (tmp_path / "runs").exists()  # the program never started
    log = stack.responder.log()
    assert log.count(expected_log) == 1, log
    target, body = delivery(image_message("GOOD", "7100000000000000003"), nonce="778")
    got = fields(content(decrypted(stack.post(target, body), nonce="778")))
    assert got["sha"] == hashlib.sha256(b"GOOD-BYTES").hexdigest()


def test_a_file_reply_is_uploaded_and_answered_passively_with_the_media_id(stack_factory, tmp_path, api):
    made = png(5, 4)
    (tmp_path / "made.png").write_bytes(made)
    program = script(tmp_path / "answer.sh", f"""\
        cat >/dev/null
        cp '{tmp_path / "made.png"}' "$WECOM_OUTPUT_DIR/out.png"
        printf '{{"MsgType":"image","File":"%s/out.png"}}' "$WECOM_OUTPUT_DIR"
        """)
    stack = app_stack(stack_factory, tmp_path, api, f"""
        [[app.route]]
        action = "exec"
        command = ["{program}"]
        on_error = "upload failed"
        """)
    target, body = delivery(text_message("draw", "7100000000000000010"))
    plain = decrypted(stack.post(target, body))
    assert "<MsgType><![CDATA[image]]></MsgType>" in plain
    assert "<Image><MediaId><![CDATA[MEDIA-UP-1]]></MediaId></Image>" in plain
    assert len(api.uploads) == 1
    upload = api.uploads[0]
    assert upload.query["type"] == ["image"] and upload.query["access_token"] == ["TOKEN-1"]
    assert upload.content_type.startswith("multipart/form-data; boundary=")
    # An independent parser: the stdlib's MIME parser reads the multipart body as WeCom's server would.
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + upload.content_type.encode() + b"\r\n\r\n" + upload.body)
    assert parsed.is_multipart()
    parts = list(parsed.iter_parts())
    assert len(parts) == 1
    part = parts[0]
    assert part.get_param("name", header="content-disposition") == "media"
    assert part.get_filename() == "out.png"
    assert part.get_param("filelength", header="content-disposition") == str(len(made))
    assert part.get_content_type() == "image/png"
    assert part.get_payload(decode=True) == made
    assert api.sent == []


def test_a_file_reply_after_the_budget_goes_by_active_send(stack_factory, tmp_path, api):
    program = script(tmp_path / "late.sh", """\
        cat >/dev/null
        sleep 1.5
        printf 'late file' > "$WECOM_OUTPUT_DIR/report.txt"
        printf '{"MsgType":"file","File":"report.txt"}'
        """)
    stack = app_stack(stack_factory, tmp_path, api, f"""
        [[app.route]]
        action = "exec"
        command = ["{program}"]
        timeout_ms = 5000
        """, server="reply_budget_ms = 500")
    target, body = delivery(text_message("report", "7100000000000000011"))
    r = stack.post(target, body)
    assert r.status == 200 and r.body == b""
    deadline = time.monotonic() + 10
    while not api.sent and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.sent == [{"touser": "alice", "agentid": 1000002, "msgtype": "file", "file": {"media_id": "MEDIA-UP-1"},
                         "enable_duplicate_check": 1, "duplicate_check_interval": 1800}]
    assert api.uploads[0].query["type"] == ["file"]
    assert b"late file" in api.uploads[0].body


@pytest.mark.parametrize("make, path", [
    ("", "/etc/hostname"),                                     # an arbitrary path
    ("", "../../../../etc/hostname"),                          # `..` out of WECOM_OUTPUT_DIR
    ('ln -s /etc/hostname "$WECOM_OUTPUT_DIR/link.png"', "link.png"),  # a symbolic link pointing out
    ('mkdir "$WECOM_OUTPUT_DIR/sub"', "sub"),                 # not a regular file
])
def test_a_file_outside_the_output_directory_is_refused(stack_factory, tmp_path, api, make, path):
    program = script(tmp_path / "escape.sh", f"""\
        cat >/dev/null
        {make}
        printf '{{"MsgType":"image","File":"{path}"}}'
        """)
    stack = app_stack(stack_factory, tmp_path, api, f"""
        [[app.route]]
        action = "exec"
        command = ["{program}"]
        on_error = "refused"
        """)
    target, body = delivery(text_message("escape", "7100000000000000020"))
    assert content(decrypted(stack.post(target, body))) == "refused"
    assert api.uploads == []
    assert stack.responder.log().count("reply File refused") == 1


def test_the_mirror_example_answers_a_photo_with_the_photo_mirrored(stack_factory, tmp_path, api):
    """deploy/examples/mirror-image.py, as README shows it: Debian's Pillow (python3-pil) reads the
    uploaded picture back, so the check does not trust the program's own library call alone."""
    system_python = "/usr/bin/python3"
    if subprocess.run([system_python, "-c", "import PIL"], capture_output=True).returncode != 0:
        pytest.fail("python3-pil is not installed: run scripts/install-deps.sh")
    image = png(4, 3)
    api.media["PHOTO"] = Media(image, content_type="image/png", filename="photo.png")
    stack = app_stack(stack_factory, tmp_path, api, f"""
        [[app.route]]
        msg_type = "image"
        action = "exec"
        media = "download"
        command = ["{system_python}", "{ROOT / 'deploy/examples/mirror-image.py'}"]
        on_error = "mirror failed"
        """)
    target, body = delivery(image_message("PHOTO", "7100000000000000030"))
    plain = decrypted(stack.post(target, body))
    assert "<Image><MediaId><![CDATA[MEDIA-UP-1]]></MediaId></Image>" in plain
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + api.uploads[0].content_type.encode() + b"\r\n\r\n" + api.uploads[0].body)
    part = next(parsed.iter_parts())
    assert part.get_filename() == "mirrored.png"
    (tmp_path / "sent.png").write_bytes(image)
    (tmp_path / "uploaded.png").write_bytes(part.get_payload(decode=True))
    pixels = subprocess.run([system_python, "-c", textwrap.dedent("""\
        import json, sys
        from PIL import Image
        print(json.dumps([list(Image.open(p).convert("RGB").getdata()) for p in sys.argv[1:]]))
        """), str(tmp_path / "sent.png"), str(tmp_path / "uploaded.png")], capture_output=True, check=True)
    sent, uploaded = json.loads(pixels.stdout)
    width = 4
    rows = [sent[i:i + width] for i in range(0, len(sent), width)]
    assert uploaded == [pixel for row in rows for pixel in reversed(row)]
    assert uploaded != sent


def bot_stack(stack_factory, tmp_path: Path, program: Path, server: str = ""):
    config = tmp_path / "bot.toml"
    config.write_text(textwrap.dedent(f"""\
        [server]
        {server}

        [[bot]]
        name = "assistant"
        path = "/bot"
        token = "{bc.TOKEN}"
        encoding_aes_key = "{bc.AES_KEY}"

        [[bot.route]]
        action = "exec"
        media = "download"
        command = ["{program}"]
        timeout_ms = 10000
        on_error = "media failed"
        """), encoding="utf-8")
    return stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"])


def encrypt_media(plain: bytes) -> bytes:
    """wecom-aibot.md §1 by the `cryptography` package: AES-256-CBC, IV = key[:16], PKCS#7 to 32, no frame."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    key = bc._key(bc.AES_KEY)
    pad = 32 - len(plain) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()


def bot_final_content(stack, message: dict) -> str:
    target, body, _, nonce = bc.request(message)
    first = bc.open_reply(stack.post(target, body, content_type="application/json").body, nonce)
    stream_id = first["stream"]["id"]
    deadline, n = time.monotonic() + 20, 0
    while time.monotonic() < deadline:
        n += 1
        target, body, _, nonce = bc.request(bc.message("stream", {"id": stream_id}, msgid=f"r-{stream_id[:8]}-{n}"))
        r = bc.open_reply(stack.post(target, body, content_type="application/json").body, nonce)
        if r["stream"]["finish"]:
            return r["stream"]["content"]
        time.sleep(0.1)
    raise AssertionError("the stream did not finish")


def bot_reporter(tmp_path: Path) -> Path:
    return script(tmp_path / "bot-report.sh", f"""\
        tee '{tmp_path / "stdin.json"}' | python3 -c '
        import hashlib, json, sys
        m = json.load(sys.stdin)
        print(" ".join("%s:%s:%d" % (hashlib.sha256(open(f["path"], "rb").read()).hexdigest(), f["content_type"], f["size"])
                       for f in m["media_files"]), end="")'
        printf ' env=%s' "$WECOM_MEDIA_TYPE"
        """)


def test_a_bot_image_url_reaches_the_program_decrypted(stack_factory, tmp_path, api):
    image = png(7, 3)
    api.files["/bot-media/a"] = Media(encrypt_media(image))
    stack = bot_stack(stack_factory, tmp_path, bot_reporter(tmp_path))
    got = bot_final_content(stack, bc.message("image", {"url": api.base + "/bot-media/a"}, msgid="media-1"))
    assert got == f"{hashlib.sha256(image).hexdigest()}:image/png:{len(image)} env=image/png"
    files = json.loads((tmp_path / "stdin.json").read_text())["media_files"]
    assert len(files) == 1 and not os.path.exists(files[0]["path"])


def test_the_images_of_a_mixed_message_arrive_in_message_order(stack_factory, tmp_path, api):
    first, second = png(2, 2), b"%PDF-1.4 not really"
    api.files["/bot-media/1"] = Media(encrypt_media(first))
    api.files["/bot-media/2"] = Media(encrypt_media(second))
    stack = bot_stack(stack_factory, tmp_path, bot_reporter(tmp_path))
    items = [{"msgtype": "text", "text": {"content": "look"}},
             {"msgtype": "image", "image": {"url": api.base + "/bot-media/1"}},
             {"msgtype": "image", "image": {"url": api.base + "/bot-media/2"}}]
    got = bot_final_content(stack, bc.message("mixed", {"msg_item": items}, msgid="media-2"))
    assert got == (f"{hashlib.sha256(first).hexdigest()}:image/png:{len(first)} "
                   f"{hashlib.sha256(second).hexdigest()}:application/pdf:{len(second)} env=image/png")


def test_a_bot_file_that_does_not_decrypt_ends_the_stream_with_on_error(stack_factory, tmp_path, api):
    api.files["/bot-media/bad"] = Media(b"\x00" * 48)  # whole blocks, but the padding cannot be valid
    stack = bot_stack(stack_factory, tmp_path, bot_reporter(tmp_path))
    got = bot_final_content(stack, bc.message("file", {"url": api.base + "/bot-media/bad"}, msgid="media-3"))
    assert got == "media failed"
    assert stack.responder.log().count("media does not decrypt") == 1


def test_a_bot_file_over_max_media_bytes_ends_the_stream_with_on_error(stack_factory, tmp_path, api):
    api.files["/bot-media/big"] = Media(encrypt_media(b"f" * 5000))
    stack = bot_stack(stack_factory, tmp_path, bot_reporter(tmp_path), server="max_media_bytes = 4096")
    got = bot_final_content(stack, bc.message("file", {"url": api.base + "/bot-media/big"}, msgid="media-4"))
    assert got == "media failed"
    assert stack.responder.log().count("media larger than max_media_bytes (4096 bytes)") == 1
    assert not (tmp_path / "stdin.json").exists()  # the program never started


def test_a_bot_program_cannot_send_other_files_and_is_told_in_the_log(stack_factory, tmp_path, api):
    program = script(tmp_path / "files.sh", """\
        cat >/dev/null
        printf 'report' > "$WECOM_OUTPUT_DIR/report.pdf"
        printf 'here is your report'
        """)
    stack = bot_stack(stack_factory, tmp_path, program)
    assert bot_final_content(stack, bc.message("text", {"content": "report"}, msgid="media-5")) == "here is your report"
    log = stack.responder.log()
    assert log.count("1 file(s) other than JPG/PNG left in WECOM_OUTPUT_DIR not sent") == 1


def test_a_refused_token_is_refreshed_once_for_media(stack_factory, tmp_path, api):
    api.stale_tokens = ["TOKEN-0"]  # the first token is refused with 40014
    api.media["MEDIA-2"] = Media(b"\xff\xd8\xff\xe0 jpeg-ish", content_type="image/jpeg")
    stack = app_stack(stack_factory, tmp_path, api, download_route(reporter(tmp_path)))
    target, body = delivery(image_message("MEDIA-2", "7100000000000000040"))
    got = fields(content(decrypted(stack.post(target, body))))
    assert got["sha"] == hashlib.sha256(b"\xff\xd8\xff\xe0 jpeg-ish").hexdigest() and got["type"] == "image/jpeg"
    assert api.token_requests == 2 and api.media_requests == ["MEDIA-2"]
    assert "TOKEN-0" not in stack.responder.log()


def test_the_mirror_example_config_is_valid(tmp_path):
    (tmp_path / "mirror.key").write_text(A["encoding_aes_key"] + "\n")
    text = ((ROOT / "deploy/examples/mirror.example.toml").read_text(encoding="utf-8")
            .replace("/etc/wecom-fcgi/mirror.key", str(tmp_path / "mirror.key"))
            .replace("/usr/local/bin/mirror-image.py", str(ROOT / "deploy/examples/mirror-image.py")))
    config = tmp_path / "mirror.toml"
    config.write_text(text, encoding="utf-8")
    out = run_cli(["check-config", "--config", str(config)],
                  env={"MIRROR_TOKEN": A["token"], "MIRROR_SECRET": "s3cret"}).stdout.decode()
    assert "mirror (/wecom/mirror, 2 routes" in out, out
    assert "s3cret" not in out
    # Without the Secret, media = "download" cannot work: check-config says so.
    config.write_text(text.replace('corp_secret_env = "MIRROR_SECRET"', ""), encoding="utf-8")
    bad = run_cli(["check-config", "--config", str(config)], env={"MIRROR_TOKEN": A["token"]}, check=False)
    assert bad.returncode == 1
    assert 'app[0].route[0].media: "download" fetches media through the WeCom API (media/get)' in bad.stdout.decode()


def test_a_refused_upload_gives_on_error_and_one_log_line(stack_factory, tmp_path, api):
    api.upload_error = {"errcode": 40005, "errmsg": "invalid file type"}
    program = script(tmp_path / "answer.sh", """\
        cat >/dev/null
        printf 'not really a voice' > "$WECOM_OUTPUT_DIR/a.amr"
        printf '{"MsgType":"voice","File":"a.amr"}'
        """)
    stack = app_stack(stack_factory, tmp_path, api, f"""
        [[app.route]]
        action = "exec"
        command = ["{program}"]
        on_error = "upload failed"
        """)
    target, body = delivery(text_message("say it", "7100000000000000050"))
    assert content(decrypted(stack.post(target, body))) == "upload failed"
    assert api.uploads[0].query["type"] == ["voice"] and b"not really a voice" in api.uploads[0].body
    log = stack.responder.log()
    assert log.count('WeCom media API: errcode=40005 errmsg="invalid file type"') == 1
    assert "TOKEN-1" not in log


def test_a_bot_media_url_that_answers_404_ends_the_stream_with_on_error(stack_factory, tmp_path, api):
    stack = bot_stack(stack_factory, tmp_path, bot_reporter(tmp_path))
    got = bot_final_content(stack, bc.message("image", {"url": api.base + "/bot-media/missing"}, msgid="media-6"))
    assert got == "media failed"
    assert stack.responder.log().count("media transfer: HTTP status 404") == 1


# Issue 14: what an attacker found.

def test_an_endless_chunked_media_body_is_cut_at_max_media_bytes(stack_factory, tmp_path, api):
    """F1: no Content-Length, an endless chunked body: the read ends when it passes the limit (libcurl's
    write callback), so the mock manages to write little more than the limit, and the next message is served."""
    limit = 4 * 1024 * 1024
    api.media["ENDLESS"] = Media(b"e" * 65536, content_type="image/jpeg", chunked=True, endless=True)
    api.media["GOOD"] = Media(b"GOOD-BYTES", content_type="image/jpeg", chunked=True)
    stack = app_stack(stack_factory, tmp_path, api, download_route(reporter(tmp_path)), server=f"max_media_bytes = {limit}")
    target, body = delivery(image_message("ENDLESS", "7100000000000000060"))
    assert content(decrypted(stack.post(target, body))) == "media failed"
    assert not (tmp_path / "runs").exists()
    assert stack.responder.log().count(f"media larger than max_media_bytes ({limit} bytes)") == 1
    # The old URLSession download read about 1 GB here; socket buffers allow a few MiB beyond the limit.
    wait_until(lambda: "ENDLESS" in api.written, what="the mock to write")
    assert limit < api.written["ENDLESS"] < 10 * limit
    target, body = delivery(image_message("GOOD", "7100000000000000061"), nonce="778")
    got = fields(content(decrypted(stack.post(target, body), nonce="778")))
    assert got["sha"] == hashlib.sha256(b"GOOD-BYTES").hexdigest()


def test_an_endless_chunked_bot_media_url_is_cut_at_max_media_bytes(stack_factory, tmp_path, api):
    """F1 through an AI bot's image URL."""
    limit = 4 * 1024 * 1024
    api.files["/bot-media/endless"] = Media(b"\x00" * 65536, chunked=True, endless=True)
    stack = bot_stack(stack_factory, tmp_path, bot_reporter(tmp_path), server=f"max_media_bytes = {limit}")
    got = bot_final_content(stack, bc.message("image", {"url": api.base + "/bot-media/endless"}, msgid="media-7"))
    assert got == "media failed"
    assert stack.responder.log().count(f"media larger than max_media_bytes ({limit} bytes)") == 1
    assert limit < api.written["/bot-media/endless"] < 10 * limit


def test_a_stalled_gettoken_gives_on_error_within_the_reply_budget(stack_factory, tmp_path, api):
    """F2: the token wait ends at the route's timeout_ms (1.5 s), not after the client's own 5 s + 2 s:
    the POST's reply (budget 4 s) is the on_error text, not an empty 200."""
    api.token_delay = 20.0
    api.media["MEDIA-3"] = Media(b"\xff\xd8\xff\xe0 jpeg-ish", content_type="image/jpeg")
    stack = app_stack(stack_factory, tmp_path, api, download_route(reporter(tmp_path), timeout_ms=1500))
    target, body = delivery(image_message("MEDIA-3", "7100000000000000070"))
    assert content(decrypted(stack.post(target, body))) == "media failed"
    log = stack.responder.log()
    assert log.count("WeCom media API: no access token: not had within the route's timeout_ms") == 1, log
    assert api.media_requests == [] and not (tmp_path / "runs").exists()


def test_sigterm_during_a_stalled_download_removes_the_users_media(stack_factory, tmp_path, api):
    """F3: shutdown cancels the transfer, so the run's private directories are gone when the server exits."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    api.media["STALL"] = Media(b"s" * 1000, content_type="image/jpeg", delay=60)
    stack = app_stack(stack_factory, tmp_path, api, download_route(reporter(tmp_path), timeout_ms=30000),
                      server="reply_budget_ms = 100", env={"TMPDIR": str(tmpdir)})
    target, body = delivery(image_message("STALL", "7100000000000000080"))
    assert stack.post(target, body).status == 200
    wait_until(lambda: api.media_requests == ["STALL"], what="the download to start")
    assert sorted(p.name.split("-")[1] for p in tmpdir.iterdir()) == ["media", "out"]
    stack.responder.signal(signal.SIGTERM)
    assert stack.responder.wait(timeout=30) == 0
    assert list(tmpdir.iterdir()) == []
    log = stack.responder.log()
    assert log.count("media transfer cancelled: the server is shutting down") == 1, log
    assert not (tmp_path / "runs").exists()


def test_sigterm_during_a_stalled_upload_removes_the_programs_file(stack_factory, tmp_path, api):
    """F3 for media/upload: the mock holds its answer; shutdown ends the upload and WECOM_OUTPUT_DIR goes."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    api.upload_delay = 60
    (tmp_path / "made.png").write_bytes(png())
    program = script(tmp_path / "answer.sh", f"""\
        cat >/dev/null
        cp '{tmp_path / "made.png"}' "$WECOM_OUTPUT_DIR/out.png"
        printf '{{"MsgType":"image","File":"out.png"}}'
        """)
    stack = app_stack(stack_factory, tmp_path, api, f"""
        [[app.route]]
        action = "exec"
        command = ["{program}"]
        timeout_ms = 30000
        on_error = "upload failed"
        """, server="reply_budget_ms = 100", env={"TMPDIR": str(tmpdir)})
    target, body = delivery(text_message("mirror", "7100000000000000085"))
    assert stack.post(target, body).status == 200
    wait_until(lambda: len(api.uploads) == 1, what="the upload to arrive")
    assert [p.name.split("-")[1] for p in tmpdir.iterdir()] == ["out"]
    stack.responder.signal(signal.SIGTERM)
    assert stack.responder.wait(timeout=30) == 0
    assert list(tmpdir.iterdir()) == []
    assert stack.responder.log().count("media transfer cancelled: the server is shutting down") == 1


def test_a_non_ascii_file_name_keeps_its_extension(stack_factory, tmp_path, api):
    """L3: filename="照片.heic" (bytes nobody sniffs) is stored as media.heic, not as "heic"."""
    api.media["MEDIA-4"] = Media(b"heic-ish bytes", content_type="image/heic", filename="照片.heic")
    stack = app_stack(stack_factory, tmp_path, api, download_route(reporter(tmp_path)))
    target, body = delivery(image_message("MEDIA-4", "7100000000000000090"))
    got = fields(content(decrypted(stack.post(target, body))))
    assert got["path"].endswith("/media.heic") and got["type"] == "image/heic"
