"""A mock of WeCom's server API on 127.0.0.1:<free port> (never the real host), shared by the tests:
gettoken, message/send, and the temporary media calls media/get and media/upload.

- gettoken: corpsecret "app-secret" gets the next of `stale_tokens` (tokens the other calls refuse with
  40014, as for a token revoked early), then TOKEN-1 (counted in `token_requests`), after `token_delay`
  seconds (so that concurrent refreshes overlap); anything else 40001.
- message/send: bodies recorded in `sent`; a token other than TOKEN-1 gets 40014.
- media/get: `media[media_id] = Media(...)` serves those bytes with a Content-Type and a
  Content-Disposition filename; per media a `delay` before the body, a `declared_length` other than the
  body's (a truncated answer), `length_header=False` (no Content-Length: read until close), or
  `chunked=True` (Transfer-Encoding: chunked; with `endless=True` the body is sent again and again until the
  client closes); the body bytes written per media_id are counted in `written`; an unknown media_id gets
  {"errcode":40007,"errmsg":"invalid media_id"}.
- media/upload: the raw request (query, Content-Type, body) recorded in `uploads`; answers
  media_id "MEDIA-UP-<n>", or `upload_error` (e.g. {"errcode": 40005, "errmsg": "invalid file type"}) when set,
  after `upload_delay` seconds.
- any other GET path in `files` (e.g. "/bot-media/a.png"): those bytes (an AI bot's encrypted media URL)."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Media:
    body: bytes
    content_type: str = "application/octet-stream"
    filename: str | None = None
    delay: float = 0.0
    declared_length: int | None = None
    length_header: bool = True
    chunked: bool = False
    endless: bool = False


@dataclass
class Upload:
    query: dict
    content_type: str
    body: bytes


class MockWeComAPI:
    def __init__(self, port: int = 0) -> None:
        api = self
        self.sent: list[dict] = []
        self.token_requests = 0
        self.token_delay = 0.0
        self.lock = threading.Lock()
        self.stale_tokens: list[str] = []
        self.media: dict[str, Media] = {}
        self.media_requests: list[str] = []
        self.files: dict[str, Media] = {}
        self.uploads: list[Upload] = []
        self.upload_error: dict | None = None
        self.written: dict[str, int] = {}
        self.upload_delay = 0.0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def reply(self, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def serve(self, media: Media, name: str) -> None:
                self.protocol_version = "HTTP/1.1" if media.chunked else self.protocol_version
                self.send_response(200)
                self.send_header("Content-Type", media.content_type)
                if media.filename:
                    # UTF-8 bytes as they are (http.server would refuse non-Latin-1 text).
                    self.send_header("Content-Disposition", f'attachment; filename="{media.filename}"'.encode().decode("latin-1"))
                if media.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                elif media.length_header:
                    length = media.declared_length if media.declared_length is not None else len(media.body)
                    self.send_header("Content-Length", str(length))
                self.send_header("Connection", "close")
                self.end_headers()
                if media.delay:
                    time.sleep(media.delay)
                def write(block: bytes) -> None:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block) if media.chunked else block)
                    self.wfile.flush()
                    with api.lock:
                        api.written[name] = api.written.get(name, 0) + len(block)
                try:
                    while True:
                        for start in range(0, len(media.body), 65536):
                            write(media.body[start:start + 65536])
                        if not media.endless or api.written[name] >= 1 << 31:
                            break
                    if media.chunked:
                        self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (over the limit): what the test wants
                self.close_connection = True

            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)
                if url.path == "/cgi-bin/gettoken":
                    if query.get("corpsecret") == ["app-secret"]:
                        with api.lock:
                            api.token_requests += 1
                            token = api.stale_tokens.pop(0) if api.stale_tokens else "TOKEN-1"
                        time.sleep(api.token_delay)
                        self.reply({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
                    else:
                        self.reply({"errcode": 40001, "errmsg": "invalid credential"})
                elif url.path == "/cgi-bin/media/get":
                    if query.get("access_token") != ["TOKEN-1"]:
                        self.reply({"errcode": 40014, "errmsg": "invalid access_token"})
                        return
                    media_id = query.get("media_id", [""])[0]
                    api.media_requests.append(media_id)
                    if media_id in api.media:
                        self.serve(api.media[media_id], media_id)
                    else:
                        self.reply({"errcode": 40007, "errmsg": "invalid media_id"})
                elif url.path in api.files:
                    self.serve(api.files[url.path], url.path)
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if query.get("access_token") != ["TOKEN-1"]:
                    self.reply({"errcode": 40014, "errmsg": "invalid access_token"})
                elif url.path == "/cgi-bin/message/send":
                    with api.lock:
                        api.sent.append(json.loads(raw))
                        msgid = "m%d" % len(api.sent)
                    self.reply({"errcode": 0, "errmsg": "ok", "msgid": msgid})
                elif url.path == "/cgi-bin/media/upload":
                    api.uploads.append(Upload(query=query, content_type=self.headers.get("Content-Type", ""), body=raw))
                    time.sleep(api.upload_delay)
                    if api.upload_error:
                        self.reply(api.upload_error)
                        return
                    self.reply({"errcode": 0, "errmsg": "", "type": query.get("type", [""])[0],
                                "media_id": "MEDIA-UP-%d" % len(api.uploads), "created_at": "1700000000"})
                else:
                    self.send_error(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    """Serves the mock by hand, for trying media without WeCom (README, "Media"):
    python3 Tests/Python/wecom_api_mock.py --port 8099 --media PHOTO=photo.jpg --save-uploads /tmp/uploads"""
    import argparse
    import mimetypes
    import pathlib

    parser = argparse.ArgumentParser(description=main.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--media", action="append", default=[], metavar="MEDIA_ID=FILE",
                        help="serve FILE through media/get as MEDIA_ID (repeatable)")
    parser.add_argument("--save-uploads", metavar="DIR", help="write each media/upload's file part into DIR")
    args = parser.parse_args()
    api = MockWeComAPI(args.port)
    for spec in args.media:
        media_id, _, file = spec.partition("=")
        path = pathlib.Path(file)
        api.media[media_id] = Media(path.read_bytes(), content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                                    filename=path.name)
    print(f"mock WeCom API on {api.base}: corp_secret \"app-secret\"; media {', '.join(api.media) or 'none'}", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            while seen < len(api.uploads):
                upload = api.uploads[seen]
                seen += 1
                print(f"media/upload type={upload.query.get('type', ['?'])[0]} {len(upload.body)} bytes -> MEDIA-UP-{seen}", flush=True)
                if args.save_uploads:
                    import email.parser
                    import email.policy
                    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                        b"Content-Type: " + upload.content_type.encode() + b"\r\n\r\n" + upload.body)
                    for part in message.iter_parts():
                        out = pathlib.Path(args.save_uploads) / f"MEDIA-UP-{seen}-{part.get_filename() or 'file'}"
                        out.parent.mkdir(parents=True, exist_ok=True)
                        out.write_bytes(part.get_payload(decode=True))
                        print(f"  saved {out}", flush=True)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
