#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ (gitignored) from the committed fixtures.

Sources: credential set B's entries of Tests/WeComCallbackTests/Fixtures/vectors.json (requests,
plaintexts, the encrypted buffers of published and negative vectors), the message fixtures
Tests/WeComCallbackTests/Fixtures/messages/*.xml and the reply fixtures replies/*.xml.
The input formats are described at the top of each target's Swift file. Needs python3-cryptography
(Debian: python3-cryptography) only for the fuzz-decrypt frames; without it those seeds are skipped.
"""
import base64
import json
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "Tests" / "WeComCallbackTests" / "Fixtures"
OUT = ROOT / "fuzz" / "corpus"
TOKEN_B = "QDG6eK"

vectors = json.loads((FIXTURES / "vectors.json").read_text(encoding="utf-8"))
sets = vectors["credential_sets"]
key_b = bytes.fromhex(sets["B"]["aes_key_hex"])


def credentials(v):
    return v.get("credentials") or sets.get(v.get("credentials_ref"), {})


def entries():
    for section in ("published", "generated", "generated_compat", "negative"):
        for v in vectors[section]:
            if credentials(v).get("token") == TOKEN_B:
                yield v


def write(target, name, data: bytes):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def raw_frame(encrypt: str):
    """The AES-decrypted, still padded buffer of an Encrypt value (None if not decryptable)."""
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError:
        return None
    try:
        ct = base64.b64decode(encrypt, validate=True)
    except Exception:
        return None
    if not ct or len(ct) % 16:
        return None
    dec = Cipher(algorithms.AES(key_b), modes.CBC(key_b[:16])).decryptor()
    return dec.update(ct) + dec.finalize()


xml_docs = {p.stem: p.read_bytes() for p in sorted((FIXTURES / "messages").glob("*.xml"))}
xml_docs.update({"reply-" + p.stem: p.read_bytes() for p in sorted((FIXTURES / "replies").glob("*.xml"))})
n = {"pipeline": 0, "xml": 0, "decrypt": 0}
for v in entries():
    vid = v["id"]
    if "plaintext" in v and v["plaintext"].lstrip().startswith("<"):
        xml_docs[vid] = v["plaintext"].encode("utf-8")
    req = v.get("request", {})
    if req.get("body", "").startswith("<"):
        xml_docs[vid + "-envelope"] = req["body"].encode("utf-8")
    if "query" in req:
        raw = req.get("raw_query_string") or urllib.parse.urlencode(req["query"], quote_via=urllib.parse.quote, safe="")
        method = 0 if req.get("method") == "GET" or "echostr" in req["query"] else 1
        body = req.get("body", "").encode("utf-8")
        write("fuzz-pipeline", f"{vid}-raw", bytes([method]) + raw.encode() + b"\0" + body)
        if body:
            write("fuzz-pipeline", f"{vid}-signed", bytes([1 | 1 << 3]) + b"\0" + body)
    encrypt = req.get("encrypt") or req.get("query", {}).get("echostr")
    frame = raw_frame(encrypt) if encrypt else None
    if frame is not None:
        write("fuzz-decrypt", f"{vid}-raw", b"\0" + frame)
        pad = frame[-1]
        if 1 <= pad <= 32:
            write("fuzz-decrypt", f"{vid}-unpadded", b"\1" + frame[:-pad])

for name, doc in xml_docs.items():
    write("fuzz-xml", name, doc)
    write("fuzz-envelope", name, doc)
    write("fuzz-pipeline", f"{name}-plaintext", bytes([1 | 2 << 3]) + b"\0" + doc)
# A few frames made here: empty message, message only, wrong receiveid.
write("fuzz-decrypt", "empty-msg", b"\1" + b"R" * 16 + b"\0\0\0\0" + sets["B"]["receive_id"].encode())
write("fuzz-decrypt", "other-receiveid", b"\1" + b"R" * 16 + b"\0\0\0\2<>" + b"wx0000000000000000")

# fuzz-envelope: the shapes around the one-pass scan (repeated fields, CDATA split, entity, CR, comment).
for i, doc in enumerate([
    b"<xml><ToUserName>a</ToUserName><AgentID> 1 </AgentID><Encrypt>abc</Encrypt></xml>\n",
    b"  <xml>\n\t<Encrypt><![CDATA[x]]></Encrypt>\n<AgentId>2</AgentId></xml>",
    b"<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt><AgentID></AgentID><AgentId>3</AgentId></xml>",
    b"<xml><Encrypt><![CDATA[a]]]]><![CDATA[>]]></Encrypt><ToUserName>a&amp;b</ToUserName></xml>",
    b"<xml><Encrypt>a\r\nb</Encrypt><!-- c --><?p?></xml>",
]):
    write("fuzz-envelope", f"shape-{i}", doc)

for target in ("fuzz-pipeline", "fuzz-xml", "fuzz-decrypt", "fuzz-envelope"):
    count = len(list((OUT / target).iterdir())) if (OUT / target).exists() else 0
    print(f"make-corpus: {target}: {count} seeds in fuzz/corpus/{target}")
