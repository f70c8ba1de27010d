//! Reading an HTTP authentication challenge (`WWW-Authenticate`, RFC 9110 11.6.1): the one parameter a caller
//! asks for, of the one scheme it names. Bearer's (RFC 6750 3) and DPoP's (RFC 9449 7.1, 9) are read with it.

/// The value of `name` in the header's challenge for `scheme` (RFC 7235 4.1, RFC 9110 11.6.1 syntax), if any.
/// Scheme and parameter names compare case-insensitively (RFC 9110 11.1, 11.2).
pub fn challenge_param(header: &str, scheme: &str, name: &str) -> Option<String> {
    // The scheme of the challenge being read: parameters follow their scheme.
    let mut current: Option<String> = None;
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['=', ',', ' ', '\t']).unwrap_or(rest.len());
        let token = &rest[..end];
        let after = rest[end..].trim_start_matches([' ', '\t']);
        if let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start_matches([' ', '\t']);
            let (parsed, remaining) = match value.strip_prefix('"') {
                Some(quoted) => quoted_string(quoted)?,
                None => {
                    let end = value.find([',', ' ', '\t']).unwrap_or(value.len());
                    (value[..end].to_owned(), &value[end..])
                }
            };
            if current
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
                && token.eq_ignore_ascii_case(name)
            {
                return Some(parsed);
            }
            rest = remaining;
        } else {
            // A token not followed by `=` starts a new challenge.
            current = Some(token.to_owned());
            rest = after;
        }
    }
}

/// The content of a quoted-string whose opening quote is already consumed, and what follows its closing quote.
fn quoted_string(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}
