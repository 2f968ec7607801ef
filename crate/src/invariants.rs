//! (in progress)
/// x
pub struct ViolationKind;
