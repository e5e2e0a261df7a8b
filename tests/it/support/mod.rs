//! What the test modules share that is not a test: the MockV2 [`fixture`] with its builders, the
//! model-method signatures ([`methods`]), and the two descriptor sets ([`descriptors`]).

pub mod descriptors;
pub mod fixture;
pub mod methods;
