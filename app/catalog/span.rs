//! Byte spans in RON text: where each field of a struct and each item of a list sits, so a
//! file can be edited in place (a value replaced, rows appended) with its comments and layout
//! kept. Parsing proper stays with `ron`; this only finds boundaries.

/// One `name: value` inside a struct; `value` is a byte span.
pub struct Field {
    pub name: String,
    pub value: (usize, usize),
}

/// A minimal RON scanner that knows strings, raw strings, comments and nesting: enough to
/// find the byte span of each field of a struct without reformatting anything.
pub struct Scanner<'t> {
    text: &'t str,
    pub bytes: &'t [u8],
}

impl<'t> Scanner<'t> {
    pub fn new(text: &'t str) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
        }
    }

    pub fn slice(&self, span: (usize, usize)) -> &'t str {
        &self.text[span.0..span.1]
    }

    pub fn position(&self, at: usize) -> String {
        let before = &self.text[..at.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{line}:{column}")
    }

    /// Skips whitespace and comments from `i`.
    pub fn skip_ws(&self, mut i: usize) -> usize {
        let b = self.bytes;
        loop {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b[i..].starts_with(b"//") {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            } else if b[i..].starts_with(b"/*") {
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            } else {
                return i;
            }
        }
    }

    /// Skips `#![enable(...)]` attributes at the start.
    pub fn skip_attributes(&self, mut i: usize) -> usize {
        loop {
            i = self.skip_ws(i);
            if self.bytes[i..].starts_with(b"#!") {
                i = self.skip_value(i + 2);
            } else {
                return i;
            }
        }
    }

    /// The end of the string (normal or raw) starting at `i`.
    fn skip_string(&self, mut i: usize) -> usize {
        let b = self.bytes;
        if b[i] == b'r' {
            let mut hashes = 0;
            i += 1;
            while i < b.len() && b[i] == b'#' {
                hashes += 1;
                i += 1;
            }
            i += 1; // the opening quote
            while i < b.len() {
                if b[i] == b'"'
                    && b[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|c| **c == b'#')
                        .count()
                        == hashes
                {
                    return (i + 1 + hashes).min(b.len());
                }
                i += 1;
            }
            return b.len();
        }
        i += 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        b.len()
    }

    fn is_raw_string(&self, i: usize) -> bool {
        let b = self.bytes;
        b[i] == b'r'
            && b[i + 1..]
                .iter()
                .find(|c| **c != b'#')
                .is_some_and(|c| *c == b'"')
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
    }

    /// The end of the value starting at `i`: a string, a bracketed group, or a word (an
    /// identifier or number), possibly followed by a bracketed group (`Some(..)`, `Name(..)`).
    pub fn skip_value(&self, i: usize) -> usize {
        let b = self.bytes;
        if i >= b.len() {
            return b.len();
        }
        if b[i] == b'"' || self.is_raw_string(i) {
            return self.skip_string(i);
        }
        if matches!(b[i], b'(' | b'[' | b'{') {
            return self.skip_group(i);
        }
        let mut j = i;
        while j < b.len()
            && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'_' | b'.' | b'-' | b'+' | b'\''))
        {
            j += 1;
        }
        if j == i {
            // One unexpected character, whole (never half of a UTF-8 sequence).
            let width = self.text[i..].chars().next().map_or(1, char::len_utf8);
            return (i + width).min(b.len());
        }
        let k = self.skip_ws(j);
        if k < b.len() && b[k] == b'(' {
            return self.skip_group(k);
        }
        j
    }

    /// The end (after the closing bracket) of the group opening at `i`.
    fn skip_group(&self, mut i: usize) -> usize {
        let b = self.bytes;
        let mut depth = 0usize;
        while i < b.len() {
            i = self.skip_ws(i);
            if i >= b.len() {
                break;
            }
            if b[i] == b'"' || self.is_raw_string(i) {
                i = self.skip_string(i);
                continue;
            }
            match b[i] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        b.len()
    }

    /// The `(` of a struct value at `i`, skipping an optional struct name.
    pub fn struct_open(&self, i: usize) -> Option<usize> {
        let b = self.bytes;
        let mut j = self.skip_ws(i);
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        let j = self.skip_ws(j);
        (j < b.len() && b[j] == b'(').then_some(j)
    }

    /// The fields of the struct whose `(` is at `open`.
    pub fn fields(&self, open: usize) -> Result<Vec<Field>, String> {
        let b = self.bytes;
        let mut out = Vec::new();
        let mut i = open + 1;
        loop {
            i = self.skip_ws(i);
            if i >= b.len() {
                return Err(format!("unclosed ( opened at {}", self.position(open)));
            }
            if b[i] == b')' {
                return Ok(out);
            }
            let name_start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let name = &self.text[name_start..i];
            i = self.skip_ws(i);
            if name.is_empty() || i >= b.len() || b[i] != b':' {
                return Err(format!(
                    "expected `name: value` at {}",
                    self.position(name_start)
                ));
            }
            let value_start = self.skip_ws(i + 1);
            let value_end = self.skip_value(value_start);
            out.push(Field {
                name: name.to_owned(),
                value: (value_start, value_end),
            });
            i = self.skip_ws(value_end);
            if i < b.len() && b[i] == b',' {
                i += 1;
            }
        }
    }

    /// The items of the list whose `[` is at `open`.
    pub fn items(&self, open: usize) -> Result<Vec<(usize, usize)>, String> {
        let b = self.bytes;
        let mut out = Vec::new();
        let mut i = open + 1;
        loop {
            i = self.skip_ws(i);
            if i >= b.len() {
                return Err(format!("unclosed [ opened at {}", self.position(open)));
            }
            if b[i] == b']' {
                return Ok(out);
            }
            let end = self.skip_value(i);
            out.push((i, end));
            i = self.skip_ws(end);
            if i < b.len() && b[i] == b',' {
                i += 1;
            }
        }
    }
}

/// Where rows go when appended to a list field of a catalogue file.
impl Scanner<'_> {
    /// The `(` of the top-level struct, after any `#![...]` attributes.
    pub fn top_open(&self) -> Option<usize> {
        self.struct_open(self.skip_attributes(0))
    }
}

/// Appends `rows` (each a RON value on one line) to the list field `field` of the catalogue
/// text `text`, keeping every existing byte: the rows go before the list's closing bracket,
/// or a new `field: [...]` goes before the file's closing parenthesis.
pub fn append_to_list(text: &str, field: &str, rows: &[String]) -> Result<String, String> {
    let ron = Scanner::new(text);
    let open = ron
        .top_open()
        .ok_or("not a RON catalogue file: no top-level ( ... )")?;
    let fields = ron.fields(open)?;
    let b = ron.bytes;
    let mut out =
        String::with_capacity(text.len() + rows.iter().map(|r| r.len() + 12).sum::<usize>());
    // (insert at, comma needed after the previous element at, close bracket index)
    let (items_end, close, indent) = match fields.iter().find(|f| f.name == field) {
        Some(f) => {
            if b.get(f.value.0) != Some(&b'[') {
                return Err(format!(
                    "`{field}` at {} is not a list",
                    ron.position(f.value.0)
                ));
            }
            let items = ron.items(f.value.0)?;
            (
                items.last().map(|i| i.1),
                f.value.1.saturating_sub(1),
                "        ",
            )
        }
        None => {
            let close = ron.skip_value(open).saturating_sub(1);
            (fields.last().map(|f| f.value.1), close, "    ")
        }
    };
    if b.get(close).is_none_or(|c| !matches!(c, b']' | b')')) {
        return Err(format!("unclosed `{field}` list"));
    }
    let comma_at = items_end.filter(|end| b.get(ron.skip_ws(*end)) != Some(&b','));
    let mut body = String::new();
    let row_indent = if fields.iter().any(|f| f.name == field) {
        indent
    } else {
        "        "
    };
    for r in rows {
        body += &format!("{row_indent}{r},\n");
    }
    let body = if fields.iter().any(|f| f.name == field) {
        body
    } else {
        format!("{indent}{field}: [\n{body}{indent}],\n")
    };
    // A hostile or broken file can put the last item's end past the closing bracket, or an
    // index inside a character: refuse it rather than slice out of bounds.
    let slice = |a: usize, z: usize| {
        text.get(a..z)
            .ok_or_else(|| format!("the `{field}` list is malformed"))
    };
    let line_start = slice(0, close)?.rfind('\n').map_or(0, |i| i + 1);
    let own_line = slice(line_start, close)?.trim().is_empty() && line_start > open;
    let mut at = 0;
    if let Some(c) = comma_at {
        out.push_str(slice(0, c)?);
        out.push(',');
        at = c;
    }
    if own_line {
        out.push_str(slice(at, line_start)?);
        out.push_str(&body);
        out.push_str(slice(line_start, text.len())?);
    } else {
        out.push_str(slice(at, close)?);
        out.push('\n');
        out.push_str(&body);
        out.push_str(slice(close, text.len())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_gives_errors_not_panics() {
        for text in [
            "",
            "(",
            "(é",
            "(a: é)",
            "(a: \"\\é\", benchmarks: [é, (",
            "(benchmarks: [(x: r#\"",
            "/*",
            "(a: 1, b",
            "#![enable(x)] (benchmarks: [])",
            "(benchmarks: ]",
            "(benchmarks: [é",
        ] {
            let _ = append_to_list(text, "benchmarks", &["(a: 1)".to_owned()]);
        }
    }

    #[test]
    fn appends_rows_keeping_comments() {
        let text =
            "// mine\n(\n    benchmarks: [\n        (a: 1), // first\n        (a: 2)\n    ],\n)\n";
        let out = append_to_list(text, "benchmarks", &["(a: 3)".to_owned()]).unwrap();
        assert_eq!(
            out,
            "// mine\n(\n    benchmarks: [\n        (a: 1), // first\n        (a: 2),\n        (a: 3),\n    ],\n)\n"
        );
        let text = "(\n    machines: [],\n)\n";
        let out = append_to_list(text, "benchmarks", &["(a: 3)".to_owned()]).unwrap();
        assert_eq!(
            out,
            "(\n    machines: [],\n    benchmarks: [\n        (a: 3),\n    ],\n)\n"
        );
        let text = "(machines: [])";
        let out = append_to_list(text, "benchmarks", &["(a: 3)".to_owned()]).unwrap();
        assert_eq!(
            out,
            "(machines: [],\n    benchmarks: [\n        (a: 3),\n    ],\n)"
        );
    }
}
