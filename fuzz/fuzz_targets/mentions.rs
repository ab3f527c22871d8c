//! Mention parsing: never panics; every name and id it reports is written in the text in
//! one of the documented forms, well-formed and reported once; `all` only when a
//! mention-all word is written.
#![no_main]

use agentgate::core::mentions::parse;
use libfuzzer_sys::fuzz_target;

const MENTION_ALL: [&str; 4] = ["all", "everyone", "channel", "here"];

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn unique(list: &[String]) -> bool {
    list.iter().enumerate().all(|(i, x)| !list[..i].contains(x))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let m = parse(&text);
    let ats = text.matches('@').count();

    assert!(m.names.len() + m.ids.len() <= ats);
    assert!(unique(&m.names) && unique(&m.ids));
    for name in &m.names {
        assert!(!name.is_empty() && name.chars().all(word_char));
        assert!(!name.ends_with('-'));
        assert!(!MENTION_ALL.contains(&name.to_ascii_lowercase().as_str()));
        assert!(text.contains(&format!("@{name}")));
    }
    for id in &m.ids {
        assert!(!id.is_empty() && id.chars().all(word_char));
        assert!(text.contains(&format!("<@{id}>")) || text.contains(&format!("@[{id}]")));
    }
    if m.all {
        let lower = text.to_ascii_lowercase();
        assert!(MENTION_ALL.iter().any(|w| lower.contains(&format!("@{w}"))));
    }
    if ats == 0 {
        assert_eq!(m, Default::default());
    }
});
