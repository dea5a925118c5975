//! Validators the ECS pieces and patterns share: users, names, origins, image references,
//! health checks and scratch paths.

use crate::error::{Error, Result};

use super::container::ContainerHealthCheck;

/// Why `user` would run the container as root, if it would.
pub(crate) fn check_user(user: &str) -> std::result::Result<(), String> {
    if user.is_empty() {
        return Err("an empty user runs the image's default user, usually root".into());
    }
    if user.contains(char::is_whitespace) {
        return Err(format!("`{user}` contains whitespace"));
    }
    let is_root = |s: &str| s == "root" || s.parse::<u64>() == Ok(0);
    let (name, group) = match user.split_once(':') {
        Some((n, g)) => (n, Some(g)),
        None => (user, None),
    };
    if name.is_empty() || is_root(name) {
        return Err(format!("`{user}` runs the container as root"));
    }
    if let Some(g) = group {
        if g.is_empty() || is_root(g) {
            return Err(format!("`{user}` runs the container in the root group"));
        }
    }
    Ok(())
}

/// The fix every refused user gets.
pub(crate) const USER_FIX: &str =
    "run as a non-root numeric uid such as `10001` (or `10001:10001`)";

/// Why `origin` is not an exact `https://host[:port]` origin, if it is not.
pub(crate) fn check_origin(origin: &str) -> std::result::Result<(), &'static str> {
    if origin.contains('*') {
        return Err("is a wildcard; browsers would accept any site");
    }
    let Some(rest) = origin.strip_prefix("https://") else {
        return Err("is not an https origin");
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !host_ok {
        return Err("has no valid host name (or has a path, which origins never have)");
    }
    if let Some(p) = port {
        if !matches!(p.parse::<u16>(), Ok(n) if n > 0) || p.starts_with('0') {
            return Err("has an invalid port");
        }
    }
    Ok(())
}

pub(crate) fn is_image_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && !t.starts_with(['.', '-'])
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub(crate) fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// A container, volume or family name: 1 to 255 letters, digits, `-` and `_`.
pub(crate) fn is_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 255
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn is_env_name(n: &str) -> bool {
    !n.is_empty()
        && !n.starts_with(|c: char| c.is_ascii_digit())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a health check; `prefix` is prepended to the field names (`health_check.` or
/// `containers[1].health_check.`).
pub(crate) fn check_health_check(path: &str, prefix: &str, h: &ContainerHealthCheck) -> Result<()> {
    let kind = h.command.first().map(String::as_str);
    if !matches!(kind, Some("CMD") | Some("CMD-SHELL")) || h.command.len() < 2 {
        return Err(Error::invalid_props(
            path,
            format!("{prefix}command"),
            format!("{:?} is not a health check command", h.command),
            "start with `CMD` (then the program and its arguments) or `CMD-SHELL` (then one shell command)",
        ));
    }
    for (field, value, range) in [
        ("interval_seconds", h.interval_seconds, 5..=300),
        ("timeout_seconds", h.timeout_seconds, 2..=120),
        ("retries", h.retries, 1..=10),
        ("start_period_seconds", h.start_period_seconds, 0..=300),
    ] {
        if !range.contains(&value) {
            return Err(Error::invalid_props(
                path,
                format!("{prefix}{field}"),
                format!("{value} is outside {}..={}", range.start(), range.end()),
                "use a value ECS accepts",
            ));
        }
    }
    Ok(())
}

/// Checks writable scratch directories: absolute, below `/`, listed once.
pub(crate) fn check_scratch_paths(path_: &str, field: &str, paths: &[String]) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for path in paths {
        let ok = path.starts_with('/')
            && path.len() > 1
            && !path.split('/').any(|c| c == "..")
            && !path.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(Error::invalid_props(
                path_,
                field,
                format!("`{path}` is not an absolute directory below `/`"),
                "list absolute paths such as `/tmp`",
            ));
        }
        if seen.contains(&path.as_str()) {
            return Err(Error::invalid_props(
                path_,
                field,
                format!("`{path}` is listed twice"),
                "list each path once",
            ));
        }
        seen.push(path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_users_are_refused_in_every_spelling() {
        for user in [
            "",
            "root",
            "0",
            "0:0",
            "00",
            "root:root",
            "0:1000",
            " 10001",
            "10001:0",
            "10001:root",
            ":10001",
        ] {
            assert!(check_user(user).is_err(), "{user:?}");
        }
        for user in ["10001", "10001:10001", "app", "app:app", "1000"] {
            assert!(check_user(user).is_ok(), "{user:?}");
        }
    }

    #[test]
    fn only_exact_https_origins_pass() {
        for ok in [
            "https://app.example.com",
            "https://app.example.com:8443",
            "https://localhost",
        ] {
            assert!(check_origin(ok).is_ok(), "{ok}");
        }
        for bad in [
            "*",
            "https://*.example.com",
            "http://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "https://",
            "https://app.example.com:0",
            "https://app.example.com:99999",
            "https://user@app.example.com",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digests_tags_and_names_are_recognised() {
        assert!(is_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_digest("sha256:xyz"));
        assert!(is_image_tag("1.4.2") && is_image_tag("v1_2-rc.3"));
        assert!(!is_image_tag("-x") && !is_image_tag("a:b") && !is_image_tag(""));
        assert!(is_name("migration-api") && !is_name("a b") && !is_name(""));
        assert!(is_env_name("DB_HOST") && !is_env_name("1X") && !is_env_name("A-B"));
    }
}
