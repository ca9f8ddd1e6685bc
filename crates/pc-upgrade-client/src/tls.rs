//! The TLS crypto provider, chosen by cargo features: `aws-lc-rs` (the default, rustls' own)
//! or `ring` (a much shorter build, no aws-lc-sys).

/// Makes sure rustls has a crypto provider before a reqwest client is built. With the
/// `aws-lc-rs` feature, reqwest brings its own; with `ring` alone, ring is installed as the
/// process-wide default unless the application installed one already.
pub(crate) fn ensure_provider() {
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Another thread may install one at the same moment; either is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    }
}
