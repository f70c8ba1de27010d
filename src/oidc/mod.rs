//! Pure OpenID Connect protocol logic.
