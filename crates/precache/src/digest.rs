//! The digests the worker checks downloads against, in the forms the web uses: Subresource Integrity strings
//! (`sha256-` and standard padded base64, W3C SRI) and lowercase hex for the cache version.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding, as Subresource Integrity expects.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_fips_180_example_and_openssl() {
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // `printf '<!doctype html>' | openssl dgst -sha256 -binary | base64`
        assert_eq!(base64(&sha256(b"<!doctype html>")), "/ibFnpGsjeaUslMdw73Bt/r0cdPX5OAIcK9g9fIol8s=");
    }
}
