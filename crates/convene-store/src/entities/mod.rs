//! SeaORM entities: one module per table, private to the store. The layers
//! above see domain types, never these.

pub mod instance_fact;
pub mod organisation;
pub mod place;
