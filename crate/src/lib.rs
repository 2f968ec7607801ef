//! # mm-model: the pinlab model of Linux page pinning
//!
//! A deterministic, discrete-step simulation of the kernel bookkeeping that `get_user_pages()`
//! pins touch: `struct page` counters and flags, the page cache and its disk, the `i_mmap`
//! interval tree, process page tables, GUP handles, the device, the workqueue and the execution
//! context. Three pinning schemes run the same script side by side:
//!
//! | scheme | acquire | release | "is it pinned?" |
//! |---|---|---|---|
//! | `legacy` | `get_user_pages` (FOLL_GET) | `put_page` | cannot know |
//! | `refcount` | `pin_user_pages` (FOLL_PIN, bias 1024 or exact) | `unpin_user_pages` | `page_maybe_dma_pinned` |
//! | `fake-vma` | fake VMA in `i_mmap`, mapcount + 1 | fake release (deferred from IRQ) | mapcount > real mappings |
//!
//! Every statement is one step; each step records its result, the counter changes it caused,
//! the violations it raised and the costs it charged. The plain-text [`trace`] is the contract
//! that the CLI, the web export and the snapshot tests share.
//!
//! ```
//! let parse = mm_model::parse("mmap m anon pages=1 rw\nwrite m\ngup io m write\nput io\nexpect ok\n");
//! assert!(parse.diagnostics.is_empty());
//! let report = mm_model::run(&parse.script, &mm_model::Overrides::default());
//! assert!(report.passed());
//! ```

#![warn(missing_docs)]

pub mod cost;
pub mod deflate;
pub mod diagnostic;
mod duration;
pub mod exercise;
pub mod explore;
pub mod export;
pub mod invariants;
pub mod itree;
pub mod kernel;
pub mod kfuncs;
pub mod link;
pub mod rules;
pub mod run;
pub mod scheme;
pub mod script;
pub mod settings;
pub mod sweep;
pub mod trace;

pub use cost::{Category, CostCounts, CostTable, Primitive};
pub use diagnostic::{Diagnostic, Severity};
pub use invariants::ViolationKind;
pub use kernel::Kernel;
pub use run::{run, run_one, ExpectOutcome, Report};
pub use scheme::SchemeKind;
pub use script::{parse, Duration, Parse, Script};
pub use settings::{KernelVersion, Overrides, Settings};
pub use trace::{Step, Trace};

settings::names! {
    /// An operation's outcome: `ok`, an errno, or `fallback` (GUP-fast gave up and the slow
    /// path then succeeded). A result is data, not a script error.
    OpResult {
        /// Success.
        Ok = "ok",
        /// GUP-fast fell back to the slow path, which succeeded.
        Fallback = "fallback",
        /// Bad address / refused mapping (e.g. FOLL_LONGTERM write on a dirty-tracked file, 6.5).
        Efault = "EFAULT",
        /// Not supported (e.g. FOLL_LONGTERM on fsdax).
        Eopnotsupp = "EOPNOTSUPP",
        /// Try again (e.g. migration of a page with extra references).
        Eagain = "EAGAIN",
        /// Busy.
        Ebusy = "EBUSY",
        /// Out of memory / reference refused (overflow).
        Enomem = "ENOMEM",
        /// Invalid (e.g. an operation on a handle that holds nothing).
        Einval = "EINVAL",
    }
}
