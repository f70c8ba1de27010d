//! DPoP (RFC 9449) without the signing: the proof's JWS header and claims, `htu`, `ath`, the JWK thumbprint
//! (RFC 7638), the authorization request's `dpop_jkt`, `DPoP-Nonce` bookkeeping and the two nonce challenges.
//! Signing belongs to the browser layer (WebCrypto, with a non-extractable key): this module builds the bytes to
//! sign and assembles what comes back. Must not touch I/O, the clock, a randomness source or any browser API.
//!
//! One proof, for the browser layer:
//! 1. [`ProofClaims::new`] with the method, the URL, `now` and randomness; on a resource request
//!    [`ProofClaims::with_ath`] with [`ath`] of the SHA-256 of [`ath_input`]; then [`ProofClaims::with_nonce`] with
//!    [`Nonces::for_request`].
//! 2. [`signing_input`] with the key's [`ProofHeader`], ECDSA P-256 SHA-256 over its bytes, then [`proof`]: the
//!    value of the [`DPOP_HEADER`] request header.
//! 3. Every response: [`Nonces::remember`] its [`NONCE_HEADER`]. On [`is_token_nonce_challenge`] or
//!    [`is_resource_nonce_challenge`] with a new nonce, a fresh proof and one retry.
//! 4. A token response: `token_type` must be DPoP ([`TokenType::Dpop`](crate::sign_in::token::TokenType::Dpop)).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use thiserror::Error;
use url::Url;

use sha2::{Digest, Sha256};

use crate::secret::AccessToken;
use crate::sender::challenge::challenge_param;

/// The request header that carries a proof (RFC 9449 4.1).
pub const DPOP_HEADER: &str = "DPoP";
/// The response header a server hands out a nonce in (RFC 9449 8, 9). Cross-origin, the server must list it in
/// `Access-Control-Expose-Headers` for the app to read it (RFC 9449 8).
pub const NONCE_HEADER: &str = "DPoP-Nonce";
/// The `Authorization` scheme of a DPoP-bound access token (RFC 9449 7.1): `Authorization: DPoP <token>`.
pub const AUTHORIZATION_SCHEME: &str = "DPoP";
/// The `token_type` of a DPoP-bound access token (RFC 9449 5).
pub const TOKEN_TYPE: &str = "DPoP";
/// The only proof algorithm: ECDSA with P-256 and SHA-256 (RFC 7518 3.4), which WebCrypto signs with a
/// non-extractable key. The provider's `dpop_signing_alg_values_supported` must list it (RFC 9449 5.1).
pub const ALG: &str = "ES256";
/// The proof's explicit type (RFC 9449 4.2, RFC 8725 3.11).
pub const TYP: &str = "dpop+jwt";
/// The error (token endpoint, RFC 9449 8) and challenge error (resource server, RFC 9449 9) asking for a nonce.
pub const USE_DPOP_NONCE: &str = "use_dpop_nonce";
/// Random octets behind a `jti`: 128 bits, above the 96 that RFC 9449 4.2 asks for, in 22 base64url characters.
/// Less than the 32 of other secrets because it travels in every request and only has to be unique.
pub const JTI_OCTETS: usize = 16;

/// A SHA-256 digest: `ath` and the thumbprint are both one, base64url-encoded.
const SHA256_OCTETS: usize = 32;
/// RFC 7518 3.4: an ES256 signature is R || S, 32 octets each, which is exactly what WebCrypto's ECDSA `sign`
/// returns (not the DER that other APIs produce).
const ES256_SIGNATURE_OCTETS: usize = 64;
/// RFC 7518 6.2.1.2-3: a P-256 coordinate is "the full size of a coordinate for the curve", 32 octets.
const P256_COORDINATE_OCTETS: usize = 32;
/// The private members of every JWK key type (RFC 7518 6.2.2, 6.3.2, 6.4.1).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// One variant per failed check. None carries a token or a proof. The texts leave out the values that a user could
/// not act on (lengths, a scheme, a method): each costs formatting code in the first load.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DpopError {
    #[error("the DPoP public key is not a JSON object")]
    KeyNotJson,
    /// RFC 9449 4.2: the `jwk` "MUST NOT contain a private key". The pair is made non-extractable, so a private
    /// member here means the wrong thing was exported; it is never put in a header.
    #[error("the DPoP public key has the private member `{member}`")]
    PrivateMember { member: &'static str },
    #[error("the DPoP public key is not an EC P-256 key")]
    NotP256,
    #[error("the DPoP public key's `{member}` is not a base64url P-256 coordinate")]
    BadCoordinate { member: &'static str },
    /// `htu` is an HTTP target URI (RFC 9449 4.2, RFC 9110 7.1).
    #[error("a DPoP proof is for http or https URLs only")]
    NotHttp { scheme: String },
    /// `htm` is an HTTP method (RFC 9449 4.2), which is a token (RFC 9110 9.1).
    #[error("a DPoP proof's method (htm) is not an HTTP method")]
    BadMethod { method: String },
    #[error("a SHA-256 digest does not have 32 octets")]
    DigestLength { len: usize },
    #[error("an ES256 signature does not have 64 octets (R || S)")]
    SignatureLength { len: usize },
}

/// The public half of the app's P-256 key pair, with only the members a proof's `jwk` carries (RFC 7518 6.2.1):
/// `kty` EC, `crv` P-256, `x`, `y`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicJwk {
    x: String,
    y: String,
}

impl PublicJwk {
    /// From `JSON.stringify` of what WebCrypto's `exportKey("jwk", publicKey)` gives, e.g.
    /// `{"crv":"P-256","ext":true,"key_ops":["verify"],"kty":"EC","x":"…","y":"…"}`. Members besides these four
    /// are dropped; a private member refuses the key.
    ///
    /// ```
    /// use oidc_spa_core::dpop::PublicJwk;
    /// let exported = r#"{"kty":"EC","crv":"P-256","ext":true,"key_ops":["verify"],
    ///     "x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}"#;
    /// let jwk = PublicJwk::from_json(exported)?;
    /// assert_eq!(jwk.x(), "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs");
    /// # Ok::<(), oidc_spa_core::dpop::DpopError>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Self, DpopError> {
        let Ok(Value::Object(members)) = serde_json::from_str::<Value>(json) else {
            return Err(DpopError::KeyNotJson);
        };
        if let Some(member) = PRIVATE_MEMBERS
            .into_iter()
            .find(|member| members.contains_key(*member))
        {
            return Err(DpopError::PrivateMember { member });
        }
        let text = |name: &str| members.get(name).and_then(Value::as_str);
        if text("kty") != Some("EC") || text("crv") != Some("P-256") {
            return Err(DpopError::NotP256);
        }
        PublicJwk::new(text("x").unwrap_or_default(), text("y").unwrap_or_default())
    }

    /// From the two coordinates, base64url without padding (RFC 7518 6.2.1.2-3).
    pub fn new(x: &str, y: &str) -> Result<Self, DpopError> {
        for (member, value) in [("x", x), ("y", y)] {
            // The strict decoder refuses padding and non-canonical trailing bits, so the text is plain base64url:
            // no JSON escaping is ever needed for it below.
            let octets = URL_SAFE_NO_PAD.decode(value).unwrap_or_default();
            if octets.len() != P256_COORDINATE_OCTETS {
                return Err(DpopError::BadCoordinate { member });
            }
        }
        Ok(PublicJwk {
            x: x.to_owned(),
            y: y.to_owned(),
        })
    }

    pub fn x(&self) -> &str {
        &self.x
    }

    pub fn y(&self) -> &str {
        &self.y
    }
}

/// RFC 7638 3.2-3.3: the thumbprint's hash input for an EC key: the required members `crv`, `kty`, `x`, `y` in
/// lexicographic order, no whitespace. Hash its UTF-8 bytes with SHA-256 and pass the digest to [`thumbprint`].
///
/// ```
/// # use oidc_spa_core::dpop::{PublicJwk, thumbprint_input};
/// let jwk = PublicJwk::new("l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs", "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA")?;
/// assert_eq!(
///     thumbprint_input(&jwk),
///     r#"{"crv":"P-256","kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}"#
/// );
/// # Ok::<(), oidc_spa_core::dpop::DpopError>(())
/// ```
pub fn thumbprint_input(jwk: &PublicJwk) -> String {
    // x and y are checked base64url, so they need no escaping.
    format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk.x, jwk.y
    )
}

/// RFC 7638 3 with SHA-256, base64url: the `jkt` of RFC 9449 6.1 and the `dpop_jkt` of RFC 9449 10, from the
/// SHA-256 digest of [`thumbprint_input`].
pub fn thumbprint(digest: &[u8]) -> Result<String, DpopError> {
    sha256_base64url(digest)
}

/// RFC 9449 4.2: `ath` hashes "the ASCII encoding of the associated access token's value". Hash these bytes with
/// SHA-256 and pass the digest to [`ath`].
pub fn ath_input(access_token: &AccessToken) -> &[u8] {
    access_token.secret().as_bytes()
}

/// RFC 9449 4.2: `ath`, the base64url SHA-256 digest of [`ath_input`].
pub fn ath(digest: &[u8]) -> Result<String, DpopError> {
    sha256_base64url(digest)
}

/// [`thumbprint`] of `jwk`, hashed here: SHA-256 is in the app already (PKCE), and saves a WebCrypto round trip.
pub fn jkt(jwk: &PublicJwk) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input(jwk).as_bytes()))
}

/// [`ath`] of `access_token`, hashed here like [`jkt`].
pub fn ath_of(access_token: &AccessToken) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(ath_input(access_token)))
}

fn sha256_base64url(digest: &[u8]) -> Result<String, DpopError> {
    if digest.len() != SHA256_OCTETS {
        return Err(DpopError::DigestLength { len: digest.len() });
    }
    Ok(URL_SAFE_NO_PAD.encode(digest))
}

/// RFC 9449 4.2 `htu`: "The HTTP target URI (Section 7.1 of RFC 9110) of the request to which the JWT is attached,
/// without query and fragment parts": scheme, host and port, and path; the user info is not part of a target URI.
///
/// Normalization (RFC 9449 4.3 asks servers to compare after RFC 3986 6.2.2 and 6.2.3) is the one the browser
/// applies to the request it sends, because that request is what the server compares with: a lowercase scheme and
/// host, no default port, `/` for an empty path, dot segments removed. Percent-encodings stay as the
/// browser sends them: decoding `%7E` or upper-casing `%2f` would make `htu` differ from the request line at a server
/// that compares without normalizing, or with WHATWG URLs (as oidc-provider does).
///
/// ```
/// # use oidc_spa_core::dpop::htu;
/// let url = url::Url::parse("HTTPS://Server.Example.COM:443/a/../token?x=1#f").unwrap();
/// assert_eq!(htu(&url)?, "https://server.example.com/token");
/// # Ok::<(), oidc_spa_core::dpop::DpopError>(())
/// ```
pub fn htu(url: &Url) -> Result<String, DpopError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(DpopError::NotHttp {
            scheme: url.scheme().to_owned(),
        });
    }
    // An http(s) URL always has a tuple origin: `scheme://host[:port]`, the port only when not the default.
    Ok(format!(
        "{}{}",
        url.origin().ascii_serialization(),
        url.path()
    ))
}

/// The claims of one proof (RFC 9449 4.2), serialized in this order. Plain data: build it with
/// [`ProofClaims::new`], which checks `htm` and computes `htu` and `jti`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofClaims {
    /// Unique per proof (RFC 9449 4.2, 11.1): a retry gets a new one.
    pub jti: String,
    pub htm: String,
    pub htu: String,
    /// Unix seconds.
    pub iat: u64,
    /// On requests that carry an access token (RFC 9449 7); never on token requests.
    pub ath: Option<String>,
    /// The server's latest nonce, when it has sent one (RFC 9449 4.2, 8, 9).
    pub nonce: Option<DpopNonce>,
}

impl ProofClaims {
    /// Claims for a `method` request to `url` at `now`, with a `jti` of [`JTI_OCTETS`] octets from `random`.
    ///
    /// ```
    /// # use oidc_spa_core::dpop::ProofClaims;
    /// let url = url::Url::parse("https://id.example/token").unwrap();
    /// let claims = ProofClaims::new("POST", &url, 1_700_000_000, &mut |buf: &mut [u8]| buf.fill(0))?;
    /// assert_eq!((claims.htm.as_str(), claims.htu.as_str()), ("POST", "https://id.example/token"));
    /// assert_eq!(claims.jti, "AAAAAAAAAAAAAAAAAAAAAA");
    /// # Ok::<(), oidc_spa_core::dpop::DpopError>(())
    /// ```
    pub fn new(
        method: &str,
        url: &Url,
        now: u64,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Self, DpopError> {
        // RFC 9110 9.1: `method = token`, case-sensitive, so it is kept as given. An invalid one could never match
        // the request the server sees.
        if method.is_empty() || !method.bytes().all(is_tchar) {
            return Err(DpopError::BadMethod {
                method: method.to_owned(),
            });
        }
        let mut octets = [0u8; JTI_OCTETS];
        random(&mut octets);
        Ok(ProofClaims {
            jti: URL_SAFE_NO_PAD.encode(octets),
            htm: method.to_owned(),
            htu: htu(url)?,
            iat: now,
            ath: None,
            nonce: None,
        })
    }

    /// Adds `ath` (from [`ath`]): RFC 9449 7 requires it with every access token sent to a resource.
    pub fn with_ath(self, ath: String) -> Self {
        ProofClaims {
            ath: Some(ath),
            ..self
        }
    }

    /// Sets the nonce from [`Nonces::for_request`].
    pub fn with_nonce(self, nonce: Option<&DpopNonce>) -> Self {
        ProofClaims {
            nonce: nonce.cloned(),
            ..self
        }
    }

    fn to_json(&self) -> String {
        let mut json = format!(
            r#"{{"jti":{},"htm":{},"htu":{},"iat":{}"#,
            json_string(&self.jti),
            json_string(&self.htm),
            json_string(&self.htu),
            self.iat
        );
        if let Some(ath) = &self.ath {
            json.push_str(&format!(r#","ath":{}"#, json_string(ath)));
        }
        if let Some(nonce) = &self.nonce {
            json.push_str(&format!(r#","nonce":{}"#, json_string(nonce.as_str())));
        }
        json.push('}');
        json
    }
}

/// RFC 9110 5.6.2: `tchar`.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// A JSON string literal (RFC 8259 7). Writing the objects by hand keeps the member order of RFC 9449's figures
/// (serde_json's `Value` maps sort their keys) and cannot fail; escaping by hand keeps serde_json's serializer out
/// of the binary for strings that, in practice, never need it (URLs, base64url, methods, nonces).
fn json_string(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The JOSE header of every proof the key signs (RFC 9449 4.2): `typ` dpop+jwt, `alg` ES256 and the public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofHeader {
    jwk: PublicJwk,
}

impl ProofHeader {
    pub fn es256(jwk: PublicJwk) -> Self {
        ProofHeader { jwk }
    }

    pub fn jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    fn to_json(&self) -> String {
        format!(
            r#"{{"typ":{},"alg":{},"jwk":{{"kty":"EC","x":"{}","y":"{}","crv":"P-256"}}}}"#,
            json_string(TYP),
            json_string(ALG),
            self.jwk.x,
            self.jwk.y
        )
    }
}

/// `BASE64URL(header) || '.' || BASE64URL(claims)`, the bytes the signature covers (RFC 7515 5.1 steps 2-6).
/// Sign its UTF-8 bytes with ECDSA P-256 SHA-256 and pass both to [`proof`].
pub fn signing_input(header: &ProofHeader, claims: &ProofClaims) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_json()),
        URL_SAFE_NO_PAD.encode(claims.to_json())
    )
}

/// The compact JWS (RFC 7515 7.1) from [`signing_input`] and WebCrypto's signature.
pub fn proof(signing_input: String, signature: &[u8]) -> Result<DpopProof, DpopError> {
    if signature.len() != ES256_SIGNATURE_OCTETS {
        return Err(DpopError::SignatureLength {
            len: signature.len(),
        });
    }
    let mut jws = signing_input;
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
    Ok(DpopProof(jws))
}

/// A signed proof, the value of the [`DPOP_HEADER`] request header. Until its `iat` ages out, anyone holding it can
/// send it with the same method and URL, so `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct DpopProof(String);

impl DpopProof {
    /// The header value. Callers put it in the request, never in a log or an error message.
    pub fn header_value(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DpopProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopProof([redacted])")
    }
}

/// A `DPoP-Nonce` value: opaque to the client (RFC 9449 8), of the syntax `nonce = 1*NQCHAR` (RFC 9449 8.1), with
/// `NQCHAR = %x21 / %x23-5B / %x5D-7E` (RFC 6749 A): printable ASCII without space, `"` or `\`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DpopNonce(String);

impl DpopNonce {
    /// `None` for anything outside the syntax, including two `DPoP-Nonce` headers that fetch joined with ", "
    /// (RFC 9449 8: "there MUST NOT be more than one").
    pub fn parse(value: &str) -> Option<Self> {
        let nqchar = |b: u8| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E);
        (!value.is_empty() && value.bytes().all(nqchar)).then(|| DpopNonce(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a DPoP key is kept after its last use: a session ends at most a day after its last tokens arrived
/// ([`MAX_ACCESS_TOKEN_LIFETIME_SECONDS`](crate::lifecycle::session::MAX_ACCESS_TOKEN_LIFETIME_SECONDS), the renewal limit),
/// and a key is marked used whenever tokens are requested with it, so after this long no session can need it. The
/// hour on top covers a token request's own time and a clock set a little back.
pub const KEY_RETENTION_SECONDS: u64 =
    crate::lifecycle::session::MAX_ACCESS_TOKEN_LIFETIME_SECONDS + 60 * 60;

/// What start-up does with a kept DPoP key (a session restored with its tab, or a tab closed without signing out,
/// leaves one behind; browsers restore sessionStorage, so the key may still be wanted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUpkeep {
    /// Used within [`KEY_RETENTION_SECONDS`]: a session may still need it.
    Keep,
    /// Kept by a release that did not record the last use: marked used now, so it is deleted a retention time
    /// later unless a session uses it, rather than deleted under a session that might still be alive.
    Stamp,
    /// No session can need it any more.
    Delete,
}

/// The upkeep of a key last used at `used` (seconds since the epoch; `None` when not recorded), at `now`.
pub fn key_upkeep(used: Option<u64>, now: u64) -> KeyUpkeep {
    match used {
        None => KeyUpkeep::Stamp,
        Some(used) if now.saturating_sub(used) > KEY_RETENTION_SECONDS => KeyUpkeep::Delete,
        Some(_) => KeyUpkeep::Keep,
    }
}

/// Which server a nonce came from. RFC 9449 9: the authorization server's and the resource servers' nonces "should
/// not be confused with one another", even when they share an origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Server {
    Authorization,
    Resource,
}

/// The latest nonce of each server, by its origin (RFC 9449 8.2: the client uses a supplied nonce "until the
/// authorization server supplies a new nonce"; 9: "a nonce issued by any of them should be used only at the issuing
/// server"). Plain data for the auth layer to keep for the tab's lifetime.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nonces {
    /// A handful of servers at most: a list is smaller code than a map.
    latest: Vec<(Server, String, DpopNonce)>,
}

impl Nonces {
    /// The nonce to put in the next proof for `url` at `server`, if that server has sent one.
    pub fn for_request(&self, server: Server, url: &Url) -> Option<&DpopNonce> {
        let origin = origin(url)?;
        self.latest
            .iter()
            .find(|(at, from, _)| *at == server && *from == origin)
            .map(|(_, _, nonce)| nonce)
    }

    /// Keeps the [`NONCE_HEADER`] of any response from `url` (RFC 9449 8.2: a success may carry the next nonce, a
    /// challenge carries one). Returns whether the response brought a new nonce, one other than the server's
    /// latest (the one the request just carried): only then is a nonce challenge worth a retry, since the same
    /// nonce again would be refused again. A malformed one is ignored and the previous one stays, as do responses
    /// from URLs without an origin.
    pub fn remember(&mut self, server: Server, url: &Url, header: Option<&str>) -> bool {
        match (origin(url), header.and_then(DpopNonce::parse)) {
            (Some(origin), Some(nonce)) => {
                let held = self
                    .latest
                    .iter_mut()
                    .find(|(at, from, _)| *at == server && *from == origin);
                match held {
                    Some((_, _, held)) if *held == nonce => false,
                    Some((_, _, held)) => {
                        *held = nonce;
                        true
                    }
                    None => {
                        self.latest.push((server, origin, nonce));
                        true
                    }
                }
            }
            _ => false,
        }
    }
}

/// `None` for opaque origins (data:, blob:, file:), which would all serialize as "null" and share one entry.
fn origin(url: &Url) -> Option<String> {
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// RFC 9449 8: the authorization server asks for a nonce with "an HTTP 400 (Bad Request) error response per Section
/// 5.2 of RFC 6749 using use_dpop_nonce as the error code value". For the raw response of a token (or revocation)
/// request, so that the HTTP client can retry before the oauth2 crate sees the error.
pub fn is_token_nonce_challenge(status: u16, body: &[u8]) -> bool {
    // Read as a `Value`, the parser discovery and the key set already use: no parser of its own for one member.
    status == 400
        && serde_json::from_slice::<Value>(body)
            .is_ok_and(|body| body.get("error").and_then(Value::as_str) == Some(USE_DPOP_NONCE))
}

/// RFC 9449 9: a resource server asks for a nonce with "an HTTP 401 (Unauthorized) error code with an accompanying
/// WWW-Authenticate: DPoP value", whose `error` is `use_dpop_nonce` (RFC 9449 7.1). `www_authenticate` is that
/// header's value; the error of another scheme's challenge (Bearer) does not count.
pub fn is_resource_nonce_challenge(status: u16, www_authenticate: Option<&str>) -> bool {
    status == 401
        && www_authenticate.is_some_and(|header| {
            challenge_param(header, AUTHORIZATION_SCHEME, "error").as_deref()
                == Some(USE_DPOP_NONCE)
        })
}

#[cfg(test)]
mod tests;
