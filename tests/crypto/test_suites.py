"""Published test vectors for both suites, and the suite API."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shoumi.crypto.errors import DecryptionError, UnknownSuiteError
from shoumi.crypto.suites import (
    AES_256_GCM,
    NONCE_SIZE,
    SM4_GCM,
    SUITES,
    TAG_SIZE,
    get_suite,
    suite_for_code,
)

# NIST CAVP gcmEncryptExtIV256.rsp, [Keylen = 256] [IVlen = 96] [Taglen = 128]:
# (section and count, key, iv, aad, plaintext, ciphertext, tag).
NIST_GCM_ENCRYPT_256 = [
    (
        "PTlen=0 AADlen=128 Count=0",
        "78dc4e0aaf52d935c3c01eea57428f00ca1fd475f5da86a49c8dd73d68c8e223",
        "d79cf22d504cc793c3fb6c8a",
        "b96baa8c1c75a671bfb2d08d06be5f36",
        "",
        "",
        "3e5d486aa2e30b22e040b85723a06e76",
    ),
    (
        "PTlen=0 AADlen=128 Count=1",
        "4457ff33683cca6ca493878bdc00373893a9763412eef8cddb54f91318e0da88",
        "699d1f29d7b8c55300bb1fd2",
        "6749daeea367d0e9809e2dc2f309e6e3",
        "",
        "",
        "d60c74d2517fde4a74e0cd4709ed43a9",
    ),
    (
        "PTlen=128 AADlen=0 Count=0",
        "31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22",
        "0d18e06c7c725ac9e362e1ce",
        "",
        "2db5168e932556f8089a0622981d017d",
        "fa4362189661d163fcd6a56d8bf0405a",
        "d636ac1bbedd5cc3ee727dc2ab4a9489",
    ),
    (
        "PTlen=128 AADlen=128 Count=0",
        "92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b",
        "ac93a1a6145299bde902f21a",
        "1e0889016f67601c8ebea4943bc23ad6",
        "2d71bcfa914e4ac045b2aa60955fad24",
        "8995ae2e6df3dbf96fac7b7137bae67f",
        "eca5aa77d51d4a0a14d9c51e1da474ab",
    ),
    (
        "PTlen=128 AADlen=128 Count=1",
        "7da3bccaffb3464178ca7c722379836db50ce0bfb47640b9572163865332e486",
        "c04fd2e701c3dc62b68738b3",
        "fec0311013202e4ffdc4204926ae0ddf",
        "fd671cab1ee21f0df6bb610bf94f0e69",
        "6be61b17b7f7d494a7cdf270562f37ba",
        "5e702a38323fe1160b780d17adad3e96",
    ),
    (
        "PTlen=128 AADlen=128 Count=2",
        "a359b9584beec189527f8842dda6b6d4c6a5db2f889635715fa3bcd7967c0a71",
        "8616c4cde11b34a944caba32",
        "e1796fca20cb3d3ab0ade69b2a18891e",
        "33a46b7539d64c6e1bdb91ba221e3007",
        "b0d316e95f3f3390ba10d0274965c62b",
        "aeaedcf8a012cc32ef25a62790e9334c",
    ),
    (
        "PTlen=128 AADlen=128 Count=3",
        "8c83238e7b3b58278200b54940d779d0a0750673aab0bf2f5808dd15dc1a8c49",
        "70f8f4ebe408f61a35077956",
        "e1cbf83924f1b8d1014b97db56c25a15",
        "6e57f8572dd5b2247410f0d4c7424186",
        "4a11acb9611251df01f79f16f8201ffb",
        "9732be4ad0569586753d90fabb06f62c",
    ),
]

# NIST CAVP gcmDecrypt256.rsp [PTlen = 128] [AADlen = 128]: entries whose result is FAIL.
NIST_GCM_DECRYPT_FAIL_256 = [
    (
        "Count=2",
        "9a0343f850a6427120f764789ffec6d237447b898fbf51d2182f065d3861497d",
        "3deef6f453dd70d92143adcd",
        "dbb8226a624520863db6897017b2a4f8",
        "e93165935ac18e3a2845d15fe31a9286",
        "f5fc50d18766bc3d9e16dd136d45816b",
    ),
    (
        "Count=4",
        "2a765ceac97265c15209eea90bea85cd9586b972160502ff592a306dc017e6b9",
        "62c545d9d4e3c7acb66b4bf1",
        "7d12474e23dc233bc6312d4d5b2deee4",
        "ae0594a7b66d3a958e4e6212d3288f91",
        "ec9aa846d185cc0f43d392240cd6e2c4",
    ),
]

# RFC 8998 appendix A.1, SM4-GCM.
RFC8998_SM4_GCM = {
    "key": "0123456789ABCDEFFEDCBA9876543210",
    "iv": "00001234567800000000ABCD",
    "aad": "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2",
    "plaintext": (
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    ),
    "ciphertext": (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    ),
    "tag": "83DE3541E4C2B58177E065A9BF7B62EC",
}

# RFC 4231 section 4: (test case, key, data, HMAC-SHA-256). Case 5 is truncated to 128 bits.
RFC4231_HMAC_SHA256 = [
    (
        1,
        b"\x0b" * 20,
        b"Hi There",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ),
    (
        2,
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        3,
        b"\xaa" * 20,
        b"\xdd" * 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        4,
        bytes(range(1, 26)),
        b"\xcd" * 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
    (5, b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (
        6,
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        7,
        b"\xaa" * 131,
        b"This is a test using a larger than block-size key and a larger than block-size "
        b"data. The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
]

# GB/T 32907-2016 examples 1 and 2: key = plaintext, encrypted once and 1,000,000 times.
SM4_EXAMPLE_KEY = "0123456789abcdeffedcba9876543210"
SM4_EXAMPLE_1 = "681edf34d206965e86b3e94f536e4246"
SM4_EXAMPLE_2 = "595298c7c6fd271f0402f804c33d3f66"

# GB/T 32905-2016 examples: "abc" and the 64-byte "abcd" * 16.
SM3_EXAMPLES = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]


@pytest.mark.parametrize(
    ("label", "key", "iv", "aad", "plaintext", "ciphertext", "tag"), NIST_GCM_ENCRYPT_256
)
def test_aes_gcm_nist_encrypt_vectors(label, key, iv, aad, plaintext, ciphertext, tag):
    aead = AES_256_GCM.new_aead(bytes.fromhex(key))

    sealed = aead.encrypt(bytes.fromhex(iv), bytes.fromhex(plaintext), bytes.fromhex(aad))

    assert sealed[:-TAG_SIZE].hex() == ciphertext, label
    assert sealed[-TAG_SIZE:].hex() == tag, label
    assert aead.decrypt(bytes.fromhex(iv), sealed, bytes.fromhex(aad)).hex() == plaintext


@pytest.mark.parametrize(
    ("label", "key", "iv", "aad", "ciphertext", "tag"), NIST_GCM_DECRYPT_FAIL_256
)
def test_aes_gcm_nist_fail_vectors_raise(label, key, iv, aad, ciphertext, tag):
    aead = AES_256_GCM.new_aead(bytes.fromhex(key))

    with pytest.raises(DecryptionError):
        aead.decrypt(bytes.fromhex(iv), bytes.fromhex(ciphertext + tag), bytes.fromhex(aad))


def test_aes_gcm_nist_vector_rejects_changed_aad():
    _, key, iv, aad, _, ciphertext, tag = NIST_GCM_ENCRYPT_256[3]
    aead = AES_256_GCM.new_aead(bytes.fromhex(key))
    changed_aad = bytearray(bytes.fromhex(aad))
    changed_aad[0] ^= 1

    with pytest.raises(DecryptionError):
        aead.decrypt(bytes.fromhex(iv), bytes.fromhex(ciphertext + tag), bytes(changed_aad))


def test_sm4_gcm_rfc8998_vector():
    vector = {name: bytes.fromhex(value) for name, value in RFC8998_SM4_GCM.items()}
    aead = SM4_GCM.new_aead(vector["key"])

    sealed = aead.encrypt(vector["iv"], vector["plaintext"], vector["aad"])

    assert sealed[:-TAG_SIZE] == vector["ciphertext"]
    assert sealed[-TAG_SIZE:] == vector["tag"]
    assert aead.decrypt(vector["iv"], sealed, vector["aad"]) == vector["plaintext"]


@pytest.mark.parametrize("index", [0, 40, 63, 64, 79])
def test_sm4_gcm_rfc8998_vector_rejects_flipped_byte(index):
    vector = {name: bytes.fromhex(value) for name, value in RFC8998_SM4_GCM.items()}
    sealed = bytearray(vector["ciphertext"] + vector["tag"])
    sealed[index] ^= 0x01

    with pytest.raises(DecryptionError):
        SM4_GCM.new_aead(vector["key"]).decrypt(vector["iv"], bytes(sealed), vector["aad"])


def test_sm4_gcm_rfc8998_vector_rejects_changed_aad():
    vector = {name: bytes.fromhex(value) for name, value in RFC8998_SM4_GCM.items()}

    with pytest.raises(DecryptionError):
        SM4_GCM.new_aead(vector["key"]).decrypt(
            vector["iv"], vector["ciphertext"] + vector["tag"], vector["aad"] + b"x"
        )


def test_sm4_block_gbt32907_example_1():
    key = bytes.fromhex(SM4_EXAMPLE_KEY)
    # The standard's examples encrypt single blocks, so ECB is the mode to check.
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305

    assert encryptor.update(key).hex() == SM4_EXAMPLE_1


def test_sm4_block_gbt32907_example_2_million_rounds():
    key = bytes.fromhex(SM4_EXAMPLE_KEY)
    # The standard's examples encrypt single blocks, so ECB is the mode to check.
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305
    block = key

    for _ in range(1_000_000):
        block = encryptor.update(block)

    assert block.hex() == SM4_EXAMPLE_2


@pytest.mark.parametrize(("message", "expected"), SM3_EXAMPLES)
def test_sm3_gbt32905_examples(message, expected):
    digest = hashes.Hash(SM4_GCM.hash_algorithm())
    digest.update(message)

    assert digest.finalize().hex() == expected


@pytest.mark.parametrize(("case", "key", "data", "expected"), RFC4231_HMAC_SHA256)
def test_hmac_sha256_rfc4231_vectors(case, key, data, expected):
    mac = AES_256_GCM.hmac(key, data)

    assert mac.hex()[: len(expected)] == expected, f"RFC 4231 test case {case}"


def test_hmac_sm3_matches_rfc2104_construction():
    # GB/T 32905 publishes no HMAC-SM3 vector, so this checks HMAC's definition instead
    # (RFC 2104, 64-byte block) over the SM3 hash verified by the vectors above.
    key = bytes(range(1, 41))
    message = "统一社会信用代码".encode()

    def sm3(data: bytes) -> bytes:
        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return digest.finalize()

    padded = key.ljust(64, b"\x00")
    inner = sm3(bytes(b ^ 0x36 for b in padded) + message)
    expected = sm3(bytes(b ^ 0x5C for b in padded) + inner)

    assert SM4_GCM.hmac(key, message) == expected


def test_hkdf_sha256_rfc5869_case_3():
    # RFC 5869 test case 3: empty salt and info, which is what derive_key uses as salt.
    derived = AES_256_GCM.derive_key(b"\x0b" * 22, info=b"", length=42)

    assert derived.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


def test_hkdf_returns_bytearray_for_zeroising():
    derived = SM4_GCM.derive_key(b"k" * 32, info=b"field", length=16)

    assert isinstance(derived, bytearray)
    assert len(derived) == 16


@pytest.mark.parametrize("suite", list(SUITES.values()), ids=list(SUITES))
def test_suite_encrypt_round_trip_with_random_nonce(suite):
    key = bytes(range(suite.key_size))

    first = suite.encrypt(key, b"13800138000", b"context")
    second = suite.encrypt(key, b"13800138000", b"context")

    assert first[:NONCE_SIZE] != second[:NONCE_SIZE]
    assert len(first) == NONCE_SIZE + len(b"13800138000") + TAG_SIZE
    assert suite.decrypt(key, first, b"context") == b"13800138000"


@pytest.mark.parametrize("suite", list(SUITES.values()), ids=list(SUITES))
def test_suite_decrypt_rejects_short_input(suite):
    key = bytes(suite.key_size)

    with pytest.raises(DecryptionError):
        suite.decrypt(key, b"\x00" * (NONCE_SIZE + TAG_SIZE - 1), b"")


@pytest.mark.parametrize("suite", list(SUITES.values()), ids=list(SUITES))
def test_suite_rejects_wrong_key_size(suite):
    with pytest.raises(ValueError, match=f"{suite.key_size}-byte key"):
        suite.new_aead(bytes(suite.key_size + 1))


def test_get_suite_unknown_name_lists_choices():
    with pytest.raises(UnknownSuiteError) as error:
        get_suite("aes-128-cbc")

    assert error.value.code == "suite_unknown"
    assert "aes-256-gcm, sm4-gcm" in error.value.message


def test_suite_for_unknown_code_is_opaque():
    with pytest.raises(DecryptionError):
        suite_for_code(99)


def test_hashlib_sm3_agrees_when_available():
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this OpenSSL build exposes no SM3 to hashlib")

    assert hashlib.new("sm3", b"abc").hexdigest() == SM3_EXAMPLES[0][1]
