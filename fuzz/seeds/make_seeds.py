#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/seeds/<target>/: realistic inputs, valid and each wrong in one way, that start
the fuzzer past the parsers' first checks. The values match fuzz_targets/common/mod.rs. Re-run after editing:

    python3 fuzz/seeds/make_seeds.py
"""

import base64
import json
import pathlib
from urllib.parse import quote

ISSUER = "https://id.example"
CLIENT_ID = "spa"
NOW = 1_700_000_000
STATE = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
NONCE = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"
CODE = "9b1d4a3e-54c1-4d2a-9e0f-1c2b3a4d5e6f.7a8b9c0d-1e2f-3a4b-5c6d-7e8f9a0b1c2d.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

HERE = pathlib.Path(__file__).resolve().parent


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(header: dict, claims: dict, signature: bytes = b"\x01" * 256) -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)]
    )


def parts(header: dict, claims: dict, signature: bytes = b"\x01" * 256) -> str:
    """The target's second reading: `header\\nclaims\\nsignature`, which it base64url-encodes itself."""
    return "\n".join([json.dumps(header), json.dumps(claims), signature.decode("latin-1")])


def claims(**changes):
    value = {
        "iss": ISSUER,
        "sub": "f:3c6a:ada",
        "aud": CLIENT_ID,
        "exp": NOW + 300,
        "iat": NOW - 5,
        "auth_time": NOW - 10,
        "nonce": NONCE,
        "name": "Ada Lovelace",
        "preferred_username": "ada",
        "email": "ada@example.com",
        "email_verified": True,
        "sid": "5e3c",
    }
    for claim, new in changes.items():
        if new is None:
            value.pop(claim, None)
        else:
            value[claim] = new
    return value


ISS = quote(ISSUER, safe="")
CALLBACK = {
    "code_iss": f"code={CODE}&state={STATE}&iss={ISS}&session_state=5e3c",
    "code_no_iss": f"code={CODE}&state={STATE}",
    "code_wrong_iss": f"code={CODE}&state={STATE}&iss=https%3A%2F%2Fevil.example",
    "code_wrong_state": f"code={CODE}&state=AAAA&iss={ISS}",
    "code_no_state": f"code={CODE}&iss={ISS}",
    "duplicate_state": f"code={CODE}&state={STATE}&state={STATE}",
    "code_and_error": f"code={CODE}&error=access_denied&state={STATE}",
    "error": f"error=access_denied&error_description=User+%3Cb%3Esaid%3C%2Fb%3E+no&error_uri=https%3A%2F%2Fid.example%2Fe&state={STATE}&iss={ISS}",
    "error_script": "error=invalid_request&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "empty": "",
    "full_url": f"https://app.example/callback?code={CODE}&state={STATE}&iss={ISS}#top",
    "full_url_encoded": f"https://app.example/callback?code=a%20b%2Bc&state={STATE}&iss=https://id.example",
}

RS256 = {"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}
JWT = {
    "rs256": jwt(RS256, claims()),
    "es256_no_kid": jwt({"alg": "ES256", "typ": "JWT"}, claims(), b"\x02" * 64),
    "ps256": jwt({"alg": "PS256", "kid": "rsa-2"}, claims()),
    "eddsa": jwt({"alg": "EdDSA", "kid": "ed-1"}, claims(), b"\x03" * 64),
    "azp": jwt(RS256, claims(aud=[CLIENT_ID, "api"], azp=CLIENT_ID)),
    "aud_many_no_azp": jwt(RS256, claims(aud=[CLIENT_ID, "api"])),
    "aud_not_string": jwt(RS256, claims(aud=[CLIENT_ID, 7])),
    "float_dates": jwt(RS256, claims(exp=NOW + 300.5, iat=NOW - 4.25)),
    "expired": jwt(RS256, claims(exp=NOW - 3600)),
    "no_iat": jwt(RS256, claims(iat=None)),
    "no_nonce": jwt(RS256, claims(nonce=None)),
    "no_sub": jwt(RS256, claims(sub=None)),
    "wrong_iss": jwt(RS256, claims(iss="https://evil.example")),
    "alg_none": jwt({"alg": "none"}, claims(), b""),
    "hs256": jwt({"alg": "HS256"}, claims(), b"\x04" * 32),
    "crit": jwt({"alg": "RS256", "crit": ["b64"], "b64": False}, claims()),
    "jwe": "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d",
    "parts_rs256": parts(RS256, claims()),
    "parts_es256_azp": parts({"alg": "ES256"}, claims(aud=[CLIENT_ID, "api"], azp=CLIENT_ID), b"sig"),
    "parts_iat_future": parts(RS256, claims(iat=NOW + 3600, exp=1e30), b"sig"),
    "parts_wrong_nonce": parts(RS256, claims(nonce="AAAA"), b"sig"),
    # An unknown claim whose float serde_json moves by one ULP on a round trip (see jwt_decode.rs).
    "parts_big_float_claim": parts(RS256, claims(kkd=222222222222222222222222), b"sig"),
    "two_parts": b64(json.dumps(RS256).encode()) + "." + b64(json.dumps(claims()).encode()),
}

KEYCLOAK = {
    "issuer": ISSUER,
    "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
    "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
    "introspection_endpoint": f"{ISSUER}/protocol/openid-connect/token/introspect",
    "userinfo_endpoint": f"{ISSUER}/protocol/openid-connect/userinfo",
    "end_session_endpoint": f"{ISSUER}/protocol/openid-connect/logout",
    "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
    "grant_types_supported": ["authorization_code", "refresh_token"],
    "response_types_supported": ["code", "none", "id_token", "code id_token"],
    "subject_types_supported": ["public", "pairwise"],
    "id_token_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
    "scopes_supported": ["openid", "profile", "email", "offline_access"],
    "code_challenge_methods_supported": ["plain", "S256"],
    "revocation_endpoint": f"{ISSUER}/protocol/openid-connect/revoke",
    "authorization_response_iss_parameter_supported": True,
}
RSA_KEY = {
    "kid": "rsa-1",
    "kty": "RSA",
    "alg": "RS256",
    "use": "sig",
    "n": b64(b"\xc3" + b"\x5a" * 255),
    "e": "AQAB",
    "x5c": ["MIIC"],
    "x5t#S256": "abc",
}
EC_KEY = {
    "kid": "ec-1",
    "kty": "EC",
    "crv": "P-256",
    "use": "sig",
    "x": b64(b"\x11" * 32),
    "y": b64(b"\x22" * 32),
}
ENC_KEY = dict(RSA_KEY, kid="rsa-enc", use="enc", alg="RSA-OAEP")
OKP_KEY = {"kid": "ed-1", "kty": "OKP", "crv": "Ed25519", "x": b64(b"\x33" * 32), "key_ops": ["verify"]}
METADATA = {
    "discovery_keycloak": KEYCLOAK,
    "discovery_minimal": {k: KEYCLOAK[k] for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")},
    "discovery_wrong_issuer": dict(KEYCLOAK, issuer="https://id.example/"),
    "discovery_no_s256": dict(KEYCLOAK, code_challenge_methods_supported=["plain"]),
    "discovery_http": dict(KEYCLOAK, token_endpoint="http://id.example/token"),
    "jwks": {"keys": [RSA_KEY, EC_KEY, ENC_KEY, OKP_KEY]},
    "jwks_single": {"keys": [EC_KEY]},
    "jwks_odd_keys": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}, {"kid": 5}, "x", RSA_KEY]},
    "jwks_with_header": {"keys": [RSA_KEY, EC_KEY], "alg": "RS256", "kid": "rsa-1"},
    "jwks_with_unknown_kid": {"keys": [RSA_KEY], "alg": "RS256", "kid": "rotated"},
    "config": {"issuer": ISSUER, "client_id": CLIENT_ID},
    "config_full": {
        "issuer": ISSUER,
        "client_id": CLIENT_ID,
        "scope": "profile email profile",
        "redirect_uri": "https://app.example/app/callback",
        "post_logout_redirect_uri": "https://app.example/app/",
        "leeway_seconds": 30,
    },
    "config_localhost": {"issuer": "http://localhost:9000/realms/demo", "client_id": CLIENT_ID, "redirect_uri": "http://127.0.0.1:8081/callback"},
}


def write(target: str, seeds: dict) -> None:
    directory = HERE / target
    directory.mkdir(exist_ok=True)
    for name, value in seeds.items():
        text = value if isinstance(value, str) else json.dumps(value, indent=2)
        (directory / name).write_bytes(text.encode("latin-1" if name.startswith("parts_") else "utf-8"))


write("callback_url", CALLBACK)
write("jwt_decode", JWT)
write("metadata", METADATA)
