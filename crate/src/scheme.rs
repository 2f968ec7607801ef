//! (in progress)
use crate::settings::names;
names! {
    /// The pinning scheme.
    SchemeKind { Legacy = "legacy", Refcount = "refcount", FakeVma = "fake-vma" }
}
