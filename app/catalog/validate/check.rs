//! `Check`: validation of one entry, collecting every error with its file, line and column;
//! the field checks every kind of entry shares (numbers, sources, dates, references).

use super::*;

/// Validation of one entry: collects errors with their places.
pub(super) struct Check<'a> {
    pub(super) source: &'a SourceText,
    pub(super) kind: &'static str,
    pub(super) id: &'a str,
    pub(super) key: &'static str,
    pub(super) errors: &'a mut Vec<CatalogError>,
    pub(super) failed: bool,
}

impl<'a> Check<'a> {
    pub(super) fn new(
        source: &'a SourceText,
        kind: &'static str,
        id: &'a str,
        key: &'static str,
        errors: &'a mut Vec<CatalogError>,
    ) -> Self {
        Self {
            source,
            kind,
            id,
            key,
            errors,
            failed: false,
        }
    }

    pub(super) fn origin(&self) -> Origin {
        self.source.origin.clone()
    }

    pub(super) fn fail(&mut self, field: &str, value: Option<&str>, problem: String) {
        self.fail_hint(field, value, problem, String::new());
    }

    /// Records an error; `hint` (a list of valid values, the closest ids) goes last.
    pub(super) fn fail_hint(
        &mut self,
        field: &str,
        value: Option<&str>,
        problem: String,
        hint: String,
    ) {
        self.failed = true;
        let location = if matches!(
            self.kind,
            "benchmark" | "serving benchmark" | "draft pairing"
        ) {
            // Rows have no id; point at the first field of the row (its machine or target).
            let needle = self.id.split(['/', '+']).next().unwrap_or_default();
            locate(self.source, self.key, needle, field, value)
        } else {
            locate(self.source, self.key, self.id, field, value)
        };
        self.errors.push(CatalogError::Invalid {
            message: format!(
                "{problem} in {} \"{}\" (field `{field}`){hint}",
                self.kind, self.id
            ),
            location,
        });
    }

    pub(super) fn slug(&mut self) {
        let ok = !self.id.is_empty()
            && self.id.len() <= 80
            && self.id.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_')
            });
        if !ok {
            let id = self.id.to_owned();
            self.fail(
                self.key,
                None,
                format!("id \"{id}\" must be a slug of a-z, 0-9, '-', '.', '_'"),
            );
        }
    }

    pub(super) fn number(&mut self, field: &str, value: f64, min: f64, max: f64) -> f64 {
        if !value.is_finite() || value < min || value > max {
            self.fail(
                field,
                None,
                format!("{field} {value} is outside {min}..={max}"),
            );
        }
        value
    }

    pub(super) fn source_text(&mut self, field: &str, source: &str) {
        let s = source.trim();
        let ok = s.starts_with("http://")
            || s.starts_with("https://")
            || ["estimate", "assumed", "fitted", "measured", "derived"]
                .iter()
                .any(|p| s.to_lowercase().starts_with(p));
        if !ok {
            self.fail(
                field,
                None,
                format!("source \"{}\" must be a URL or start with \"estimate\", \"assumed\", \"fitted\", \"measured\" or \"derived\"", short(s)),
            );
        }
    }

    pub(super) fn sourced(&mut self, field: &str, value: &Sourced, min: f64, max: f64) -> Sourced {
        self.number(field, value.value, min, max);
        self.source_text(field, &value.source);
        value.clone()
    }

    pub(super) fn parse_enum<T: Copy>(
        &mut self,
        field: &str,
        what: &str,
        text: &str,
        parse: fn(&str) -> Option<T>,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Option<T> {
        let parsed = parse(text);
        if parsed.is_none() {
            let valid: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            self.fail_hint(
                field,
                Some(text),
                format!("unknown {what} \"{text}\""),
                format!("; expected one of: {}", valid.join(", ")),
            );
        }
        parsed
    }

    pub(super) fn runtime_field(&mut self, text: &str) -> Option<Runtime> {
        self.parse_enum(
            "runtime",
            "runtime",
            text,
            Runtime::parse,
            Runtime::ALL,
            Runtime::as_str,
        )
    }

    pub(super) fn reference(
        &mut self,
        field: &str,
        what: &str,
        wanted: &str,
        exists: bool,
        candidates: Vec<&str>,
    ) {
        if !exists {
            let hint = did_you_mean(wanted, candidates.into_iter());
            self.fail_hint(
                field,
                Some(wanted),
                format!("unknown {what} \"{wanted}\""),
                hint,
            );
        }
    }

    pub(super) fn done<T>(self, value: T) -> Option<T> {
        (!self.failed).then_some(value)
    }

    /// A date as the catalogue writes them: `2026-05` or `2026-05-09`.
    pub(super) fn iso_date(&mut self, field: &str, date: &str) {
        if !is_iso_date(date) {
            self.fail(
                field,
                Some(date),
                format!("\"{date}\" must be a date like 2026-05 or 2026-05-09"),
            );
        }
    }

    /// A compiler target name: lower-case letters, digits, `_` and `.`.
    pub(super) fn gpu_arch(&mut self, field: &str, arch: &str) {
        let ok = !arch.is_empty()
            && arch
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !ok {
            self.fail(
                field,
                Some(arch),
                format!(
                    "\"{arch}\" must be a compiler target like gfx1151, sm_89 or apple8 \
                     (lower-case letters, digits, '_' and '.')"
                ),
            );
        }
    }

    /// A CMake option name as llama.cpp spells them: capitals, digits and underscores.
    pub(super) fn build_flag(&mut self, field: &str, flag: &str) {
        let cmake = !flag.is_empty()
            && flag
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !cmake {
            self.fail(
                field,
                Some(flag),
                format!(
                    "build flag \"{flag}\" must be a CMake option name such as GGML_HIP_ROCWMMA_FATTN"
                ),
            );
        }
    }

    /// A driver's name: lower-case letters, digits and dashes, as in `radv` or `amdvlk`.
    pub(super) fn driver_name(&mut self, field: &str, driver: &str) {
        let plain = !driver.is_empty()
            && driver
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !plain {
            self.fail(
                field,
                Some(driver),
                format!(
                    "driver \"{driver}\" must be a lower-case driver name such as radv or amdvlk"
                ),
            );
        }
    }
}

pub(super) fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Whether `date` is `YYYY-MM` or `YYYY-MM-DD` with a real month and day number.
pub(super) fn is_iso_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let number = |s: &str, len: usize, lo: u32, hi: u32| {
        s.len() == len
            && s.chars().all(|c| c.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n))
    };
    match parts.as_slice() {
        [y, m] => number(y, 4, 1970, 2999) && number(m, 2, 1, 12),
        [y, m, d] => number(y, 4, 1970, 2999) && number(m, 2, 1, 12) && number(d, 2, 1, 31),
        _ => false,
    }
}
