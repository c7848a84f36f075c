//! A small argument parser: `COMMAND POSITIONAL... [--flag VALUE]...`.
//! Hand-written because the grammar is tiny and the error messages matter.

use std::fmt;

#[derive(Debug, Default)]
pub struct Args {
    pub positional: Vec<String>,
    options: Vec<(String, String)>,
    switches: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ArgError {
    MissingValue(String),
    Unknown(String),
    Missing(&'static str),
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::MissingValue(flag) => write!(f, "{flag} needs a value"),
            ArgError::Unknown(flag) => write!(f, "unknown option {flag}"),
            ArgError::Missing(what) => write!(f, "missing {what}"),
        }
    }
}

impl Args {
    /// `with_value` lists flags that take a value, `switches` those that do not.
    pub fn parse(raw: &[String], with_value: &[&str], switches: &[&str]) -> Result<Args, ArgError> {
        let mut args = Args::default();
        let mut iter = raw.iter();
        while let Some(arg) = iter.next() {
            if let Some(flag) = arg.strip_prefix("--") {
                let (name, inline) = match flag.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (flag, None),
                };
                if with_value.contains(&name) {
                    let value = match inline {
                        Some(v) => v,
                        None => iter.next().cloned().ok_or_else(|| ArgError::MissingValue(arg.clone()))?,
                    };
                    args.options.push((name.to_string(), value));
                } else if switches.contains(&name) && inline.is_none() {
                    args.switches.push(name.to_string());
                } else {
                    return Err(ArgError::Unknown(arg.clone()));
                }
            } else {
                args.positional.push(arg.clone());
            }
        }
        Ok(args)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.options.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}
