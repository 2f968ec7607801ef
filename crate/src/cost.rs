//! (in progress)
/// x
pub struct CostCounts;
/// x
pub struct CostTable;
/// x
pub struct Primitive;
