//! The knobs a script (or the UI, or the CLI) sets: kernel version, writeback policy, counter
//! variant, GUP-fast behaviour under fake-vma, and the small closed vocabularies the language
//! uses for filesystems and zones.
//!
//! Every enum here has one spelling, used by the parser, the printer, the trace, the JSON and the
//! UI: `name()` gives it and `from_name()` reads it.

use serde::{Deserialize, Serialize};

pub use crate::rules::KernelVersion;
use crate::SchemeKind;

macro_rules! names {
    ($(#[$meta:meta])* $ty:ident { $($(#[$vmeta:meta])* $var:ident = $name:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[allow(missing_docs)]
        pub enum $ty { $($(#[$vmeta])* $var),+ }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$var),+];
            /// The spelling used in scripts and output.
            pub fn name(self) -> &'static str {
                match self { $($ty::$var => $name),+ }
            }
            /// Reads a spelling.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($name => Some($ty::$var),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                $ty::from_name(&s).ok_or_else(|| {
                    <D::Error as ::serde::de::Error>::unknown_variant(&s, &[$($name),+])
                })
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}
pub(crate) use names;

names! {
    /// What writeback does with a page it knows is pinned (legacy cannot know).
    WritebackPolicy { None = "none", KeepDirty = "keep-dirty", Bounce = "bounce", Wait = "wait" }
}

names! {
    /// The refcount scheme's counter: GUP_PIN_COUNTING_BIAS in `_refcount`, or an exact count.
    CounterMode { Bias = "bias", Exact = "exact" }
}

names! {
    /// What GUP-fast does under fake-vma, which may not take the tree lock.
    GupFastMode { Fallback = "fallback", Preregistered = "preregistered" }
}

names! {
    /// Filesystems and their traits (`model.md` §State, domain §3.4).
    FsKind { Ext4 = "ext4", Xfs = "xfs", Btrfs = "btrfs", Tmpfs = "tmpfs", Dax = "dax" }
}

impl FsKind {
    /// Buffer heads attached at `page_mkwrite`; dirty without buffers is the ext4 BUG/WARN.
    pub fn needs_buffers(self) -> bool {
        matches!(self, FsKind::Ext4 | FsKind::Xfs)
    }
    /// Data must not change while under write-out (checksums).
    pub fn stable_writes(self) -> bool {
        matches!(self, FsKind::Btrfs)
    }
    /// `vma_needs_dirty_tracking`: write faults go through `page_mkwrite`.
    pub fn dirty_tracking(self) -> bool {
        !matches!(self, FsKind::Tmpfs)
    }
    /// Filesystem DAX: no page cache, the page is the storage block.
    pub fn dax(self) -> bool {
        matches!(self, FsKind::Dax)
    }
    /// Has a backing store whose contents can be checked for durability.
    pub fn has_disk(self) -> bool {
        !matches!(self, FsKind::Tmpfs)
    }
}

names! {
    /// Memory zones that matter to FOLL_LONGTERM.
    Zone { Normal = "normal", Movable = "movable", Cma = "cma" }
}

impl Zone {
    /// `is_longterm_pinnable_page` would say no.
    pub fn longterm_unpinnable(self) -> bool {
        !matches!(self, Zone::Normal)
    }
}

/// The settings a run uses. A script's own settings are applied over the defaults, then the
/// caller's overrides (UI toggle, CLI flags) over those.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Settings {
    /// Kernel release whose rules apply.
    pub era: KernelVersion,
    /// Writeback policy for pinned pages.
    pub writeback: WritebackPolicy,
    /// Counter variant of the refcount scheme.
    pub counter: CounterMode,
    /// GUP-fast under fake-vma.
    pub gup_fast: GupFastMode,
    /// Step budget (executed statements).
    pub steps: u64,
    /// The most `set steps=N` may ask for here: the runner's cap, or a front end's lower one.
    pub steps_cap: u64,
}

/// The runner's own cap on executed statements, whatever `set steps=` says.
pub const MAX_STEPS: u64 = 10_000_000;
/// The default step budget.
pub const DEFAULT_STEPS: u64 = 1_000_000;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            era: KernelVersion::Y2018,
            writeback: WritebackPolicy::None,
            counter: CounterMode::Bias,
            gup_fast: GupFastMode::Fallback,
            steps: DEFAULT_STEPS,
            steps_cap: MAX_STEPS,
        }
    }
}

/// Overrides from outside the script (UI, CLI). `None` keeps the script's value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Schemes to run; empty = the script's `scheme` (or all three where the caller wants).
    pub schemes: Vec<SchemeKind>,
    /// Kernel release.
    pub era: Option<KernelVersion>,
    /// Writeback policy.
    pub writeback: Option<WritebackPolicy>,
    /// Counter variant.
    pub counter: Option<CounterMode>,
    /// GUP-fast mode.
    pub gup_fast: Option<GupFastMode>,
    /// Cost table entries (name, picoseconds).
    pub costs: Vec<(String, crate::duration::Duration)>,
    /// A front end's own cap on executed statements per scheme (the playground keeps the tab
    /// responsive with one); `None` = the runner's cap.
    pub max_steps: Option<u64>,
}
