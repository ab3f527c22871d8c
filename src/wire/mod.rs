//! Protocol adapters: parse, authenticate, call the core, render. Never touch the store.

pub mod body;
pub mod mochat;
pub mod moltcities;
pub mod web;
