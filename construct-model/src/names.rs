//! Names and descriptions the constructs build themselves from construct ids and paths,
//! made valid by construction. Ids may be long and hold any character but `/` and control
//! characters, while CloudFormation limits the strings they end up in (lengths, ASCII-only
//! descriptions, tag value characters). What a user writes is checked and rejected instead;
//! these helpers are for what a construct derives.
//!
//! A string that is already valid comes out unchanged, so short names stay as they were.

/// Hex digits of the hash that keeps two shortened strings apart.
const HASH_LEN: usize = 8;

/// Characters of an EC2 security group description or rule description.
pub const EC2_DESCRIPTION_CHARS: usize = 255;

/// Characters of an IAM role description.
pub const IAM_DESCRIPTION_CHARS: usize = 1000;

/// Characters of a tag value.
pub const TAG_VALUE_CHARS: usize = 256;

/// Characters of a CloudWatch alarm name.
pub const ALARM_NAME_CHARS: usize = 255;

/// `name` unchanged when it has at most `max` characters; otherwise its first characters,
/// `-` and 8 hex digits of a hash of the whole name, `max` characters in all (as aws-cdk's
/// `Names.uniqueResourceName` with `maxLength`): stable from one synth to the next, and two
/// long names that differ only after the cut stay different. `max` below 10 keeps the hash
/// only.
pub fn fit(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_owned();
    }
    let digest = format!("{:x}", md5::compute(name.as_bytes()));
    let hash = &digest[..HASH_LEN];
    let keep = max.saturating_sub(HASH_LEN + 1);
    if keep == 0 {
        return hash.chars().take(max).collect();
    }
    let head: String = name.chars().take(keep).collect();
    format!("{head}-{hash}")
}

/// `text` with every character `allowed` refuses replaced by `_`, fitted to `max` characters
/// (see [`fit`]).
fn restrict(text: &str, max: usize, allowed: impl Fn(char) -> bool) -> String {
    let kept: String = text
        .chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .collect();
    fit(&kept, max)
}

/// `text` in printable ASCII (every other character becomes `_`), at most `max` characters
/// (see [`fit`]): a description the strictest services accept (IAM's allows Latin-1 only,
/// Secrets Manager's and CloudWatch's take any text).
pub fn ascii_description(text: &str, max: usize) -> String {
    restrict(text, max, |c| c == ' ' || c.is_ascii_graphic())
}

/// `text` as an EC2 security group (or rule) description: only the characters EC2 accepts
/// (`a-zA-Z0-9`, space and `._-:/()#,@[]+=&;{}!$*`; others become `_`), at most 255.
pub fn ec2_description(text: &str) -> String {
    restrict(text, EC2_DESCRIPTION_CHARS, |c| {
        c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c)
    })
}

/// `text` as a tag value: letters, digits, spaces and `_.:/=+-@` (others become `_`), at
/// most 256 characters.
pub fn tag_value(text: &str) -> String {
    restrict(text, TAG_VALUE_CHARS, |c| {
        c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_valid_strings_come_out_unchanged() {
        assert_eq!(
            fit("prod-orders-dead-letters", 255),
            "prod-orders-dead-letters"
        );
        assert_eq!(
            ec2_description("Database prod/Data/Db"),
            "Database prod/Data/Db"
        );
        assert_eq!(
            ascii_description("Writes logs of a/b", 1000),
            "Writes logs of a/b"
        );
        assert_eq!(tag_value("prod/Network/Vpc"), "prod/Network/Vpc");
    }

    #[test]
    fn long_strings_are_cut_to_the_limit_with_a_stable_hash() {
        let long = "x".repeat(300);
        let a = fit(&format!("{long}a"), 255);
        let b = fit(&format!("{long}b"), 255);
        assert_eq!(a.chars().count(), 255);
        assert_ne!(a, b, "names differing after the cut stay distinct");
        assert_eq!(a, fit(&format!("{long}a"), 255), "stable");
        assert!(a.starts_with("xxxx"));
        assert_eq!(fit(&long, 5).len(), 5);
        assert_eq!(fit(&long, 0), "");
        // Counted in characters, not bytes.
        assert_eq!(fit(&"é".repeat(300), 32).chars().count(), 32);
    }

    #[test]
    fn descriptions_and_tag_values_keep_only_accepted_characters() {
        let d = ec2_description("Database prod/Données/Db \"x\" <y>");
        assert_eq!(d, "Database prod/Donn_es/Db _x_ _y_");
        assert!(ascii_description("Rôle ✓\ttab", 1000).is_ascii());
        assert_eq!(ascii_description("Rôle ✓", 1000), "R_le _");
        // Tag values take any letter, not just ASCII.
        assert_eq!(tag_value("prod/Données/a<b>"), "prod/Données/a_b_");
        assert_eq!(tag_value(&"a".repeat(400)).chars().count(), TAG_VALUE_CHARS);
        assert_eq!(
            ec2_description(&"é".repeat(400)).len(),
            EC2_DESCRIPTION_CHARS
        );
    }
}
