"""The AI bot vectors the Swift tests use (Fixtures/bot_vectors.json): reproducible from make_bot_vectors.py,
and accepted by a second implementation, wechatpy's PrpCrypto with receiveid ""."""
import json

from wechatpy.enterprise.crypto import PrpCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException

import make_bot_vectors
from bot_double import BotCrypto, CORP_ID

VECTORS = json.loads(make_bot_vectors.OUTPUT.read_text(encoding="utf-8"))


def test_committed_vectors_are_what_the_script_writes():
    assert make_bot_vectors.OUTPUT.read_text(encoding="utf-8") == make_bot_vectors.render()


def test_wechatpy_decrypts_every_request_vector_with_receiveid_empty():
    prp = PrpCrypto(BotCrypto().key)
    for vector in VECTORS["requests"]:
        assert prp.decrypt(vector["encrypt"], "") == vector["plaintext"]
        assert BotCrypto().sign(vector["timestamp"], vector["nonce"], vector["encrypt"]) == vector["msg_signature"]
    assert prp.decrypt(VECTORS["verification"]["echostr"], "") == VECTORS["verification"]["echostr_plaintext"]


def test_wechatpy_sees_the_corp_id_in_the_receiveid_vector():
    prp = PrpCrypto(BotCrypto().key)
    body = json.loads(next(r for r in VECTORS["replies"] if r.get("violation") == "receiveid")["body"])
    assert prp.decrypt(body["encrypt"], CORP_ID)
    try:
        prp.decrypt(body["encrypt"], "")
    except InvalidCorpIdException:
        pass
    else:
        raise AssertionError("a corp-id receiveid passed as empty")
