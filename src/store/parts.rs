//! A score's parts as stored in `posts.reasons` (schema 8): compact lines, written and
//! read back exactly.

use crate::score::Reason;

/// A score's parts as stored in `posts.reasons` (schema 8): one line per rule, its
/// name then each part's `points field`, tab-separated; consecutive parts of one rule
/// (the same rule in title and summary) share its line:
///
/// ```text
/// incident\t7.5 title\t2.5 summary
/// boost\t1 feed
/// ```
///
/// Under half of JSON's size (a rescore rewrites every row whose score changed, so the
/// row's width is its cost). `\`, tab and newline in names are escaped; points are
/// written in the shortest form that reads back exactly.
pub fn encode_parts(parts: &[Reason]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(parts.len() * 24);
    let mut line_of: Option<&str> = None;
    for part in parts {
        if line_of == Some(part.rule.as_str()) {
            out.push('\t');
        } else {
            if line_of.is_some() {
                out.push('\n');
            }
            escape_part_text(&mut out, &part.rule);
            out.push('\t');
            line_of = Some(&part.rule);
        }
        write!(out, "{} ", part.points).expect("writing to a String cannot fail");
        escape_part_text(&mut out, &part.field);
    }
    out
}

/// The parts [`encode_parts`] wrote; a malformed line or part is skipped.
pub fn decode_parts(stored: &str) -> Vec<Reason> {
    let mut parts = Vec::new();
    for line in stored.split('\n') {
        let Some((rule, cells)) = line.split_once('\t') else {
            continue;
        };
        let rule = unescape_part_text(rule);
        for cell in cells.split('\t') {
            let Some((points, field)) = cell.split_once(' ') else {
                continue;
            };
            let Ok(points) = points.parse::<f64>() else {
                continue;
            };
            parts.push(Reason {
                rule: rule.clone(),
                field: unescape_part_text(field),
                points,
            });
        }
    }
    parts
}

fn escape_part_text(out: &mut String, text: &str) {
    if !text.contains(['\\', '\t', '\n']) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn unescape_part_text(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_parts_read_back_as_written_whatever_their_names() {
        let part = |rule: &str, field: &str, points| Reason {
            rule: rule.into(),
            field: field.into(),
            points,
        };
        let parts = vec![
            part("incident", "title", 7.5),
            part("incident", "summary", 2.5),
            part("tab\tnewline\n back\\t slash\\", "content", -0.75),
            part("", "url", 0.0),
            part("é 漢 ", "author", 1e-7),
            part("incident", "content", 1.0 / 3.0),
            part("boost", "feed", 1.0),
            part("sources", "3 feeds", 2.0),
        ];
        let stored = encode_parts(&parts);
        assert_eq!(decode_parts(&stored), parts);
        assert_eq!(decode_parts(&encode_parts(&[])), vec![]);
        assert!(stored.len() * 2 < serde_json::to_string(&parts).unwrap().len());
        // Damage costs only the damaged parts.
        assert_eq!(
            decode_parts("incident\tx title\t2 summary\tnospace\nno tab"),
            vec![part("incident", "summary", 2.0)]
        );
    }
}
