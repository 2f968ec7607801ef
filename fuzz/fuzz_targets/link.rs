//! `link`: share links. The bytes are read three ways: as a (lossy UTF-8) fragment or URL; as
//! the compressed payload of a `#v1.` link, so the inflater sees arbitrary streams; and as the
//! link's text (header lines, an empty line, the script), compressed here, so the header reader
//! and the overrides it yields see scripts and settings. A link that decodes is re-encoded and
//! must decode to the same share. The codecs' own round trips hold too: base64url and DEFLATE
//! give back what they were given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mm_model::deflate;
use mm_model::link::{self, Share};

/// A decoded share: its accessors work, and its canonical link decodes to it again.
fn check(share: Share) {
    let _ = share.scheme_kind();
    let _ = share.overrides();
    let again = Share::from_fragment(&share.fragment());
    assert_eq!(
        again.as_ref(),
        Ok(&share),
        "a decoded link did not survive re-encoding"
    );
}

/// The fragment of a link whose compressed payload is `payload`.
fn fragment(payload: &[u8]) -> String {
    format!("v{}.{}", link::FORMAT, link::b64_encode(payload))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(share) = Share::from_fragment(&String::from_utf8_lossy(data)) {
        check(share);
    }

    let encoded = link::b64_encode(data);
    assert_eq!(
        link::b64_decode(&encoded).as_deref(),
        Some(data),
        "base64url round trip"
    );
    if let Ok(share) = Share::from_fragment(&fragment(data)) {
        check(share);
    }

    if data.len() <= deflate::MAX_OUT {
        let packed = deflate::deflate(data);
        assert_eq!(
            deflate::inflate(&packed).as_deref(),
            Ok(data),
            "DEFLATE round trip"
        );
        match Share::from_fragment(&fragment(&packed)) {
            Ok(share) => check(share),
            Err(e) => {
                let well_formed = std::str::from_utf8(data)
                    .is_ok_and(|t| t.starts_with('\n') || t.contains("\n\n"));
                assert!(!well_formed, "a well-formed link text did not decode: {e}");
            }
        }
    }
});
