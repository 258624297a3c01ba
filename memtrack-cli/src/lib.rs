//! `memtrack report`: reads a memtrack JSON log and tells what happened to memory and
//! which operation did it.

pub mod cli;
pub mod input;
pub mod model;
pub mod parse;
pub mod render;
pub mod run;
