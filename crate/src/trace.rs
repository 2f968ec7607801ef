//! (in progress)
/// x
pub struct Step;
/// x
pub struct Trace;
