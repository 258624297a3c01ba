//! `memtrack report`: reads a memtrack JSON log and tells what happened to memory and
//! which operation did it.

pub mod parse;
pub mod input;
pub mod model;
pub mod render;
pub mod cli;
pub mod run;
