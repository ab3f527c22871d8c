//! Finding mentions in message text: `@username`, `@[userId]`, `<@userId>`, and the
//! mention-all words `@all @everyone @channel @here`.

/// What a message text mentions, before resolving names to users.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mentions {
    /// Words written as `@word`, in order of first appearance, without duplicates.
    pub names: Vec<String>,
    /// Ids written as `@[id]` or `<@id>`, in order, without duplicates.
    pub ids: Vec<String>,
    /// Whether a mention-all word appears.
    pub all: bool,
}

const MENTION_ALL: [&str; 4] = ["all", "everyone", "channel", "here"];

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_id(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

/// Takes a run of `pred` characters from the start of `s`.
fn take_while(s: &str, pred: fn(char) -> bool) -> &str {
    let end = s.find(|c: char| !pred(c)).unwrap_or(s.len());
    &s[..end]
}

/// Finds the mentions in `text`.
pub fn parse(text: &str) -> Mentions {
    let mut out = Mentions::default();
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = match rest.chars().next() {
            Some(c) => c,
            None => break,
        };
        if let Some(after) = rest.strip_prefix("<@") {
            let id = take_while(after, is_id);
            if !id.is_empty() && after[id.len()..].starts_with('>') {
                push_unique(&mut out.ids, id);
                i += 2 + id.len() + 1;
                prev = Some('>');
                continue;
            }
        }
        // An `@` inside a word (an email address, say) is not a mention.
        let boundary = prev.is_none_or(|p| !(is_word(p) || p == '.' || p == '@'));
        if c == '@' && boundary {
            let after = &rest[1..];
            if let Some(inner) = after.strip_prefix('[') {
                let id = take_while(inner, is_id);
                if !id.is_empty() && inner[id.len()..].starts_with(']') {
                    push_unique(&mut out.ids, id);
                    i += 2 + id.len() + 1;
                    prev = Some(']');
                    continue;
                }
            }
            // A trailing hyphen is punctuation ("@bob- see"), not part of the name.
            let word = take_while(after, is_word).trim_end_matches('-');
            if !word.is_empty() {
                if MENTION_ALL.contains(&word.to_ascii_lowercase().as_str()) {
                    out.all = true;
                } else {
                    push_unique(&mut out.names, word);
                }
                i += 1 + word.len();
                prev = word.chars().last();
                continue;
            }
        }
        prev = Some(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_documented_form() {
        let m = parse("@john_doe see <@6981b6c2aa> and @[698211ea01], thanks @alice @bob @alice");
        assert_eq!(m.names, vec!["john_doe", "alice", "bob"]);
        assert_eq!(m.ids, vec!["6981b6c2aa", "698211ea01"]);
        assert!(!m.all);
    }

    #[test]
    fn mention_all_words_set_the_flag_not_a_name() {
        for w in ["@all", "@everyone", "@Channel", "@HERE"] {
            let m = parse(&format!("{w} meeting now"));
            assert!(m.all, "{w}");
            assert!(m.names.is_empty(), "{w}");
        }
    }

    #[test]
    fn hyphenated_handles_are_one_name() {
        let m = parse("hi @nole-site and @bob- ok");
        assert_eq!(m.names, vec!["nole-site", "bob"]);
    }

    #[test]
    fn emails_and_bare_at_signs_are_not_mentions() {
        let m = parse("mail me at bob@example.com or @ nobody, @@ x, a.@b");
        assert_eq!(m, Mentions::default());
    }

    #[test]
    fn unterminated_forms_and_unicode_do_not_panic() {
        let m = parse("<@abc @[xyz héllo @é @日本 <@");
        assert_eq!(m.names, vec!["abc"]);
        assert!(m.ids.is_empty());
    }
}
