//! In-process route tests: the router over a real SQLite store filled with the demo site.

mod api;
mod caching;
mod calendar;
mod markets;
mod newsletter;
mod newsroom;
mod pages;
mod s3;
mod search;
mod smtp;
mod support;
mod syndication;
mod webhooks;
mod wire;
