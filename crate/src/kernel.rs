//! (in progress)
/// x
pub struct Kernel;
