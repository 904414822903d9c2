//! `ptest review`'s logic, in the manner of `cargo insta review`: which differences of the
//! last `test` run can be decided ([`plan`]), the decisions taken one file at a time
//! ([`session`], pure), the terminal that shows them and reads keys ([`ui`]), and applying
//! the decisions as atomic swaps ([`apply`]).
//!
//! Decisions take effect at the end of the review (also after `q`); Ctrl-C, a hang-up or
//! SIGTERM while keys are read discards them all. Each test is then swapped whole (`suite::reference`), so a
//! test is never left half-promoted. It must not decide what may be accepted (that is
//! [`crate::bless`]'s) nor parse the command line.

pub mod apply;
pub mod plan;
pub mod session;
pub mod ui;

pub use apply::{TestApplied, apply};
pub use plan::{Plan, PlanError, TestReview, plan};
pub use session::{Action, Choice, Session};
